"""JSON, CSV and YAML files, written atomically through :mod:`vaekit.files`."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vaekit.files import write_text

__all__ = ["dump_yaml", "write_csv", "write_json", "write_yaml"]


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON to ``path`` atomically.

    NumPy scalars and arrays are converted to Python numbers and lists.

    Parameters
    ----------
    path : str or path-like
        Destination.
    obj : object
        JSON-serialisable data.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    return write_text(path, json.dumps(obj, indent=2, default=_json_default) + "\n")


def _json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):  # NumPy scalar or array
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"cannot write a {type(value).__name__} to JSON: {value!r}")


def write_csv(
    path: str | os.PathLike[str],
    rows: Sequence[Mapping[str, Any]],
    fieldnames: Sequence[str] | None = None,
) -> Path:
    """Write ``rows`` (one mapping per row) as CSV with a header, atomically.

    Parameters
    ----------
    path : str or path-like
        Destination.
    rows : sequence of mapping
        The rows; missing cells are written empty.
    fieldnames : sequence of str, optional
        Column order; by default the keys in order of first appearance.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    if fieldnames is None:
        fieldnames = list(dict.fromkeys(key for row in rows for key in row))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(fieldnames), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: row.get(key, "") for key in fieldnames})
    return write_text(path, buffer.getvalue())


def write_yaml(path: str | os.PathLike[str], obj: Any, header: str = "") -> Path:
    """Write ``obj`` as block-style YAML to ``path`` atomically, keys in given order.

    Parameters
    ----------
    path : str or path-like
        Destination.
    obj : object
        Plain data (dicts, lists, numbers, strings, None).
    header : str, default=""
        Comment lines put before the document (each gets a ``# `` prefix).

    Returns
    -------
    pathlib.Path
        The destination.
    """
    text = dump_yaml(obj)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    return write_text(path, comment + text)


def dump_yaml(obj: Any) -> str:
    """``obj`` as YAML text: block-style mappings, lists of scalars on one line, keys in order.

    Parameters
    ----------
    obj : object
        Plain data (dicts, lists, numbers, strings, None).

    Returns
    -------
    str
    """
    import yaml

    class _Dumper(yaml.SafeDumper):
        pass

    def represent_list(dumper, data):
        flat = all(not isinstance(item, (dict, list, tuple)) for item in data)
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)

    _Dumper.add_representer(list, represent_list)
    _Dumper.add_representer(tuple, represent_list)
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                     allow_unicode=True, width=100)
