"""Data larger than memory: sources read lazily, and what training needs to use them.

* sources, each a ``tf.data.Dataset`` of float32 rows with a known length:
  :func:`tfrecord_dataset` (shards written by :func:`write_tfrecords`),
  :func:`image_folder_dataset`, :func:`parquet_dataset`, and :func:`open_source`
  picking one by path;
* bad records: a clear :class:`BadRecordError` naming the file and position, or
  ``skip_bad_records=True`` and :func:`skipped_records`;
* training: :mod:`vaekit.streaming.rows` (batches with a bounded shuffle buffer,
  bounded samples) used by :func:`vaekit.pretrain_vae` and :func:`vaekit.finetune`.

TensorFlow is imported by the functions that need it, not by this package.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use (PEP 562): `vaekit --help` imports this package's
# commands module, and must not pay for NumPy and the data loaders.
_PUBLIC = {
    "BadRecordError": "vaekit.streaming.bad_records",
    "skipped_records": "vaekit.streaming.bad_records",
    "image_folder_dataset": "vaekit.streaming.images",
    "parquet_dataset": "vaekit.streaming.parquet",
    "open_source": "vaekit.streaming.sources",
    "read_manifest": "vaekit.streaming.tfrecords",
    "tfrecord_dataset": "vaekit.streaming.tfrecords",
    "write_tfrecords": "vaekit.streaming.tfrecords",
}


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'vaekit.streaming' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_PUBLIC])


__all__ = [
    "BadRecordError",
    "image_folder_dataset",
    "open_source",
    "parquet_dataset",
    "read_manifest",
    "skipped_records",
    "tfrecord_dataset",
    "write_tfrecords",
]
