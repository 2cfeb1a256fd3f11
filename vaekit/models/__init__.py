"""Keras models: the VAE, the plain AutoEncoder and their one-line builders."""

from vaekit.models.autoencoder import AutoEncoder
from vaekit.models.factory import build_autoencoder, build_vae
from vaekit.models.vae import VAE

__all__ = ["VAE", "AutoEncoder", "build_autoencoder", "build_vae"]
