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
