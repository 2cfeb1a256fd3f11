"""The batches of joint fine-tuning: a labelled draw beside a pass over all rows."""

from __future__ import annotations

import keras
import numpy as np


class JointBatches(keras.utils.PyDataset):
    """Batches of ``((x_labelled, x_unlabeled), y_labelled)`` for joint fine-tuning.

    Steps are numbered globally. Step ``s`` takes its unlabeled rows from pass
    ``s // steps_per_pass`` over all rows (each pass in its own seeded random
    order) and draws ``labelled_batch_size`` labelled rows (without
    replacement within the step). Every draw is a function of ``(seed, s)``
    alone, so the batches do not depend on how the steps are cut into rounds
    (Keras epochs) of ``steps_per_round``.

    With soft ``targets`` (from label propagation), batches are
    ``((x_labelled, x_unlabeled), (y_labelled, (targets_unlabeled,
    weights_unlabeled)))``; :meth:`set_targets` replaces them in place.

    Parameters
    ----------
    x : numpy.ndarray
        All training rows.
    y : numpy.ndarray
        Class index per row (``-1`` where unlabeled).
    labelled_index : numpy.ndarray
        Rows whose labels train the classifier.
    batch_size : int
        Unlabeled rows per step.
    labelled_batch_size : int
        Labelled rows per step (at most all of them).
    seed : int
        Seed of every draw.
    steps_per_round : int
        Steps in one Keras epoch.
    """

    def __init__(self, x, y, labelled_index, batch_size: int, labelled_batch_size: int,
                 seed: int, *, steps_per_round: int) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.labelled_index = np.asarray(labelled_index)
        self.batch_size = min(int(batch_size), len(x))
        self.labelled_batch_size = min(int(labelled_batch_size), len(self.labelled_index))
        self.seed = int(seed)
        self.steps_per_pass = max(1, len(x) // self.batch_size)
        self.steps_per_round = int(steps_per_round)
        self.round = 0
        self.targets = self.target_weights = None
        self._pass, self._order = -1, None

    def set_targets(self, targets, weights) -> None:
        """Soft targets ``(n, K)`` and their weights ``(n,)`` for every row of ``x``."""
        targets = np.asarray(targets, dtype="float32")
        weights = np.asarray(weights, dtype="float32")
        if targets.shape[0] != len(self.x) or weights.shape != (len(self.x),):
            raise ValueError(
                f"targets must have shape ({len(self.x)}, K) and weights ({len(self.x)},), "
                f"got {targets.shape} and {weights.shape}."
            )
        self.targets, self.target_weights = targets, weights

    def set_round(self, round_index: int) -> None:
        """Position the batches at the start of round ``round_index`` (when resuming)."""
        self.round = int(round_index)

    def rows_of_step(self, step: int) -> tuple[np.ndarray, np.ndarray]:
        """``(labelled rows, unlabeled rows)`` of global step ``step``."""
        pass_index, position = divmod(step, self.steps_per_pass)
        if pass_index != self._pass:
            self._pass = pass_index
            self._order = np.random.default_rng([self.seed, pass_index]).permutation(len(self.x))
        rows = self._order[position * self.batch_size:(position + 1) * self.batch_size]
        rng = np.random.default_rng([self.seed, step, 1])
        picked = rng.choice(self.labelled_index, self.labelled_batch_size, replace=False)
        return picked, rows

    def __len__(self) -> int:
        return self.steps_per_round

    def __getitem__(self, index: int):
        picked, rows = self.rows_of_step(self.round * self.steps_per_round + index)
        inputs = (self.x[picked], self.x[rows])
        if self.targets is None:
            return inputs, self.y[picked]
        return inputs, (self.y[picked], (self.targets[rows], self.target_weights[rows]))

    def on_epoch_end(self) -> None:
        self.round += 1


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
