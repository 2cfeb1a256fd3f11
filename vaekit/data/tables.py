"""Tables in CSV or Parquet files, read with pandas: numeric feature columns and an
optional label column whose empty cells mark unlabeled rows."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from vaekit.data._features import as_features
from vaekit.data._labels import encode_labels
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["TABLE_SUFFIXES", "load_table"]

logger = logging.getLogger(__name__)

#: File name endings load_table understands, and the reader each one uses.
TABLE_SUFFIXES = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".tsv": "tsv",
    ".parquet": "parquet",
    ".pq": "parquet",
}


def _format_of(path: Path) -> str:
    name = path.name.lower()
    for suffix, fmt in sorted(TABLE_SUFFIXES.items(), key=lambda kv: -len(kv[0])):
        if name.endswith(suffix):
            return fmt
    raise DataError(
        f"{path}: unsupported file type; load_table reads files ending in "
        f"{', '.join(TABLE_SUFFIXES)}"
    )


def _require_parquet_engine() -> None:
    try:
        import pyarrow  # noqa: F401
    except ImportError as err:
        raise ImportError(
            "reading Parquet files needs pyarrow; install the 'parquet' extra: "
            "pip install 'vaekit[parquet]'"
        ) from err


def _read(path: Path) -> pd.DataFrame:
    import pandas as pd

    fmt = _format_of(path)
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    try:
        if fmt == "parquet":
            _require_parquet_engine()
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path, sep="\t" if fmt == "tsv" else ",")
    except pd.errors.EmptyDataError as err:
        raise DataError(f"{path}: empty table (no header, no rows)") from err
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise DataError(f"{path}: cannot parse as {fmt.upper()} ({err})") from err
    except (ValueError, OSError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise DataError(f"{path}: cannot read as {fmt} ({err})") from err
    frame.columns = [str(c) for c in frame.columns]
    return frame


def _features(
    frame: pd.DataFrame, columns: list[str], path: Path
) -> np.ndarray:
    import pandas as pd

    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: no feature column(s) {missing}; the table has columns "
            f"{list(frame.columns)}"
        )
    for column in columns:
        series = frame[column]
        if not (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)):
            example = series.dropna().iloc[0] if series.notna().any() else None
            raise DataError(
                f"{path}: feature column {column!r} is not numeric (dtype {series.dtype}, "
                f"e.g. {example!r}); encode it as numbers, or leave it out with "
                "feature_columns=[...]"
            )
        n_missing = int(series.isna().sum())
        if n_missing:
            raise DataError(
                f"{path}: feature column {column!r} has {n_missing} empty or NaN cells; "
                "impute them or drop those rows"
            )
    values = frame[columns].to_numpy(dtype=np.float64)
    return as_features(values, str(path))


def _check_label_column(frame: pd.DataFrame, column: str, path: Path) -> None:
    if column in frame.columns:
        return
    close = [c for c in frame.columns if c.lower() == str(column).lower()]
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise DataError(
        f"{path}: no column {column!r} (label_column); columns are "
        f"{list(frame.columns)}{hint}"
    )


def _labels(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    _check_label_column(frame, column, path)
    series = frame[column]
    if series.dtype.kind in "biuf":
        return series.to_numpy()
    return series.to_numpy(dtype=object)


def load_table(
    path: str | os.PathLike[str],
    label_column: str | None = None,
    feature_columns: Sequence[str] | None = None,
    test_path: str | os.PathLike[str] | None = None,
) -> DataSplits:
    """Load a CSV or Parquet table as features and (partial) labels.

    The reader is chosen by suffix: ``.csv``, ``.csv.gz``, ``.tsv``, ``.parquet``
    or ``.pq``. Empty label cells (blank or NaN) mark unlabeled rows (``y = -1``).
    Labels are mapped to ``0..K-1`` in sorted order of the original values, which
    become ``class_names`` (as strings; integral floats such as ``3.0`` read as
    ``"3"``).

    Parameters
    ----------
    path : str or path-like
        The training table.
    label_column : str, optional
        Column holding the class labels; None loads every row unlabeled.
    feature_columns : sequence of str, optional
        Columns to use as features; by default every column except the label one.
    test_path : str or path-like, optional
        A second table with the same columns, used as the test split.

    Returns
    -------
    DataSplits
        float32 features ``(N, F)`` and int64 labels.

    Raises
    ------
    DataError
        If a file is missing, unreadable or empty, a named column is absent, a
        feature column is not numeric or has empty cells, or the label column has
        only one class or looks continuous (over 50 distinct non-integer values).
    ImportError
        If a Parquet file is given and pyarrow is not installed (the ``parquet``
        extra).
    """
    paths = [Path(path)] + ([Path(test_path)] if test_path is not None else [])
    frames = [_read(p) for p in paths]
    for frame, p in zip(frames, paths):
        if frame.shape[0] == 0:
            raise DataError(f"{p}: empty table (header only, no rows)")
    if label_column is not None:
        # Checked first: a misspelt label column would otherwise stay among the
        # features and be blamed for being non-numeric.
        for frame, p in zip(frames, paths):
            _check_label_column(frame, label_column, p)
    if feature_columns is None:
        columns = [c for c in frames[0].columns if c != label_column]
    else:
        columns = [str(c) for c in feature_columns]
        if label_column is not None and label_column in columns:
            raise DataError(
                f"{paths[0]}: label column {label_column!r} is also listed in "
                "feature_columns; remove it from feature_columns"
            )
    if not columns:
        raise DataError(
            f"{paths[0]}: no feature columns (the table has only {list(frames[0].columns)})"
        )
    xs = [_features(frame, columns, p) for frame, p in zip(frames, paths)]
    if label_column is None:
        encoded = [np.full(len(x), -1, dtype=np.int64) for x in xs]
        class_names = None
    else:
        raw = [_labels(frame, label_column, p) for frame, p in zip(frames, paths)]
        encoded, class_names = encode_labels(
            raw,
            [f"{p}: label column {label_column!r}" for p in paths],
            minus_one_unlabeled=False,
        )
    source = " and ".join(f"table {p}" for p in paths)
    splits = [ArrayData(x, y, class_names, source) for x, y in zip(xs, encoded)]
    logger.debug(
        "%s: %d feature columns, %s", source, len(columns),
        [int(s.labelled_mask().sum()) for s in splits],
    )
    return DataSplits(
        train=splits[0], test=splits[1] if len(splits) > 1 else None,
        name=paths[0].name.split(".")[0],
    )
