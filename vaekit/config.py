"""Typed settings for pretraining and fine-tuning; every default lives here, once.

Pipeline files and the scikit-learn wrappers are parsed into these dataclasses,
so a field added here is available everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

from vaekit._validation import check_positive_int

#: Training steps that the automatic epoch counts aim for.
AUTO_PRETRAIN_STEPS = 6000
AUTO_FINETUNE_STEPS = 3000
AUTO_MIN_EPOCHS = 10
AUTO_MAX_EPOCHS = 300


def auto_epochs(n_rows: int, batch_size: int, target_steps: int) -> int:
    """Epochs that give about ``target_steps`` optimizer steps, within [10, 300].

    Small data sets need many epochs and large ones few; counting steps makes
    one default work for both (digits: 5 steps an epoch; MNIST: 234).

    Parameters
    ----------
    n_rows : int
        Rows per epoch.
    batch_size : int
        Rows per step.
    target_steps : int
        Steps wanted in total.

    Returns
    -------
    int
    """
    steps_per_epoch = max(1, n_rows // batch_size)
    epochs = math.ceil(target_steps / steps_per_epoch)
    return int(min(AUTO_MAX_EPOCHS, max(AUTO_MIN_EPOCHS, epochs)))


def _check_fraction(name: str, value: float, *, low_open: bool = False) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    if not (0.0 < value < 1.0 if low_open else 0.0 <= value < 1.0):
        bounds = "(0, 1)" if low_open else "[0, 1)"
        raise ValueError(f"{name} must lie in {bounds}, got {value}.")


def _check_non_negative(name: str, value) -> None:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {value!r}.")
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number >= 0, got {value}.")


@dataclass
class PretrainConfig:
    """How the VAE is built and pretrained on all (unlabeled) data.

    Attributes
    ----------
    architecture : str
        Encoder/decoder family: ``"dense"``, ``"conv"`` or ``"recurrent"``.
    latent_dim : int
        Size of the latent space. 50 follows Kingma et al. (2014) for MNIST.
    reconstruction : str
        ``"bce"`` (Bernoulli, data in [0, 1]) or ``"mse"`` (L2).
    beta : float
        Weight of the KL term.
    free_bits : float
        Per-dimension KL floor in nats (0 disables it).
    epochs : int or None
        Pretraining epochs; ``None`` picks about 6,000 steps' worth, clipped
        to [10, 300] epochs.
    batch_size : int
        Rows per step.
    learning_rate : float
        Adam learning rate.
    architecture_options : dict
        Options of the architecture's builders; the dense default is
        ``{"hidden_units": (1000, 500)}`` (Kingma et al. 2014's M1 encoder).
    """

    architecture: str = "dense"
    latent_dim: int = 50
    reconstruction: str = "bce"
    beta: float = 1.0
    free_bits: float = 0.0
    epochs: int | None = None
    batch_size: int = 256
    learning_rate: float = 1e-3
    architecture_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_positive_int("pretrain.latent_dim", self.latent_dim)
        check_positive_int("pretrain.batch_size", self.batch_size)
        if self.epochs is not None:
            check_positive_int("pretrain.epochs", self.epochs)
        _check_non_negative("pretrain.beta", self.beta)
        _check_non_negative("pretrain.free_bits", self.free_bits)
        _check_fraction("pretrain.learning_rate", self.learning_rate, low_open=True)
        if not isinstance(self.architecture_options, dict):
            raise TypeError(
                "pretrain.architecture_options must be a dict of builder options, got "
                f"{type(self.architecture_options).__name__}."
            )

    def resolved_architecture_options(self) -> dict:
        """Builder options with the dense default filled in."""
        options = dict(self.architecture_options)
        if self.architecture == "dense":
            options.setdefault("hidden_units", (1000, 500))
        return options

    def resolved_epochs(self, n_rows: int) -> int:
        """Epochs to train on ``n_rows`` rows (resolves ``epochs=None``)."""
        if self.epochs is not None:
            return self.epochs
        return auto_epochs(n_rows, self.batch_size, AUTO_PRETRAIN_STEPS)


@dataclass
class FinetuneConfig:
    """How the pretrained encoder and a classifier head are fine-tuned jointly.

    Each step sees a batch of labelled rows and a batch of unlabeled rows. The
    loss is the cross-entropy on the (augmented, mixed-up) labelled batch, plus
    ``alpha`` times the VAE loss on a weakly augmented view of the unlabeled
    batch, plus ``pseudo_label_weight`` times the cross-entropy between the
    confident predictions on the weak view and the predictions on a strongly
    augmented view (FixMatch-style pseudo-labels, Sohn et al. 2020).

    Attributes
    ----------
    epochs : int or None
        Fine-tuning epochs over the unlabeled data; ``None`` picks about 3,000
        steps' worth, clipped to [10, 300] epochs.
    batch_size : int
        Unlabeled rows per step.
    labelled_batch_size : int
        Labelled rows per step (all of them when there are fewer).
    learning_rate : float
        Adam learning rate.
    alpha : float
        Weight of the VAE loss on unlabeled data. Small (1e-3): a weight of 1
        keeps predictions unconfident and stalls the pseudo-labels.
    pseudo_label_weight : float
        Weight of the pseudo-label loss (0 turns pseudo-labels off).
    confidence : float
        Minimum predicted probability for an unlabeled row to get a pseudo-label.
    augment : str
        ``"auto"`` (random affine warps for images, Gaussian noise otherwise),
        ``"affine"``, ``"shift"``, ``"noise"`` or ``"none"``.
    mixup : float
        Beta(mixup, mixup) mixing of labelled rows and labels (Zhang et al.
        2018); 0 disables it.
    ema_momentum : float or None
        Momentum of the exponential moving average of the weights that the
        final model uses; ``None`` picks 0.999 for long runs (>= 10,000 steps)
        and 0.99 otherwise; 0 disables averaging.
    head_units : tuple of int
        Hidden layers of the classifier head; ``()`` is a linear softmax head.
    classify_from : str
        ``"mean"`` (the posterior mean) or ``"sample"`` (a sampled latent while
        training; the mean at prediction).
    freeze_encoder_epochs : int
        Epochs at the start during which the encoder does not change.
    class_weight : dict, str or None
        ``{class: weight}``, ``"balanced"`` or None, for the labelled loss.
    validation_fraction : float
        Share of the labelled rows held out (stratified) for early stopping; 0
        uses every label for training.
    early_stopping_patience : int
        Epochs without a better validation accuracy before stopping (only with
        ``validation_fraction > 0``).
    """

    epochs: int | None = None
    batch_size: int = 256
    labelled_batch_size: int = 128
    learning_rate: float = 1e-3
    alpha: float = 1e-3
    pseudo_label_weight: float = 1.0
    confidence: float = 0.95
    augment: str = "auto"
    mixup: float = 0.5
    ema_momentum: float | None = None
    head_units: tuple = ()
    classify_from: str = "mean"
    freeze_encoder_epochs: int = 0
    class_weight: dict | str | None = None
    validation_fraction: float = 0.0
    early_stopping_patience: int = 20

    def __post_init__(self) -> None:
        if self.epochs is not None:
            check_positive_int("finetune.epochs", self.epochs)
        check_positive_int("finetune.batch_size", self.batch_size)
        check_positive_int("finetune.labelled_batch_size", self.labelled_batch_size)
        check_positive_int("finetune.freeze_encoder_epochs", self.freeze_encoder_epochs,
                           minimum=0)
        check_positive_int("finetune.early_stopping_patience",
                           self.early_stopping_patience)
        _check_fraction("finetune.learning_rate", self.learning_rate, low_open=True)
        _check_fraction("finetune.confidence", self.confidence)
        _check_fraction("finetune.validation_fraction", self.validation_fraction)
        for name in ("alpha", "pseudo_label_weight", "mixup"):
            _check_non_negative(f"finetune.{name}", getattr(self, name))
        if self.ema_momentum is not None:
            _check_fraction("finetune.ema_momentum", self.ema_momentum)
        if self.classify_from not in ("mean", "sample"):
            raise ValueError(
                f"finetune.classify_from must be 'mean' or 'sample', got {self.classify_from!r}."
            )
        self.head_units = tuple(self.head_units)
        for units in self.head_units:
            check_positive_int("finetune.head_units[]", units)

    def resolved_epochs(self, n_rows: int) -> int:
        """Epochs to fine-tune over ``n_rows`` unlabeled rows (resolves ``None``)."""
        if self.epochs is not None:
            return self.epochs
        return auto_epochs(n_rows, self.batch_size, AUTO_FINETUNE_STEPS)

    def resolved_ema_momentum(self, total_steps: int) -> float:
        """EMA momentum for a run of ``total_steps`` steps (resolves ``None``)."""
        if self.ema_momentum is not None:
            return self.ema_momentum
        return 0.999 if total_steps >= 10_000 else 0.99


def config_field_names(config_class) -> list[str]:
    """Names of a config dataclass's fields, in declaration order."""
    return [f.name for f in fields(config_class)]
