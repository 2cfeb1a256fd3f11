"""Checking values read from a pipeline file, collecting every problem with its path.

The checks never stop at the first problem: a :class:`Problems` collector gathers
``path: message`` lines (``finetune.labels[2]: expected a positive integer, got
"ten"``) and the schema raises one :class:`PipelineError` listing them all.
"""

from __future__ import annotations

import difflib
import json
import os
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["PipelineError", "Problems", "check_type", "describe", "show", "type_hints"]


class PipelineError(ValueError):
    """A pipeline file (or a ``--set`` override) is invalid.

    Parameters
    ----------
    source : str
        The file (or ``"<pipeline>"`` for an in-memory mapping).
    problems : list of str
        One ``path: message`` line per problem.
    """

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun} in the pipeline file:\n{lines}")


def show(value: Any) -> str:
    """A value as the user wrote it: strings in double quotes, YAML spelling otherwise."""
    if isinstance(value, str):
        return json.dumps(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "a mapping"
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


class Problems:
    """Collects ``path: message`` lines while a pipeline is checked."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def add(self, path: str, message: str) -> None:
        """Record one problem at ``path`` (a dotted path such as ``finetune.labels[2]``)."""
        self.lines.append(f"{path}: {message}" if path else message)

    def expected(self, path: str, what: str, value: Any) -> None:
        """Record a wrong value: ``path: expected <what>, got <value>``."""
        self.add(path, f"expected {what}, got {show(value)}")

    def unknown_keys(self, path: str, given: Iterable[str], known: Sequence[str]) -> None:
        """Record every key of ``given`` not in ``known``, with the closest known key."""
        for key in given:
            if key in known:
                continue
            where = f"{path}.{key}" if path else str(key)
            close = difflib.get_close_matches(str(key), list(known), n=1, cutoff=0.6)
            hint = f'did you mean "{close[0]}"? ' if close else ""
            self.add(where, f"unknown key; {hint}known keys: {', '.join(known)}")

    def raise_if_any(self, source: str) -> None:
        """Raise :class:`PipelineError` listing every problem, if there is one."""
        if self.lines:
            raise PipelineError(source, self.lines)


def describe(annotation: Any) -> str:
    """Plain-words name of a type annotation, e.g. ``"an integer or null"``."""
    origin = typing.get_origin(annotation)
    if annotation is Any or annotation is object:
        return "any value"
    if origin in (typing.Union, types.UnionType):
        return " or ".join(describe(arg) for arg in typing.get_args(annotation))
    if origin is typing.Literal:
        return "one of " + ", ".join(show(arg) for arg in typing.get_args(annotation))
    if annotation is type(None) or annotation is None:
        return "null"
    if annotation is bool:
        return "true or false"
    if annotation is int:
        return "an integer"
    if annotation is float:
        return "a number"
    if annotation is str:
        return "a string"
    if annotation is os.PathLike or origin is os.PathLike:
        return "a path"
    if annotation in (dict, Mapping) or origin in (dict, Mapping):
        return "a mapping"
    if annotation in (tuple, list, Sequence) or origin in (tuple, list, Sequence):
        args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
        if args and all(a == args[0] for a in args):
            inner = describe(args[0])
            return f"a list of {inner.removeprefix('an ').removeprefix('a ')}s"
        return "a list"
    return getattr(annotation, "__name__", str(annotation))


def check_type(value: Any, annotation: Any) -> tuple[bool, Any]:
    """Check ``value`` against a type annotation; return ``(ok, converted value)``.

    YAML lists become tuples where a tuple is expected, integers become floats
    where a number is expected, and a string that spells a number (PyYAML reads
    ``1e-3`` as a string) becomes a float where a float is expected. Annotations
    this function does not know accept any value.

    Parameters
    ----------
    value : object
        The value read from the file.
    annotation : object
        The field's type, e.g. ``int | None`` or ``tuple[int, ...]``.

    Returns
    -------
    tuple of (bool, object)
    """
    origin = typing.get_origin(annotation)
    if annotation is Any or annotation is object:
        return True, value
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            ok, converted = check_type(value, arg)
            if ok:
                return True, converted
        return False, value
    if origin is typing.Literal:
        return value in typing.get_args(annotation), value
    if annotation is type(None) or annotation is None:
        return value is None, value
    if annotation is bool:
        return isinstance(value, bool), value
    if annotation is int:
        return isinstance(value, int) and not isinstance(value, bool), value
    if annotation is float:
        return _as_float(value)
    if annotation is str:
        return isinstance(value, str), value
    if annotation is os.PathLike or origin is os.PathLike:
        return isinstance(value, (str, os.PathLike)), value
    if annotation in (dict, Mapping) or origin in (dict, Mapping):
        return isinstance(value, Mapping), dict(value) if isinstance(value, Mapping) else value
    if annotation in (tuple, list, Sequence) or origin in (tuple, list, Sequence):
        return _check_sequence(value, annotation, origin)
    return True, value


def _as_float(value: Any) -> tuple[bool, Any]:
    if isinstance(value, bool):
        return False, value
    if isinstance(value, (int, float)):
        return True, float(value)
    if isinstance(value, str):
        try:
            return True, float(value)
        except ValueError:
            return False, value
    return False, value


def _check_sequence(value: Any, annotation: Any, origin: Any) -> tuple[bool, Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        return False, value
    args = typing.get_args(annotation)
    if args and args[-1] is Ellipsis:
        item_types = [args[0]] * len(value)
    elif args and origin is tuple:
        if len(args) != len(value):
            return False, value
        item_types = list(args)
    elif args:
        item_types = [args[0]] * len(value)
    else:
        item_types = [Any] * len(value)
    items = []
    for item, item_type in zip(value, item_types):
        ok, converted = check_type(item, item_type)
        if not ok:
            return False, value
        items.append(converted)
    wants_list = annotation is list or origin is list
    return True, list(items) if wants_list else tuple(items)


def type_hints(obj: Any) -> dict[str, Any]:
    """Resolved annotations of a dataclass or of a function's parameters; unresolvable
    ones become ``Any``.

    A function's return annotation is not evaluated: a builder's ``-> keras.Model``
    would import Keras, which checking a pipeline file must not do.
    """
    if isinstance(obj, types.FunctionType):
        parameters_only = types.FunctionType(_no_code.__code__, obj.__globals__)
        parameters_only.__annotations__ = {
            name: hint for name, hint in obj.__annotations__.items() if name != "return"}
        obj = parameters_only
    try:
        return typing.get_type_hints(obj)
    except (NameError, TypeError, AttributeError):
        raw = getattr(obj, "__annotations__", {})
        return {name: Any for name in raw}


def _no_code() -> None:
    """Code object for the stand-in function :func:`type_hints` evaluates annotations on."""
