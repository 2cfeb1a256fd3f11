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
    entropy = -np.sum(targets * np.log(np.clip(targets, 1e-12, 1.0)), axis=1)
    weights = 1.0 - entropy / np.log(n_classes)
    weights[unreached] = 0.0
    return targets.astype("float32"), np.clip(weights, 0.0, 1.0).astype("float32")


class LabelPropagationRefresh(keras.callbacks.Callback):
    """Recompute the label-propagation targets of a :class:`JointBatches` every few epochs.

    Parameters
    ----------
    batches : JointBatches
        The batches whose ``targets`` and ``target_weights`` are refreshed in place.
    y : numpy.ndarray
        Training labels (``-1`` unlabeled) that are spread.
    n_classes : int
        Number of classes.
    every : int
        Rounds (Keras epochs) between refreshes (the first targets are
        computed before training starts).
    neighbors : int, default=7
        Neighbours in the k-NN graph.
    """

    def __init__(self, batches, y: np.ndarray, n_classes: int, every: int,
                 neighbors: int = 7) -> None:
        super().__init__()
        self.batches = batches
        self.y = y
        self.n_classes = int(n_classes)
        self.every = max(1, int(every))
        self.neighbors = int(neighbors)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        z = self.model.encode(self.batches.x)
        targets, weights = propagate_labels(z, self.y, self.n_classes, self.neighbors)
        self.batches.set_targets(targets, weights)
        logger.debug("epoch %d: label propagation refreshed, mean confidence %.3f",
                     epoch + 1, float(weights.mean()))
