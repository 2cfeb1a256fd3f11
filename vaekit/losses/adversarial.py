"""Virtual adversarial training (VAT, Miyato et al. 2018): the perturbation and its loss.

The prediction at ``x`` is made to stay put under the small input
perturbation ``r`` (of L2 norm ``epsilon``) that changes it most, found by
one step of power iteration on the KL divergence. It needs no knowledge of
what the features are (no image prior), which makes it the consistency
term for flat rows.
"""

from __future__ import annotations

from collections.abc import Callable

import keras
from keras import ops

from vaekit.input_gradient import input_gradient
from vaekit.losses.finetune_objective import EPSILON

__all__ = ["epsilon_from_rows", "kl_divergence", "unit_rows",
           "virtual_adversarial_perturbation"]

#: Size of the probe step of the power iteration, as a share of ``epsilon``.
PROBE_SHARE = 0.1


def kl_divergence(p, q):
    """``KL(p || q)`` of each row of two ``(batch, K)`` class distributions, ``(batch,)``."""
    p = ops.clip(p, EPSILON, 1.0)
    return ops.sum(p * (ops.log(p) - ops.log(ops.clip(q, EPSILON, 1.0))), axis=-1)


def unit_rows(d):
    """Each sample of ``d`` scaled to L2 norm 1 (over every axis but the first)."""
    axes = tuple(range(1, len(d.shape)))
    norm = ops.sqrt(ops.sum(ops.square(d), axis=axes, keepdims=True))
    return d / (norm + 1e-12)


def virtual_adversarial_perturbation(predict: Callable, x, p_clean, epsilon: float,
                                     seed: keras.random.SeedGenerator):
    """The perturbation of each row of ``x`` that changes ``predict`` most (one power step).

    Parameters
    ----------
    predict : callable
        ``predict(x) -> (batch, K)`` class probabilities.
    x : tensor
        ``(batch, ...)`` rows.
    p_clean : tensor
        ``predict(x)``, held constant.
    epsilon : float
        L2 norm of each row's perturbation.
    seed : keras.random.SeedGenerator
        Draws the random start of the power iteration.

    Returns
    -------
    tensor
        ``r_adv`` with the shape of ``x``, each row of norm ``epsilon``; no
        gradient flows through it.
    """
    p_clean = ops.stop_gradient(p_clean)
    probe = PROBE_SHARE * epsilon * unit_rows(keras.random.normal(ops.shape(x), seed=seed,
                                                                  dtype=x.dtype))

    def divergence(r):
        return ops.sum(kl_divergence(p_clean, predict(x + r)))

    return ops.stop_gradient(epsilon * unit_rows(input_gradient(divergence, probe)))


#: ``adversarial_epsilon=None`` resolves to this share of the typical nearest-neighbour distance.
AUTO_EPSILON_SHARE = 0.35
#: Rows of the sample whose nearest-neighbour distances set the automatic epsilon.
AUTO_EPSILON_SAMPLE = 1_000


def epsilon_from_rows(x, seed: int = 0) -> float | None:
    """The automatic perturbation norm: a share of the median nearest-neighbour distance.

    A perturbation must stay well inside the gap between a row and its
    nearest neighbour, which is the data's own scale: 0.35 times the median
    distance from a row to its nearest other distinct row within a uniform
    sample of 1,000 rows. For MNIST pixels in [0, 1] that is 2.0, the value
    Miyato et al. (2018) used; for scikit-learn's digits scaled to [0, 1], 0.38.

    Parameters
    ----------
    x : numpy.ndarray
        Training rows, ``(n, ...)``, flattened for the distances.
    seed : int, default=0
        Seed of the sample.

    Returns
    -------
    float or None
        Positive; None when the sample holds fewer than two distinct rows
        (no spacing to measure, and no direction in which the rows differ).
    """
    import numpy as np
    from sklearn.neighbors import NearestNeighbors

    rows = np.asarray(x, dtype="float32").reshape(len(x), -1)
    if len(rows) > AUTO_EPSILON_SAMPLE:
        pick = np.random.default_rng(seed).choice(len(rows), AUTO_EPSILON_SAMPLE, replace=False)
        rows = rows[pick]
    rows = np.unique(rows, axis=0)
    if len(rows) < 2:
        return None
    distances, _ = NearestNeighbors(n_neighbors=2).fit(rows).kneighbors(rows)
    return AUTO_EPSILON_SHARE * float(np.median(distances[:, 1]))
