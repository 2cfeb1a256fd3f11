"""Bad records in a stream: what each vaekit source knows about its own files.

A ``tf.data`` error raised deep inside ``fit`` names an offset or an op, not a
file. Every dataset made by :mod:`vaekit.streaming` registers a
:class:`StreamInfo` here (keyed by the dataset object, weakly), so that the
training functions can turn such an error into a :class:`BadRecordError` that
names the file and the position (:func:`explain_stream_errors`), and so that a
user can ask how many records a skipping stream left out
(:func:`skipped_records`).
"""

from __future__ import annotations

import contextlib
import logging
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from vaekit.data.errors import DataError

__all__ = ["BadRecordError", "StreamInfo", "explain_stream_errors", "skipped_records",
           "stream_info"]

logger = logging.getLogger(__name__)

_INFO: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class BadRecordError(DataError):
    """A record of a stream cannot be read; the message names the file and the position."""


@dataclass
class StreamInfo:
    """What a vaekit source knows about the dataset it made.

    Attributes
    ----------
    description : str
        The source, for messages (``"TFRecord shards data/*.tfrecord"``).
    reader : str
        The function that made the dataset (named in error messages).
    n_rows : int or None
        Rows in one pass, when known without reading the data.
    locate : callable or None
        ``locate(error) -> str or None``: reads the files again to find the
        record behind a ``tf.data`` error; the message it returns names the
        file and the position.
    skipped : int
        Records left out so far (``skip_bad_records=True`` only).
    failure : str or None
        The message of a bad record that a Python-side reader found (it
        reaches the training loop through TensorFlow, which rewraps it).
    batches : callable or None
        ``batches(batch_size, shuffle_buffer, seed)``: endless shuffled
        training batches built the source's fastest way (TFRecords shuffle
        and batch the raw records, then decode a whole batch at once); used by
        :func:`vaekit.streaming.rows.training_batches` when the dataset is
        passed unchanged.
    """

    description: str
    reader: str
    n_rows: int | None = None
    locate: Callable | None = None
    skipped: int = 0
    failure: str | None = None
    batches: Callable | None = None

    def record_skip(self, where: str, reason: str) -> None:
        """Count one skipped record and log where it was."""
        self.skipped += 1
        logger.warning("%s: skipped a bad record at %s (%s); %d skipped so far.",
                       self.description, where, reason, self.skipped)


def register(dataset, info: StreamInfo):
    """Attach ``info`` to ``dataset`` and return the dataset."""
    _INFO[dataset] = info
    return dataset


def stream_info(dataset) -> StreamInfo | None:
    """The :class:`StreamInfo` of a dataset made by :mod:`vaekit.streaming`, or None."""
    try:
        return _INFO.get(dataset)
    except TypeError:  # not weak-referenceable: not one of ours
        return None


def skipped_records(dataset) -> int:
    """How many bad records a stream made with ``skip_bad_records=True`` left out so far.

    Parameters
    ----------
    dataset : tf.data.Dataset
        Made by :func:`~vaekit.streaming.tfrecord_dataset`,
        :func:`~vaekit.streaming.image_folder_dataset` or
        :func:`~vaekit.streaming.parquet_dataset`.

    Returns
    -------
    int
    """
    info = stream_info(dataset)
    if info is None:
        raise TypeError("skipped_records takes a dataset made by vaekit.streaming, got "
                        f"{type(dataset).__name__}.")
    return info.skipped


@contextlib.contextmanager
def explain_stream_errors(dataset) -> Iterator[None]:
    """Re-raise a ``tf.data`` read or decode error of ``dataset`` naming file and position.

    Parameters
    ----------
    dataset : object
        What the user passed as training data; only datasets made by
        :mod:`vaekit.streaming` can be explained, other errors pass unchanged.
    """
    info = stream_info(dataset)
    if info is None:
        yield
        return
    import tensorflow as tf

    try:
        yield
    except tf.errors.OpError as error:
        where = info.failure or (info.locate(error) if info.locate else None)
        if where is None:
            raise
        if info.failure:
            raise BadRecordError(where) from error
        raise BadRecordError(
            f"{where}; fix or remove the file, or pass skip_bad_records=True to "
            f"{info.reader} to skip bad records"
        ) from error
