"""Forward passes in fixed-size batches: what every inference method of vaekit runs."""

from __future__ import annotations

import math

import keras
import numpy as np

from vaekit._validation import check_positive_int

#: Most input values per forward pass (32 MB of float32), which keeps a conv
#: encoder's activations near half a GB.
PREDICT_BATCH_VALUES = 2**23
#: Rows per forward pass when they fit in PREDICT_BATCH_VALUES. Every pass has
#: exactly this many rows (the last one is padded): a matrix product may round
#: a row differently at another batch size or in the ragged tail of a batch, so
#: a fixed shape makes a row's output independent of the rows beside it (the
#: subset- and order-invariance that scikit-learn's checks ask for).
PREDICT_BATCH_ROWS = 1024


def predict_batches(model: keras.Model, x: np.ndarray, output: int | None = None,
                    batch_size: int | None = None):
    """Run ``model`` on ``x`` in batches and return NumPy; ``output`` picks one output.

    Calls the model directly (no :meth:`keras.Model.predict` loop), which
    costs no tracing and no data pipeline: the right trade for
    scikit-learn's many small calls, and faster than ``predict`` for large
    ones too (``bench/sklearn_overhead.py``). Every pass has the same number
    of rows, the last one padded with zeros, so a row's result does not
    depend on which other rows share its batch.

    Parameters
    ----------
    model : keras.Model
        Encoder, decoder or classifier.
    x : numpy.ndarray
        Validated float32 input.
    output : int or None, default=None
        Index of the output to keep when the model has several.
    batch_size : int or None, default=None
        Rows per forward pass; ``None``: :data:`PREDICT_BATCH_ROWS`, fewer when
        they would hold more than :data:`PREDICT_BATCH_VALUES` input values.

    Returns
    -------
    numpy.ndarray or tuple of numpy.ndarray
        One array per output when the model has several and ``output`` is None.
    """
    if batch_size is not None:
        batch_size = check_positive_int("batch_size", batch_size)
    else:
        fitting = PREDICT_BATCH_VALUES // max(1, math.prod(x.shape[1:]))
        batch_size = max(1, min(PREDICT_BATCH_ROWS, fitting))
    parts = []
    for begin in range(0, len(x), batch_size):
        chunk = x[begin:begin + batch_size]
        rows = len(chunk)
        if rows < batch_size:
            chunk = np.concatenate([chunk, np.zeros((batch_size - rows, *x.shape[1:]),
                                                    dtype=x.dtype)])
        result = model(chunk, training=False)
        if output is not None:
            result = result[output]
        if isinstance(result, (list, tuple)):
            parts.append([keras.ops.convert_to_numpy(r)[:rows] for r in result])
        else:
            parts.append(keras.ops.convert_to_numpy(result)[:rows])
    if isinstance(parts[0], list):
        return tuple(np.concatenate(column) for column in zip(*parts))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
