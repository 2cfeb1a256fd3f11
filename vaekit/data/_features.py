"""Feature arrays as the loaders return them: numeric, finite float32, images in [0, 1].

Label columns are checked and encoded by :mod:`vaekit.data._labels`. Every check
raises :class:`~vaekit.data.errors.DataError` with a message that starts with
``where`` (a file name or data set name), so the user knows what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from vaekit._data_checks import (
    finite_problem,
    float32_range_problem,
    numeric_problem,
    unit_interval_problem,
)
from vaekit.data.errors import DataError

__all__ = ["as_features", "as_images", "check_same_shape", "check_unit_range"]


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
    problem = numeric_problem(arr)
    if problem or arr.dtype.kind == "c":
        raise DataError(f"{where}: features {problem or f'must be real, got {arr.dtype}'}; "
                        "convert the array to numbers before saving it")
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
    problem = float32_range_problem(arr)
    if problem:
        raise DataError(f"{where}: features {problem}; rescale them (models compute in "
                        "float32)")
    out = arr.astype(np.float32)
    problem = finite_problem(out)
    if problem:
        raise DataError(f"{where}: features {problem}; impute or drop those rows first")
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
    problem = unit_interval_problem(x)
    if problem:
        raise DataError(f"{where}: float image values must lie in [0, 1]: the array "
                        f"{problem}; or save the images as uint8")


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
