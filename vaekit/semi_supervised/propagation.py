"""Label propagation on latent means: soft targets for every row of the training data."""

from __future__ import annotations

import logging
import warnings

import keras
import numpy as np

from vaekit.semi_supervised.labels import UNLABELED

logger = logging.getLogger(__name__)

#: Weight of a row's own label against its neighbours' in label spreading.
SPREADING_ALPHA = 0.2
SPREADING_ITERATIONS = 30


def propagate_labels(z: np.ndarray, y: np.ndarray, n_classes: int,
                     neighbors: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Spread the known labels over a k-NN graph of ``z`` (Zhou et al. 2004).

    Parameters
    ----------
    z : numpy.ndarray
        ``(n, d)`` features, usually latent means.
    y : numpy.ndarray
        ``(n,)`` int labels ``0..n_classes-1``, ``-1`` where unlabeled.
    n_classes : int
        Number of classes.
    neighbors : int, default=7
        Neighbours of each row in the graph.

    Returns
    -------
    targets : numpy.ndarray
        float32 ``(n, n_classes)`` class distributions (rows sum to 1).
    weights : numpy.ndarray
        float32 ``(n,)`` confidence of each target, ``1 - entropy / log(K)``,
        in [0, 1]; 0 for rows that no labelled row reaches through the graph
        (their target is uniform).
    """
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.semi_supervised import LabelSpreading

    z = np.asarray(z, dtype="float64").reshape(len(z), -1)
    y = np.asarray(y, dtype="int64")
    model = LabelSpreading(kernel="knn", n_neighbors=min(neighbors, len(z) - 1),
                           alpha=SPREADING_ALPHA, max_iter=SPREADING_ITERATIONS)
    with warnings.catch_warnings():
        # Expected: a fixed, small number of iterations (the targets are refreshed
        # during training), and 0/0 for rows the k-NN graph does not connect to any
        # label (those rows are marked unreached below). Every other warning shows.
        warnings.filterwarnings("ignore", category=ConvergenceWarning)
        warnings.filterwarnings("ignore", message="invalid value encountered in divide",
                                category=RuntimeWarning)
        model.fit(z, y)
    spread = model.label_distributions_[:, model.classes_ != UNLABELED]
    unreached = ~np.all(np.isfinite(spread), axis=1) | (np.sum(spread, axis=1) <= 0)
    targets = np.zeros((len(z), n_classes))
    targets[:, model.classes_[model.classes_ != UNLABELED]] = np.where(
        unreached[:, None], 0.0, spread)
    totals = targets.sum(axis=1, keepdims=True)
    targets = np.where(unreached[:, None], 1.0 / n_classes, targets / np.maximum(totals, 1e-12))
    weights = confidence(targets)
    weights[unreached] = 0.0
    return targets.astype("float32"), weights


def confidence(targets: np.ndarray) -> np.ndarray:
    """``1 - entropy / log(K)`` of each row of ``targets``: 1 for one-hot, 0 for uniform.

    Parameters
    ----------
    targets : numpy.ndarray
        ``(n, K)`` class distributions.

    Returns
    -------
    numpy.ndarray
        float32 ``(n,)`` in [0, 1].
    """
    entropy = -np.sum(targets * np.log(np.clip(targets, 1e-12, 1.0)), axis=1)
    return np.clip(1.0 - entropy / np.log(targets.shape[1]), 0.0, 1.0).astype("float32")


class SoftTargets:
    """Soft targets from label spreading on the latent means, optionally blended with
    spreading on the input rows themselves.

    Early in fine-tuning the latent space of a VAE pretrained on grey-valued
    rows can be a poorer k-NN graph than the rows themselves (flat digits:
    label spreading on the pretrained latent means 89-91 %, on the pixels
    95 %); a fixed share of targets from the input graph steadies the
    targets. Each row's weight is the confidence of the blend.

    Parameters
    ----------
    x : numpy.ndarray
        All training rows (for the input graph; flattened).
    y : numpy.ndarray
        Labels (``-1`` unlabeled) that are spread.
    n_classes : int
        Number of classes.
    neighbors : int
        Neighbours in each k-NN graph.
    input_share : float
        Weight of the input graph's targets in [0, 1]; 0 uses the latent
        means alone (and never builds the input graph).
    """

    def __init__(self, x: np.ndarray, y: np.ndarray, n_classes: int, neighbors: int,
                 input_share: float) -> None:
        self.y, self.n_classes, self.neighbors = y, int(n_classes), int(neighbors)
        self.input_share = float(input_share)
        self.input_targets = None
        if self.input_share > 0:
            self.input_targets, _ = propagate_labels(x.reshape(len(x), -1), y, n_classes,
                                                     neighbors)

    def __call__(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(targets, weights)`` for latent means ``z``."""
        targets, weights = propagate_labels(z, self.y, self.n_classes, self.neighbors)
        if self.input_targets is None:
            return targets, weights
        share = self.input_share
        blended = ((1.0 - share) * targets + share * self.input_targets).astype("float32")
        return blended, confidence(blended)


class LabelPropagationRefresh(keras.callbacks.Callback):
    """Recompute the soft targets of a :class:`JointBatches` every few rounds.

    Parameters
    ----------
    batches : JointBatches
        The batches whose ``targets`` and ``target_weights`` are refreshed in place.
    soft_targets : SoftTargets
        Computes the targets from the current latent means.
    every : int
        Rounds (Keras epochs) between refreshes (the first targets are
        computed before training starts).
    """

    def __init__(self, batches, soft_targets: SoftTargets, every: int) -> None:
        super().__init__()
        self.batches = batches
        self.soft_targets = soft_targets
        self.every = max(1, int(every))

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        targets, weights = self.soft_targets(self.model.encode(self.batches.x))
        self.batches.set_targets(targets, weights)
        logger.debug("round %d: label propagation refreshed, mean confidence %.3f",
                     epoch + 1, float(weights.mean()))


class PropagationRows:
    """The rows label propagation runs on: all of them, or a bounded sample.

    Label spreading builds a k-NN graph over every row it is given, so it runs
    on the labelled training rows plus a uniform sample of the others, at most
    ``max_rows`` in all. Rows outside the sample get no soft target (weight 0).
    :class:`LabelPropagationRefresh` encodes :attr:`x` and hands the targets to
    :meth:`set_targets`, which passes those of the unlabeled part on to
    ``write(targets, weights)``.

    Parameters
    ----------
    x : numpy.ndarray
        The rows of the graph: the labelled training rows first.
    n_labelled : int
        How many of ``x``'s first rows are the labelled training rows.
    write : callable
        ``write(targets, weights)`` for the rows of ``x`` (all of them).
    """

    def __init__(self, x: np.ndarray, n_labelled: int, write) -> None:
        self.x, self.n_labelled, self._write = x, int(n_labelled), write

    def set_targets(self, targets, weights) -> None:
        """Soft targets and weights of every row of :attr:`x`."""
        self._write(np.asarray(targets, dtype="float32"), np.asarray(weights, dtype="float32"))


def describe_sample(n_sample: int, n_rows: int, max_rows: int) -> str:
    """The log line of a propagation sample."""
    if n_sample >= n_rows:
        return f"Label propagation on all {n_rows:,} rows."
    return (f"Label propagation on a uniform sample of {n_sample:,} of {n_rows:,} rows "
            f"(label_propagation_max_rows={max_rows:,}, labelled rows included); the "
            "other rows get no soft target.")
