"""Validation shared by the loaders: feature arrays, images and label encoding.

Every check raises :class:`~vaekit.data.errors.DataError` with a message that starts
with ``where`` (a file name or data set name), so the user knows what to fix.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from vaekit.data.errors import DataError

logger = logging.getLogger(__name__)

#: Above this many distinct non-integer values a float label column is taken to be
#: a continuous target, not class labels.
MAX_FLOAT_CLASSES = 50


def as_features(x: object, where: str) -> np.ndarray:
    """Return ``x`` as a validated float32 feature array.

    ``uint8`` arrays are pixel intensities and are divided by 255. A 3-D array
    ``(N, H, W)`` gets a channel axis. Arrays of rank 3 or more are images and must
    lie in [0, 1] after scaling.

    Parameters
    ----------
    x : array-like
        Raw features, first axis indexing examples.
    where : str
        Name of the origin, used at the start of error messages.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(N, F)`` or ``(N, H, W, C)``.

    Raises
    ------
    DataError
        If ``x`` is empty, not numeric, of the wrong rank, has NaN or inf, or holds
        image values outside [0, 1].
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise DataError(
            f"{where}: features must be numeric, got dtype {arr.dtype}; "
            "convert the array to numbers before saving it"
        )
    if arr.ndim < 2 or arr.ndim > 4:
        raise DataError(
            f"{where}: expected features of shape (N, F), (N, H, W) or (N, H, W, C), "
            f"got shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.size == 0:
        raise DataError(f"{where}: no examples (features of shape {arr.shape})")
    if arr.ndim == 3:
        arr = arr[..., np.newaxis]
    if arr.dtype == np.uint8:
        return arr.astype(np.float32) / np.float32(255.0)
    if arr.dtype == np.uint16 and arr.ndim == 4:
        return arr.astype(np.float32) / np.float32(65535.0)
    out = arr.astype(np.float32)
    bad = ~np.isfinite(out)
    if bad.any():
        first = tuple(int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"{where}: {int(bad.sum())} NaN or infinite feature values (first at index "
            f"{first}); impute or drop those rows first"
        )
    if out.ndim == 4:
        check_unit_range(out, where)
    return out


def as_images(x: object, where: str) -> np.ndarray:
    """Return ``x`` as float32 images ``(N, H, W, C)`` in [0, 1].

    Parameters
    ----------
    x : array-like
        Images of shape ``(N, H, W)`` or ``(N, H, W, C)``; ``uint8`` is divided by 255.
    where : str
        Name of the origin, used at the start of error messages.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(N, H, W, C)``.

    Raises
    ------
    DataError
        If ``x`` is not a stack of images or fails :func:`as_features`.
    """
    arr = np.asarray(x)
    if arr.ndim not in (3, 4):
        raise DataError(
            f"{where}: expected images of shape (N, H, W) or (N, H, W, C), "
            f"got shape {arr.shape}"
        )
    return as_features(arr, where)


def check_unit_range(x: np.ndarray, where: str) -> None:
    """Raise if image values fall outside [0, 1].

    Parameters
    ----------
    x : numpy.ndarray
        Float images.
    where : str
        Name of the origin, used at the start of error messages.

    Raises
    ------
    DataError
        If any value is below 0 or above 1.
    """
    lo, hi = float(x.min()), float(x.max())
    if lo < 0.0 or hi > 1.0:
        hint = "; divide by 255 or save as uint8" if hi <= 255.0 and lo >= 0.0 else ""
        raise DataError(
            f"{where}: float image values must lie in [0, 1], found [{lo:g}, {hi:g}]{hint}"
        )


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


def check_same_shape(xs: Sequence[np.ndarray], wheres: Sequence[str]) -> None:
    """Raise if the splits' examples differ in shape.

    Parameters
    ----------
    xs : sequence of numpy.ndarray
        Feature arrays of the splits.
    wheres : sequence of str
        Origin of each array, for the error message.

    Raises
    ------
    DataError
        If any array's ``shape[1:]`` differs from the first one's.
    """
    for x, where in zip(xs[1:], wheres[1:]):
        if x.shape[1:] != xs[0].shape[1:]:
            raise DataError(
                f"{where}: examples have shape {x.shape[1:]} but those in {wheres[0]} "
                f"have shape {xs[0].shape[1:]}; both splits must match"
            )
