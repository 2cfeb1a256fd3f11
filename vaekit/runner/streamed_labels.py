"""The labelled rows of a streamed run: a bounded scan of the labelled training stream.

Fine-tuning needs few labelled rows, in memory, and every unlabeled row, streamed.
:func:`scan_labelled` reads the training split in file order, keeps the first
``per_class`` rows of every class (the most that any label count of the pipeline
asks for) and, beside them, the first rows that are not kept as labelled, with
their labels hidden, as the bounded unlabeled sample for the figures, the probes
and the baselines. It stops as soon as both are full, so it reads only as far as
the rarest class needs.

The labelled subset of each (label count, seed) is then drawn, seeded, from the
kept rows (:meth:`vaekit.runner.inputs.PreparedData.labelled_indices`), as in an
in-memory run. At the largest label count every row kept is used, so its seeds
differ in training (initialisation, batches) but not in which rows are labelled.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from vaekit.data import DataError

__all__ = ["label_rows_needed", "scan_labelled"]

logger = logging.getLogger(__name__)

#: Rows read from the stream at a time while scanning.
_SCAN_BATCH = 512


def label_rows_needed(finetune, n_classes: int) -> int:
    """Labelled rows of each class that the largest label count of ``finetune`` needs.

    Parameters
    ----------
    finetune : FinetuneSpec
        The pipeline's ``finetune:`` section.
    n_classes : int
        Classes of the data.

    Returns
    -------
    int
        ``max(per_class)``, or ``ceil(n_labels / n_classes)`` for counts given
        as a total (:func:`vaekit.data.labelled_subset` gives the first classes
        one row more than the others).
    """
    return max(count.per_class if count.per_class is not None
               else math.ceil(count.n_labels / n_classes)
               for count in finetune.label_counts())


def scan_labelled(dataset, n_classes: int, per_class: int, sample_rows: int, source: str,
                  class_names: list[str] | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Read ``dataset`` until every class has ``per_class`` rows and the sample is full.

    Parameters
    ----------
    dataset : tf.data.Dataset
        ``(row, label)`` pairs of the training split, in file order.
    n_classes : int
        Classes; labels are ``0 .. n_classes - 1``.
    per_class : int
        Labelled rows to keep of every class.
    sample_rows : int
        Unlabeled rows to keep beside them (the first ones not kept as labelled).
    source : str
        The data, for messages.
    class_names : list of str, optional
        Names of the classes, for messages.

    Returns
    -------
    x : numpy.ndarray
        The kept rows (float32), labelled and sampled, in stream order.
    y : numpy.ndarray
        Their classes, ``-1`` for the sampled rows.
    scanned : int
        Rows read.

    Raises
    ------
    DataError
        If the stream ends before every class has ``per_class`` rows; the
        message names the classes that fell short and the most the data allows.
    """
    from vaekit.streaming.bad_records import explain_stream_errors

    counts = np.zeros(n_classes, dtype=np.int64)
    rows, labels = [], []
    n_sampled = scanned = 0
    with explain_stream_errors(dataset):
        for x_batch, y_batch in dataset.batch(_SCAN_BATCH).as_numpy_iterator():
            for row, label in zip(x_batch, y_batch.astype(np.int64)):
                scanned += 1
                if 0 <= label < n_classes and counts[label] < per_class:
                    counts[label] += 1
                    rows.append(row)
                    labels.append(int(label))
                elif n_sampled < sample_rows:
                    n_sampled += 1
                    rows.append(row)
                    labels.append(-1)
                if n_sampled >= sample_rows and counts.min() >= per_class:
                    break
            else:
                continue
            break
    short = np.flatnonzero(counts < per_class)
    if short.size:
        names = [class_names[c] if class_names else str(c) for c in short[:5]]
        raise DataError(
            f"finetune: the largest label count needs {per_class} labelled training rows of "
            f"every class, but all {scanned} rows of {source} hold only "
            f"{', '.join(f'{n!r}: {int(counts[c])}' for n, c in zip(names, short))}"
            f"{' ...' if short.size > 5 else ''}; the most this data allows is "
            f"{int(counts.min())} per class")
    logger.info("data.streaming: %d labelled rows (%d per class) and %d unlabeled sample rows "
                "kept in memory after reading %d rows of %s.", int(counts.sum()), per_class,
                n_sampled, scanned, source)
    x = np.stack(rows).astype(np.float32) if rows else np.empty((0,), np.float32)
    return x, np.asarray(labels, dtype=np.int64), scanned
