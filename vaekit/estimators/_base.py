"""What the scikit-learn wrappers share: parameters, input handling, seeding, pickling.

:class:`~vaekit.estimators.VAETransformer` and
:class:`~vaekit.estimators.VAEClassifier` both view the rows of a 2-D ``X`` as
samples of a VAE, build their Keras models lazily inside ``fit`` and carry them
through ``pickle`` as in-memory ``.keras`` archives. Everything the two have in
common lives here, so neither copies the other.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import random
import tempfile
from collections.abc import Iterator
from numbers import Integral, Real
from typing import ClassVar

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import (
    _check_feature_names_in,
    check_is_fitted,
    validate_data,
)

from vaekit._validation import check_shape
from vaekit.builders import ARCHITECTURES
from vaekit.training.seeding import seed_everything

#: Input values per forward pass in ``transform``, ``predict_proba`` and friends
#: (32 MB of float32): 10,700 MNIST rows, 131,072 rows of 64 features. Each
#: extra batch costs about 2 % on a CPU (``bench/sklearn_overhead.py``); the
#: bound keeps a conv encoder's activations near half a GB.
PREDICT_BATCH_VALUES = 2**23

#: The architecture option that ``hidden_units`` sets: the widths of the
#: dense layers, the filters of the conv blocks, the units of the recurrent layers.
WIDTH_OPTIONS: dict[str, str] = {
    "dense": "hidden_units",
    "conv": "filters",
    "recurrent": "units",
}

#: What ``input_shape`` must look like for the architectures that need one.
INPUT_SHAPE_NEEDED: dict[str, str] = {
    "conv": "(height, width, channels), e.g. input_shape=(28, 28, 1) for flat MNIST rows",
    "recurrent": "(timesteps, features), e.g. input_shape=(50, 1) for 50-step series",
}

#: Parameter constraints both estimators declare (scikit-learn's ``_parameter_constraints``).
COMMON_PARAMETER_CONSTRAINTS: dict[str, list] = {
    "latent_dim": [Interval(Integral, 1, None, closed="left")],
    "architecture": [StrOptions(set(ARCHITECTURES))],
    "hidden_units": ["array-like", None],
    "architecture_options": [dict, None],
    "beta": [Interval(Real, 0, None, closed="left")],
    "reconstruction": [StrOptions({"auto", "bce", "mse"})],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "learning_rate": [Interval(Real, 0, None, closed="neither")],
    "input_shape": ["array-like", Interval(Integral, 1, None, closed="left"), None],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "warm_start": ["boolean"],
}


# ---------------------------------------------------------------------- Keras models in pickles
def model_to_bytes(model: keras.Model) -> bytes:
    """Serialise a Keras model, weights and optimizer state included, to ``.keras`` bytes.

    Parameters
    ----------
    model : keras.Model
        Any model :func:`keras.saving.save_model` can write.

    Returns
    -------
    bytes
        The content of the ``.keras`` (zip) archive.
    """
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(data: bytes) -> keras.Model:
    """Load a model written by :func:`model_to_bytes`.

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive.

    Returns
    -------
    keras.Model
    """
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        with open(path, "wb") as handle:
            handle.write(data)
        return keras.saving.load_model(path)


class _KerasArchive:
    """A Keras model inside a pickle: the bytes of its ``.keras`` archive.

    A small class rather than bare bytes, so that ``__setstate__`` knows what to load.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __getstate__(self):
        return self.data

    def __setstate__(self, data):
        self.data = data


