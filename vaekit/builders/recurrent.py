"""Recurrent (LSTM or GRU) encoder and decoder, for sequences ``(timesteps, features)``."""

from __future__ import annotations

from collections.abc import Sequence

from vaekit._lazy_keras import keras

from vaekit._validation import check_positive_int, check_shape, check_widths
from vaekit.builders._heads import gaussian_head

#: Recurrent cells by name: attributes of ``keras.layers``.
CELLS = {"lstm": "LSTM", "gru": "GRU"}
DEFAULT_RECURRENT_UNITS = (64,)


def _cell_class(cell: str):
    try:
        return getattr(keras.layers, CELLS[cell])
    except KeyError:
        raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}.") from None


def _check_sequence_shape(input_shape: tuple[int, ...]) -> None:
    input_shape = check_shape("input_shape", input_shape)
    if len(input_shape) != 2:
        raise ValueError(
            "architecture='recurrent' needs sequences of shape (timesteps, features), "
            f"got input_shape={tuple(input_shape)}. A univariate series needs a feature "
            "axis: x[..., None]."
        )


def build_recurrent_encoder(
    input_shape: tuple[int, ...],
    latent_dim: int,
    units: Sequence[int] = DEFAULT_RECURRENT_UNITS,
    cell: str = "lstm",
) -> keras.Model:
    """Build a recurrent encoder ``sequence -> [z_mean, z_log_var]``.

    Parameters
    ----------
    input_shape : tuple of int
        ``(timesteps, features)``.
    latent_dim : int
        Size of the latent space.
    units : sequence of int, default=(64,)
        Units of each stacked recurrent layer; the last one's final state feeds
        the latent head.
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell type.

    Returns
    -------
    keras.Model
        Named ``"encoder"``.
    """
    _check_sequence_shape(input_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    units = check_widths("units", units, allow_empty=False)
    layer_class = _cell_class(cell)
    inputs = keras.Input(shape=input_shape, name="x")
    h = inputs
    for i, n_units in enumerate(units):
        last = i == len(units) - 1
        h = layer_class(n_units, return_sequences=not last, name=f"{cell}_{i}")(h)
    return keras.Model(inputs, gaussian_head(h, latent_dim), name="encoder")


def build_recurrent_decoder(
    output_shape: tuple[int, ...],
    latent_dim: int,
    units: Sequence[int] = DEFAULT_RECURRENT_UNITS,
    cell: str = "lstm",
    output_activation: str = "sigmoid",
) -> keras.Model:
    """Build a recurrent decoder ``z -> sequence``.

    The latent vector is repeated at every time step (``RepeatVector``) and
    read by stacked recurrent layers (``units`` reversed); a dense layer maps
    each step to the features.

    Parameters
    ----------
    output_shape : tuple of int
        ``(timesteps, features)``.
    latent_dim : int
        Size of the latent space.
    units : sequence of int, default=(64,)
        As given to the encoder; used in reverse.
    cell : {"lstm", "gru"}, default="lstm"
        Recurrent cell type.
    output_activation : str, default="sigmoid"
        ``"sigmoid"`` for BCE reconstruction, ``"linear"`` for MSE.

    Returns
    -------
    keras.Model
        Named ``"decoder"``.
    """
    _check_sequence_shape(output_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    units = check_widths("units", units, allow_empty=False)
    layer_class = _cell_class(cell)
    timesteps, features = output_shape
    inputs = keras.Input(shape=(latent_dim,), name="z")
    h = keras.layers.RepeatVector(timesteps)(inputs)
    for i, n_units in enumerate(reversed(units)):
        h = layer_class(n_units, return_sequences=True, name=f"{cell}_{i}")(h)
    outputs = keras.layers.Dense(
        features, activation=output_activation, name="reconstruction"
    )(h)
    return keras.Model(inputs, outputs, name="decoder")


#: Weight matrices per recurrent cell (gates), for the size estimate below.
_GATES = {"lstm": 4, "gru": 3}


def recurrent_weights_per_latent_unit(input_shape: tuple[int, ...], options: dict) -> int:
    """Weights that one latent unit adds: the Gaussian head's and the decoder's first cell's.

    Parameters
    ----------
    input_shape : tuple of int
        ``(timesteps, features)``.
    options : dict
        The builders' options (``units``, ``cell``).

    Returns
    -------
    int
    """
    units = check_widths("units", options.get("units", DEFAULT_RECURRENT_UNITS),
                         allow_empty=False)
    return 2 * (units[-1] + 1) + _GATES.get(options.get("cell", "lstm"), 4) * units[-1]
