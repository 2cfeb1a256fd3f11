"""Joint fine-tuning batches when the unlabeled rows arrive as a ``tf.data`` stream.

The labelled rows (few, in memory) are repeated and shuffled and zipped with the
stream's batches; with label propagation, each step also carries rows of the bounded
sample whose soft targets :class:`StreamTargets` holds. The in-memory counterpart,
with no TensorFlow, is :class:`vaekit.semi_supervised.joint_batches.JointBatches`.
"""

from __future__ import annotations

import numpy as np


def stream_joint_batches(x_labelled: np.ndarray, y_labelled: np.ndarray, stream,
                         batch_size: int, labelled_batch_size: int, seed: int, *,
                         shuffle_buffer: int | None = None, targets=None,
                         sample_rows_per_step: int = 0):
    """Joint fine-tuning batches from labelled rows in memory and a stream of unlabeled rows.

    A repeated, shuffled dataset of the labelled rows is zipped with batches
    of the stream (bounded shuffle buffer, prefetched), giving the same
    ``((x_labelled, x_unlabeled), y_labelled)`` batches as :class:`JointBatches`.
    With propagation ``targets``, each step's unlabeled rows end with
    ``sample_rows_per_step`` rows of their sample, whose soft targets are read
    from variables that :meth:`StreamTargets.write` refreshes; the streamed
    rows carry weight 0.

    Parameters
    ----------
    x_labelled, y_labelled : numpy.ndarray
        Labelled training rows and their classes.
    stream : vaekit.streaming.rows.RowStream
        The unlabeled rows.
    batch_size : int
        Unlabeled rows per step (streamed and sampled together).
    labelled_batch_size : int
        Labelled rows per step.
    seed : int
        Seed of the shuffles.
    shuffle_buffer : int, optional
        Rows in the stream's shuffle buffer.
    targets : StreamTargets, optional
        The propagation sample with its first targets written.
    sample_rows_per_step : int, default=0
        Rows of the sample in each step.

    Returns
    -------
    tf.data.Dataset
        Endless, prefetched batches.
    """
    import tensorflow as tf

    from vaekit.streaming.rows import training_batches

    n_labelled = len(x_labelled)
    labelled = (tf.data.Dataset.from_tensor_slices((x_labelled, y_labelled))
                .shuffle(n_labelled, seed=seed, reshuffle_each_iteration=True).repeat()
                .batch(min(labelled_batch_size, n_labelled), drop_remainder=True))
    k = int(sample_rows_per_step) if targets is not None else 0
    streamed = (training_batches(stream, batch_size - k, seed + 1, shuffle_buffer)
                if batch_size - k > 0 else None)
    if targets is None:
        joint = tf.data.Dataset.zip((labelled, streamed)).map(
            lambda lab, unl: ((lab[0], unl), lab[1]))
        return joint.prefetch(tf.data.AUTOTUNE)
    m = int(targets.rows.shape[0])
    picks = (tf.data.Dataset.range(m)
             .shuffle(m, seed=seed + 2, reshuffle_each_iteration=True)
             .repeat().batch(k, drop_remainder=True).map(targets.gather))
    parts = (labelled, picks) if streamed is None else (labelled, picks, streamed)

    def join(lab, pick, unl=None):
        x_s, t_s, w_s = pick
        if unl is None:
            return (lab[0], x_s), (lab[1], (t_s, w_s))
        n = tf.shape(unl)[0]
        zeros_t = tf.zeros((n, tf.shape(t_s)[1]), t_s.dtype)
        return ((lab[0], tf.concat([unl, x_s], 0)),
                (lab[1], (tf.concat([zeros_t, t_s], 0), tf.concat([tf.zeros((n,)), w_s], 0))))

    joint = tf.data.Dataset.zip(parts).map(join)
    return joint.prefetch(tf.data.AUTOTUNE)


class StreamTargets:
    """The propagation sample of a streamed fine-tune and its soft targets, as variables.

    Parameters
    ----------
    sample : numpy.ndarray
        The sampled rows (float32).
    n_classes : int
        Classes of the soft targets.
    """

    def __init__(self, sample: np.ndarray, n_classes: int) -> None:
        import tensorflow as tf

        m = len(sample)
        self.rows = tf.Variable(np.asarray(sample, dtype="float32"), trainable=False)
        self.targets = tf.Variable(np.full((m, n_classes), 1.0 / n_classes, "float32"),
                                   trainable=False)
        self.weights = tf.Variable(np.zeros(m, "float32"), trainable=False)

    def write(self, targets: np.ndarray, weights: np.ndarray) -> None:
        """Replace the sample's soft targets ``(m, K)`` and weights ``(m,)``."""
        self.targets.assign(np.asarray(targets, dtype="float32"))
        self.weights.assign(np.asarray(weights, dtype="float32"))

    def gather(self, index):
        """Rows, targets and weights of sample positions ``index`` (in the data pipeline)."""
        import tensorflow as tf

        return (tf.gather(self.rows, index), tf.gather(self.targets, index),
                tf.gather(self.weights, index))
