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


#: Largest finite float32 value: models compute in float32, so larger values become inf.
FLOAT32_MAX = float(np.finfo(np.float32).max)
FLOAT32_MAX_TEXT = "3.4e38"


def as_rectangular(name: str, x) -> np.ndarray:
    """``np.asarray(x)``, or a ``ValueError`` naming ``name`` when ``x`` is a ragged list.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    x : array-like
        The data.

    Returns
    -------
    numpy.ndarray
    """
    try:
        return np.asarray(x)
    except ValueError as err:
        if "inhomogeneous" not in str(err):
            raise
    lengths = sorted({len(row) for row in x if hasattr(row, "__len__")})
    seen = f" (row lengths {', '.join(map(str, lengths[:5]))})" if len(lengths) > 1 else ""
    raise ValueError(
        f"{name} is ragged: its rows have different lengths{seen}. Pass rows of one "
        "length (pad or drop the short ones)."
    ) from None


def float32_range_problem(array: np.ndarray) -> str | None:
    """Where ``array`` holds finite values beyond float32's range, or None.

    Such values are finite in ``array`` (float64) but become infinite in the
    models' float32, so they are reported as what they are, before the cast.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric data.

    Returns
    -------
    str or None
    """
    if array.dtype.kind != "f" or array.dtype.itemsize <= 4 or array.size == 0:
        return None
    with np.errstate(invalid="ignore"):
        huge = np.isfinite(array) & (np.abs(array) > FLOAT32_MAX)
    if not huge.any():
        return None
    first = tuple(int(i) for i in np.argwhere(huge)[0])
    return (
        f"has {int(huge.sum())} values beyond float32's range (max {FLOAT32_MAX_TEXT}), "
        f"the first {float(array[first]):.3g} at index {first}"
    )


#: Whole-number data whose maximum is above this counts as unscaled (raw pixels, counts).
UNSCALED_INTEGER_MAX = 16.0


def unscaled_integers_problem(array: np.ndarray) -> str | None:
    """When ``array`` looks like raw pixels or counts (whole numbers from 0 up to > 16).

    The rule ``reconstruction="auto"`` uses before it picks the L2 loss, which
    diverges on raw 0-255 pixels (the loss becomes NaN in the first epoch on
    8-bit digits). Whole numbers up to 16 (scikit-learn's digits, small counts)
    pass.

    Parameters
    ----------
    array : numpy.ndarray
        Numeric data.

    Returns
    -------
    str or None
    """
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high <= UNSCALED_INTEGER_MAX or not np.all(np.mod(array, 1) == 0):
        return None
    kind = "8-bit pixels? " if high <= 255 else ""
    return f"holds whole numbers from {low:.0f} to {high:.0f} ({kind}unscaled)"


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
    array = as_rectangular(name, x)
    problem = numeric_problem(array)
    if problem:
        raise TypeError(f"{name} {problem}. Convert strings or categories to numbers first.")
    problem = float32_range_problem(array)
    if problem:
        raise ValueError(f"{name} {problem}; models compute in float32: rescale the data.")
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
