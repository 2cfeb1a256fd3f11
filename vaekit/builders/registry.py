"""Architectures by name: ``ARCHITECTURES["conv"]`` gives the encoder and decoder builders."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import keras

from vaekit.builders.conv import build_conv_decoder, build_conv_encoder
from vaekit.builders.dense import build_dense_decoder, build_dense_encoder
from vaekit.builders.recurrent import build_recurrent_decoder, build_recurrent_encoder


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
    """

    name: str
    build_encoder: Callable[..., keras.Model]
    build_decoder: Callable[..., keras.Model]

    def option_names(self) -> set[str]:
        """Keyword options accepted by either builder."""
        names = set()
        for builder in (self.build_encoder, self.build_decoder):
            names.update(list(inspect.signature(builder).parameters)[2:])
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
    "dense": Architecture("dense", build_dense_encoder, build_dense_decoder),
    "conv": Architecture("conv", build_conv_encoder, build_conv_decoder),
    "recurrent": Architecture("recurrent", build_recurrent_encoder, build_recurrent_decoder),
}


def get_architecture(name: str) -> Architecture:
    """Look up an architecture by name.

    Parameters
    ----------
    name : str
        One of ``ARCHITECTURES``.

    Returns
    -------
    Architecture
    """
    try:
        return ARCHITECTURES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"architecture must be one of {sorted(ARCHITECTURES)}, got {name!r}."
        ) from None
