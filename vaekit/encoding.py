"""Feature extraction at scale: stream any source through an encoder into Parquet shards.

:func:`encode_to_parquet` (and ``vaekit encode``) reads a source a batch at a
time (:func:`vaekit.streaming.open_source`), runs the encoder in the fixed-size
batches every vaekit inference method uses (so a row's features equal
:meth:`vaekit.VAETransformer.transform`'s), and writes ``part-NNNNN.parquet``
files with a ``row_id`` column (the row's position in the source's order) and
one column per latent dimension (``z_0``, ...; ``log_var_0``, ... on request).
Each shard is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit.files import atomic_path

__all__ = ["FeatureLayout", "encode_to_parquet", "feature_layout", "load_encoder"]

logger = logging.getLogger(__name__)

#: Rows per Parquet shard by default.
SHARD_ROWS = 100_000


def load_encoder(model):
    """The encoder of a model, an estimator, or a saved ``.keras`` / pickled file.

    Parameters
    ----------
    model : keras.Model, estimator, str or path-like
        A :class:`vaekit.VAE`, :class:`vaekit.AutoEncoder` or
        :class:`vaekit.SemiSupervisedClassifier` (their ``encoder``), a fitted
        :class:`vaekit.VAETransformer` or :class:`vaekit.VAEClassifier`
        (``encoder_``), a bare encoder ``keras.Model``, or the path of a
        ``.keras`` file holding one of those models, or of a pickled estimator
        (``.pkl``; load pickles only from sources you trust).

    Returns
    -------
    keras.Model
        Rows to ``[z_mean, z_log_var]`` (VAE encoders) or to ``z``.
    """
    import keras

    import vaekit.models  # noqa: F401  (registers vaekit's classes for load_model)

    if isinstance(model, (str, os.PathLike)):
        path = Path(model)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such model file")
        if path.suffix == ".keras":
            model = keras.models.load_model(path, compile=False)
        elif path.suffix in (".pkl", ".pickle"):
            import pickle

            with open(path, "rb") as handle:
                model = pickle.load(handle)  # noqa: S301 - the user's own file, documented
        else:
            raise ValueError(f"{path}: expected a .keras model or a .pkl estimator file")
    encoder = getattr(model, "encoder_", None)
    if encoder is None and hasattr(model, "encoder") and isinstance(model, keras.Model):
        encoder = model.encoder
    if encoder is None and isinstance(model, keras.Model):
        encoder = model
    if not isinstance(encoder, keras.Model):
        raise TypeError("model must be a vaekit model, a fitted vaekit estimator, an encoder "
                        f"keras.Model or a saved one, got {type(model).__name__}.")
    return encoder


def _rows_of(source, *, skip_bad_records, image_size, color_mode, columns):
    """A dataset of rows from a path, a dataset or an array."""
    from vaekit.streaming.rows import is_dataset

    if isinstance(source, (str, os.PathLike)):
        from vaekit.streaming import open_source

        return open_source(source, skip_bad_records=skip_bad_records, image_size=image_size,
                           color_mode=color_mode, columns=columns)
    if is_dataset(source):
        return source
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices(np.asarray(source, dtype=np.float32))


@dataclass(frozen=True)
class FeatureLayout:
    """What encoding with one encoder gives: its input shape and its feature columns.

    Shared by :func:`encode_to_parquet` and :func:`vaekit.cluster.encode_with_dask`,
    so both write the same columns.

    Attributes
    ----------
    encoder : keras.Model
        The encoder.
    sample_shape : tuple of int
        Shape of one row the encoder takes.
    two_outputs : bool
        Whether the encoder returns ``[z_mean, z_log_var]`` (a VAE's).
    columns : list of str
        ``z_0, ...`` and, with ``log_var``, ``log_var_0, ...``.
    """

    encoder: object
    sample_shape: tuple[int, ...]
    two_outputs: bool
    columns: list[str]

    def fit_rows(self, rows: np.ndarray) -> np.ndarray:
        """``rows`` in the encoder's sample shape (flat rows are reshaped); else raise."""
        if rows.shape[1:] == self.sample_shape:
            return rows
        if math.prod(rows.shape[1:]) == math.prod(self.sample_shape):
            return rows.reshape(len(rows), *self.sample_shape)
        raise ValueError(f"the rows have shape {rows.shape[1:]}, but the encoder takes "
                         f"{self.sample_shape}.")

    def features(self, result, log_var: bool) -> np.ndarray:
        """The encoder's output for a batch as one float32 array in ``columns`` order."""
        z, z_log_var = result if self.two_outputs else (result, None)
        values = np.concatenate([z, z_log_var], axis=1) if log_var else z
        return values.astype(np.float32, copy=False)


def feature_layout(model, log_var: bool = False) -> FeatureLayout:
    """The encoder of ``model`` (see :func:`load_encoder`) and the features it gives.

    Parameters
    ----------
    model : keras.Model, estimator or path
        Anything :func:`load_encoder` takes.
    log_var : bool, default=False
        Also the posterior log-variances (VAE encoders only).

    Returns
    -------
    FeatureLayout
    """
    encoder = load_encoder(model)
    two_outputs = len(encoder.outputs) == 2
    if log_var and not two_outputs:
        raise ValueError("log_var=True needs a VAE encoder ([z_mean, z_log_var]); this "
                         "encoder has one output.")
    latent = int(encoder.outputs[0].shape[-1])
    columns = [f"z_{j}" for j in range(latent)]
    if log_var:
        columns += [f"log_var_{j}" for j in range(latent)]
    shape = tuple(int(d) for d in encoder.inputs[0].shape[1:])
    return FeatureLayout(encoder, shape, two_outputs, columns)


def encode_to_parquet(model, source, output: str | os.PathLike[str], *,
                      log_var: bool = False, shard_rows: int = SHARD_ROWS,
                      skip_bad_records: bool = False, image_size=None,
                      color_mode: str = "grayscale", columns=None) -> list[Path]:
    """Encode every row of ``source`` and write the latent means as Parquet shards.

    Parameters
    ----------
    model : keras.Model, estimator, str or path-like
        What holds the encoder (see :func:`load_encoder`).
    source : str, path-like, tf.data.Dataset or array-like
        The rows: a path read by :func:`vaekit.streaming.open_source` (TFRecord
        shards, an image folder, Parquet, ``.npy``), a dataset of rows, or an
        array. Rows whose size matches the encoder's input are reshaped to it
        (flat table rows for an image encoder, and back).
    output : str or path-like
        Folder of the shards (created); shards of an earlier run there are replaced.
    log_var : bool, default=False
        Also write the posterior log-variances (VAE encoders only).
    shard_rows : int, default=100000
        Rows per shard.
    skip_bad_records : bool, default=False
        Skip records of a path source that cannot be read (see
        :func:`vaekit.streaming.tfrecord_dataset`); ``row_id`` then counts
        the rows read.
    image_size, color_mode
        For image folders (see :func:`vaekit.streaming.image_folder_dataset`).
    columns : list of str, optional
        For Parquet sources: the feature columns.

    Returns
    -------
    list of pathlib.Path
        The shards, in row order.

    Examples
    --------
    >>> vaekit.encode_to_parquet("models/vae.keras", "data/shards", "features/")  # doctest: +SKIP
    >>> pandas.read_parquet("features/")                                          # doctest: +SKIP
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from vaekit.models._fixed_batches import PREDICT_BATCH_ROWS, predict_batches
    from vaekit.streaming.bad_records import explain_stream_errors

    if int(shard_rows) != shard_rows or shard_rows < 1:
        raise ValueError(f"shard_rows must be a positive integer, got {shard_rows!r}.")
    layout = feature_layout(model, log_var)
    dataset = _rows_of(source, skip_bad_records=skip_bad_records, image_size=image_size,
                       color_mode=color_mode, columns=columns)
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    for old in output.glob("part-*.parquet"):
        old.unlink()
    shards: list[Path] = []
    pending: list[pa.RecordBatch] = []
    pending_rows = row_id = 0

    def flush():
        nonlocal pending, pending_rows
        path = output / f"part-{len(shards):05d}.parquet"
        with atomic_path(path) as tmp:
            pq.write_table(pa.Table.from_batches(pending), tmp)
        shards.append(path)
        pending, pending_rows = [], 0

    with explain_stream_errors(dataset):
        for batch in dataset.batch(PREDICT_BATCH_ROWS).as_numpy_iterator():
            batch = layout.fit_rows(np.asarray(batch, dtype=np.float32))
            values = layout.features(predict_batches(layout.encoder, batch), log_var)
            arrays = {"row_id": np.arange(row_id, row_id + len(batch), dtype=np.int64)}
            arrays.update(zip(layout.columns, values.T))
            table = pa.RecordBatch.from_pydict(arrays)
            row_id += len(batch)
            while table.num_rows:
                room = shard_rows - pending_rows
                pending.append(table.slice(0, room))
                pending_rows += min(room, table.num_rows)
                table = table.slice(room)
                if pending_rows == shard_rows:
                    flush()
    if pending_rows or not shards:
        if not pending:
            raise ValueError("the source holds no rows; nothing to encode.")
        flush()
    logger.info("Encoded %d rows into %d shards in %s.", row_id, len(shards), output)
    return shards
