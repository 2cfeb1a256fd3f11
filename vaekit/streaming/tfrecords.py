"""Sharded TFRecord files of rows: written from arrays, tables or image folders, streamed back.

Each record holds the raw bytes of one row (``float32``, or ``uint8`` standing
for ``value / 255``); ``vaekit-tfrecords.json`` beside the shards says the row
shape, the encoding and how many rows and bytes each shard holds. Knowing the
sizes up front gives the stream a known length (the training schedule needs it)
and finds a truncated shard before training starts.
"""

from __future__ import annotations

import glob
import json
import logging
import math
import os
import re
import struct
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np

from vaekit.data.errors import DataError
from vaekit.files import atomic_path, write_text
from vaekit.streaming.bad_records import BadRecordError, StreamInfo, register

__all__ = ["MANIFEST", "read_manifest", "tfrecord_dataset", "write_tfrecords"]

logger = logging.getLogger(__name__)

#: Name of the file that describes the shards of a folder.
MANIFEST = "vaekit-tfrecords.json"
#: Row encodings: ``float32`` as is, ``uint8`` as ``value / 255``.
ENCODINGS = ("float32", "uint8")
#: Bytes of a TFRecord's framing around its payload: length, its CRC, the data's CRC.
_FRAME_BYTES = 8 + 4 + 4
#: Serialized records parsed together (one vectorised decode per group).
_PARSE_BATCH = 256


# ------------------------------------------------------------------ writing
def _batches_of(x, image_size, color_mode) -> Iterator[np.ndarray]:
    """Rows of ``x`` (array, table, image folder or iterable of batches) in batches."""
    if isinstance(x, (str, os.PathLike)):
        from vaekit.streaming.images import iter_image_batches

        yield from iter_image_batches(x, image_size=image_size, color_mode=color_mode)
        return
    if hasattr(x, "select_dtypes") and hasattr(x, "columns"):  # a pandas table
        numeric = x.select_dtypes("number")
        if numeric.shape[1] != x.shape[1]:
            dropped = sorted(set(map(str, x.columns)) - set(map(str, numeric.columns)))
            raise DataError(f"table has non-numeric columns {dropped}; drop or encode them "
                            "before writing TFRecords")
        x = numeric.to_numpy(dtype=np.float32)
    if hasattr(x, "__array__"):
        x = np.asarray(x)
        for begin in range(0, len(x), 8192):
            yield x[begin:begin + 8192]
        return
    if isinstance(x, Iterable):
        for batch in x:
            yield np.asarray(batch)
        return
    raise TypeError("x must be an array, a pandas DataFrame, an image folder path or an "
                    f"iterable of row batches, got {type(x).__name__}.")


def _encode(batch: np.ndarray, encoding: str) -> np.ndarray:
    if encoding == "float32":
        return np.ascontiguousarray(batch, dtype=np.float32)
    if batch.dtype == np.uint8:
        return np.ascontiguousarray(batch)
    if batch.size and (np.nanmin(batch) < 0.0 or np.nanmax(batch) > 1.0):
        raise ValueError("encoding='uint8' stores values in [0, 1] as value * 255, but the "
                         f"rows hold values in [{np.min(batch):.4g}, {np.max(batch):.4g}]; "
                         "use encoding='float32'.")
    return np.round(np.asarray(batch, dtype=np.float32) * 255.0).astype(np.uint8)


