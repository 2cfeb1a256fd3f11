"""Your own network: an :class:`Architecture` from your Keras models or builder functions.

The estimators, :func:`vaekit.build_vae` and pipeline files take the built-in
architectures by name (``"dense"``, ``"conv"``, ``"recurrent"``) or yours:

>>> from vaekit.builders import custom_architecture
>>> arch = custom_architecture(my_encoder_builder, my_decoder_builder)  # doctest: +SKIP
>>> VAETransformer(architecture=arch)                                   # doctest: +SKIP

Each of ``encoder`` and ``decoder`` is one of

* a function ``build_encoder(input_shape, latent_dim, **options) -> keras.Model``
  (``build_decoder(output_shape, latent_dim, **options)``; a decoder builder that
  takes an ``output_activation`` keyword is given the activation the
  reconstruction loss needs: ``"sigmoid"`` for ``"bce"``, ``"linear"`` for ``"mse"``);
* a built functional or ``Sequential`` Keras model, copied with fresh weights
  (:func:`keras.models.clone_model`) every time a model is built, so each
  ``fit`` starts from scratch like every scikit-learn estimator;
* an import path ``"package.module:function"`` naming a builder function (the
  form pipeline files use).

Every built pair is checked: the encoder must map one sample to
``[z_mean, z_log_var]`` of ``latent_dim`` values each, the decoder must map
``latent_dim`` values back to the sample's shape.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable

from vaekit._lazy_keras import keras

from vaekit.builders.registry import Architecture

__all__ = [
    "CheckedDecoder",
    "CheckedEncoder",
    "KerasModelBuilder",
    "custom_architecture",
    "load_builder",
]


def load_builder(path: str, role: str = "builder") -> Callable[..., keras.Model]:
    """Import a builder function named ``"package.module:function"``.

    Parameters
    ----------
    path : str
        Module path and attribute, separated by a colon; the attribute may be
        dotted (``"pkg.models:Builders.encoder"``).
    role : str, default="builder"
        What the path is for, used in error messages (``"encoder"``, ...).

    Returns
    -------
    callable

    Raises
    ------
    ValueError
        If the path is malformed, the module cannot be imported, or the attribute
        is missing.
    TypeError
        If the attribute is not callable.
    """
    if not isinstance(path, str) or path.count(":") != 1 or not all(path.split(":")):
        raise ValueError(
            f"{role} must be an import path 'package.module:function', got {path!r}."
        )
    module_name, attribute = path.split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise ValueError(
            f"{role} {path!r}: cannot import module {module_name!r} ({error}). Is the "
            "package installed, or its folder on PYTHONPATH?"
        ) from None
    target = module
    for part in attribute.split("."):
        if not hasattr(target, part):
            raise ValueError(
                f"{role} {path!r}: module {module_name!r} has no attribute {attribute!r}."
            )
        target = getattr(target, part)
    if not callable(target):
        raise TypeError(f"{role} {path!r} names a {type(target).__name__}, not a function.")
    return target


class KerasModelBuilder:
    """A builder that returns a fresh copy of a given Keras model.

    Parameters
    ----------
    model : keras.Model
        A functional or ``Sequential`` model (subclassed models cannot be cloned
        by Keras; pass a function that builds one instead).
    role : {"encoder", "decoder"}
        What the model is, for error messages.
    """

    def __init__(self, model: keras.Model, role: str) -> None:
        self.model = model
        self.role = role

    def __call__(self, sample_shape, latent_dim) -> keras.Model:
        # No options: a built model has its sizes; the shapes are checked by the caller.
        try:
            return keras.models.clone_model(self.model)
        except ValueError as error:
            raise TypeError(
                f"the {self.role} model {self.model.name!r} cannot be copied with "
                f"keras.models.clone_model ({error}); pass a function that builds it "
                "instead."
            ) from None

    def __repr__(self) -> str:
        return f"KerasModelBuilder({self.model.name!r}, role={self.role!r})"


def _as_builder(value, role: str) -> Callable[..., keras.Model]:
    if isinstance(value, keras.Model):
        return KerasModelBuilder(value, role)
    if isinstance(value, str):
        return load_builder(value, role)
    if callable(value):
        return value
    raise TypeError(
        f"{role} must be a keras.Model, a function that builds one, or an import path "
        f"'package.module:function'; got {type(value).__name__}."
    )


def _shape_text(shape) -> str:
    return str(tuple(shape[1:]))


class _CheckedBuilder:
    """A user's builder, with its signature, whose models are checked when built."""

    role = "builder"

    def __init__(self, build: Callable[..., keras.Model], name: str) -> None:
        self.build = build
        self.name = name

    @property
    def __signature__(self) -> inspect.Signature:
        # The user's signature, so that option routing sees the options it takes.
        return inspect.signature(self.build)

    def _model(self, shape, latent_dim, options) -> keras.Model:
        model = self.build(tuple(shape), latent_dim, **options)
        if not isinstance(model, keras.Model):
            raise TypeError(
                f"the {self.role} of architecture {self.name!r} must be a keras.Model, "
                f"got {type(model).__name__}."
            )
        return model

    def _refuse(self, what: str, shape, expected: str) -> None:
        raise ValueError(
            f"the {self.role} of architecture {self.name!r} {what} of shape "
            f"{_shape_text(shape)}, but {expected}."
        )

    def __eq__(self, other) -> bool:
        # Equal when they wrap the same builder: a deep copy (scikit-learn's clone) stays equal.
        return (type(other) is type(self) and other.build == self.build
                and other.name == self.name)

    def __hash__(self) -> int:
        return hash((type(self), self.name))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.build!r}, name={self.name!r})"


