"""Checks on semi-supervised label vectors (``-1`` marks an unlabeled row)."""

from __future__ import annotations

import numpy as np

UNLABELED = -1


def check_semi_supervised_labels(y, n_rows: int, *, min_per_class: int = 2) -> np.ndarray:
    """Validate labels ``0 .. K-1`` with ``-1`` for unlabeled rows; return them as int64.

    Parameters
    ----------
    y : array-like
        One label per row of the data.
    n_rows : int
        Rows in the data ``y`` belongs to.
    min_per_class : int, default=2
        Fewest labelled rows each class must have.

    Returns
    -------
    numpy.ndarray
        int64 labels.

    Raises
    ------
    ValueError, TypeError
        With the reason: wrong length, non-integer labels, no labelled rows,
        fewer than two classes, a class with too few labels, gaps in 0..K-1.
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D (one label per row), got shape {y.shape}.")
    if len(y) != n_rows:
        raise ValueError(f"x has {n_rows} rows but y has {len(y)} labels; they must match.")
    if y.dtype.kind == "f":
        if not np.all(np.isfinite(y)) or np.any(y != np.round(y)):
            raise TypeError(
                "y must hold integer class indices (0..K-1, -1 = unlabeled); got "
                "non-integer values. Encode string or float labels first "
                "(sklearn.preprocessing.LabelEncoder, or use vaekit.VAEClassifier)."
            )
    elif y.dtype.kind not in "iu":
        raise TypeError(
            f"y must hold integer class indices (0..K-1, -1 = unlabeled), got dtype "
            f"{y.dtype}. Encode labels first (sklearn.preprocessing.LabelEncoder, or use "
            "vaekit.VAEClassifier, which accepts any labels)."
        )
    y = y.astype("int64")
    if np.any(y < UNLABELED):
        raise ValueError(
            f"y has negative labels other than -1 (e.g. {int(y[y < UNLABELED][0])}); only "
            "-1 may mark unlabeled rows."
        )
    labelled = y[y != UNLABELED]
    if labelled.size == 0:
        raise ValueError(
            "y has no labelled rows (every label is -1); give at least two labelled "
            "rows per class."
        )
    classes, counts = np.unique(labelled, return_counts=True)
    if len(classes) < 2:
        raise ValueError(
            f"The labelled rows hold a single class ({int(classes[0])}); a classifier "
            "needs at least two."
        )
    missing = sorted(set(range(int(classes.max()) + 1)) - set(classes.tolist()))
    if missing:
        raise ValueError(
            f"Classes must be numbered 0..K-1 with labelled rows for each; class(es) "
            f"{missing} have none. Re-encode the labels (sklearn LabelEncoder)."
        )
    scarce = classes[counts < min_per_class]
    if len(scarce):
        raise ValueError(
            f"Class(es) {scarce.tolist()} have fewer than {min_per_class} labelled rows "
            f"(counts {counts[counts < min_per_class].tolist()}); label at least "
            f"{min_per_class} rows of every class."
        )
    return y
