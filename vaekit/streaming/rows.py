"""Training data as a stream of rows: checks, batching and bounded samples.

The training functions (:func:`vaekit.pretrain_vae`, :func:`vaekit.finetune`,
:func:`vaekit.pretrain_then_finetune`) take in-memory arrays or a
``tf.data.Dataset`` of rows. This module turns such a dataset into a
:class:`RowStream` (rows of one fixed shape, float32, with a known number of
rows per pass), cuts it into training batches with a bounded shuffle buffer and
prefetching, and draws bounded uniform samples for the steps that need rows in
memory (label propagation).
"""

from __future__ import annotations

import logging
import math
import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["DEFAULT_SHUFFLE_BYTES", "RowStream", "as_row_stream", "is_dataset",
           "sample_rows", "shuffle_buffer_rows", "training_batches"]

logger = logging.getLogger(__name__)

#: Bytes the shuffle buffer of a stream may hold by default (256 MB).
DEFAULT_SHUFFLE_BYTES = 256 * 2**20
#: Most rows a shuffle buffer holds by default.
DEFAULT_SHUFFLE_ROWS = 10_000


def is_dataset(x) -> bool:
    """True when ``x`` is a ``tf.data.Dataset`` (without importing TensorFlow otherwise)."""
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return isinstance(x, tf.data.Dataset)


@dataclass
class RowStream:
    """A ``tf.data.Dataset`` of float32 rows of one shape, and its length.

    Attributes
    ----------
    dataset : tf.data.Dataset
        Unbatched float32 rows.
    n_rows : int
        Rows in one pass.
    sample_shape : tuple of int
        Shape of one row.
    source : object
        The dataset the user passed (for error messages of vaekit sources).
    """

    dataset: Any
    n_rows: int
    sample_shape: tuple[int, ...]
    source: Any

    def __len__(self) -> int:
        return self.n_rows


def as_row_stream(x, n_rows: int | None = None, name: str = "x") -> RowStream:
    """Check a ``tf.data.Dataset`` of training rows and learn its length.

    Elements may be a tensor (a row), or a tuple whose first item is the row
    (labels are ignored). A dataset of batches (leading dimension ``None``) is
    unbatched, with a log line.

    Parameters
    ----------
    x : tf.data.Dataset
        The rows.
    n_rows : int, optional
        Rows in one pass. Needed when TensorFlow cannot tell the dataset's
        length (``cardinality`` unknown, e.g. after ``filter``, or infinite
        after ``repeat``); when both are known they must agree.
    name : str, default="x"
        Argument name for messages.

    Returns
    -------
    RowStream
    """
    import tensorflow as tf

    dataset = x
    spec = dataset.element_spec
    if isinstance(spec, (tuple, list)):
        dataset = dataset.map(lambda *items: items[0])
        spec = spec[0]
    if isinstance(spec, dict):
        raise TypeError(
            f"{name} is a dataset of dicts ({sorted(spec)}); map it to the rows, e.g. "
            "dataset.map(lambda example: example['image'])."
        )
    if not isinstance(spec, tf.TensorSpec):
        raise TypeError(f"{name} must be a dataset of tensors, got elements {spec}.")
    shape = spec.shape
    if shape.rank is None or shape.rank == 0:
        raise ValueError(f"{name} must hold rows of a known shape, got element shape {shape}.")
    batched = shape[0] is None and shape.rank >= 2
    if batched:
        logger.info("%s holds batches (element shape %s): unbatched into rows.", name, shape)
        dataset, shape = dataset.unbatch(), shape[1:]
    if not shape.is_fully_defined():
        raise ValueError(
            f"{name}'s rows must all have one known shape, got {shape}; resize or pad them "
            "in the dataset (e.g. tf.image.resize) or use tf.ensure_shape.")
    known = _known_rows(x, batched)
    if n_rows is not None:
        if int(n_rows) != n_rows or n_rows < 1:
            raise ValueError(f"n_rows must be a positive integer, got {n_rows!r}.")
        n_rows = int(n_rows)
        if known is not None and known != n_rows:
            raise ValueError(f"n_rows={n_rows} but {name} holds {known} rows; drop n_rows or "
                             "correct it.")
    elif known is None:
        raise ValueError(
            f"{name} is a tf.data.Dataset whose length TensorFlow cannot tell (cardinality "
            f"{_cardinality_text(x)}), and the training schedule needs the rows of one pass; "
            "pass n_rows=<rows in one pass>, or make the length known "
            "(dataset.apply(tf.data.experimental.assert_cardinality(n)))."
        )
    else:
        n_rows = known
    if spec.dtype != tf.float32:
        dataset = dataset.map(lambda row: tf.cast(row, tf.float32),
                              num_parallel_calls=tf.data.AUTOTUNE)
    return RowStream(dataset, n_rows, tuple(int(d) for d in shape), x)