def write_tfrecords(x, directory: str | os.PathLike[str], *, shard_rows: int = 10_000,
                    encoding: str | None = None, image_size: tuple[int, int] | None = None,
                    color_mode: str = "grayscale", prefix: str = "rows") -> Path:
    """Write rows to sharded TFRecord files that :func:`tfrecord_dataset` streams back.

    Every shard is written under a temporary name and renamed when complete;
    the manifest (``vaekit-tfrecords.json``) is written last, so a killed
    writer never leaves a folder that reads as complete.

    Parameters
    ----------
    x : array-like, pandas.DataFrame, path or iterable of arrays
        The rows: an array ``(n, *sample_shape)``; a table of numeric columns
        (float32 rows); the path of an image folder (read one image at a time,
        see :func:`vaekit.data.load_image_folder` for the layouts; labels are
        not written); or an iterable of row batches (e.g.
        ``dataset.batch(1024).as_numpy_iterator()``), never held whole.
    directory : str or path-like
        Output folder (created); existing shards with the same ``prefix`` are
        replaced.
    shard_rows : int, default=10000
        Rows per shard.
    encoding : {"float32", "uint8"}, optional
        ``"uint8"`` stores values in [0, 1] as ``round(value * 255)`` (4x
        smaller; exact for images); default ``"uint8"`` for image folders and
        uint8 arrays, ``"float32"`` otherwise.
    image_size : (int, int), optional
        Resize images to ``(height, width)`` (image folders only).
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Image channels (image folders only).
    prefix : str, default="rows"
        Start of the shard file names: ``<prefix>-00000.tfrecord``.

    Returns
    -------
    pathlib.Path
        The manifest file.
    """
    import tensorflow as tf

    if int(shard_rows) != shard_rows or shard_rows < 1:
        raise ValueError(f"shard_rows must be a positive integer, got {shard_rows!r}.")
    if encoding is not None and encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{prefix}-*.tfrecord"):
        old.unlink()
    shards: list[dict] = []
    sample_shape = writer = tmp_context = None
    in_shard = 0

    def close_shard():
        nonlocal writer, tmp_context
        writer.close()
        tmp_context.__exit__(None, None, None)
        shards[-1]["bytes"] = (directory / shards[-1]["file"]).stat().st_size
        writer = tmp_context = None

    try:
        for batch in _batches_of(x, image_size, color_mode):
            if len(batch) == 0:
                continue
            if sample_shape is None:
                sample_shape = tuple(int(d) for d in batch.shape[1:])
                if encoding is None:
                    images = isinstance(x, (str, os.PathLike))
                    encoding = "uint8" if images or batch.dtype == np.uint8 else "float32"
            elif tuple(batch.shape[1:]) != sample_shape:
                raise ValueError(f"rows of shape {tuple(batch.shape[1:])} after rows of shape "
                                 f"{sample_shape}; all rows must have one shape.")
            if not np.all(np.isfinite(batch)):
                raise ValueError("x holds NaN or infinite values; clean them before writing.")
            for row in _encode(batch, encoding):
                if writer is None:
                    name = f"{prefix}-{len(shards):05d}.tfrecord"
                    tmp_context = atomic_path(directory / name)
                    writer = tf.io.TFRecordWriter(str(tmp_context.__enter__()))
                    shards.append({"file": name, "rows": 0})
                writer.write(row.tobytes())
                shards[-1]["rows"] += 1
                in_shard += 1
                if in_shard == shard_rows:
                    close_shard()
                    in_shard = 0
        if writer is not None:
            close_shard()
    except BaseException as error:
        if tmp_context is not None:
            writer.close()
            tmp_context.__exit__(type(error), error, error.__traceback__)
        raise
    if not shards:
        raise ValueError("x holds no rows; nothing to write.")
    manifest = {"format": "vaekit-tfrecords/1", "sample_shape": list(sample_shape),
                "encoding": encoding, "rows": sum(s["rows"] for s in shards), "shards": shards}
    path = write_text(directory / MANIFEST, json.dumps(manifest, indent=1) + "\n")
    logger.info("Wrote %d rows in %d shards to %s.", manifest["rows"], len(shards), directory)
    return path


# ------------------------------------------------------------------ checking
def read_manifest(directory: str | os.PathLike[str]) -> dict:
    """The manifest of a folder of shards written by :func:`write_tfrecords`."""
    path = Path(directory) / MANIFEST
    if not path.is_file():
        raise DataError(f"{directory}: no {MANIFEST} beside the shards; write them with "
                        "vaekit.streaming.write_tfrecords or `vaekit tfrecords`")
    try:
        manifest = json.loads(path.read_text())
        manifest["sample_shape"], manifest["shards"], manifest["encoding"]  # noqa: B018
    except (ValueError, KeyError, TypeError) as err:
        raise DataError(f"{path}: not a vaekit TFRecord manifest ({err})") from None
    return manifest


def _scan_frames(path: Path) -> tuple[int, int]:
    """``(whole records, their bytes)`` of a shard, by reading the framing.

    Reads the 8-byte length of each record and seeks past it; stops at the
    first record that the file ends inside of.
    """
    size = path.stat().st_size
    whole = offset = 0
    with open(path, "rb") as handle:
        while offset + 8 <= size:
            handle.seek(offset)
            (length,) = struct.unpack("<Q", handle.read(8))
            if offset + _FRAME_BYTES + length > size:
                break
            offset += _FRAME_BYTES + length
            whole += 1
    return whole, offset


