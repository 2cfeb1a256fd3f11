"""Batched forward passes for ``transform``, ``predict_proba`` and friends."""

from __future__ import annotations

import math

import keras
import numpy as np

#: Input values per forward pass in ``transform``, ``predict_proba`` and friends
#: (32 MB of float32): 10,700 MNIST rows, 131,072 rows of 64 features. Each
#: extra batch costs about 2 % on a CPU (``bench/sklearn_overhead.py``); the
#: bound keeps a conv encoder's activations near half a GB.
PREDICT_BATCH_VALUES = 2**23


def predict_batches(model: keras.Model, x: np.ndarray, output: int | None = None,
                    batch_size: int | None = None) -> np.ndarray:
    """Run ``model`` on ``x`` in batches and return NumPy; ``output`` picks one output.

    Calls the model directly (no :meth:`keras.Model.predict` loop), which
    costs no tracing and no data pipeline: the right trade for
    scikit-learn's many small calls, and faster than ``predict`` for large
    ones too (``bench/sklearn_overhead.py``).

    Parameters
    ----------
    model : keras.Model
        Encoder, decoder or classifier.
    x : numpy.ndarray
        Validated float32 input.
    output : int or None, default=None
        Index of the output to keep when the model has several.
    batch_size : int or None, default=None
        Rows per forward pass; ``None`` fits :data:`PREDICT_BATCH_VALUES` input
        values in each.

    Returns
    -------
    numpy.ndarray
    """
    if batch_size is None:
        batch_size = max(1, PREDICT_BATCH_VALUES // max(1, math.prod(x.shape[1:])))
    parts = []
    for start in range(0, len(x), batch_size):
        result = model(x[start:start + batch_size], training=False)
        if output is not None:
            result = result[output]
        parts.append(keras.ops.convert_to_numpy(result))
    return parts[0] if len(parts) == 1 else np.concatenate(parts)
