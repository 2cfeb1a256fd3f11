"""Neighbour reconstruction: a VAE learns to decode each row's code to one of its nearest rows.

A plain VAE reconstructs every row from its own code. Trained instead to
reconstruct a random one of the row's ``k`` nearest neighbours (drawn afresh
each pass), the encoder must give rows of one neighbourhood the same code: the
latent space follows the data's neighbourhood graph, which is what a linear
model on few labels needs (the "neighbor-encoder" of Yeh et al. 2018; the
neighbourhood reconstruction of Lee et al. 2021). The graph is built once, in
the input space, like the k-NN graphs of ``LabelSpreading`` or UMAP; no image
prior is used.

``bench/flat_rows.py --parts features`` measures what it buys.
"""

from __future__ import annotations

import logging
import math

import keras
import numpy as np

logger = logging.getLogger(__name__)

#: Rows the neighbours are searched among; above it, a seeded uniform sample of them.
MAX_SEARCH_ROWS = 20_000
#: ``n_neighbors="auto"``: one neighbour per this many rows, between 1 and AUTO_MAX_NEIGHBOURS.
ROWS_PER_AUTO_NEIGHBOUR = 200
AUTO_MAX_NEIGHBOURS = 10


def auto_neighbours(n_rows: int) -> int:
    """Neighbours per row for ``n_rows`` training rows: ``n_rows // 200``, between 1 and 10.

    A row's neighbours must come from its own group (class, person, cluster)
    for their codes to be worth sharing, and on few rows the groups are small:
    on the 280 training faces of Olivetti (7 per person) 5 or 10 neighbours
    cut the features' accuracy under a linear model from 70 to 59 and 48 %,
    while 1 or 2 left it at 69 and 68 % (``bench/neighbour_features.py``).
    scikit-learn's 1,257 training digits get 6, 2,000 rows or more get 10.

    Parameters
    ----------
    n_rows : int
        Training rows.

    Returns
    -------
    int
    """
    return int(min(AUTO_MAX_NEIGHBOURS, max(1, n_rows // ROWS_PER_AUTO_NEIGHBOUR)))


def nearest_neighbours(x: np.ndarray, n_neighbors: int, *, seed: int = 0,
                       max_search_rows: int = MAX_SEARCH_ROWS) -> np.ndarray:
    """Indices of each row's nearest other rows (Euclidean distance on the flattened rows).

    Parameters
    ----------
    x : numpy.ndarray of shape (n, ...)
        The rows; at least two.
    n_neighbors : int
        Neighbours per row (at most ``n - 1`` are returned).
    seed : int, default=0
        Seed of the sample searched among when ``n > max_search_rows``.
    max_search_rows : int, default=20_000
        The exact search costs ``n * n`` distances; above this many rows the
        neighbours are searched among a uniform sample of ``max_search_rows``
        rows (``n * max_search_rows`` distances).

    Returns
    -------
    numpy.ndarray of shape (n, min(n_neighbors, n - 1))
        Row indices into ``x``, nearest first; a row is never its own neighbour.
    """
    from sklearn.neighbors import NearestNeighbors

    if len(x) < 2:
        raise ValueError(f"Neighbours need at least 2 rows, got {len(x)}.")
    if n_neighbors < 1:
        raise ValueError(f"n_neighbors must be at least 1, got {n_neighbors}.")
    flat = np.asarray(x, dtype=np.float32).reshape(len(x), -1)
    reference = np.arange(len(x))
    if len(x) > max_search_rows:
        rng = np.random.default_rng(seed)
        reference = np.sort(rng.choice(len(x), max_search_rows, replace=False))
    k = min(int(n_neighbors), len(reference) - 1)
    found = NearestNeighbors(n_neighbors=k + 1).fit(flat[reference]).kneighbors(
        flat, return_distance=False)
    found = reference[found]
    # Each row found among the reference rows is its own nearest neighbour (or ties
    # with a duplicate): move it to the end, keep the k nearest others.
    is_self = found == np.arange(len(x))[:, None]
    order = np.argsort(is_self, axis=1, kind="stable")
    return np.take_along_axis(found, order, axis=1)[:, :k]


class NeighbourTargets(keras.utils.PyDataset):
    """Batches ``(rows, a random neighbour of each row)`` for one pass over ``x`` per epoch.

    Epoch ``e`` visits the rows in its own seeded random order, and each row's
    target is one of its ``neighbours`` drawn afresh: every draw is a function
    of ``(seed, e, batch)`` alone.

    Parameters
    ----------
    x : numpy.ndarray of shape (n, ...)
        Training rows.
    neighbours : numpy.ndarray of shape (n, k)
        Indices into ``x`` of each row's neighbours (:func:`nearest_neighbours`).
    batch_size : int
        Rows per batch (the last batch of an epoch holds the rest).
    seed : int
        Seed of the orders and draws.
    first_epoch : int, default=0
        Epoch number of the first pass (a continued fit takes new draws).
    """

    def __init__(self, x: np.ndarray, neighbours: np.ndarray, batch_size: int, seed: int,
                 *, first_epoch: int = 0) -> None:
        super().__init__()
        neighbours = np.asarray(neighbours)
        if neighbours.ndim != 2 or len(neighbours) != len(x) or neighbours.shape[1] < 1:
            raise ValueError(f"neighbours must have shape ({len(x)}, k) with k >= 1, got "
                             f"{neighbours.shape}.")
        self.x, self.neighbours = x, neighbours
        self.batch_size = max(1, min(int(batch_size), len(x)))
        self.seed = int(seed)
        self.epoch = int(first_epoch)
        self._order_epoch, self._order = None, None

    def __len__(self) -> int:
        return math.ceil(len(self.x) / self.batch_size)

    def _epoch_order(self) -> np.ndarray:
        if self._order_epoch != self.epoch:
            self._order_epoch = self.epoch
            self._order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.x))
        return self._order

    def __getitem__(self, index: int):
        rows = self._epoch_order()[index * self.batch_size:(index + 1) * self.batch_size]
        pick = np.random.default_rng([self.seed, self.epoch, index, 1]).integers(
            0, self.neighbours.shape[1], len(rows))
        return self.x[rows], self.x[self.neighbours[rows, pick]]

    def on_epoch_end(self) -> None:
        self.epoch += 1


def neighbour_batches(rows: np.ndarray, n_neighbors: int | str, batch_size: int, seed: int,
                      *, first_epoch: int = 0) -> NeighbourTargets | None:
    """The batches of neighbour reconstruction on ``rows``, or None to reconstruct the rows.

    Parameters
    ----------
    rows : numpy.ndarray of shape (n, ...)
        Training rows.
    n_neighbors : int or "auto"
        Neighbours per row; ``"auto"``: :func:`auto_neighbours`; 0: None.
    batch_size : int
        Rows per batch.
    seed : int
        Seed of the neighbour search's sample and of every draw.
    first_epoch : int, default=0
        Epoch number of the first pass (see :class:`NeighbourTargets`).

    Returns
    -------
    NeighbourTargets or None
        None when ``n_neighbors`` is 0, or when there is a single row (which
        has no neighbour; a log message says so).
    """
    k = auto_neighbours(len(rows)) if n_neighbors == "auto" else int(n_neighbors)
    if k == 0:
        return None
    if len(rows) < 2:
        logger.info("n_neighbors=%r: %d training row has no neighbour; the VAE "
                    "reconstructs it.", n_neighbors, len(rows))
        return None
    neighbours = nearest_neighbours(rows, k, seed=seed)
    return NeighbourTargets(rows, neighbours, batch_size, seed, first_epoch=first_epoch)