def _check_shard(path: Path, shard: dict, skip: bool, info: StreamInfo) -> int:
    """Rows of the shard to read; a truncated shard is an error, or its tail is skipped."""
    if not path.is_file():
        raise DataError(f"{path}: listed in {MANIFEST} but missing")
    if "bytes" in shard and path.stat().st_size == shard["bytes"]:
        return int(shard["rows"])
    whole, end = _scan_frames(path)
    if whole >= shard["rows"] and path.stat().st_size == end:
        return int(shard["rows"])
    message = (f"{path}: truncated shard: record {whole} (0-based, at byte {end}) is cut "
               f"off; the file holds {whole} whole records of the {shard['rows']} written "
               f"({path.stat().st_size} of {shard.get('bytes', '?')} bytes)")
    if not skip:
        raise BadRecordError(message + "; write the shard again, or pass "
                             "skip_bad_records=True to tfrecord_dataset to skip its tail")
    missing = int(shard["rows"]) - whole
    info.skipped += missing
    logger.warning("%s; skipping its last %d records.", message, missing)
    return whole


def _readable_records(path: Path, rows: int, row_bytes: int) -> tuple[int, int]:
    """``(records TensorFlow reads before the first error, payloads of the wrong size)``."""
    import tensorflow as tf

    records = tf.data.TFRecordDataset(str(path)).take(rows).ignore_errors()
    readable, wrong = records.reduce(
        (np.int64(0), np.int64(0)),
        lambda state, record: (state[0] + 1, state[1] + tf.cast(
            tf.strings.length(record) != row_bytes, tf.int64)))
    return int(readable), int(wrong)


# ------------------------------------------------------------------ reading
def _files_of(pattern: str | os.PathLike[str]) -> tuple[Path, list[Path]]:
    path = Path(pattern)
    if path.is_dir():
        return path, []
    files = [Path(f) for f in sorted(glob.glob(os.fspath(pattern)))]
    if not files:
        raise DataError(f"{pattern}: no TFRecord files match")
    folders = {f.parent for f in files}
    if len(folders) > 1:
        raise DataError(f"{pattern}: matches shards in {len(folders)} folders; read one "
                        "folder (one manifest) at a time")
    return folders.pop(), files


