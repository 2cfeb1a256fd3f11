"""The base class of the scikit-learn wrappers: parameters, input, feature names, pickling.

:class:`~vaekit.estimators.VAETransformer` and
:class:`~vaekit.estimators.VAEClassifier` both view the rows of a 2-D ``X`` as
samples of a VAE, build their Keras models lazily inside ``fit`` and carry them
through ``pickle`` as in-memory ``.keras`` archives. What the two classes have in
common lives here, so neither copies the other; the helpers they share have
modules of their own: :mod:`._keras_pickle` (models as ``.keras`` bytes),
:mod:`._seeding` (seeding, quiet retracing logs), :mod:`._inference` (batched
forward passes) and :mod:`._validation_split`.
"""

from __future__ import annotations

import math
from numbers import Integral, Real
from typing import ClassVar

import keras
import numpy as np
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin
# Private, no public equivalent yet (scikit-learn#28963); the constraints _fit_context checks.
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from vaekit._validation import (
    as_rectangular,
    check_shape,
    float32_range_problem,
    unscaled_integers_problem,
)
from vaekit.builders import ARCHITECTURES, Architecture
from vaekit.distribution import DISTRIBUTIONS
from vaekit.models._fixed_batches import predict_batches
from vaekit.estimators._keras_pickle import _KerasArchive, model_from_bytes, model_to_bytes

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
    "architecture": [StrOptions(set(ARCHITECTURES)), Architecture],
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
    "distribution": [StrOptions(set(DISTRIBUTIONS)), None],
}


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
        # The parent checks that the estimator is fitted and input_features match
        # feature_names_in_ (public API for scikit-learn's private _check_feature_names_in);
        # only its class-name prefix is replaced.
        names = super().get_feature_names_out(input_features)
        return np.asarray(
            [f"{self._feature_names_prefix}{i}" for i in range(len(names))],
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
    #: The model a warm start trains further (it needs its optimizer).
    _trained_model: ClassVar[str] = "vae_"
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
        _check_numeric(X)
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
        after ``fit`` cannot change how ``transform`` reads the rows. Finite
        float64 values beyond float32's range are refused here, before the cast
        would turn them into inf.
        """
        problem = float32_range_problem(X)
        if problem:
            raise ValueError(f"X {problem}; the model computes in float32: rescale X.")
        x = X.astype(np.float32, copy=False)
        shape = self.vae_.sample_shape if fitted else self._sample_shape(X.shape[1])
        return x if len(shape) == 1 else x.reshape((len(x), *shape))

    def _sample_shape(self, n_features: int) -> tuple[int, ...]:
        """The shape the model sees one row as: ``input_shape`` or ``(n_features,)``."""
        if self.input_shape is None:
            if isinstance(self.architecture, str) and self.architecture in INPUT_SHAPE_NEEDED:
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
        """``"auto"`` means ``"bce"`` when all of ``x`` lies in [0, 1], else ``"mse"``.

        Unscaled whole numbers (raw 0-255 pixels, counts above 16) are refused
        with ``"auto"``: the L2 loss it would pick diverges on them in the
        first epoch. An explicit ``reconstruction="mse"`` keeps them.
        """
        if self.reconstruction != "auto":
            return self.reconstruction
        if float(x.min()) >= 0.0 and float(x.max()) <= 1.0:
            return "bce"
        problem = unscaled_integers_problem(x)
        if problem:
            raise ValueError(
                f"X {problem}: scale to [0, 1] first (e.g. X / 255 for pixels), which "
                "reconstruction='auto' models with the Bernoulli loss. Unscaled, it would "
                "pick the L2 loss, which diverges on such values; set "
                "reconstruction='mse' to train on them anyway."
            )
        return "mse"

    # ------------------------------------------------------------------ model options
    def _architecture_options(self) -> dict:
        """Keyword options of the builders, from ``hidden_units`` and ``architecture_options``."""
        options = dict(self.architecture_options or {})
        if self.hidden_units is not None:
            if isinstance(self.architecture, Architecture):
                raise ValueError(
                    f"hidden_units sets the widths of the built-in architectures; your own "
                    f"architecture {self.architecture.name!r} takes its options through "
                    "architecture_options."
                )
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
        if getattr(getattr(self, self._trained_model), "optimizer", None) is None:
            raise ValueError(
                f"warm_start=True continues training with the optimizer's state, but this "
                f"{type(self).__name__} was loaded without it (pickles and save() leave it "
                "out; save(path, include_optimizer=True) keeps it). Set warm_start=False to "
                "train a new model."
            )
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

    # ------------------------------------------------------------------ files
    def save(self, path, *, include_optimizer: bool = False):
        """Write the fitted estimator to a ``.zip`` file: ``.keras`` models and JSON.

        The file can be shared without the risks of pickle: :meth:`load`
        runs no code from it. See :mod:`vaekit.estimators._persistence`.

        Parameters
        ----------
        path : str or path-like
            Destination ending in ``.zip``; its folder must exist.
        include_optimizer : bool, default=False
            Keep the optimizer's state, so that ``warm_start=True`` can continue
            training after :meth:`load`; the default file is about a third the size.

        Returns
        -------
        pathlib.Path
        """
        from vaekit.estimators._persistence import save_estimator

        return save_estimator(self, path, include_optimizer=include_optimizer)

    @classmethod
    def load(cls, path, *, safe_mode: bool = True):
        """Read an estimator written by :meth:`save`.

        Parameters
        ----------
        path : str or path-like
            The ``.zip`` file.
        safe_mode : bool, default=True
            Refuse Python code stored in the Keras models (Keras' safe mode);
            ``False`` only for a file you trust.

        Returns
        -------
        estimator
            Fitted, of this class.
        """
        from vaekit.estimators._persistence import load_estimator

        return load_estimator(path, expected=cls, safe_mode=safe_mode)

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


def _check_numeric(X) -> None:
    """Refuse strings in ``X`` with a message naming ``X`` (NumPy's names only the value)."""
    if not hasattr(X, "__array__") and not isinstance(X, (list, tuple)):
        return  # sparse matrices and the like: scikit-learn's checks word their errors
    values = as_rectangular("X", X)
    if values.dtype.kind in "USO":
        try:
            values.astype(np.float64)
        except (TypeError, ValueError) as err:
            # The same exception type as NumPy's (scikit-learn's checks expect it).
            raise type(err)(
                f"X must be numeric ({err}). Encode text or categories as numbers first "
                "(e.g. sklearn.preprocessing.OneHotEncoder)."
            ) from None


def _comparable(value):
    """Parameters as plain, comparable values (tuples for sequences)."""
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return tuple(np.asarray(value).ravel().tolist())
    return value

