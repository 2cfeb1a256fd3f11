"""The terms of the joint fine-tuning objective, as functions of tensors.

:meth:`vaekit.SemiSupervisedClassifier.compute_loss` sums these, one method
per term. Each takes plain tensors (NumPy arrays work too), so a test can
compute it on fixed inputs and compare with a hand calculation.
"""

from __future__ import annotations

from keras import ops

from vaekit.losses.kl import kl_loss

#: Probabilities are clipped to [EPSILON, 1] before the logarithm.
EPSILON = 1e-7


def cross_entropy(targets, probabilities):
    """Cross-entropy of each row: ``-sum_k targets_k * log(probabilities_k)``.

    Parameters
    ----------
    targets : tensor
        ``(batch, K)`` target distributions (one-hot or soft).
    probabilities : tensor
        ``(batch, K)`` predicted distributions.

    Returns
    -------
    tensor
        ``(batch,)``.
    """
    return -ops.sum(targets * ops.log(ops.clip(probabilities, EPSILON, 1.0)), axis=-1)


def mixup_targets(one_hot, lam, perm):
    """Mix-up targets: ``lam * one_hot + (1 - lam) * one_hot[perm]``.

    Parameters
    ----------
    one_hot : tensor
        ``(batch, K)`` labels.
    lam : tensor
        ``(batch,)`` mixing weights of each row's own label.
    perm : tensor
        ``(batch,)`` int index of the row each row is mixed with.

    Returns
    -------
    tensor
        ``(batch, K)``.
    """
    lam = ops.expand_dims(ops.cast(lam, one_hot.dtype), -1)
    return lam * one_hot + (1.0 - lam) * ops.take(one_hot, perm, axis=0)


def classification_loss(targets, probabilities, row_weights=None):
    """Mean cross-entropy of the labelled rows, each weighted by ``row_weights``.

    Parameters
    ----------
    targets : tensor
        ``(batch, K)`` (mixed-up) labels.
    probabilities : tensor
        ``(batch, K)`` predictions on the (augmented, mixed-up) labelled rows.
    row_weights : tensor, optional
        ``(batch,)`` weight of each row (class weights, mixed like the labels).

    Returns
    -------
    tensor
        A scalar: ``mean(row_weights * cross_entropy)``.
    """
    per_row = cross_entropy(targets, probabilities)
    if row_weights is not None:
        per_row = per_row * ops.cast(row_weights, per_row.dtype)
    return ops.mean(per_row)


def mixed_class_weights(class_weights, labels, lam, perm):
    """Weight of each mixed-up row: ``lam * w[y] + (1 - lam) * w[y[perm]]``.

    Parameters
    ----------
    class_weights : tensor
        ``(K,)`` weight of each class.
    labels : tensor
        ``(batch,)`` int class of each row.
    lam, perm : tensor
        The mix-up weights and partners (see :func:`mixup_targets`).

    Returns
    -------
    tensor
        ``(batch,)``.
    """
    own = ops.take(class_weights, labels)
    lam = ops.cast(lam, own.dtype)
    return lam * own + (1.0 - lam) * ops.take(own, perm)


def vae_loss(x, x_hat, z_mean, z_log_var, reconstruction_loss, beta: float,
             free_bits: float = 0.0):
    """The VAE loss of a batch: mean reconstruction + ``beta`` x KL (with free bits).

    Parameters
    ----------
    x, x_hat : tensor
        Inputs and their reconstructions.
    z_mean, z_log_var : tensor
        The posterior of ``x``.
    reconstruction_loss : callable
        ``(x, x_hat) -> (batch,)``, see :mod:`vaekit.losses`.
    beta : float
        Weight of the KL term.
    free_bits : float, default=0.0
        Per-dimension KL floor, as in pretraining.

    Returns
    -------
    tensor
        A scalar.
    """
    return (ops.mean(reconstruction_loss(x, x_hat))
            + beta * kl_loss(z_mean, z_log_var, free_bits))


def pseudo_label_loss(p_weak, p_strong, confidence: float):
    """FixMatch's pseudo-label loss (Sohn et al. 2020) and the share of rows it uses.

    Where the prediction on the weak view is at least ``confidence`` sure,
    its argmax is the one-hot target of the strong view; other rows add 0.
    The mean runs over all rows, so the loss grows as more rows pass.

    Parameters
    ----------
    p_weak : tensor
        ``(batch, K)`` predictions on the weakly augmented view (no gradient
        flows through them).
    p_strong : tensor
        ``(batch, K)`` predictions on the strongly augmented view.
    confidence : float
        Threshold in [0, 1).

    Returns
    -------
    loss : tensor
        A scalar.
    confident_fraction : tensor
        Share of rows at or above the threshold.
    """
    p_weak = ops.stop_gradient(p_weak)
    confident = ops.cast(ops.max(p_weak, axis=-1) >= confidence, p_strong.dtype)
    targets = ops.one_hot(ops.argmax(p_weak, axis=-1), ops.shape(p_weak)[-1])
    targets = ops.cast(targets, p_strong.dtype)
    return ops.mean(confident * cross_entropy(targets, p_strong)), ops.mean(confident)


def soft_target_loss(targets, weights, probabilities):
    """Confidence-weighted cross-entropy towards soft targets (label propagation).

    Parameters
    ----------
    targets : tensor
        ``(batch, K)`` class distributions from label propagation.
    weights : tensor
        ``(batch,)`` confidence of each target in [0, 1].
    probabilities : tensor
        ``(batch, K)`` predictions on the strongly augmented view.

    Returns
    -------
    tensor
        A scalar: ``mean(weights * cross_entropy(targets, probabilities))``.
    """
    targets = ops.cast(targets, probabilities.dtype)
    weights = ops.cast(ops.reshape(weights, (-1,)), probabilities.dtype)
    return ops.mean(weights * cross_entropy(targets, probabilities))


def consistency_loss(p_mixed, targets):
    """Interpolation consistency (ICT, Verma et al. 2019): squared error to mixed targets.

    The prediction on a mix ``lam * x_i + (1 - lam) * x_j`` of two unlabeled
    rows is pulled towards the same mix of their (stop-gradient) predictions;
    it asks the classifier to change linearly between rows, which needs no
    knowledge of what the rows are (no image prior).

    Parameters
    ----------
    p_mixed : tensor
        ``(batch, K)`` predictions on the mixed rows.
    targets : tensor
        ``(batch, K)`` the mixed predictions (no gradient flows through them).

    Returns
    -------
    tensor
        A scalar: ``mean_i sum_k (p_mixed - targets)**2``.
    """
    targets = ops.stop_gradient(ops.cast(targets, p_mixed.dtype))
    return ops.mean(ops.sum(ops.square(p_mixed - targets), axis=-1))
