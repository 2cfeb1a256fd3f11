"""Reconstruction losses by name, each summed over features and kept per sample."""

from __future__ import annotations

from collections.abc import Callable

from keras import ops


def _sum_over_features(values):
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=-1)


def bernoulli_reconstruction(x, x_hat):
    """Binary cross-entropy of each sample, summed over its features.

    Parameters
    ----------
    x : tensor
        Targets in [0, 1].
    x_hat : tensor
        Predicted Bernoulli means in (0, 1) (a sigmoid output).

    Returns
    -------
    tensor
        Shape ``(batch,)``: the negative Bernoulli log-likelihood of each sample.
    """
    return _sum_over_features(ops.binary_crossentropy(x, x_hat, from_logits=False))


def l2_reconstruction(x, x_hat):
    """Squared error of each sample, summed over its features (the L2 loss).

    Parameters
    ----------
    x, x_hat : tensor
        Targets and reconstructions.

    Returns
    -------
    tensor
        Shape ``(batch,)``.
    """
    return _sum_over_features(ops.square(x - x_hat))


RECONSTRUCTION_LOSSES: dict[str, Callable] = {
    "bce": bernoulli_reconstruction,
    "mse": l2_reconstruction,
}

OUTPUT_ACTIVATIONS: dict[str, str] = {"bce": "sigmoid", "mse": "linear"}


def get_reconstruction_loss(name: str) -> Callable:
    """Look up a reconstruction loss by name (``"bce"`` or ``"mse"``).

    Parameters
    ----------
    name : str
        Loss name.

    Returns
    -------
    callable
        ``(x, x_hat) -> per-sample loss``.
    """
    try:
        return RECONSTRUCTION_LOSSES[name]
    except (KeyError, TypeError):
        raise ValueError(
            f"reconstruction must be one of {sorted(RECONSTRUCTION_LOSSES)} ('bce' is "
            f"the Bernoulli loss for data in [0, 1], 'mse' the L2 loss), got {name!r}."
        ) from None