# ---------------------------------------------------------------------- seeding
def draw_seed(random_state) -> int:
    """Turn a scikit-learn ``random_state`` into the integer seed Keras needs.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState or None
        An int is used as is; ``None`` draws from NumPy's global generator (so
        seeding NumPy makes the fit repeatable, as for scikit-learn's own estimators).

    Returns
    -------
    int
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[int]:
    """Seed Keras (weights, sampling, shuffling) and leave the user's generators as found.

    :func:`~vaekit.training.seeding.seed_everything` reseeds Python's
    :mod:`random`, NumPy's global generator and Keras' global seed (and
    TensorFlow's, on that backend). The first two are put back on exit, so
    fitting an estimator does not change the random numbers the rest of the
    program draws; the backend's global seed stays at ``seed``. TensorFlow's
    retracing warnings are silenced inside (see :func:`quiet_retracing`).

    Parameters
    ----------
    seed : int
        The seed.

    Yields
    ------
    int
        ``seed``.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    seed_everything(seed)
    try:
        with quiet_retracing():
            yield seed
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class _DropRetracingWarnings(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing() -> Iterator[None]:
    """Silence TensorFlow's retracing warning while an estimator trains or scores.

    TensorFlow counts traces per Python function, and every Keras model's
    training step is the same function, so fitting a sixth model in one
    process (a grid search, cross-validation, the estimator checks) logs
    "5 out of the last N calls ... triggered tf.function retracing": each new
    model must be traced once, which the user can do nothing about. Only
    that message is dropped, and only inside this block.
    """
    tf_logger = logging.getLogger("tensorflow")
    dropper = _DropRetracingWarnings()
    tf_logger.addFilter(dropper)
    try:
        yield
    finally:
        tf_logger.removeFilter(dropper)


# ---------------------------------------------------------------------- inference
def predict_batches(model: keras.Model, x: np.ndarray, output: int | None = None,
                    batch_size: int | None = None) -> np.ndarray:
    """Run ``model`` on ``x`` in batches and return NumPy; ``output`` picks one output.

    Calls the model directly (no :meth:`keras.Model.predict` loop), which
    costs no tracing and no data pipeline: the right trade for
    scikit-learn's many small calls, and faster than ``predict`` for large
    ones too (``bench/sklearn_overhead.py``).

    Parameters
    ----------
    model : keras.Model
        Encoder, decoder or classifier.
    x : numpy.ndarray
        Validated float32 input.
    output : int or None, default=None
        Index of the output to keep when the model has several.
    batch_size : int or None, default=None
        Rows per forward pass; ``None`` fits :data:`PREDICT_BATCH_VALUES` input
        values in each.

    Returns
    -------
    numpy.ndarray
    """
    if batch_size is None:
        batch_size = max(1, PREDICT_BATCH_VALUES // max(1, math.prod(x.shape[1:])))
    parts = []
    for start in range(0, len(x), batch_size):
        result = model(x[start:start + batch_size], training=False)
        if output is not None:
            result = result[output]
        parts.append(keras.ops.convert_to_numpy(result))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


# ---------------------------------------------------------------------- the shared base
class VAEFeatureNamesMixin(ClassNamePrefixFeaturesOutMixin):
    """Latent feature names ``vae0, vae1, ...``.

    scikit-learn's :class:`~sklearn.base.ClassNamePrefixFeaturesOutMixin` names
    them after the class (``vaetransformer0``); this keeps its input checks and
    uses the shorter prefix, the same for both estimators, so downstream
    column names do not depend on which one made them.
    """

    _feature_names_prefix: ClassVar[str] = "vae"

    def get_feature_names_out(self, input_features=None):
        """Names of the latent features: ``vae0`` ... ``vae{latent_dim - 1}``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Only checked against ``feature_names_in_``; not used.

        Returns
        -------
        numpy.ndarray of str
        """
        check_is_fitted(self, "_n_features_out")
        _check_feature_names_in(self, input_features, generate_names=False)
        return np.asarray(
            [f"{self._feature_names_prefix}{i}" for i in range(self._n_features_out)],
            dtype=object,
        )


class BaseVAEEstimator(VAEFeatureNamesMixin, BaseEstimator):
    """Input handling, model options, seeding and pickling for the VAE estimators.

    Not meant to be used directly. Subclasses name the fitted Keras models
    they own in ``_keras_models`` (pickled as ``.keras`` bytes) and the
    attributes that are parts of them in ``_keras_parts`` (re-linked after
    unpickling, so ``encoder_`` stays the VAE's own encoder).
    """

    _keras_models: ClassVar[tuple[str, ...]] = ()
    _keras_parts: ClassVar[dict[str, tuple[str, str]]] = {}
    #: Parameters that fix the model's structure; ``warm_start`` refuses to change them.
    _structure_params: ClassVar[tuple[str, ...]] = (
        "latent_dim", "architecture", "hidden_units", "architecture_options", "input_shape",
    )

    # ------------------------------------------------------------------ input
    def _validate_X(self, X, *, reset: bool):
        """Check ``X`` as scikit-learn does; return it and the float32 model input.

        Returns
        -------
        X : numpy.ndarray
            Validated, float64 or float32 (the dtype outputs follow).
        x : numpy.ndarray
            ``X`` as float32, rows reshaped to the model's sample shape.
        """
        X = validate_data(self, X, reset=reset, dtype=[np.float64, np.float32])
        return X, self._model_input(X, fitted=not reset)

    def _latent_means(self, X) -> np.ndarray:
        """``transform``'s work: the encoder's latent means of ``X``, in ``X``'s dtype."""
        check_is_fitted(self)
        X, x = self._validate_X(X, reset=False)
        return predict_batches(self.encoder_, x, output=0).astype(X.dtype, copy=False)

    def _model_input(self, X: np.ndarray, *, fitted: bool) -> np.ndarray:
        """``X`` as float32 samples, in the fitted model's shape or the parameters'.

        Once fitted, the model's own sample shape is used, so ``set_params``
        after ``fit`` cannot change how ``transform`` reads the rows.
        """
        x = X.astype(np.float32, copy=False)
        shape = self.vae_.sample_shape if fitted else self._sample_shape(X.shape[1])
        return x if len(shape) == 1 else x.reshape((len(x), *shape))

    def _sample_shape(self, n_features: int) -> tuple[int, ...]:
        """The shape the model sees one row as: ``input_shape`` or ``(n_features,)``."""
        if self.input_shape is None:
            if self.architecture in INPUT_SHAPE_NEEDED:
                raise ValueError(
                    f"architecture={self.architecture!r} needs input_shape="
                    f"{INPUT_SHAPE_NEEDED[self.architecture]}, to view each row of X "
                    f"({n_features} features) as one sample; got input_shape=None."
                )
            return (n_features,)
        shape = check_shape("input_shape", self.input_shape)
        if math.prod(shape) != n_features:
            raise ValueError(
                f"input_shape={shape} holds {math.prod(shape)} values per sample, but X "
                f"has {n_features} features; their product must equal the number of "
                "features."
            )
        return shape

    def _resolve_reconstruction(self, x: np.ndarray) -> str:
        """``"auto"`` means ``"bce"`` when all of ``x`` lies in [0, 1], else ``"mse"``."""
        if self.reconstruction != "auto":
            return self.reconstruction
        return "bce" if float(x.min()) >= 0.0 and float(x.max()) <= 1.0 else "mse"

    # ------------------------------------------------------------------ model options
    def _architecture_options(self) -> dict:
        """Keyword options of the builders, from ``hidden_units`` and ``architecture_options``."""
        options = dict(self.architecture_options or {})
        if self.hidden_units is not None:
            width = WIDTH_OPTIONS[self.architecture]
            if width in options:
                raise ValueError(
                    f"hidden_units and architecture_options[{width!r}] both set the widths "
                    f"of architecture={self.architecture!r}; give only one."
                )
            units = tuple(np.asarray(self.hidden_units).ravel().tolist())
            if not units or not all(
                isinstance(u, Integral) and not isinstance(u, bool) and u >= 1 for u in units
            ):
                raise ValueError(
                    "hidden_units must be a non-empty sequence of positive integers such "
                    f"as (512, 256), got {self.hidden_units!r}."
                )
            options[width] = units
        return options

    def _check_warm_start(self) -> bool:
        """True when this fit continues the fitted model; refuse structural changes."""
        if not (self.warm_start and hasattr(self, "_fitted_structure")):
            return False
        current = self._structure()
        for name, before in self._fitted_structure.items():
            if current[name] != before:
                raise ValueError(
                    f"warm_start=True continues training the fitted model, but {name} "
                    f"changed from {before!r} to {current[name]!r}. Set warm_start=False "
                    "to train a new model."
                )
        return True

    def _structure(self) -> dict:
        return {name: _comparable(getattr(self, name)) for name in self._structure_params}

    # ------------------------------------------------------------------ fitted state
    @property
    def _n_features_out(self) -> int:
        return int(self.vae_.latent_dim)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = False
        if tags.transformer_tags is not None:
            # Keras computes in float32; the latent features come back in X's dtype.
            tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags

    # ------------------------------------------------------------------ pickling
    def __getstate__(self):
        state = dict(super().__getstate__())
        for name in self._keras_parts:
            state.pop(name, None)
        for name in self._keras_models:
            if isinstance(state.get(name), keras.Model):
                state[name] = _KerasArchive(model_to_bytes(state[name]))
        return state

    def __setstate__(self, state):
        state = dict(state)
        for name in self._keras_models:
            if isinstance(state.get(name), _KerasArchive):
                state[name] = model_from_bytes(state[name].data)
        super().__setstate__(state)
        for name, (owner, attribute) in self._keras_parts.items():
            if owner in self.__dict__:
                setattr(self, name, getattr(self.__dict__[owner], attribute))


def _comparable(value):
    """Parameters as plain, comparable values (tuples for sequences)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(np.asarray(value).ravel().tolist())
    return value


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation split of ``n`` rows, ``fraction`` of them for validation.

    Keras' own ``validation_split`` takes the last rows, which is wrong for
    data sorted by class; this draws them at random.

    Parameters
    ----------
    n : int
        Number of rows.
    fraction : float
        Share of rows held out, in (0, 1).
    seed : int
        Seed of the draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(train_index, validation_index)``, each sorted.
    """
    n_val = int(math.ceil(fraction * n))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"early_stopping holds out validation_fraction={fraction} of the rows, which "
            f"leaves no rows to train or to validate on with n_samples={n}. Pass more "
            "rows or set early_stopping=False."
        )
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])
