"""Streaming in a run: ``data.streaming`` decides, the training rows are read lazily.

With streaming on, :class:`~vaekit.runner.inputs.PreparedData` holds a
``train_stream`` (every training row, read while training) and, for the
figures and the report, a bounded in-memory sample of each split
(:data:`SAMPLE_ROWS` rows). ``data.streaming: auto`` streams when the training
rows, as float32, would take more than :func:`memory_budget` bytes.
"""

from __future__ import annotations

import logging
import math
import os

import numpy as np

from vaekit.data import DataError

__all__ = ["SAMPLE_ROWS", "memory_budget", "prepare_streamed", "streamed_rounds",
           "wants_streaming"]

logger = logging.getLogger(__name__)

#: Rows of each split kept in memory for figures and the report when streaming.
SAMPLE_ROWS = 2_000
#: Data kinds whose training rows can be streamed.
STREAMABLE = ("tfds",)


def memory_budget() -> int:
    """Bytes the training rows may take in memory before ``auto`` streams: half the RAM."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2


def _tfds_bytes(options: dict) -> int | None:
    """Float32 bytes of a TFDS training split, from its metadata (None if unknown)."""
    from vaekit.data._tfds_open import import_tfds

    tfds = import_tfds()
    try:
        builder = tfds.builder(options["name"], data_dir=options.get("data_dir"))
        rows = builder.info.splits[options.get("split_train", "train")].num_examples
        shape = builder.info.features[options.get("image_key", "image")].shape
    except Exception:  # noqa: BLE001 - not prepared or unknown: load as usual, which explains
        return None
    if options.get("max_examples"):
        rows = min(rows, int(options["max_examples"]))
    size = options.get("image_size")
    if size is not None:
        shape = (*size, shape[-1] if len(shape) == 3 else 1)
    if any(d is None for d in shape):
        return None
    return 4 * rows * math.prod(shape)


def wants_streaming(pipeline) -> bool:
    """Whether the run streams its training rows (resolves ``data.streaming: auto``)."""
    data = pipeline.data
    if data.streaming is False:
        return False
    if data.kind not in STREAMABLE:
        if data.streaming is True:
            raise DataError(f"data.streaming: data kind {data.kind!r} cannot stream; kinds "
                            f"that can: {', '.join(STREAMABLE)} (or write the data to "
                            "TFRecord shards with `vaekit tfrecords` and train from Python)")
        return False
    if data.streaming is True:
        return True
    needed, budget = _tfds_bytes(data.options), memory_budget()
    if needed is not None and needed > budget:
        logger.info("data.streaming: auto streams: the training rows take %.1f GB as "
                    "float32, over the memory budget of %.1f GB.", needed / 1e9, budget / 1e9)
        return True
    return False


def _sample(dataset, rows: int) -> np.ndarray:
    return np.concatenate(list(dataset.take(rows).batch(512).as_numpy_iterator()))


def prepare_streamed(pipeline):
    """The run's data with the training rows streamed (see the module docstring).

    Parameters
    ----------
    pipeline : Pipeline

    Returns
    -------
    PreparedData
    """
    from vaekit.runner.inputs import PreparedData
    from vaekit.streaming.tfds_rows import tfds_rows

    if pipeline.finetune is not None:
        raise DataError(
            "data.streaming: the runner streams pretraining only; remove the finetune "
            "section, set data.streaming: false, or fine-tune from Python with "
            "vaekit.finetune(vae, stream, labelled=(x, y))")
    if pipeline.data.scale != "none":
        raise DataError("data.scale: scaling is fitted on loaded rows; with data.streaming "
                        "set it to none")
    options = pipeline.data.options
    common = {"data_dir": options.get("data_dir"), "image_key": options.get("image_key", "image"),
              "image_size": options.get("image_size"), "download": options.get("download", False),
              "max_examples": options.get("max_examples")}
    train = tfds_rows(options["name"], options.get("split_train", "train"), **common)
    x_train = _sample(train, SAMPLE_ROWS)
    x_test = y_test = None
    if options.get("split_test"):
        x_test = _sample(tfds_rows(options["name"], options["split_test"], **common),
                         SAMPLE_ROWS)
        y_test = np.full(len(x_test), -1, dtype=np.int64)
    if pipeline.pretrain.reconstruction == "bce" and (x_train.min() < 0 or x_train.max() > 1):
        raise DataError("model.reconstruction: 'bce' needs data in [0, 1]")
    source = f"TFDS {options['name']} (streamed)"
    return PreparedData(x_train, np.full(len(x_train), -1, dtype=np.int64), x_test, y_test,
                        None, source, train_stream=train)


def streamed_rounds(ctx, model, schedule, callbacks):
    """``train_round(round) -> logs`` training ``model`` on the run's stream, one round a call.

    Parameters
    ----------
    ctx : StageContext
    model : keras.Model
    schedule : Schedule
    callbacks : list

    Returns
    -------
    callable
    """
    from vaekit.streaming.bad_records import explain_stream_errors
    from vaekit.streaming.rows import as_row_stream, training_batches

    config, data = ctx.pipeline.pretrain, ctx.data
    stream = as_row_stream(data.train_stream)
    batches = training_batches(stream, config.batch_size, ctx.pipeline.seed)

    def train_round(round_index):
        with explain_stream_errors(data.train_stream):
            return model.fit(batches, epochs=round_index + 1, initial_epoch=round_index,
                             steps_per_epoch=schedule.steps_per_round, shuffle=False,
                             verbose=ctx.verbose, callbacks=callbacks).history
    return train_round
