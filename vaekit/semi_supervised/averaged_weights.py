"""Early stopping on the averaged (EMA) weights, which are the ones a user keeps."""

from __future__ import annotations

import keras
import numpy as np


class KeepBestWeights(keras.callbacks.Callback):
    """Validate the weights the model will keep, stop when they stop improving, keep the best.

    With an optimizer that averages the weights (``use_ema=True``), the model
    that :func:`vaekit.finetune` returns holds the averaged weights; Keras'
    :class:`~keras.callbacks.EarlyStopping` would validate and restore the
    raw ones. Put this callback *before* :class:`keras.callbacks.SwapEMAWeights`
    in the callback list: that callback swaps the averaged weights in for each
    validation, so this one's ``on_test_end`` (run first) sees and records
    them. Without averaging, the raw weights are validated and kept, as with
    ``EarlyStopping(restore_best_weights=True)``.

    Parameters
    ----------
    monitor : str, default="val_accuracy"
        A log key; larger is better.
    patience : int, default=20
        Rounds without improvement before training stops.

    Attributes
    ----------
    best : float
        Best value of ``monitor`` seen.
    best_round : int
        Round (0-based Keras epoch) it was seen in.
    stopped_round : int or None
        Round after which training stopped early, None when it ran to the end.
    """

    def __init__(self, monitor: str = "val_accuracy", patience: int = 20) -> None:
        super().__init__()
        self.monitor = monitor
        self.patience = int(patience)

    def on_train_begin(self, logs=None):
        self.best, self.best_round, self.stopped_round = -np.inf, -1, None
        self._best_weights = self._validated_weights = None

    def on_test_end(self, logs=None):
        self._validated_weights = [np.array(w) for w in self.model.get_weights()]

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(
                f"KeepBestWeights monitors {self.monitor!r}, which the logs do not hold "
                f"(they hold {sorted(logs or {})}); pass validation data.")
        if value > self.best:
            self.best, self.best_round = float(value), epoch
            self._best_weights = self._validated_weights
        elif epoch - self.best_round >= self.patience:
            self.stopped_round = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        # Runs after Keras has written the final averages into the model: put the best back.
        if self._best_weights is not None:
            self.model.set_weights(self._best_weights)
