"""Any supported source by its path: TFRecord shards, an image folder, Parquet, ``.npy``."""

from __future__ import annotations

import os
from pathlib import Path

from vaekit.data.errors import DataError

__all__ = ["open_source"]


def open_source(path: str | os.PathLike[str], *, skip_bad_records: bool = False,
                image_size=None, color_mode: str = "grayscale", columns=None):
    """A ``tf.data.Dataset`` of float32 rows, read lazily from ``path``, in a fixed order.

    What ``path`` is decides the reader:

    * a folder with ``vaekit-tfrecords.json``, or a ``*.tfrecord`` pattern:
      :func:`~vaekit.streaming.tfrecord_dataset`;
    * a folder of ``.parquet`` files, a ``.parquet`` file or pattern:
      :func:`~vaekit.streaming.parquet_dataset` (``columns`` picks the features);
    * a ``.npy`` file: memory-mapped, read a slice at a time;
    * any other folder: :func:`~vaekit.streaming.image_folder_dataset`.

    Parameters
    ----------
    path : str or path-like
        The source.
    skip_bad_records : bool, default=False
        Skip unreadable records (TFRecords, images) instead of failing.
    image_size, color_mode
        Image folders only (see :func:`~vaekit.streaming.image_folder_dataset`).
    columns : list of str, optional
        Parquet only: the feature columns.

    Returns
    -------
    tf.data.Dataset
    """
    from vaekit.streaming.images import image_folder_dataset
    from vaekit.streaming.parquet import parquet_dataset
    from vaekit.streaming.tfrecords import MANIFEST, tfrecord_dataset

    text = os.fspath(path)
    folder = Path(text)
    if text.endswith(".tfrecord") or (folder.is_dir() and (folder / MANIFEST).is_file()):
        return tfrecord_dataset(text, skip_bad_records=skip_bad_records)
    if text.endswith(".parquet") or (folder.is_dir() and any(folder.glob("*.parquet"))):
        return parquet_dataset(text, columns)
    if text.endswith(".npy"):
        return _npy_dataset(folder)
    if folder.is_dir():
        return image_folder_dataset(folder, image_size=image_size, color_mode=color_mode,
                                    skip_bad_records=skip_bad_records)
    raise DataError(f"{text}: not a supported source (a TFRecord folder or *.tfrecord "
                    "pattern, Parquet files, a .npy file, or an image folder)")


def _npy_dataset(path: Path):
    import numpy as np
    import tensorflow as tf

    from vaekit.streaming.bad_records import StreamInfo, register

    if not path.is_file():
        raise DataError(f"{path}: no such file")
    rows = np.load(path, mmap_mode="r")
    step = 4096

    def generate():
        for begin in range(0, len(rows), step):
            yield np.asarray(rows[begin:begin + step], dtype=np.float32)

    dataset = tf.data.Dataset.from_generator(
        generate, output_signature=tf.TensorSpec((None, *rows.shape[1:]), tf.float32))
    dataset = dataset.unbatch().apply(tf.data.experimental.assert_cardinality(len(rows)))
    return register(dataset, StreamInfo(f"NumPy file {path}", "open_source", len(rows)))
