"""How long and how fast the joint fine-tune trains (its schedule, not its loss)."""

from __future__ import annotations

from dataclasses import dataclass

from vaekit._validation import (
    SettingValueError,
    check_unit_weight,
    check_fraction,
    check_learning_rate,
    check_positive_int,
)
from vaekit.config.data_kind import is_image_shape
from vaekit.config.schedule import (
    AUTO_FINETUNE_STEPS,
    AUTO_MAX_FINETUNE_PASSES,
    Schedule,
    resolve_schedule,
)

#: The input graph's share of the soft targets for samples that are not images.
AUTO_INPUT_SHARE = 0.5
#: Bounds of the automatic EMA momentum.
AUTO_EMA_MIN, AUTO_EMA_MAX = 0.9, 0.999


@dataclass
class FinetuneConfig:
    """The schedule of the joint fine-tune: length, batches, averaging, validation.

    What the fine-tune optimises (the loss terms and their weights, the
    augmentation, the head) is :class:`vaekit.FinetuneRecipe`, which the
    classifier model keeps; these settings only say how it is trained.

    Attributes
    ----------
    epochs : int or None
        Passes over the training rows (the unlabeled part of each step walks
        through all of them once a pass). ``None`` picks about 3,000 steps'
        worth, at most 300 passes (see :meth:`schedule`).
    steps : int or None
        Optimizer steps, instead of ``epochs``.
    batch_size : int
        Unlabeled rows per step.
    labelled_batch_size : int
        Labelled rows per step (all of them when there are fewer).
    learning_rate : float
        Adam learning rate (> 0).
    ema_momentum : float or None
        Momentum of the exponential moving average of the weights that the
        final model holds, and that validation is computed on; ``None`` scales
        it with the run's length (see :meth:`resolved_ema_momentum`); 0
        disables averaging.
    freeze_encoder_epochs : int
        Passes at the start during which the encoder does not change (rounded
        up to whole rounds, see :class:`vaekit.config.Schedule`).
    validation_fraction : float
        Share of the labelled rows held out (stratified) for early stopping; 0
        uses every label for training.
    early_stopping_patience : int
        Validation checks (one per round) without a better validation accuracy
        before training stops; the best averaged weights are then kept. Only
        with ``validation_fraction > 0``.
    label_propagation_neighbors : int
        Neighbours of each row in the k-NN graph of label propagation.
    label_propagation_refreshes : int
        How many times the soft targets are computed during fine-tuning
        (evenly spaced over the rounds, the first before training).
    label_propagation_input_share : float or None
        Share of the soft targets that comes from label spreading on the input
        rows themselves rather than on the latent means (see
        :class:`vaekit.semi_supervised.propagation.SoftTargets`), in [0, 1].
        ``None``: 0.5 for flat rows and sequences, 0 for images (whose latent
        space is trained on augmented views and is the better graph).
    label_propagation_max_rows : int
        Label propagation runs on at most this many rows (building the k-NN
        graph grows with the square of the rows); on more, it runs on the
        labelled rows plus a uniform sample of the others, the rest get no
        soft target, and a log message says so.
    """

    epochs: int | None = None
    steps: int | None = None
    batch_size: int = 256
    labelled_batch_size: int = 128
    learning_rate: float = 1e-3
    ema_momentum: float | None = None
    freeze_encoder_epochs: int = 0
    validation_fraction: float = 0.0
    early_stopping_patience: int = 20
    label_propagation_neighbors: int = 7
    label_propagation_refreshes: int = 10
    label_propagation_input_share: float | None = None
    label_propagation_max_rows: int = 20_000

    def __post_init__(self) -> None:
        if self.epochs is not None:
            check_positive_int("finetune.epochs", self.epochs)
        if self.steps is not None:
            check_positive_int("finetune.steps", self.steps)
            if self.epochs is not None:
                raise SettingValueError(
                    "finetune.steps", f"and finetune.epochs both set the length (got steps="
                    f"{self.steps}, epochs={self.epochs}); give one of them.")
        check_positive_int("finetune.batch_size", self.batch_size)
        check_positive_int("finetune.labelled_batch_size", self.labelled_batch_size)
        check_learning_rate("finetune.learning_rate", self.learning_rate)
        if self.ema_momentum is not None:
            check_fraction("finetune.ema_momentum", self.ema_momentum)
        check_positive_int("finetune.freeze_encoder_epochs", self.freeze_encoder_epochs,
                           minimum=0)
        check_fraction("finetune.validation_fraction", self.validation_fraction)
        check_positive_int("finetune.early_stopping_patience", self.early_stopping_patience)
        check_positive_int("finetune.label_propagation_neighbors",
                           self.label_propagation_neighbors)
        check_positive_int("finetune.label_propagation_refreshes",
                           self.label_propagation_refreshes)
        if self.label_propagation_input_share is not None:
            check_unit_weight("finetune.label_propagation_input_share",
                              self.label_propagation_input_share)
        check_positive_int("finetune.label_propagation_max_rows",
                           self.label_propagation_max_rows, minimum=0)

    def schedule(self, n_rows: int) -> Schedule:
        """What fine-tuning on ``n_rows`` training rows will run.

        Parameters
        ----------
        n_rows : int
            All training rows (labelled and unlabeled).

        Returns
        -------
        Schedule
        """
        return resolve_schedule(
            n_rows, min(self.batch_size, n_rows), epochs=self.epochs, steps=self.steps,
            auto_steps=AUTO_FINETUNE_STEPS, auto_max_passes=AUTO_MAX_FINETUNE_PASSES)

    def resolved_label_propagation_input_share(self, sample_shape) -> float:
        """The input graph's share of the soft targets (resolves ``None``).

        On flat digits rows (3 seeds) blending half the targets from the input
        graph raised the fine-tune from 93.3 +- 1.6 to 95.1 +- 0.2 %.
        """
        if self.label_propagation_input_share is not None:
            return float(self.label_propagation_input_share)
        return 0.0 if is_image_shape(sample_shape) else AUTO_INPUT_SHARE

    def resolved_ema_momentum(self, total_steps: int) -> float:
        """EMA momentum for a run of ``total_steps`` steps (resolves ``None``).

        The average must forget its random start within the run: the automatic
        momentum ``1 - 20 / total_steps`` spans the last ~5 % of the steps,
        clipped to [0.9, 0.999] (0.99 for 2,000 steps, 0.999 from 20,000).
        """
        if self.ema_momentum is not None:
            return float(self.ema_momentum)
        return float(min(AUTO_EMA_MAX, max(AUTO_EMA_MIN, 1.0 - 20.0 / max(total_steps, 1))))
