"""Multi-layer perceptron encoder and decoder, for flat or tabular data (any shape)."""

from __future__ import annotations

import math
from collections.abc import Sequence

from vaekit._lazy_keras import keras

from vaekit._validation import check_positive_int, check_shape, check_widths
from vaekit.builders._heads import gaussian_head

DEFAULT_HIDDEN_UNITS = (512, 256)


def build_dense_encoder(
    input_shape: tuple[int, ...],
    latent_dim: int,
    hidden_units: Sequence[int] = DEFAULT_HIDDEN_UNITS,
    activation: str = "relu",
) -> keras.Model:
    """Build an MLP encoder ``x -> [z_mean, z_log_var]``.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample; anything beyond a vector is flattened first.
    latent_dim : int
        Size of the latent space.
    hidden_units : sequence of int, default=(512, 256)
        Width of each hidden layer, from the input towards the latent space.
    activation : str, default="relu"
        Activation of the hidden layers.

    Returns
    -------
    keras.Model
        Named ``"encoder"``; two outputs, each ``(batch, latent_dim)``.
    """
    input_shape = check_shape("input_shape", input_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    hidden_units = check_widths("hidden_units", hidden_units)
    inputs = keras.Input(shape=input_shape, name="x")
    h = keras.layers.Flatten()(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(hidden_units):
        h = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(h)
    return keras.Model(inputs, gaussian_head(h, latent_dim), name="encoder")


def build_dense_decoder(
    output_shape: tuple[int, ...],
    latent_dim: int,
    hidden_units: Sequence[int] = DEFAULT_HIDDEN_UNITS,
    activation: str = "relu",
    output_activation: str = "sigmoid",
) -> keras.Model:
    """Build an MLP decoder ``z -> x`` mirroring :func:`build_dense_encoder`.

    Parameters
    ----------
    output_shape : tuple of int
        Shape of one reconstructed sample.
    latent_dim : int
        Size of the latent space.
    hidden_units : sequence of int, default=(512, 256)
        Hidden widths as given to the encoder; the decoder uses them reversed.
    activation : str, default="relu"
        Activation of the hidden layers.
    output_activation : str, default="sigmoid"
        ``"sigmoid"`` for Bernoulli (BCE) reconstruction, ``"linear"`` for MSE.

    Returns
    -------
    keras.Model
        Named ``"decoder"``.
    """
    output_shape = check_shape("output_shape", output_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    hidden_units = check_widths("hidden_units", hidden_units)
    inputs = keras.Input(shape=(latent_dim,), name="z")
    h = inputs
    for i, units in enumerate(reversed(hidden_units)):
        h = keras.layers.Dense(units, activation=activation, name=f"dense_{i}")(h)
    h = keras.layers.Dense(
        math.prod(output_shape), activation=output_activation, name="reconstruction"
    )(h)
    if len(output_shape) > 1:
        h = keras.layers.Reshape(output_shape)(h)
    return keras.Model(inputs, h, name="decoder")


def dense_weights_per_latent_unit(input_shape: tuple[int, ...], options: dict) -> int:
    """Weights that one latent unit adds: the Gaussian head's and the decoder's first layer's.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample.
    options : dict
        The builders' options (``hidden_units``).

    Returns
    -------
    int
    """
    hidden_units = check_widths("hidden_units", options.get("hidden_units", DEFAULT_HIDDEN_UNITS))
    width = hidden_units[-1] if hidden_units else math.prod(input_shape)
    return 2 * (width + 1) + width
