"""The data side of a run: load, scale, hold out a test set, and check it all up front.

Everything here runs before any training, so a pipeline that asks for more labels
than the data has, or a loss that does not suit the data, fails in seconds with a
message naming the file and the setting to change.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from vaekit.data import DataError, DataSplits, labelled_subset
from vaekit.runner.schema import LabelCount, Pipeline

__all__ = ["PreparedData", "prepare_data"]


@dataclass
class PreparedData:
    """Arrays a run trains and evaluates on.

    Attributes
    ----------
    x_train, y_train : numpy.ndarray
        All training rows (pretraining uses every one) and their labels, ``-1``
        where unlabeled.
    x_test, y_test : numpy.ndarray or None
        Labelled test rows; None when the run does no fine-tuning and the data
        has no test split.
    class_names : list of str or None
        Name of each class index.
    source : str
        Where the data came from, for messages and the report.
    train_stream : tf.data.Dataset or None
        With ``data.streaming``: every training row, read lazily; ``x_train``
        and ``x_test`` then hold bounded samples (see
        :mod:`vaekit.runner.streamed_inputs`), and ``x_train`` also the
        labelled rows fine-tuning draws from.
    test_stream : tf.data.Dataset or None
        With ``data.streaming`` and fine-tuning: ``(row, label)`` pairs of the
        whole test split, which the evaluate stage scores in batches.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None
    class_names: list[str] | None
    source: str
    train_stream: Any = None
    test_stream: Any = None

    @property
    def n_train(self) -> int:
        """Training rows: the stream's, or ``x_train``'s."""
        if self.train_stream is not None:
            from vaekit.streaming.rows import as_row_stream

            return as_row_stream(self.train_stream).n_rows
        return len(self.x_train)

    @property
    def n_test(self) -> int:
        """Test rows: the test stream's, or ``x_test``'s (0 without a test set)."""
        if self.test_stream is not None:
            from vaekit.streaming.rows import as_row_stream

            return as_row_stream(self.test_stream, name="the test split").n_rows
        return int(len(self.x_test)) if self.x_test is not None else 0

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one sample."""
        return tuple(int(d) for d in self.x_train.shape[1:])

    @property
    def n_classes(self) -> int:
        """Number of classes (0 when there are no labels)."""
        if self.class_names is not None:
            return len(self.class_names)
        labels = [self.y_train] + ([self.y_test] if self.y_test is not None else [])
        return int(max(int(y.max()) for y in labels if y.size)) + 1

    def summary(self) -> dict:
        """Sizes and shapes, for metrics.json and the report."""
        return {
            "source": self.source,
            "input_shape": list(self.input_shape),
            "n_train": int(self.n_train),
            "n_train_labelled": int(np.sum(self.y_train >= 0)),
            "n_test": self.n_test,
            "n_classes": self.n_classes if np.any(self.y_train >= 0) else 0,
            "class_names": self.class_names,
        }

    def labelled_indices(self, count: LabelCount, seed: int) -> np.ndarray:
        """Training rows that keep their label for one label count and seed."""
        return labelled_subset(self.y_train, per_class=count.per_class,
                               n_labels=count.n_labels, seed=seed)


def _scale(splits: DataSplits, how: str) -> None:
    if how == "none":
        return
    x = splits.train.x
    axes = 0 if x.ndim == 2 else None  # per column for tables, over all pixels for images
    if how == "minmax":
        low, high = x.min(axis=axes), x.max(axis=axes)
        span = np.where(high > low, high - low, 1.0)
        transform = lambda a: np.clip((a - low) / span, 0.0, 1.0)  # noqa: E731
    else:
        mean, std = x.mean(axis=axes), x.std(axis=axes)
        transform = lambda a: (a - mean) / np.where(std > 0, std, 1.0)  # noqa: E731
    splits.train.x = transform(splits.train.x).astype(np.float32)
    if splits.test is not None:
        splits.test.x = transform(splits.test.x).astype(np.float32)


def _hold_out_test(x: np.ndarray, y: np.ndarray, test_size: float, seed: int, source: str):
    from sklearn.model_selection import train_test_split

    labelled = np.flatnonzero(y >= 0)
    try:
        _, test_rows = train_test_split(labelled, test_size=test_size, random_state=seed,
                                        stratify=y[labelled])
    except ValueError as err:
        raise DataError(
            f"{source}: cannot hold out evaluate.test_size={test_size} of the "
            f"{labelled.size} labelled rows as a stratified test set ({err}); give the "
            "loader a test split (e.g. test_path) or label more rows"
        ) from None
    keep = np.setdiff1d(np.arange(len(y)), test_rows)
    return x[keep], y[keep], x[test_rows], y[test_rows]


def _check_label_counts(data: PreparedData, pipeline: Pipeline) -> None:
    spec = pipeline.finetune
    labels = data.y_train[data.y_train >= 0]
    if labels.size == 0:
        raise DataError(
            f"{data.source}: the training split has no labels, but the pipeline has a "
            "finetune section; remove it or give the data a label column"
        )
    classes, counts = np.unique(labels, return_counts=True)
    key = "labels_per_class" if spec.labels_per_class is not None else "labels"
    for index, count in enumerate(spec.label_counts()):
        where = f"finetune.{key}[{index}]"
        if count.n_labels is not None and count.n_labels < classes.size:
            raise DataError(
                f"{where}: {count.n_labels} labels cannot cover the {classes.size} classes "
                f"of {data.source}; ask for at least {classes.size}"
            )
        wanted = (count.per_class if count.per_class is not None
                  else -(-count.n_labels // classes.size))
        short = np.flatnonzero(counts < wanted)
        if short.size:
            cls = int(classes[short[0]])
            name = data.class_names[cls] if data.class_names else str(cls)
            raise DataError(
                f"{where}: {count} needs {wanted} labelled training examples of class "
                f"{name!r}, but {data.source} has only {int(counts[short[0]])} "
                f"(after holding out the test set); the most this data allows is "
                f"{int(counts.min())} per class"
            )
    batch = spec.config.batch_size
    if len(data.x_train) < batch:
        raise DataError(
            f"finetune.batch_size: {batch} is more than the {len(data.x_train)} training "
            f"rows of {data.source}; set it to at most {len(data.x_train)}"
        )


def prepare_data(pipeline: Pipeline) -> PreparedData:
    """Load the pipeline's data and check it against the pipeline before training.

    Parameters
    ----------
    pipeline : Pipeline
        The validated pipeline.

    Returns
    -------
    PreparedData

    Raises
    ------
    DataError
        If the loader rejects the data, the reconstruction loss does not suit its
        range, or fine-tuning asks for more labels (or a larger batch) than the
        data has.
    """
    from vaekit.data import load
    from vaekit.runner.streamed_inputs import prepare_streamed, wants_streaming

    if wants_streaming(pipeline):
        return prepare_streamed(pipeline)
    splits = load(pipeline.data.kind, **pipeline.data.options)
    _scale(splits, pipeline.data.scale)
    train = splits.train
    source = train.source or pipeline.data.kind
    if len(train) == 0:
        raise DataError(f"{source}: the training split is empty")
    x_train, y_train = train.x, train.y
    x_test = y_test = None
    if splits.test is not None:
        keep = splits.test.y >= 0
        x_test, y_test = splits.test.x[keep], splits.test.y[keep]
        if pipeline.finetune is not None and not keep.any():
            raise DataError(f"{source}: the test split has no labelled rows to score on")
    elif pipeline.finetune is not None and np.any(y_train >= 0):
        x_train, y_train, x_test, y_test = _hold_out_test(
            x_train, y_train, pipeline.evaluate.test_size, pipeline.seed, source)
    low, high = float(x_train.min()), float(x_train.max())
    if pipeline.pretrain.reconstruction == "bce" and (low < 0.0 or high > 1.0):
        raise DataError(
            f"model.reconstruction: 'bce' needs data in [0, 1], but {source} has values in "
            f"[{low:.4g}, {high:.4g}]; set data.scale: minmax, or model.reconstruction: mse"
        )
    data = PreparedData(x_train, y_train, x_test, y_test, train.class_names, source)
    if pipeline.finetune is not None:
        _check_label_counts(data, pipeline)
    return data
