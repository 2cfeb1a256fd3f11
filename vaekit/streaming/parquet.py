"""Parquet files of numeric columns, streamed in record batches through pyarrow."""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np

from vaekit.data.errors import DataError
from vaekit.streaming.bad_records import StreamInfo, register

__all__ = ["parquet_dataset", "parquet_files"]


def _import_pyarrow():
    try:
        import pyarrow.parquet as pq
    except ImportError as err:
        raise ImportError("reading Parquet needs pyarrow: pip install 'vaekit[parquet]'") from err
    return pq


def parquet_files(pattern: str | os.PathLike[str]) -> list[Path]:
    """The ``.parquet`` files of a folder (sorted), or those matching a glob pattern."""
    path = Path(pattern)
    files = (sorted(path.glob("*.parquet")) if path.is_dir()
             else [Path(f) for f in sorted(glob.glob(os.fspath(pattern)))])
    if not files:
        raise DataError(f"{pattern}: no Parquet files found")
    return files


def parquet_dataset(pattern: str | os.PathLike[str], columns: list[str] | None = None, *,
                    batch_rows: int = 8192):
    """Stream the rows of Parquet files as float32 vectors, one record batch at a time.

    Parameters
    ----------
    pattern : str or path-like
        A folder of ``.parquet`` files, or a glob pattern.
    columns : list of str, optional
        Feature columns, in this order; by default every column, which must
        then all be numeric (drop ids and labels with ``columns=``).
    batch_rows : int, default=8192
        Rows pyarrow reads at a time (what memory holds of the files).

    Returns
    -------
    tf.data.Dataset
        float32 rows ``(n_columns,)``; its length is read from the files' metadata.
    """
    import tensorflow as tf

    pq = _import_pyarrow()
    files = parquet_files(pattern)
    schema = pq.read_schema(files[0])
    names = list(columns) if columns is not None else list(schema.names)
    missing = [c for c in names if c not in schema.names]
    if missing:
        raise DataError(f"{files[0]}: no columns {missing}; it has {schema.names}")
    import pyarrow.types as pat

    wrong = [c for c in names if not (pat.is_integer(schema.field(c).type)
                                      or pat.is_floating(schema.field(c).type))]
    if wrong:
        raise DataError(f"{files[0]}: columns {wrong} are not numeric; choose the feature "
                        "columns with columns=[...]")
    n_rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)

    def generate():
        for file in files:
            reader = pq.ParquetFile(file)
            for batch in reader.iter_batches(batch_size=batch_rows, columns=names):
                yield np.column_stack([batch.column(c).to_numpy(zero_copy_only=False)
                                       for c in names]).astype(np.float32)

    rows = tf.data.Dataset.from_generator(
        generate, output_signature=tf.TensorSpec((None, len(names)), tf.float32)).unbatch()
    rows = rows.apply(tf.data.experimental.assert_cardinality(n_rows))
    return register(rows, StreamInfo(f"Parquet files {pattern}", "parquet_dataset", n_rows))