def tfrecord_dataset(pattern: str | os.PathLike[str], *, shuffle_files: bool = False,
                     seed: int = 0, skip_bad_records: bool = False):
    """Stream the rows of TFRecord shards written by :func:`write_tfrecords`.

    Shards are read in parallel and parsed in groups (one vectorised decode
    per 256 records), so the stream keeps up with training; nothing but the
    prefetch and shuffle buffers is held in memory.

    Parameters
    ----------
    pattern : str or path-like
        The shards' folder (every shard in its manifest), or a glob pattern of
        some of them (``"data/rows-0000*.tfrecord"``).
    shuffle_files : bool, default=False
        Read the shards in a new random order each pass (rows within a shard
        keep their order; training shuffles them with a bounded buffer).
    seed : int, default=0
        Seed of the shard order.
    skip_bad_records : bool, default=False
        Skip records that cannot be read instead of failing: the cut-off tail
        of a truncated shard, a record whose checksum fails (TFRecord cannot
        find the next record after it, so the rest of that shard is skipped
        too), a payload of the wrong size. Each skip is logged with its file;
        :func:`vaekit.streaming.skipped_records` says how many. Finding them
        reads every shard once before streaming.

    Returns
    -------
    tf.data.Dataset
        float32 rows of the manifest's shape, with a known length.

    Raises
    ------
    DataError
        If no shard matches, the manifest is missing or does not list a shard.
    BadRecordError
        If a shard is truncated (before streaming starts); while streaming, a
        corrupt record is reported by the vaekit training functions with its
        file and position.
    """
    import tensorflow as tf

    folder, files = _files_of(pattern)
    manifest = read_manifest(folder)
    listed = {s["file"]: s for s in manifest["shards"]}
    files = files or [folder / s["file"] for s in manifest["shards"]]
    unlisted = [f.name for f in files if f.name not in listed]
    if unlisted:
        raise DataError(f"{folder}: shards {unlisted[:3]} are not listed in {MANIFEST}; "
                        "write the folder again with write_tfrecords")
    shape = tuple(int(d) for d in manifest["sample_shape"])
    encoding = manifest["encoding"]
    dtype = tf.float32 if encoding == "float32" else tf.uint8
    row_bytes = math.prod(shape) * (4 if encoding == "float32" else 1)
    info = StreamInfo(f"TFRecord shards {pattern}", "tfrecord_dataset")
    takes, wrong_sizes = [], 0
    for file in files:
        rows = _check_shard(file, listed[file.name], skip_bad_records, info)
        if skip_bad_records:
            readable, wrong = _readable_records(file, rows, row_bytes)
            if readable < rows or wrong:
                logger.warning("%s: record %d does not read (checksum); skipping the %d "
                               "records from there, and %d of the wrong size.",
                               file, readable, rows - readable, wrong)
            info.skipped += rows - readable + wrong
            rows, wrong_sizes = readable, wrong_sizes + wrong
        takes.append(rows)
    info.n_rows = int(sum(takes)) - wrong_sizes

    def read(file, take):
        return tf.data.TFRecordDataset(file).take(take)

    def decode(records):
        if not skip_bad_records:
            tf.debugging.assert_equal(
                tf.strings.length(records), row_bytes,
                message=f"a record is not {row_bytes} bytes (one row of shape {shape})")
        rows = tf.reshape(tf.io.decode_raw(records, dtype), (-1, *shape))
        rows = tf.cast(rows, tf.float32)
        return rows if encoding == "float32" else rows / 255.0

    names = tf.data.Dataset.from_tensor_slices(([str(f) for f in files],
                                                np.asarray(takes, dtype=np.int64)))
    if shuffle_files:
        names = names.shuffle(len(files), seed=seed, reshuffle_each_iteration=True)
    # Unshuffled, each shard is read whole before the next (block_length), in file
    # order, while the next shards are read ahead in parallel.
    records = names.interleave(read, cycle_length=min(len(files), 4),
                               block_length=1 if shuffle_files else max(max(takes), 1),
                               num_parallel_calls=tf.data.AUTOTUNE,
                               deterministic=not shuffle_files)
    if skip_bad_records:
        records = records.filter(lambda record: tf.strings.length(record) == row_bytes)
    rows = (records.batch(_PARSE_BATCH).map(decode, num_parallel_calls=tf.data.AUTOTUNE)
            .unbatch().apply(tf.data.experimental.assert_cardinality(info.n_rows)))

    def batches(batch_size: int, shuffle_buffer: int, seed: int):
        # Shuffle and batch the raw records, decode a batch at once: no per-row decoding.
        shuffled = records
        if shuffle_buffer > 1:
            shuffled = records.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
        return (shuffled.batch(batch_size, drop_remainder=True)
                .map(decode, num_parallel_calls=tf.data.AUTOTUNE).repeat()
                .prefetch(tf.data.AUTOTUNE))

    info.locate = lambda error: _locate(files, takes, row_bytes, error)
    info.batches = batches
    return register(rows, info)


def _locate(files, takes, row_bytes, error) -> str | None:
    """Read the shards again to find the record behind ``error``."""
    for file, rows in zip(files, takes):
        readable, wrong = _readable_records(file, rows, row_bytes)
        if readable < rows:
            offset = _offset_of_record(file, readable)
            return (f"{file}: record {readable} (0-based, at byte {offset}) is corrupt "
                    f"({_first_line(error)})")
        if wrong:
            return f"{file}: {wrong} records are not {row_bytes} bytes ({_first_line(error)})"
    return None


def _offset_of_record(path: Path, index: int) -> int:
    """Byte offset where record ``index`` of a shard starts (read from the framing)."""
    offset = 0
    with open(path, "rb") as handle:
        for _ in range(index):
            handle.seek(offset)
            (length,) = struct.unpack("<Q", handle.read(8))
            offset += _FRAME_BYTES + length
    return offset


def _first_line(error) -> str:
    """TensorFlow's message without its ``{{function_node ...}}`` and ``[Op:...]`` parts."""
    text = getattr(error, "message", None) or str(error)
    text = re.sub(r"\{\{[^}]*\}\}|\[Op:[^\]]*\]|name:\s*$", "", text.strip().splitlines()[0])
    return text.strip()[:200]
