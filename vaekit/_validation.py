"""Input checks shared by the models, estimators and runner (the package boundary)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def check_positive_int(name: str, value, minimum: int = 1) -> int:
    """Return ``value`` as an int, or raise if it is not an integer >= ``minimum``.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : object
        The value given by the user.
    minimum : int, default=1
        Smallest accepted value.

    Returns
    -------
    int
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}.")
    return int(value)


def check_non_negative_float(name: str, value, *, strict: bool = False) -> float:
    """Return ``value`` as a float, or raise if it is not a finite number >= 0.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    value : object
        The value given by the user.
    strict : bool, default=False
        Require ``value > 0`` instead of ``value >= 0``.

    Returns
    -------
    float
    """
    bound = "> 0" if strict else ">= 0"
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number {bound}, got {value!r}.")
    value = float(value)
    if not np.isfinite(value) or value < 0 or (strict and value == 0):
        raise ValueError(f"{name} must be a finite number {bound}, got {value}.")
    return value


def check_shape(name: str, shape) -> tuple[int, ...]:
    """Validate a per-sample shape such as ``(28, 28, 1)`` or ``(64,)``.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    shape : int or sequence of int
        The shape given by the user.

    Returns
    -------
    tuple of int
    """
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if not isinstance(shape, Sequence) or isinstance(shape, (str, bytes)) or len(shape) == 0:
        raise TypeError(
            f"{name} must be a non-empty tuple of positive integers such as (28, 28, 1), "
            f"got {shape!r}."
        )
    dims = []
    for dim in shape:
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim < 1:
            raise ValueError(
                f"{name} must contain positive integers only, got {tuple(shape)!r}."
            )
        dims.append(int(dim))
    return tuple(dims)


def check_array(
    name: str,
    x,
    *,
    sample_shape: tuple[int, ...] | None = None,
    unit_interval: bool = False,
) -> np.ndarray:
    """Convert ``x`` to a finite float32 array and check its per-sample shape.

    Parameters
    ----------
    name : str
        Argument name used in error messages.
    x : array-like
        The data.
    sample_shape : tuple of int, optional
        Expected ``x.shape[1:]``.
    unit_interval : bool, default=False
        Require every value to lie in [0, 1] (Bernoulli reconstruction).

    Returns
    -------
    numpy.ndarray
        ``x`` as float32.
    """
    array = np.asarray(x)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(
            f"{name} must be numeric, got an array of dtype {array.dtype}. Convert "
            "strings or categories to numbers first."
        )
    array = array.astype("float32", copy=False)
    if array.ndim < 2:
        raise ValueError(
            f"{name} must have a leading sample axis and at least one feature axis, got "
            f"shape {array.shape}. Reshape a single sample with x[None, ...]."
        )
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (shape {array.shape}); pass at least one sample.")
    if sample_shape is not None and tuple(array.shape[1:]) != tuple(sample_shape):
        raise ValueError(
            f"{name} has samples of shape {tuple(array.shape[1:])}, but the model expects "
            f"{tuple(sample_shape)}."
        )
    if not np.all(np.isfinite(array)):
        bad = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"{name} contains {bad} NaN or infinite values; impute or drop them first."
        )
    if unit_interval:
        low, high = float(array.min()), float(array.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"{name} has values in [{low:.4g}, {high:.4g}], but reconstruction='bce' "
                "(Bernoulli) needs data in [0, 1]. Scale the data (e.g. divide pixels by "
                "255) or use reconstruction='mse'."
            )
    return array
