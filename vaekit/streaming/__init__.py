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

from vaekit.streaming.bad_records import BadRecordError, skipped_records
from vaekit.streaming.images import image_folder_dataset
from vaekit.streaming.parquet import parquet_dataset
from vaekit.streaming.sources import open_source
from vaekit.streaming.tfrecords import read_manifest, tfrecord_dataset, write_tfrecords

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
