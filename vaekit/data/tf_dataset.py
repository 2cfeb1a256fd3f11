"""Wrapping in-memory arrays as ``tf.data`` pipelines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = ["as_tf_dataset"]


def as_tf_dataset(
    x: np.ndarray, batch_size: int, shuffle: bool = True, seed: int = 0
) -> tf.data.Dataset:
    """Build a batched ``tf.data.Dataset`` over the first axis of an array.

    Parameters
    ----------
    x : numpy.ndarray
        Examples along the first axis.
    batch_size : int
        Examples per batch (the last batch may be smaller).
    shuffle : bool, default=True
        Shuffle the whole array, differently on each pass.
    seed : int, default=0
        Seed of the shuffle.

    Returns
    -------
    tf.data.Dataset
        Batches of ``x`` with its dtype.

    Raises
    ------
    ValueError
        If ``x`` is empty or a scalar, or ``batch_size`` < 1.
    """
    x = np.asarray(x)
    if x.ndim == 0 or x.shape[0] == 0:
        raise ValueError(f"x must hold at least one example, got shape {x.shape}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices(x)
    if shuffle:
        ds = ds.shuffle(x.shape[0], seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
