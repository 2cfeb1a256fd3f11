"""Callbacks used while fitting vaekit models: KL warm-up and a guard against divergence."""

from __future__ import annotations

import logging
import math

import keras

from vaekit._validation import check_non_negative_float, check_positive_int

logger = logging.getLogger(__name__)


class TrainingDivergedError(FloatingPointError):
    """Raised when the training loss became NaN or infinite.

    The model's weights are restored to the last epoch whose loss was finite
    before this is raised, so the model stays usable.
    """


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop training when the loss stops being finite, and undo the damage.

    The weights are snapshotted at the start of training and after every epoch
    that ends with a finite loss. When an epoch's loss is NaN or infinite, the
    last good weights are put back and :class:`TrainingDivergedError` is raised
    with advice on what to change. Checking once an epoch keeps the training
    step free of host synchronisation.
    """

    def on_train_begin(self, logs=None):
        self._good_weights = self.model.get_weights()
        self._good_epoch = None

    def on_epoch_end(self, epoch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            self._good_weights = self.model.get_weights()
            self._good_epoch = epoch
            return
        self.model.set_weights(self._good_weights)
        self.model.stop_training = True
        restored = (
            "the weights from before training"
            if self._good_epoch is None
            else f"the weights after epoch {self._good_epoch + 1}"
        )
        raise TrainingDivergedError(
            f"The training loss became {loss} in epoch {epoch + 1}; training stopped and "
            f"{restored} were restored. Lower the learning rate, check the data for "
            "extreme values, or use reconstruction='bce' only for data in [0, 1]."
        )


class BetaWarmup(keras.callbacks.Callback):
    """Raise the KL weight ``beta`` linearly from ``start`` to ``stop`` over ``epochs``.

    KL warm-up (Bowman et al. 2016; Sonderby et al. 2016) lets the decoder learn
    to use the latent code before the KL term pulls the posterior to the prior,
    a common remedy for posterior collapse.

    Parameters
    ----------
    kl_layer : vaekit.layers.KLDivergence
        The layer whose ``beta`` variable is set (``vae.kl_divergence``).
    epochs : int
        Number of epochs over which ``beta`` rises.
    start : float, default=0.0
        ``beta`` in the first epoch.
    stop : float, default=1.0
        ``beta`` from epoch ``epochs`` on.
    """

    def __init__(self, kl_layer, epochs: int, start: float = 0.0, stop: float = 1.0):
        super().__init__()
        self.kl_layer = kl_layer
        self.epochs = check_positive_int("epochs", epochs)
        self.start = check_non_negative_float("start", start)
        self.stop = check_non_negative_float("stop", stop)

    def beta_at(self, epoch: int) -> float:
        """The value of ``beta`` used during ``epoch`` (0-based)."""
        fraction = min(1.0, epoch / self.epochs)
        return self.start + fraction * (self.stop - self.start)

    def on_epoch_begin(self, epoch, logs=None):
        self.kl_layer.beta.assign(self.beta_at(epoch))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = self.beta_at(epoch)


class EncoderFreeze(keras.callbacks.Callback):
    """Keep the encoder of a :class:`vaekit.SemiSupervisedClassifier` fixed for a while.

    Parameters
    ----------
    rounds : int
        Rounds (Keras epochs) at the start during which the encoder's
        gradients are stopped; the head and the rest still train.
    """

    def __init__(self, rounds: int) -> None:
        super().__init__()
        self.rounds = check_positive_int("rounds", rounds, minimum=0)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.encoder_gate.assign(0.0 if epoch < self.rounds else 1.0)
