"""Typed settings for pretraining and fine-tuning; every default lives here, once.

Pipeline files and the scikit-learn wrappers are parsed into these dataclasses,
so a field added here is available everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

from vaekit._validation import check_positive_int

#: Training steps that the automatic epoch counts aim for.
AUTO_PRETRAIN_STEPS = 6000
AUTO_FINETUNE_STEPS = 3000
AUTO_MIN_EPOCHS = 10
AUTO_MAX_EPOCHS = 300
#: Most passes over the data that the automatic epoch counts make: small data
#: sets reach the step targets only after hundreds of passes, which costs time;
#: pretraining gains little from more, fine-tuning (with augmentation) more
#: (digits: 100 pretraining passes are 400 steps, 300 fine-tuning passes 1,200).
AUTO_MAX_PRETRAIN_PASSES = 100
AUTO_MAX_FINETUNE_PASSES = 300
#: Fewest optimizer steps an epoch makes when ``passes_per_epoch`` is automatic.
AUTO_MIN_STEPS_PER_EPOCH = 50


def auto_passes(n_rows: int, batch_size: int) -> int:
    """Passes over the data per epoch so that an epoch makes at least 50 steps.

    Keras pays a fixed cost per epoch (about 0.25 s on TensorFlow); on a small
    data set (digits: 4 steps a pass) many one-pass epochs spend most of their
    time in that overhead, so small data sets get several passes an epoch.

    Parameters
    ----------
    n_rows : int
        Rows in the data.
    batch_size : int
        Rows per step.

    Returns
    -------
    int
        1 for data sets of at least ``50 * batch_size`` rows.
    """
    steps_per_pass = max(1, n_rows // batch_size)
    return max(1, math.ceil(AUTO_MIN_STEPS_PER_EPOCH / steps_per_pass))


def auto_epochs(n_rows: int, batch_size: int, target_steps: int, passes: int = 1,
                max_passes: int | None = None) -> int:
    """Epochs that give about ``target_steps`` optimizer steps, within [10, 300].

    Small data sets need many epochs and large ones few; counting steps makes
    one default work for both (digits: 4 steps a pass; MNIST: 234). The steps
    are capped at ``max_passes`` passes over the data.

    Parameters
    ----------
    n_rows : int
        Rows per pass.
    batch_size : int
        Rows per step.
    target_steps : int
        Steps wanted in total.
    passes : int, default=1
        Passes over the rows per epoch.
    max_passes : int or None, default=None
        Most passes over the rows in total; None for no cap.

    Returns
    -------
    int
    """
    steps_per_pass = max(1, n_rows // batch_size)
    if max_passes is not None:
        target_steps = min(target_steps, max_passes * steps_per_pass)
    epochs = math.ceil(target_steps / (steps_per_pass * passes))
    return int(min(AUTO_MAX_EPOCHS, max(AUTO_MIN_EPOCHS, epochs)))


#: Mix-up and label-propagation weights that ``None`` resolves to for pixel data.
AUTO_IMAGE_MIXUP = 0.5
AUTO_IMAGE_LABEL_PROPAGATION_WEIGHT = 1.0


def is_image_shape(sample_shape) -> bool:
    """Whether samples of this shape are images: ``(H, W, C)`` with H, W >= 8.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample.

    Returns
    -------
    bool
        False for flat rows (tables, or images given as vectors) and sequences.
    """
    shape = tuple(sample_shape)
    return len(shape) == 3 and min(shape[:2]) >= 8


def is_pixel_data(sample_shape, reconstruction: str) -> bool:
    """Whether the fine-tune treats the data as pixels: images, or values in [0, 1].

    Images ``(H, W, C)`` count whatever their loss; other samples (flat rows,
    sequences) count when the VAE models them as Bernoulli (``"bce"``: values
    in [0, 1], such as flattened pixels). Real-valued rows (``"mse"``, e.g.
    standardised tables) do not.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample.
    reconstruction : str
        The VAE's reconstruction loss, ``"bce"`` or ``"mse"``.

    Returns
    -------
    bool
    """
    return is_image_shape(sample_shape) or reconstruction == "bce"


def _check_passes(name: str, value) -> None:
    if value is not None:
        check_positive_int(name, value)


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


class _Schedule:
    """Automatic epochs and passes, shared by both stages' configs.

    Subclasses are dataclasses with ``epochs``, ``batch_size`` and
    ``passes_per_epoch`` fields, and set the class attributes ``_auto_steps``
    and ``_auto_max_passes``.
    """

    _auto_steps: int
    _auto_max_passes: int

    def resolved_passes(self, n_rows: int) -> int:
        """Passes over ``n_rows`` rows per epoch (resolves ``passes_per_epoch=None``)."""
        if self.passes_per_epoch is not None:
            return self.passes_per_epoch
        return auto_passes(n_rows, self.batch_size)

    def resolved_epochs(self, n_rows: int) -> int:
        """Epochs to train on ``n_rows`` rows (resolves ``epochs=None``)."""
        if self.epochs is not None:
            return self.epochs
        return auto_epochs(n_rows, self.batch_size, self._auto_steps,
                           self.resolved_passes(n_rows), self._auto_max_passes)


@dataclass
class PretrainConfig(_Schedule):
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
        Pretraining epochs; ``None`` picks about 6,000 steps' worth, at most
        100 passes over the data, clipped to [10, 300] epochs.
    batch_size : int
        Rows per step.
    learning_rate : float
        Adam learning rate.
    passes_per_epoch : int or None
        Passes over the data in one epoch; ``None`` picks enough for 50 steps
        (1 on large data, e.g. 13 on scikit-learn's digits), which keeps the
        per-epoch overhead small on small data sets.
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
    passes_per_epoch: int | None = None

    _auto_steps: ClassVar[int] = AUTO_PRETRAIN_STEPS
    _auto_max_passes: ClassVar[int] = AUTO_MAX_PRETRAIN_PASSES

    def __post_init__(self) -> None:
        check_positive_int("pretrain.latent_dim", self.latent_dim)
        _check_passes("pretrain.passes_per_epoch", self.passes_per_epoch)
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



@dataclass
class FinetuneConfig(_Schedule):
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
        steps' worth, at most 300 passes over the data, clipped to [10, 300]
        epochs.
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
        ``"affine"``, ``"shift"``, ``"corrupt"`` (each value replaced with
        probability 0.3 by its feature in another row), ``"noise"`` or ``"none"``.
    mixup : float or None
        Beta(mixup, mixup) mixing of labelled rows and labels (Zhang et al.
        2018); 0 disables it. ``None``: 0.5 for images and data in [0, 1],
        0 for real-valued tables (see :meth:`resolved_mixup`).
    ema_momentum : float or None
        Momentum of the exponential moving average of the weights that the
        final model uses; ``None`` scales it with the run's length (see
        :meth:`resolved_ema_momentum`); 0 disables averaging.
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
    passes_per_epoch : int or None
        Passes over the unlabeled pool in one epoch; ``None`` picks enough for
        50 steps (1 on large data), as in :class:`PretrainConfig`.
    label_propagation_weight : float or None
        Weight of the label-propagation loss: k-NN label spreading (Zhou et
        al. 2004) on the current latent means gives every training row a soft
        target, weighted by its confidence (1 - normalised entropy), which the
        strongly augmented view is trained towards. 0 turns it off. ``None``:
        1 for images and data in [0, 1], 0 for real-valued tables.
    label_propagation_neighbors : int
        Neighbours of each row in the k-NN graph.
    label_propagation_refreshes : int
        How many times the soft targets are recomputed during fine-tuning
        (evenly spaced over the epochs, the first before training).
    label_propagation_max_rows : int
        Label propagation runs only when the data has at most this many rows
        (the k-NN graph grows quadratically); larger data sets rely on the
        pseudo-labels alone, and a log message says so.
    """

    epochs: int | None = None
    batch_size: int = 256
    labelled_batch_size: int = 128
    learning_rate: float = 1e-3
    alpha: float = 1e-3
    pseudo_label_weight: float = 1.0
    confidence: float = 0.95
    augment: str = "auto"
    mixup: float | None = None
    ema_momentum: float | None = None
    head_units: tuple = ()
    classify_from: str = "mean"
    freeze_encoder_epochs: int = 0
    class_weight: dict | str | None = None
    validation_fraction: float = 0.0
    early_stopping_patience: int = 20
    passes_per_epoch: int | None = None
    label_propagation_weight: float | None = None
    label_propagation_neighbors: int = 7
    label_propagation_refreshes: int = 10
    label_propagation_max_rows: int = 20_000

    _auto_steps: ClassVar[int] = AUTO_FINETUNE_STEPS
    _auto_max_passes: ClassVar[int] = AUTO_MAX_FINETUNE_PASSES

    def __post_init__(self) -> None:
        if self.epochs is not None:
            check_positive_int("finetune.epochs", self.epochs)
        _check_passes("finetune.passes_per_epoch", self.passes_per_epoch)
        check_positive_int("finetune.label_propagation_neighbors",
                           self.label_propagation_neighbors)
        check_positive_int("finetune.label_propagation_refreshes",
                           self.label_propagation_refreshes)
        check_positive_int("finetune.label_propagation_max_rows",
                           self.label_propagation_max_rows, minimum=0)
        check_positive_int("finetune.batch_size", self.batch_size)
        check_positive_int("finetune.labelled_batch_size", self.labelled_batch_size)
        check_positive_int("finetune.freeze_encoder_epochs", self.freeze_encoder_epochs,
                           minimum=0)
        check_positive_int("finetune.early_stopping_patience",
                           self.early_stopping_patience)
        _check_fraction("finetune.learning_rate", self.learning_rate, low_open=True)
        _check_fraction("finetune.confidence", self.confidence)
        _check_fraction("finetune.validation_fraction", self.validation_fraction)
        for name in ("alpha", "pseudo_label_weight", "mixup", "label_propagation_weight"):
            if getattr(self, name) is not None:
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


    def resolved_mixup(self, sample_shape, reconstruction: str) -> float:
        """Mix-up parameter for this data (resolves ``None``; see :func:`is_pixel_data`).

        Mix-up and label propagation won on pixels (digits, MNIST; without them
        the fine-tune on flat MNIST rows collapsed to 23 % accuracy) but lost
        on small standardised tables (breast cancer, wine, digits as
        standardised rows: 2-6 points below the same fine-tune without them,
        and below a logistic regression), so ``None`` turns them on for pixel
        data only.
        """
        if self.mixup is not None:
            return float(self.mixup)
        return AUTO_IMAGE_MIXUP if is_pixel_data(sample_shape, reconstruction) else 0.0

    def resolved_label_propagation_weight(self, sample_shape, reconstruction: str) -> float:
        """Label-propagation weight for this data (resolves ``None``)."""
        if self.label_propagation_weight is not None:
            return float(self.label_propagation_weight)
        if is_pixel_data(sample_shape, reconstruction):
            return AUTO_IMAGE_LABEL_PROPAGATION_WEIGHT
        return 0.0

    def resolved_ema_momentum(self, total_steps: int) -> float:
        """EMA momentum for a run of ``total_steps`` steps (resolves ``None``).

        The average must forget its random start within the run: the automatic
        momentum ``1 - 20 / total_steps`` spans the last ~5 % of the steps,
        clipped to [0.9, 0.999] (0.99 for 2,000 steps, 0.999 from 20,000).
        """
        if self.ema_momentum is not None:
            return self.ema_momentum
        return float(min(0.999, max(0.9, 1.0 - 20.0 / max(total_steps, 1))))