def _known_rows(dataset, batched: bool) -> int | None:
    from vaekit.streaming.bad_records import stream_info

    info = stream_info(dataset)
    if info is not None and info.n_rows is not None:
        return info.n_rows
    cardinality = int(dataset.cardinality())
    if cardinality < 0 or batched:
        return None
    return cardinality


def _cardinality_text(dataset) -> str:
    import tensorflow as tf

    value = int(dataset.cardinality())
    return {int(tf.data.INFINITE_CARDINALITY): "infinite",
            int(tf.data.UNKNOWN_CARDINALITY): "unknown"}.get(value, str(value))


def shuffle_buffer_rows(sample_shape, shuffle_buffer: int | None = None) -> int:
    """Rows of the shuffle buffer: ``shuffle_buffer``, or what fits in 256 MB (at most 10,000).

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one row (float32).
    shuffle_buffer : int, optional
        Rows asked for; 0 turns shuffling off.

    Returns
    -------
    int
    """
    if shuffle_buffer is not None:
        if int(shuffle_buffer) != shuffle_buffer or shuffle_buffer < 0:
            raise ValueError(f"shuffle_buffer must be an integer >= 0, got {shuffle_buffer!r}.")
        return int(shuffle_buffer)
    row_bytes = 4 * math.prod(sample_shape)
    return max(1, min(DEFAULT_SHUFFLE_ROWS, DEFAULT_SHUFFLE_BYTES // row_bytes))


def training_batches(stream: RowStream, batch_size: int, seed: int,
                     shuffle_buffer: int | None = None):
    """Endless shuffled batches of ``batch_size`` rows; ``n_rows // batch_size`` make a pass.

    Parameters
    ----------
    stream : RowStream
        The rows.
    batch_size : int
        Rows per batch (the last, incomplete batch of a pass is dropped).
    seed : int
        Seed of the shuffle.
    shuffle_buffer : int, optional
        Rows in the shuffle buffer (see :func:`shuffle_buffer_rows`).

    Returns
    -------
    tf.data.Dataset
        Repeated, prefetched batches.
    """
    import tensorflow as tf

    from vaekit.streaming.bad_records import stream_info

    dataset = stream.dataset
    buffer = shuffle_buffer_rows(stream.sample_shape, shuffle_buffer)
    batch = min(int(batch_size), stream.n_rows)
    info = stream_info(stream.source)
    if info is not None and info.batches is not None and dataset is stream.source:
        return info.batches(batch, buffer, seed)
    if buffer > 1:
        dataset = dataset.shuffle(buffer, seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch, drop_remainder=True).repeat().prefetch(tf.data.AUTOTUNE)


def sample_rows(x, max_rows: int, seed: int, always=None) -> tuple[np.ndarray, np.ndarray | None]:
    """A uniform sample of at most ``max_rows`` rows of an array or a stream, in memory.

    Parameters
    ----------
    x : numpy.ndarray or RowStream
        The rows.
    max_rows : int
        Most rows of the sample (including ``always``).
    seed : int
        Seed of the draw.
    always : numpy.ndarray, optional
        Indices of array rows that are always in the sample (the labelled rows
        of label propagation); arrays only.

    Returns
    -------
    rows : numpy.ndarray
        The sampled rows; for an array they keep the array's order.
    index : numpy.ndarray or None
        Their indices in the array, ``always`` first; None for a stream
        (reservoir sampling over one pass, which keeps no positions).
    """
    rng = np.random.default_rng([seed, 11])
    if isinstance(x, RowStream):
        return _reservoir(x, max_rows, rng), None
    always = np.asarray([] if always is None else always, dtype=np.int64)
    if len(x) <= max_rows:
        index = np.concatenate([always, np.setdiff1d(np.arange(len(x)), always)])
        return x[index], index
    others = np.setdiff1d(np.arange(len(x)), always)
    extra = rng.choice(others, max(0, max_rows - len(always)), replace=False)
    index = np.concatenate([always, np.sort(extra)])
    return x[index], index


def _reservoir(stream: RowStream, size: int, rng: np.random.Generator) -> np.ndarray:
    """Algorithm R over one pass, a batch at a time: ``size`` rows, each equally likely."""
    from vaekit.streaming.bad_records import explain_stream_errors

    with explain_stream_errors(stream.source):
        return _reservoir_pass(stream, size, rng)


def _reservoir_pass(stream: RowStream, size: int, rng: np.random.Generator) -> np.ndarray:
    reservoir = np.empty((size, *stream.sample_shape), dtype=np.float32)
    seen = 0
    for batch in stream.dataset.batch(1024).as_numpy_iterator():
        take = min(len(batch), max(0, size - seen))
        reservoir[seen:seen + take] = batch[:take]
        rest = batch[take:]
        if len(rest):
            positions = seen + take + np.arange(len(rest))
            slots = (rng.random(len(rest)) * (positions + 1)).astype(np.int64)
            keep = slots < size
            # Later rows of the batch overwrite earlier ones in the same slot, as in Algorithm R.
            reservoir[slots[keep]] = rest[keep]
        seen += len(batch)
    return reservoir[:min(size, seen)]
