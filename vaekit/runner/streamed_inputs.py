"""Streaming in a run: ``data.streaming`` decides, the training rows are read lazily.

With streaming on, :class:`~vaekit.runner.inputs.PreparedData` holds a
``train_stream`` (every training row, read while training) and, for the
figures and the report, a bounded in-memory sample of each split
(:data:`SAMPLE_ROWS` rows). A run that fine-tunes also keeps the labelled rows
its label counts need (a bounded scan, :mod:`vaekit.runner.streamed_labels`)
and a ``test_stream`` of the whole labelled test split, scored in batches
(:mod:`vaekit.runner.streamed_scoring`). ``data.streaming: auto`` streams when the training
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


def _labels(pipeline, common: dict) -> tuple[str, list[str]]:
    """The label feature and class names a streamed fine-tuning run needs, or a DataError."""
    from vaekit.data._tfds_open import check_keys, open_split

    options = pipeline.data.options
    label_key = options.get("label_key", "label")
    split = options.get("split_train", "train")
    _, info = open_split(options["name"], split, common["data_dir"], common["download"])
    keys = check_keys(options["name"], info, common["image_key"])
    if label_key is None or label_key not in keys:
        raise DataError(
            f"TFDS {options['name']}: the training split has no labels (data.label_key: "
            f"{label_key!r}; features: {keys}), but the pipeline has a finetune section; "
            "remove it or set data.label_key to a class feature")
    names = getattr(info.features[label_key], "names", None)
    if not names:
        raise DataError(
            f"data.label_key: {label_key!r} of TFDS {options['name']} is not a class feature "
            "with named classes (tfds.features.ClassLabel); streamed fine-tuning needs one")
    return label_key, list(names)


def prepare_streamed(pipeline):
    """The run's data with the training rows streamed (see the module docstring).

    Without a ``finetune:`` section, ``x_train`` and ``x_test`` are the first
    :data:`SAMPLE_ROWS` rows of each split, unlabeled. With one, the labelled
    training rows come from a bounded scan of the training split
    (:func:`vaekit.runner.streamed_labels.scan_labelled`): the first rows of
    every class, as many as the largest label count needs, and the first
    :data:`SAMPLE_ROWS` other rows, unlabeled; ``test_stream`` is the whole
    labelled test split, which the evaluate stage streams through the models
    (``x_test``, ``y_test``: its first :data:`SAMPLE_ROWS` rows, for the
    figures and the baselines).

    Parameters
    ----------
    pipeline : Pipeline

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        If ``data.scale`` is not ``none`` (scaling is fitted on loaded rows),
        the training split has no class labels for a ``finetune:`` section,
        a class has fewer rows than a label count needs, or the test split is
        missing or empty when fine-tuning.
    """
    from vaekit.runner.inputs import PreparedData
    from vaekit.runner.streamed_labels import label_rows_needed, scan_labelled
    from vaekit.streaming.tfds_rows import tfds_rows

    if pipeline.data.scale != "none":
        raise DataError("data.scale: scaling is fitted on loaded rows; with data.streaming "
                        "set it to none")
    options = pipeline.data.options
    common = {"data_dir": options.get("data_dir"), "image_key": options.get("image_key", "image"),
              "image_size": options.get("image_size"), "download": options.get("download", False),
              "max_examples": options.get("max_examples")}
    split_train = options.get("split_train", "train")
    train = tfds_rows(options["name"], split_train, **common)
    source = f"TFDS {options['name']} (streamed)"
    class_names = test_stream = label_key = None
    if pipeline.finetune is None:
        x_train = _sample(train, SAMPLE_ROWS)
        y_train = np.full(len(x_train), -1, dtype=np.int64)
    else:
        label_key, class_names = _labels(pipeline, common)
        _check_label_totals(pipeline, len(class_names), source)
        x_train, y_train, _ = scan_labelled(
            tfds_rows(options["name"], split_train, label_key=label_key, **common),
            len(class_names), label_rows_needed(pipeline.finetune, len(class_names)),
            SAMPLE_ROWS, f"TFDS {options['name']}, split {split_train!r}", class_names)
    x_test = y_test = None
    if options.get("split_test") and pipeline.finetune is not None:
        test_stream = tfds_rows(options["name"], options["split_test"],
                                label_key=label_key, **common)
        x_test, y_test = _labelled_sample(test_stream, SAMPLE_ROWS)
        if len(x_test) == 0:
            raise DataError(f"{source}: the test split {options['split_test']!r} is empty; "
                            "there is nothing to score on")
    elif options.get("split_test"):
        x_test = _sample(tfds_rows(options["name"], options["split_test"], **common),
                         SAMPLE_ROWS)
        y_test = np.full(len(x_test), -1, dtype=np.int64)
    elif pipeline.finetune is not None:
        raise DataError(f"{source}: streamed fine-tuning is scored on a test split; set "
                        "data.split_test (holding out part of a stream is not supported)")
    if pipeline.pretrain.reconstruction == "bce" and (x_train.min() < 0 or x_train.max() > 1):
        raise DataError("model.reconstruction: 'bce' needs data in [0, 1]")
    data = PreparedData(x_train, y_train, x_test, y_test, class_names, source,
                        train_stream=train, test_stream=test_stream)
    if pipeline.finetune is not None and data.n_train < pipeline.finetune.config.batch_size:
        raise DataError(
            f"finetune.batch_size: {pipeline.finetune.config.batch_size} is more than the "
            f"{data.n_train} training rows of {source}; set it to at most {data.n_train}")
    return data


def _check_label_totals(pipeline, n_classes: int, source: str) -> None:
    key = "labels_per_class" if pipeline.finetune.labels_per_class is not None else "labels"
    for index, count in enumerate(pipeline.finetune.label_counts()):
        if count.n_labels is not None and count.n_labels < n_classes:
            raise DataError(
                f"finetune.{key}[{index}]: {count.n_labels} labels cannot cover the "
                f"{n_classes} classes of {source}; ask for at least {n_classes}")


def _labelled_sample(dataset, rows: int) -> tuple[np.ndarray, np.ndarray]:
    batches = list(dataset.take(rows).batch(512).as_numpy_iterator())
    if not batches:
        return np.empty((0,), np.float32), np.empty((0,), np.int64)
    return (np.concatenate([b[0] for b in batches]),
            np.concatenate([b[1] for b in batches]).astype(np.int64))


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