class CheckedEncoder(_CheckedBuilder):
    """Builds the user's encoder and checks it maps a sample to ``[z_mean, z_log_var]``."""

    role = "encoder"

    def __call__(self, input_shape, latent_dim, **options) -> keras.Model:
        encoder = self._model(input_shape, latent_dim, options)
        if tuple(encoder.input_shape) != (None, *input_shape):
            self._refuse("takes samples", encoder.input_shape,
                         f"the data's samples have shape {tuple(input_shape)}")
        shapes = [tuple(output.shape[1:]) for output in encoder.outputs]
        if shapes != [(latent_dim,), (latent_dim,)]:
            raise ValueError(
                f"the encoder of architecture {self.name!r} must return [z_mean, z_log_var] "
                f"of shape ({latent_dim},) each (latent_dim={latent_dim}); it returns "
                f"{len(shapes)} output(s) of shape(s) {shapes}."
            )
        return encoder


class CheckedDecoder(_CheckedBuilder):
    """Builds the user's decoder and checks it maps ``latent_dim`` values to a sample."""

    role = "decoder"

    def __call__(self, output_shape, latent_dim, output_activation="sigmoid",
                 **options) -> keras.Model:
        if _accepts(self.build, "output_activation"):
            options["output_activation"] = output_activation
        decoder = self._model(output_shape, latent_dim, options)
        if tuple(decoder.input_shape) != (None, latent_dim):
            self._refuse("takes inputs", decoder.input_shape, f"latent_dim={latent_dim}")
        if tuple(decoder.output_shape) != (None, *output_shape):
            self._refuse("returns samples", decoder.output_shape,
                         f"the data's samples have shape {tuple(output_shape)}")
        return decoder


def _accepts(function: Callable, keyword: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return keyword in parameters or any(
        p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values()
    )


def custom_architecture(encoder, decoder, name: str = "custom") -> Architecture:
    """Make an :class:`Architecture` from your own encoder and decoder.

    Parameters
    ----------
    encoder : keras.Model, callable or str
        A Keras model mapping a sample to ``[z_mean, z_log_var]``, a function
        ``(input_shape, latent_dim, **options) -> keras.Model`` that builds one,
        or the import path ``"package.module:function"`` of such a function.
    decoder : keras.Model, callable or str
        A Keras model mapping ``latent_dim`` values to a sample, a function
        ``(output_shape, latent_dim, **options) -> keras.Model``, or its import path.
        Its output activation must suit the reconstruction loss (sigmoid for
        ``"bce"``, linear for ``"mse"``); a builder that takes an
        ``output_activation`` keyword is given the right one.
    name : str, default="custom"
        A name for messages and reports.

    Returns
    -------
    Architecture
        Usable wherever an architecture name is: ``build_vae(architecture=...)``,
        ``VAETransformer(architecture=...)``, ``VAEClassifier(architecture=...)``.

    Examples
    --------
    >>> import keras
    >>> from vaekit.builders import custom_architecture
    >>> def build_encoder(input_shape, latent_dim):
    ...     x = keras.Input(input_shape)
    ...     h = keras.layers.Dense(64, activation="relu")(x)
    ...     return keras.Model(x, [keras.layers.Dense(latent_dim)(h),
    ...                            keras.layers.Dense(latent_dim)(h)])
    >>> def build_decoder(output_shape, latent_dim, output_activation="sigmoid"):
    ...     z = keras.Input((latent_dim,))
    ...     h = keras.layers.Dense(64, activation="relu")(z)
    ...     return keras.Model(z, keras.layers.Dense(output_shape[0],
    ...                                              activation=output_activation)(h))
    >>> arch = custom_architecture(build_encoder, build_decoder, name="small")
    >>> encoder, decoder = arch.build((10,), 2, output_activation="sigmoid")
    >>> decoder.output_shape
    (None, 10)
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}.")
    return Architecture(
        name,
        CheckedEncoder(_as_builder(encoder, "encoder"), name),
        CheckedDecoder(_as_builder(decoder, "decoder"), name),
        weights_per_latent_unit=None,
    )
