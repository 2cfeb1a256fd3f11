"""The closed-form KL term between a diagonal Gaussian posterior and N(0, I)."""

from __future__ import annotations

from keras import ops


def kl_per_dimension(z_mean, z_log_var):
    """Closed-form KL of each latent dimension, shape ``(batch, latent_dim)``.

    Parameters
    ----------
    z_mean, z_log_var : tensor
        Posterior means and log-variances.

    Returns
    -------
    tensor
        ``0.5 * (exp(log_var) + mean**2 - 1 - log_var)``.
    """
    return 0.5 * (ops.exp(z_log_var) + ops.square(z_mean) - 1.0 - z_log_var)


def kl_loss(z_mean, z_log_var, free_bits: float = 0.0):
    """The KL term of a batch: summed over dimensions, averaged over the batch.

    With ``free_bits > 0`` each dimension's batch-mean KL is floored at
    ``free_bits`` nats (Kingma et al. 2016), so dimensions under the floor
    are not pushed further towards the prior.

    Parameters
    ----------
    z_mean, z_log_var : tensor
        Posterior means and log-variances, ``(batch, latent_dim)``.
    free_bits : float, default=0.0
        Per-dimension floor in nats; 0 disables it.

    Returns
    -------
    tensor
        A scalar.
    """
    per_dimension = kl_per_dimension(z_mean, z_log_var)
    if free_bits > 0:
        return ops.sum(ops.maximum(ops.mean(per_dimension, axis=0), free_bits))
    return ops.mean(ops.sum(per_dimension, axis=-1))
