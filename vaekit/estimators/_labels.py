"""The labels of ``VAEClassifier``: ``-1`` marks an unlabeled row, the rest encode as ``0..K-1``."""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets, type_of_target

from vaekit.semi_supervised.labels import UNLABELED


def unlabeled_mask(y: np.ndarray) -> np.ndarray:
    """True where a row is unlabeled: its label is ``-1`` (or the string ``"-1"``).

    ``-1`` is the convention of :class:`~sklearn.semi_supervised.SelfTrainingClassifier`.
    NumPy string arrays cannot hold the integer, and ``np.array(["cat", -1])``
    turns it into ``"-1"``, so that string counts as unlabeled too.

    Parameters
    ----------
    y : numpy.ndarray
        1-D labels.

    Returns
    -------
    numpy.ndarray of bool
    """
    if y.dtype.kind in "iuf":
        return y == UNLABELED
    if y.dtype.kind in "US":
        return y == str(UNLABELED)
    if y.dtype.kind == "O":
        return np.fromiter(
            (v == UNLABELED or v == str(UNLABELED) for v in y), dtype=bool, count=len(y)
        )
    return np.zeros(len(y), dtype=bool)


def check_raw_labels(y) -> None:
    """Refuse ``y`` as given to ``fit`` when NumPy would hide its problem.

    Run before scikit-learn's checks: those report NaN as ``"Input y contains
    NaN"`` and turn a list mixing numbers and strings into strings without a
    word (``[0, "cat"]`` -> ``["0", "cat"]``).

    Parameters
    ----------
    y : array-like
        Labels as the user gave them (list, NumPy array, pandas Series).
    """
    if isinstance(y, (list, tuple)):
        check_label_values(np.asarray(list(y) + [None], dtype=object)[:-1])
        return
    values = np.asarray(y)
    if values.ndim == 1:
        check_label_values(values)


def check_label_values(y: np.ndarray) -> None:
    """Refuse ``None``/NaN labels and labels mixing numbers with strings, naming ``y``.

    Parameters
    ----------
    y : numpy.ndarray
        1-D labels.
    """
    if y.dtype.kind == "f" and np.isnan(y).any():
        missing = np.flatnonzero(np.isnan(y))
    elif y.dtype.kind == "O":
        missing = [i for i, v in enumerate(y) if v is None or (isinstance(v, float) and v != v)]
    else:
        return
    if len(missing):
        raise ValueError(
            f"y holds {len(missing)} missing labels (None or NaN, the first at index "
            f"{missing[0]}): use -1 for unlabeled rows."
        )
    if y.dtype.kind != "O":
        return
    labels = [v for v in y if not (v == UNLABELED or v == str(UNLABELED))]
    strings = [v for v in labels if isinstance(v, str)]
    if strings and len(strings) < len(labels):
        number = next(v for v in labels if not isinstance(v, str))
        raise ValueError(
            f"y mixes numbers and strings as labels (e.g. {number!r} and {strings[0]!r}); "
            "give every label the same type (-1 may mark unlabeled rows in either)."
        )


def encode_labels(y: np.ndarray, estimator_name: str) -> tuple[np.ndarray, np.ndarray]:
    """Classes among the labelled rows, and ``y`` as ``0..K-1`` with ``-1`` kept.

    Parameters
    ----------
    y : numpy.ndarray
        1-D labels, validated; ``-1`` marks an unlabeled row (see :func:`unlabeled_mask`).
    estimator_name : str
        The class named in error messages.

    Returns
    -------
    classes : numpy.ndarray
        Sorted class labels seen among the labelled rows.
    encoded : numpy.ndarray of int64
        Index into ``classes`` per row, ``-1`` for unlabeled rows.
    """
    check_label_values(y)
    unlabeled = unlabeled_mask(y)
    if unlabeled.all():
        raise ValueError(
            f"y has no labelled rows: all {len(y)} labels are -1 (unlabeled). "
            f"{estimator_name} needs labelled rows of at least two classes; to "
            "learn features from unlabeled data alone use VAETransformer."
        )
    labelled = y[~unlabeled]
    kind = type_of_target(labelled)
    if kind == "continuous":
        raise ValueError(
            f"y holds continuous values (e.g. {labelled[0]!r}; Unknown label type: "
            f"continuous), but {estimator_name} needs class labels (integers or strings, "
            "-1 for unlabeled rows); for a numeric target use a regressor."
        )
    check_classification_targets(labelled)
    classes, codes = np.unique(labelled, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(
            f"{estimator_name} needs at least two classes among the labelled rows, "
            f"got 1 class ({classes.tolist()[0]!r}) in {len(labelled)} labelled rows."
        )
    counts = np.bincount(codes, minlength=len(classes))
    if counts.min() < 2:
        scarce = classes[counts < 2].tolist()
        raise ValueError(
            f"Class(es) {scarce} have a single labelled row; fine-tuning needs at least "
            "2 labelled rows of every class. Label more rows or mark these -1."
        )
    encoded = np.full(len(y), UNLABELED, dtype=np.int64)
    encoded[~unlabeled] = codes
    return classes, encoded
