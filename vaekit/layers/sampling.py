"""Reparameterised sampling from a diagonal Gaussian, as a Keras layer."""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vaekit")
class Sampling(keras.layers.Layer):
    """Draw ``z = mean + exp(0.5 * log_var) * eps`` with ``eps ~ N(0, I)``.

    The reparameterisation trick: the sample is a differentiable function of
    the mean and log-variance, so gradients reach the encoder.

    Parameters
    ----------
    seed : int or None, default=None
        Seed of the layer's :class:`keras.random.SeedGenerator`; the same seed
        gives the same sequence of draws.
    deterministic_inference : bool, default=False
        If True, the layer returns ``mean`` when called with
        ``training=False`` (prediction, evaluation), and samples only while
        training.
    **kwargs
        Passed to :class:`keras.layers.Layer`.
    """

    def __init__(
        self, seed: int | None = None, deterministic_inference: bool = False, **kwargs
    ) -> None:
        super().__init__(**kwargs)
        self.seed = seed
        self.deterministic_inference = bool(deterministic_inference)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs, training=None):
        z_mean, z_log_var = inputs
        if self.deterministic_inference and not training:
            return z_mean
        eps = keras.random.normal(
            ops.shape(z_mean), dtype=z_mean.dtype, seed=self.seed_generator
        )
        return z_mean + ops.exp(0.5 * z_log_var) * eps

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            {"seed": self.seed, "deterministic_inference": self.deterministic_inference}
        )
        return config
