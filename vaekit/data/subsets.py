"""Choosing which examples keep their labels in a semi-supervised experiment."""

from __future__ import annotations

import numpy as np

__all__ = ["hide_labels", "labelled_subset"]


def _as_label_vector(y: object) -> np.ndarray:
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}")
    if arr.dtype.kind not in "iu":
        raise ValueError(
            f"y must hold integer class indices (-1 for unlabeled), got dtype {arr.dtype}"
        )
    return arr


def labelled_subset(
    y: np.ndarray,
    per_class: int | None = None,
    n_labels: int | None = None,
    seed: int = 0,
) -> np.ndarray:
    """Pick a stratified set of examples that keep their labels.

    Classes are the values of ``y`` that are >= 0; negative entries are never
    picked. Give exactly one of ``per_class`` and ``n_labels``.

    Parameters
    ----------
    y : numpy.ndarray
        1-D integer labels, ``-1`` for examples that are already unlabeled.
    per_class : int, optional
        Pick exactly this many examples of every class.
    n_labels : int, optional
        Pick this many examples in all, spread as evenly as possible: each of the
        K classes gets ``n_labels // K``, and the first ``n_labels % K`` classes in
        sorted order get one more.
    seed : int, default=0
        Seed of :func:`numpy.random.default_rng`; the same seed gives the same
        indices.

    Returns
    -------
    numpy.ndarray
        Sorted int64 indices into ``y``.

    Raises
    ------
    TypeError
        If ``per_class`` or ``n_labels`` is not an integer.
    ValueError
        If ``y`` is not 1-D or not integer, has no labelled entries, both or
        neither of ``per_class`` and ``n_labels`` are given, ``per_class`` < 1,
        ``n_labels`` is below the number of classes, or a class has fewer examples
        than it should give.
    """
    y = _as_label_vector(y)
    if (per_class is None) == (n_labels is None):
        raise ValueError(
            f"give exactly one of per_class and n_labels, got per_class={per_class!r} "
            f"and n_labels={n_labels!r}"
        )
    for arg, value in (("per_class", per_class), ("n_labels", n_labels)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, (int, np.integer))
        ):
            raise TypeError(f"{arg} must be an integer, got {value!r}")
    classes, counts = np.unique(y[y >= 0], return_counts=True)
    if classes.size == 0:
        raise ValueError("y has no labelled entries (all are negative)")
    if per_class is not None:
        if per_class < 1:
            raise ValueError(f"per_class must be >= 1, got {per_class}")
        wanted = np.full(classes.size, int(per_class))
    else:
        if n_labels < classes.size:
            raise ValueError(
                f"n_labels={n_labels} is less than the number of classes "
                f"({classes.size}); every class needs at least one label"
            )
        wanted = np.full(classes.size, int(n_labels) // classes.size)
        wanted[: int(n_labels) % classes.size] += 1
    short = wanted > counts
    if short.any():
        k = int(np.argmax(short))
        what = f"per_class={per_class}" if per_class is not None else f"n_labels={n_labels}"
        raise ValueError(
            f"{what} needs {int(wanted[k])} examples of class {int(classes[k])}, which "
            f"has only {int(counts[k])}"
        )
    rng = np.random.default_rng(seed)
    picked = [
        rng.choice(np.flatnonzero(y == c), size=int(n), replace=False)
        for c, n in zip(classes, wanted)
    ]
    return np.sort(np.concatenate(picked)).astype(np.int64)


def hide_labels(y: np.ndarray, keep_indices: np.ndarray) -> np.ndarray:
    """Return a copy of ``y`` with every label except those at ``keep_indices`` set to -1.

    Parameters
    ----------
    y : numpy.ndarray
        1-D integer labels.
    keep_indices : array-like of int
        Positions whose labels are kept, e.g. from :func:`labelled_subset`.

    Returns
    -------
    numpy.ndarray
        int64 array of the same length as ``y``; ``y`` itself is not modified.

    Raises
    ------
    ValueError
        If ``y`` is not 1-D integer, or ``keep_indices`` is not integer or holds
        positions outside ``y``.
    """
    y = _as_label_vector(y)
    keep = np.asarray(keep_indices)
    if keep.size and keep.dtype.kind not in "iu":
        raise ValueError(f"keep_indices must be integer positions, got dtype {keep.dtype}")
    keep = keep.astype(np.int64).ravel()
    if keep.size and (keep.min() < 0 or keep.max() >= len(y)):
        raise ValueError(
            f"keep_indices must lie in [0, {len(y)}) for y of length {len(y)}, got "
            f"values from {int(keep.min())} to {int(keep.max())}"
        )
    out = np.full(y.shape, -1, dtype=np.int64)
    out[keep] = y[keep]
    return out
