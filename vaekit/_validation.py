"""Checks of settings shared by the configs, models, estimators and runner.

Each raises a :class:`SettingError` that carries the setting's name. Checks of data
arrays are in :mod:`vaekit._data_checks` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence

import math

import numpy as np


class SettingError(Exception):
    """A setting (a constructor argument, a config field, a pipeline key) is invalid.

    Carries the setting's name apart from the message, so that a caller (the
    pipeline checker) can report it under its own path without parsing text.

    Parameters
    ----------
    field : str
        Dotted name of the setting, e.g. ``"finetune.alpha"``.
    message : str
        What is wrong and what to do, without the name: ``"must be >= 0, got -1."``.
    """

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field} {message}")


class SettingValueError(SettingError, ValueError):
    """A setting has the right type but a wrong value."""


class SettingTypeError(SettingError, TypeError):
    """A setting has the wrong type."""


def check_choice(name: str, value, choices) -> str:
    """Return ``value`` if it is one of ``choices``, or raise naming them all.

    Parameters
    ----------
    name : str
        Setting name used in the error message.
    value : object
        The value given by the user.
    choices : iterable of str
        Accepted values.

    Returns
    -------
    str
    """
    choices = tuple(choices)
    if not isinstance(value, str):
        raise SettingTypeError(name, f"must be one of {', '.join(map(repr, choices))}, "
                                     f"got {value!r}.")
    if value not in choices:
        raise SettingValueError(name, f"must be one of {', '.join(map(repr, choices))}, "
                                      f"got {value!r}.")
    return value


def check_fraction(name: str, value, *, open_low: bool = False) -> float:
    """Return ``value`` as a float in [0, 1) (or (0, 1) with ``open_low``), or raise.

    Parameters
    ----------
    name : str
        Setting name used in the error message.
    value : object
        The value given by the user.
    open_low : bool, default=False
        Exclude 0.

    Returns
    -------
    float
    """
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise SettingTypeError(name, f"must be a number, got {value!r}.")
    value = float(value)
    if not (0.0 < value < 1.0 if open_low else 0.0 <= value < 1.0):
        raise SettingValueError(name, f"must lie in {'(0, 1)' if open_low else '[0, 1)'}, "
                                      f"got {value}.")
    return value


def check_unit_weight(name: str, value) -> float:
    """Return ``value`` as a float in [0, 1] (a share or a mixing weight), or raise.

    Parameters
    ----------
    name : str
        Setting name used in the error message.
    value : object
        The value given by the user.

    Returns
    -------
    float
    """
    value = check_non_negative_float(name, value)
    if value > 1.0:
        raise SettingValueError(name, f"must lie in [0, 1], got {value}.")
    return value


def check_learning_rate(name: str, value) -> float:
    """The one learning-rate rule of vaekit: a finite number > 0.

    Parameters
    ----------
    name : str
        Setting name used in the error message.
    value : object
        The value given by the user.

    Returns
    -------
    float
    """
    return check_non_negative_float(name, value, strict=True)


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
        raise SettingTypeError(name, f"must be an integer >= {minimum}, got {value!r}.")
    if value < minimum:
        raise SettingValueError(name, f"must be >= {minimum}, got {value}.")
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
        raise SettingTypeError(name, f"must be a number {bound}, got {value!r}.")
    value = float(value)
    if not math.isfinite(value) or value < 0 or (strict and value == 0):
        raise SettingValueError(name, f"must be a finite number {bound}, got {value}.")
    return value


def check_widths(name: str, widths, *, allow_empty: bool = True) -> tuple[int, ...]:
    """Validate layer widths such as ``hidden_units=(512, 256)``: positive integers.

    Parameters
    ----------
    name : str
        Argument name used in the error message.
    widths : sequence of int
        The widths given by the user.
    allow_empty : bool, default=True
        Accept an empty sequence (no hidden layer).

    Returns
    -------
    tuple of int
    """
    example = "(512, 256)"
    if isinstance(widths, (int, np.integer)) and not isinstance(widths, bool):
        raise SettingTypeError(
            name, f"must be a sequence of layer widths such as {example}, got the single "
                  f"number {widths!r}; write ({widths},) for one layer.")
    if not isinstance(widths, (Sequence, np.ndarray)) or isinstance(widths, (str, bytes)):
        raise SettingTypeError(
            name, f"must be a sequence of positive integers such as {example}, got {widths!r}.")
    widths = tuple(widths)
    if not widths and not allow_empty:
        raise SettingValueError(name, f"must hold at least one width such as {example}, got ().")
    for width in widths:
        if isinstance(width, bool) or not isinstance(width, (int, np.integer)) or width < 1:
            raise SettingValueError(
                name, f"must hold positive integers (layer widths >= 1), got {widths!r}.")
    return tuple(int(w) for w in widths)


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


# Data-array checks live in their own module; these names are part of this one's API.
from vaekit._data_checks import (  # noqa: E402
    FLOAT32_MAX,
    as_rectangular,
    check_array,
    finite_problem,
    float32_range_problem,
    numeric_problem,
    unit_interval_problem,
    unscaled_integers_problem,
)

__all__ = [
    "FLOAT32_MAX", "SettingError", "SettingTypeError", "SettingValueError", "as_rectangular",
    "check_array", "check_choice", "check_fraction", "check_learning_rate",
    "check_non_negative_float", "check_positive_int", "check_shape", "check_unit_weight",
    "check_widths", "finite_problem", "float32_range_problem", "numeric_problem",
    "unit_interval_problem", "unscaled_integers_problem",
]
