"""Encode on a cluster: a saved vaekit encoder mapped over a dask collection.

For data that needs more than one machine, :func:`encode_with_dask` turns a
dask array or DataFrame of rows into a dask DataFrame of latent features, the
same columns :func:`vaekit.encode_to_parquet` writes (``z_0``, ...; and
``log_var_0``, ... on request). Nothing runs until the result is computed or
written (``.to_parquet("features/")``), on whatever dask scheduler is active:
a :class:`dask.distributed.Client` of a ``LocalCluster``, a Kubernetes, YARN,
SLURM or Coiled cluster, or dask's local threads.

The encoder travels once: it is one node of the task graph (the ``.keras``
archive as bytes), which each dask worker fetches and loads once and keeps;
every partition is then encoded in the fixed-size batches of all vaekit
inference, so a row's features equal :meth:`vaekit.VAETransformer.transform`'s
whatever partition it falls in. dask is an optional dependency: install the
``cluster`` extra (``pip install "vaekit[cluster]"``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading

import numpy as np

__all__ = ["encode_with_dask"]

_LOADED: dict[str, object] = {}
_LOADING = threading.Lock()


def _dask():
    try:
        import dask
        import dask.array
        import dask.dataframe
    except ImportError as err:
        raise ImportError(
            "vaekit.cluster needs dask (with dask.dataframe): pip install "
            f"'vaekit[cluster]' ({err})."
        ) from None
    return dask


def encode_with_dask(model, data, *, log_var: bool = False, columns=None):
    """Latent features of every row of a dask collection, computed on the cluster.

    Parameters
    ----------
    model : keras.Model, estimator, str or path-like
        What holds the encoder: a vaekit model, a fitted
        :class:`~vaekit.estimators.VAETransformer` or
        :class:`~vaekit.estimators.VAEClassifier`, or a saved ``.keras`` /
        pickled file (see :func:`vaekit.encoding.load_encoder`). Loaded here,
        on the client; workers get it through the task graph, so they need
        vaekit installed but no access to the file.
    data : dask.array.Array or dask.dataframe.DataFrame
        The rows: an array of shape ``(n, *features)`` chunked along rows
        only, or a DataFrame of numeric feature columns. Rows whose size
        matches the encoder's input are reshaped to it (flat rows for an
        image encoder).
    log_var : bool, default=False
        Also return the posterior log-variances (VAE encoders only).
    columns : list of str, optional
        DataFrame input only: the feature columns; default all columns.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy; columns ``z_0 ...`` (then ``log_var_0 ...``), float32. The index
        is the DataFrame's own, or the row's position for an array.

    Raises
    ------
    ImportError
        If dask is not installed (the message names the extra).
    TypeError
        If ``data`` is not a dask array or DataFrame.

    Examples
    --------
    >>> from dask.distributed import Client, LocalCluster          # doctest: +SKIP
    >>> import dask.dataframe as dd                               # doctest: +SKIP
    >>> client = Client(LocalCluster(n_workers=4))                # doctest: +SKIP
    >>> rows = dd.read_parquet("data/rows/")                      # doctest: +SKIP
    >>> features = encode_with_dask("models/vae.keras", rows)     # doctest: +SKIP
    >>> features.to_parquet("features/")                          # doctest: +SKIP
    """
    dask = _dask()
    import pandas as pd

    from vaekit.encoding import feature_layout

    layout = feature_layout(model, log_var)
    names = layout.columns
    meta = pd.DataFrame({name: np.empty(0, dtype=np.float32) for name in names})
    archive = dask.delayed(_archive(layout.encoder), pure=True)
    if isinstance(data, dask.dataframe.DataFrame):
        if columns is not None:
            data = data[list(columns)]
        parts = data.to_delayed()
    elif isinstance(data, dask.array.Array):
        if data.ndim < 2 or len(data.chunks[0]) == 0:
            raise ValueError(f"data must be rows, shape (n, *features); got {data.shape}.")
        data = data.rechunk({axis: -1 for axis in range(1, data.ndim)})
        offsets = np.concatenate([[0], np.cumsum(data.chunks[0])]).tolist()
        parts = [dask.delayed(_with_positions)(block, start)
                 for block, start in zip(data.to_delayed().ravel(), offsets)]
    else:
        raise TypeError("data must be a dask.array.Array or dask.dataframe.DataFrame, got "
                        f"{type(data).__name__}; wrap NumPy or pandas data with "
                        "dask.array.from_array or dask.dataframe.from_pandas.")
    # The layout travels without its encoder: the workers load theirs from the archive.
    plain = dataclasses.replace(layout, encoder=None)
    encoded = [dask.delayed(_encode_part)(part, archive, plain, log_var) for part in parts]
    return dask.dataframe.from_delayed(encoded, meta=meta, verify_meta=False)


def _archive(encoder) -> bytes:
    """The encoder as ``.keras`` bytes (weights and architecture, no optimizer)."""
    from vaekit.keras_files import model_to_bytes

    return model_to_bytes(encoder)


def _loaded(archive: bytes):
    """The encoder of ``archive``, loaded once per process and kept."""
    key = hashlib.sha256(archive).hexdigest()
    with _LOADING:
        if key not in _LOADED:
            from vaekit.keras_files import model_from_bytes

            _LOADED[key] = model_from_bytes(archive, source="the encoder sent by vaekit.cluster")
        return _LOADED[key]


def _with_positions(block: np.ndarray, start: int):
    """An array block with the global positions of its rows, as the partition's index."""
    return np.asarray(block), np.arange(start, start + len(block), dtype=np.int64)


def _encode_part(part, archive: bytes, layout, log_var: bool):
    """Encode one partition (a pandas DataFrame, or an array block and its positions)."""
    import pandas as pd

    from vaekit.models._fixed_batches import predict_batches

    if isinstance(part, tuple):
        rows, index = part
    else:
        rows, index = part.to_numpy(dtype=np.float32), part.index
    rows = layout.fit_rows(np.asarray(rows, dtype=np.float32))
    if len(rows) == 0:
        return pd.DataFrame({n: np.empty(0, np.float32) for n in layout.columns}, index=index)
    values = layout.features(predict_batches(_loaded(archive), rows), log_var)
    return pd.DataFrame(values, columns=layout.columns, index=index)
