"""Keras models: the VAE, the plain AutoEncoder, their builders, the semi-supervised classifier."""

from vaekit.models.autoencoder import AutoEncoder
from vaekit.models.factory import build_autoencoder, build_vae
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE

__all__ = ["VAE", "AutoEncoder", "SemiSupervisedClassifier", "build_autoencoder", "build_vae"]
