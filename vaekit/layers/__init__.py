"""Keras layers that make up a VAE: the KL term and the reparameterised sampler."""

from vaekit.layers.kl_divergence import KLDivergence
from vaekit.layers.sampling import Sampling

__all__ = ["KLDivergence", "Sampling"]
