"""Architectures by name: ``ARCHITECTURES["conv"]`` gives the encoder and decoder builders."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from vaekit._lazy_keras import keras

from vaekit.builders.conv import (
    build_conv_decoder,
    build_conv_encoder,
    conv_weights_per_latent_unit,
)
from vaekit.builders.dense import (
    build_dense_decoder,
    build_dense_encoder,
    dense_weights_per_latent_unit,
)
from vaekit.builders.recurrent import (
    build_recurrent_decoder,
    build_recurrent_encoder,
    recurrent_weights_per_latent_unit,
)

#: Most weights the layers next to the latent space may hold: 1e9 float32 weights
#: are 4 GB, about 16 GB while training with Adam. A larger ``latent_dim`` is refused
#: before any weight is allocated (the random initialiser would exhaust memory).
MAX_LATENT_WEIGHTS = 10**9


@dataclass(frozen=True)
class Architecture:
    """A pair of builders that make a matching encoder and decoder.

    Attributes
    ----------
    name : str
        Registry name.
    build_encoder : callable
        ``(input_shape, latent_dim, **options) -> keras.Model``.
    build_decoder : callable
        ``(output_shape, latent_dim, **options) -> keras.Model``.
    weights_per_latent_unit : callable or None
        ``(input_shape, options) -> int``: weights one latent unit adds to the
        layers on either side of the latent space (for the size check); ``None``
        (a user's own network, see :func:`vaekit.builders.custom_architecture`)
        skips the check.
    """

    name: str
    build_encoder: Callable[..., keras.Model]
    build_decoder: Callable[..., keras.Model]
    weights_per_latent_unit: Callable[[tuple[int, ...], dict], int] | None = None

    def check_size(self, input_shape: tuple[int, ...], latent_dim: int, options: dict) -> None:
        """Refuse a ``latent_dim`` whose layers would not fit in memory, before building.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one sample.
        latent_dim : int
            Size of the latent space.
        options : dict
            Architecture options.
        """
        if self.weights_per_latent_unit is None:
            return
        weights = latent_dim * self.weights_per_latent_unit(tuple(input_shape), options)
        if weights > MAX_LATENT_WEIGHTS:
            raise ValueError(
                f"latent_dim={latent_dim} would give the layers around the latent space "
                f"about {weights:.2g} weights ({weights * 4 / 1e9:.3g} GB of float32, "
                f"about 4x that to train), over vaekit's limit of {MAX_LATENT_WEIGHTS:.0e}. "
                "Choose a latent_dim of a few to a few hundred."
            )

    def option_names(self) -> set[str]:
        """Keyword options accepted by either builder."""
        names = set()
        for builder in (self.build_encoder, self.build_decoder):
            parameters = list(inspect.signature(builder).parameters.values())[2:]
            names.update(p.name for p in parameters
                         if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        return names - {"output_activation"}

    def build(
        self,
        input_shape: tuple[int, ...],
        latent_dim: int,
        output_activation: str,
        **options,
    ) -> tuple[keras.Model, keras.Model]:
        """Build ``(encoder, decoder)``, routing each option to the builder that takes it.

        Parameters
        ----------
        input_shape : tuple of int
            Shape of one sample.
        latent_dim : int
            Size of the latent space.
        output_activation : str
            Final activation of the decoder.
        **options
            Architecture options (see the builders); an unknown one raises ``TypeError``.

        Returns
        -------
        tuple of keras.Model
        """
        unknown = set(options) - self.option_names()
        if unknown:
            raise TypeError(
                f"architecture={self.name!r} got unknown option(s) {sorted(unknown)}; it "
                f"accepts {sorted(self.option_names())}."
            )
        self.check_size(input_shape, latent_dim, options)

        def take(builder):
            accepted = inspect.signature(builder).parameters
            return {k: v for k, v in options.items() if k in accepted}

        encoder = self.build_encoder(input_shape, latent_dim, **take(self.build_encoder))
        decoder = self.build_decoder(
            input_shape, latent_dim, output_activation=output_activation,
            **take(self.build_decoder),
        )
        return encoder, decoder


ARCHITECTURES: dict[str, Architecture] = {
    "dense": Architecture("dense", build_dense_encoder, build_dense_decoder,
                          dense_weights_per_latent_unit),
    "conv": Architecture("conv", build_conv_encoder, build_conv_decoder,
                         conv_weights_per_latent_unit),
    "recurrent": Architecture("recurrent", build_recurrent_encoder, build_recurrent_decoder,
                              recurrent_weights_per_latent_unit),
}


def get_architecture(name: str | Architecture) -> Architecture:
    """Look up an architecture by name (an :class:`Architecture` is returned as is).

    Parameters
    ----------
    name : str or Architecture
        One of ``ARCHITECTURES``, or a user's own
        (:func:`vaekit.builders.custom_architecture`).

    Returns
    -------
    Architecture
    """
    if isinstance(name, Architecture):
        return name
    try:
        return ARCHITECTURES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"architecture must be one of {sorted(ARCHITECTURES)} or an Architecture "
            f"from vaekit.builders.custom_architecture, got {name!r}."
        ) from None
