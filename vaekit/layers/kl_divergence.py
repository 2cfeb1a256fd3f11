"""The KL term of the VAE objective as a Keras layer."""

from __future__ import annotations

import keras
from keras import ops

from vaekit._validation import check_non_negative_float
from vaekit.losses.kl import kl_loss, kl_per_dimension


@keras.saving.register_keras_serializable(package="vaekit")
class KLDivergence(keras.layers.Layer):
    """Add ``beta * KL(q(z|x) || N(0, I))`` to the model's losses.

    The divergence between the diagonal Gaussian posterior ``N(z_mean,
    exp(z_log_var))`` and the standard normal prior is computed in closed form,

    ``KL = 0.5 * sum_j (exp(log_var_j) + mean_j**2 - 1 - log_var_j)``,

    summed over the latent dimensions and averaged over the batch, then
    multiplied by ``beta`` and added with :meth:`add_loss`, the way
    :class:`keras.layers.ActivityRegularization` adds its penalty. The layer
    returns its inputs unchanged, so it sits between an encoder and a
    :class:`~vaekit.layers.Sampling` layer.

    Parameters
    ----------
    beta : float, default=1.0
        Weight of the KL term. It is stored in a non-trainable variable
        (:attr:`beta`), so a callback can change it during training (KL
        warm-up or annealing) without recompiling.
    free_bits : float, default=0.0
        Floor, in nats, under which the KL of each latent dimension is not
        penalised (Kingma et al. 2016). The floor applies to the batch mean
        of each dimension's KL. ``0`` disables it. A small value (0.05-0.5)
        keeps latent units active when the posterior would otherwise collapse.
    **kwargs
        Passed to :class:`keras.layers.Layer`.

    Examples
    --------
    >>> import numpy as np
    >>> from vaekit.layers import KLDivergence
    >>> layer = KLDivergence(beta=1.0)
    >>> mean, log_var = np.zeros((4, 2), "float32"), np.zeros((4, 2), "float32")
    >>> _ = layer([mean, log_var])
    >>> float(layer.losses[0])
    0.0
    """

    def __init__(self, beta: float = 1.0, free_bits: float = 0.0, **kwargs) -> None:
        super().__init__(**kwargs)
        beta = check_non_negative_float("beta", beta)
        free_bits = check_non_negative_float("free_bits", free_bits)
        self._initial_beta = beta
        self.free_bits = free_bits
        self.beta = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(beta),
            trainable=False,
            name="beta",
        )

    #: The closed-form KL of each dimension (see :func:`vaekit.losses.kl_per_dimension`).
    kl_per_dimension = staticmethod(kl_per_dimension)

    def call(self, inputs):
        z_mean, z_log_var = inputs
        kl = kl_loss(z_mean, z_log_var, self.free_bits)
        self.add_loss(ops.cast(self.beta, kl.dtype) * kl)
        return z_mean, z_log_var

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta": self._initial_beta, "free_bits": self.free_bits})
        return config
