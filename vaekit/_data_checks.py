"""Checks of data arrays at the package boundary: numeric, finite, shaped, in [0, 1].

:func:`check_array` guards arrays passed to the API; the loaders of
:mod:`vaekit.data` word their errors (which name the file) from the same
``*_problem`` functions, so the same problem reads the same everywhere.
"""

from __future__ import annotations

import numpy as np


def numeric_problem(array: np.ndarray) -> str | None:
    """What is wrong with ``array``'s dtype for a model, or None when it is numeric.

    One of the shared data checks: :func:`check_array` (arrays passed to the
    API) and the loaders (:mod:`vaekit.data`, which name the file) word their
    errors from these, so the same problem reads the same everywhere.

    Parameters
    ----------
    array : numpy.ndarray
        The data.

    Returns
    -------
    str or None
        A sentence fragment such as ``"must be numeric, got dtype <U1"``.
    """
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                     or array.dtype == bool):
        return f"must be numeric, got dtype {array.dtype}"
    return None


def finite_problem(array: np.ndarray) -> str | None:
    """How many values of ``array`` are NaN or infinite, and where the first is; or None.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric data.

    Returns
    -------
    str or None
    """
    bad = ~np.isfinite(array)
    if not bad.any():
        return None
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    return f"contains {int(bad.sum())} NaN or infinite values (the first at index {first})"


def unit_interval_problem(array: np.ndarray) -> str | None:
    """The range of ``array`` when it leaves [0, 1], with a hint for pixels; or None.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric data.

    Returns
    -------
    str or None
    """
    low, high = float(array.min()), float(array.max())
    if low >= 0.0 and high <= 1.0:
        return None
    hint = " (pixels 0-255? divide by 255)" if low >= 0.0 and high <= 255.0 else ""
    return f"has values in [{low:.4g}, {high:.4g}], outside [0, 1]{hint}"


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
    problem = numeric_problem(array)
    if problem:
        raise TypeError(f"{name} {problem}. Convert strings or categories to numbers first.")
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
    problem = finite_problem(array)
    if problem:
        raise ValueError(f"{name} {problem}; impute or drop them first.")
    problem = unit_interval_problem(array) if unit_interval else None
    if problem:
        raise ValueError(
            f"{name} {problem}, but reconstruction='bce' (Bernoulli) needs data in [0, 1]. "
            "Scale the data or use reconstruction='mse'."
        )
    return array
