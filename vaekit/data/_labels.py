"""Label columns as the loaders return them: shared class indices, ``-1`` where unlabeled.

Raw labels may be numbers, strings or a mix, with missing values as NaN, None or
empty strings. Every check raises :class:`~vaekit.data.errors.DataError` with a
message that starts with the split's origin, so the user knows what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaekit.data.errors import DataError

__all__ = ["MAX_FLOAT_CLASSES", "encode_labels"]

logger = logging.getLogger(__name__)

#: Above this many distinct non-integer values a float label column is taken to be
#: a continuous target, not class labels.
MAX_FLOAT_CLASSES = 50


def _missing_mask(values: np.ndarray, minus_one_unlabeled: bool) -> np.ndarray:
    if values.dtype.kind == "f":
        missing = np.isnan(values)
    elif values.dtype.kind in "OUS":
        missing = np.array(
            [v is None or (isinstance(v, float) and np.isnan(v))
             or (isinstance(v, (str, bytes)) and not v.strip()) for v in values.tolist()],
            dtype=bool,
        )
    else:
        missing = np.zeros(values.shape, dtype=bool)
    if minus_one_unlabeled and values.dtype.kind in "iuf":
        missing |= values == -1
    return missing


def _normalise(values: np.ndarray) -> np.ndarray:
    """Give present label values one comparable dtype: int64, float64 or str."""
    if values.dtype.kind == "b":
        return values.astype(str)
    if values.dtype.kind in "iu":
        return values.astype(np.int64)
    if values.dtype.kind == "f":
        if not np.all(np.isfinite(values)):
            raise DataError("labels hold infinite values")
        if np.all(values == np.round(values)):
            return values.astype(np.int64)
        return values.astype(np.float64)
    if values.dtype.kind == "O":
        items = values.tolist()
        if all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in items):
            return np.asarray(items, dtype=np.int64)
        if all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool)
               for v in items):
            return _normalise(np.asarray(items, dtype=np.float64))
        return np.asarray(
            [(v.decode() if isinstance(v, bytes) else str(v)).strip() for v in items]
        )
    if values.dtype.kind == "S":
        return np.char.strip(np.char.decode(values, "utf-8"))
    return np.char.strip(values.astype(str))


def encode_labels(
    columns: Sequence[object],
    wheres: Sequence[str],
    *,
    minus_one_unlabeled: bool,
) -> tuple[list[np.ndarray], list[str] | None]:
    """Map raw labels of one or more splits to shared class indices.

    Parameters
    ----------
    columns : sequence of array-like
        Raw labels of each split (numbers, strings, or a mix; missing values are
        NaN, None or empty strings).
    wheres : sequence of str
        Name of each split's origin, for error messages.
    minus_one_unlabeled : bool
        Whether a numeric ``-1`` also means "unlabeled" (scikit-learn's convention,
        used for NumPy files; not for tables, where -1 may be a real class).

    Returns
    -------
    encoded : list of numpy.ndarray
        int64 class indices per split, ``-1`` where unlabeled.
    class_names : list of str or None
        Sorted unique original labels as strings; None when nothing is labelled.

    Raises
    ------
    DataError
        If labels are not 1-D, there is exactly one class, or a float label column
        looks continuous (more than ``MAX_FLOAT_CLASSES`` distinct non-integer values).
    """
    arrays = []
    for raw, where in zip(columns, wheres):
        arr = np.asarray(raw)
        if arr.ndim != 1:
            raise DataError(f"{where}: labels must be 1-D, got shape {arr.shape}")
        arrays.append(arr)
    missing = [_missing_mask(a, minus_one_unlabeled) for a in arrays]
    present = []
    for arr, miss, where in zip(arrays, missing, wheres):
        try:
            present.append(_normalise(arr[~miss]))
        except DataError as err:
            raise DataError(f"{where}: {err}; use NaN or an empty cell for unlabeled") from None
    kinds = {p.dtype.kind for p in present if p.size}
    if kinds == {"i", "f"}:
        present = [p.astype(np.float64) for p in present]
    elif len(kinds) > 1:
        # e.g. numbers in the train file and strings in the test file: compare as text
        present = [p.astype(str) for p in present]
    everything = np.concatenate(present) if present else np.array([])
    where_all = " and ".join(wheres)
    if everything.size == 0:
        logger.info("%s: no labelled examples; all examples are unlabeled", where_all)
        return [np.full(a.shape, -1, dtype=np.int64) for a in arrays], None
    classes = np.unique(everything)
    if everything.dtype.kind == "f" and classes.size > MAX_FLOAT_CLASSES:
        raise DataError(
            f"{where_all}: labels look continuous, not categorical ({classes.size} "
            f"distinct non-integer values such as {classes[0]:g}, {classes[1]:g}); "
            "choose a column of class labels or bin the values first"
        )
    if classes.size == 1:
        raise DataError(
            f"{where_all}: labels hold only one class ({classes[0]!s}); a classifier "
            "needs at least two classes, so choose another label column or leave the "
            "labels out to treat all examples as unlabeled"
        )
    class_names = [str(c) for c in classes.tolist()]
    encoded = []
    for arr, miss, pres in zip(arrays, missing, present):
        y = np.full(arr.shape, -1, dtype=np.int64)
        y[~miss] = np.searchsorted(classes, pres)
        encoded.append(y)
    return encoded, class_names
