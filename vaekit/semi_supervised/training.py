"""Pretraining, joint fine-tuning, and the whole job in one call."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import keras
import numpy as np

from vaekit._validation import check_array
from vaekit.config import FinetuneConfig, PretrainConfig
from vaekit.models.factory import build_vae
from vaekit.models.vae import VAE
from vaekit.semi_supervised.classifier import SemiSupervisedClassifier
from vaekit.semi_supervised.labels import UNLABELED, check_semi_supervised_labels
from vaekit.semi_supervised.propagation import LabelPropagationRefresh, propagate_labels
from vaekit.training.callbacks import StopOnNonFiniteLoss
from vaekit.training.seeding import seed_everything

logger = logging.getLogger(__name__)


def pretrain_vae(x, config: PretrainConfig | None = None, *, seed: int = 0,
                 verbose: int = 0, callbacks=None, initial_epoch: int = 0,
                 vae: VAE | None = None) -> tuple[VAE, dict]:
    """Build a VAE from ``config`` and train it on all rows of ``x``.

    Parameters
    ----------
    x : array-like
        All training rows (labels are not used), shape ``(n, *sample_shape)``.
    config : PretrainConfig, optional
        Architecture and training settings; defaults when omitted.
    seed : int, default=0
        Seeds weight initialisation, sampling and shuffling.
    verbose : int, default=0
        Keras progress output (0 silent, 1 progress bar, 2 one line an epoch).
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks (checkpoints, TensorBoard, ...).
    initial_epoch : int, default=0
        Epoch to resume at (with ``vae`` holding the restored model).
    vae : VAE, optional
        An existing VAE to train further instead of building one.

    Returns
    -------
    vae : VAE
        The trained model.
    history : dict
        ``fit``'s history (loss, reconstruction_loss, kl_loss per epoch).
    """
    config = config or PretrainConfig()
    if vae is None:
        seed_everything(seed)
    x = check_array("x", x, unit_interval=config.reconstruction == "bce")
    if len(x) < config.batch_size:
        logger.info("Pretraining on %d rows, fewer than batch_size=%d: one step an epoch.",
                    len(x), config.batch_size)
    if vae is None:
        vae = build_vae(
            x.shape[1:], config.latent_dim, config.architecture, config.reconstruction,
            config.beta, free_bits=config.free_bits, learning_rate=config.learning_rate,
            seed=seed, **config.resolved_architecture_options(),
        )
    epochs = config.resolved_epochs(len(x))
    passes = config.resolved_passes(len(x))
    if passes > 1:  # several passes an epoch: each row appears `passes` times
        x = np.concatenate([x] * passes, axis=0)
    history = vae.fit(x, epochs=epochs, batch_size=config.batch_size, verbose=verbose,
                      callbacks=callbacks, initial_epoch=initial_epoch, shuffle=True)
    return vae, history.history


class JointBatches(keras.utils.PyDataset):
    """Batches of ``((x_labelled, x_unlabeled), y_labelled)`` for joint fine-tuning.

    An epoch is ``passes`` passes over the unlabeled pool, each in a seeded
    random order; each step also draws ``labelled_batch_size`` labelled rows
    (without replacement within the step). Every draw is a function of
    ``(seed, epoch, step)``, so an interrupted run resumes with the same
    batches.

    With soft ``targets`` (from label propagation), batches are
    ``((x_labelled, x_unlabeled), (y_labelled, targets_unlabeled,
    weights_unlabeled))``; :meth:`set_targets` replaces them in place.
    """

    def __init__(self, x, y, labelled_index, batch_size: int, labelled_batch_size: int,
                 seed: int, *, passes: int = 1, targets=None, target_weights=None) -> None:
        super().__init__()
        self.x, self.y = x, y
        self.labelled_index = np.asarray(labelled_index)
        self.batch_size = int(batch_size)
        self.labelled_batch_size = min(int(labelled_batch_size), len(self.labelled_index))
        self.seed = int(seed)
        self.passes = int(passes)
        self.targets = self.target_weights = None
        if targets is not None:
            self.set_targets(targets, target_weights)
        self.epoch = 0
        self._order = self._epoch_order(0)

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

    def _epoch_order(self, epoch: int) -> np.ndarray:
        return np.concatenate([
            np.random.default_rng([self.seed, epoch, k] if k else [self.seed, epoch])
            .permutation(len(self.x)) for k in range(self.passes)
        ])

    def set_epoch(self, epoch: int) -> None:
        """Position the batch order at ``epoch`` (used when resuming)."""
        self.epoch = epoch
        self._order = self._epoch_order(epoch)

    def __len__(self) -> int:
        return self.passes * (len(self.x) // self.batch_size)

    def __getitem__(self, step: int):
        per_pass = len(self.x) // self.batch_size
        start = (step // per_pass) * len(self.x) + (step % per_pass) * self.batch_size
        rows = self._order[start:start + self.batch_size]
        rng = np.random.default_rng([self.seed, self.epoch, step, 1])
        picked = rng.choice(self.labelled_index, self.labelled_batch_size, replace=False)
        if self.targets is None:
            return (self.x[picked], self.x[rows]), self.y[picked]
        return ((self.x[picked], self.x[rows]),
                (self.y[picked], self.targets[rows], self.target_weights[rows]))

    def on_epoch_end(self) -> None:
        self.set_epoch(self.epoch + 1)


class EncoderFreeze(keras.callbacks.Callback):
    """Keep the encoder fixed for the first ``epochs`` epochs of fine-tuning."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = int(epochs)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.encoder_gate.assign(0.0 if epoch < self.epochs else 1.0)


def _copy_model(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _check_continuable(classifier, vae: VAE, n_classes: int) -> SemiSupervisedClassifier:
    """``classifier`` if it can be fine-tuned further on ``vae``'s data and these classes."""
    if not isinstance(classifier, SemiSupervisedClassifier):
        raise TypeError(
            "classifier must be a vaekit.SemiSupervisedClassifier to continue training, got "
            f"{type(classifier).__name__}."
        )
    if classifier.n_classes != n_classes:
        raise ValueError(
            f"classifier predicts {classifier.n_classes} classes, but the labels hold "
            f"{n_classes}; fine-tune a new classifier (classifier=None) instead."
        )
    if classifier.sample_shape != vae.sample_shape:
        raise ValueError(
            f"classifier takes samples of shape {classifier.sample_shape}, but the VAE "
            f"{vae.sample_shape}."
        )
    return classifier


def _class_weights(spec, y_labelled: np.ndarray, n_classes: int):
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec != "balanced":
            raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {spec!r}.")
        counts = np.bincount(y_labelled, minlength=n_classes)
        return (len(y_labelled) / (n_classes * counts)).tolist()
    if not isinstance(spec, dict):
        raise TypeError(f"class_weight must be a dict, 'balanced' or None, got {spec!r}.")
    unknown = set(spec) - set(range(n_classes))
    if unknown:
        raise ValueError(f"class_weight names unknown classes {sorted(unknown)}.")
    return [float(spec.get(k, 1.0)) for k in range(n_classes)]


def _validation_split(y: np.ndarray, labelled: np.ndarray, fraction: float, seed: int):
    if fraction == 0:
        return labelled, None
    rng = np.random.default_rng([seed, 7])
    held_out = []
    for cls in np.unique(y[labelled]):
        rows = labelled[y[labelled] == cls]
        n_out = int(round(fraction * len(rows)))
        if len(rows) - n_out < 2 or n_out < 1:
            raise ValueError(
                f"validation_fraction={fraction} leaves class {int(cls)} (with {len(rows)} "
                "labels) without at least 2 training and 1 validation row; lower it or "
                "label more rows."
            )
        held_out.extend(rng.choice(rows, n_out, replace=False).tolist())
    held_out = np.sort(np.asarray(held_out))
    return np.setdiff1d(labelled, held_out), held_out


def finetune(vae: VAE, x, y, config: FinetuneConfig | None = None, *, seed: int = 0,
             verbose: int = 0, callbacks=None,
             classifier: SemiSupervisedClassifier | None = None,
             ) -> tuple[SemiSupervisedClassifier, dict]:
    """Fine-tune a copy of ``vae``'s encoder and a classifier head jointly.

    The pretrained ``vae`` is left unchanged: its encoder and decoder are
    copied into the new :class:`SemiSupervisedClassifier`. Pass an already
    fine-tuned ``classifier`` to continue training it instead (warm start):
    its loss settings and optimizer state are kept, and ``config`` gives the
    schedule (epochs, batches, label propagation).

    Parameters
    ----------
    vae : VAE
        A pretrained VAE (see :func:`pretrain_vae`).
    x : array-like
        All training rows, labelled and unlabeled; all of them feed the
        unlabeled part of the loss.
    y : array-like of int
        Class index ``0..K-1`` per row, ``-1`` where unlabeled.
    config : FinetuneConfig, optional
        Fine-tuning settings; defaults when omitted.
    seed : int, default=0
        Seeds the head's initialisation, the batches and the augmentations.
    verbose : int, default=0
        Keras progress output.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks.
    classifier : SemiSupervisedClassifier, optional
        A fine-tuned classifier (for the same classes and input shape as
        ``vae``) to train further, in place.

    Returns
    -------
    classifier : SemiSupervisedClassifier
        Holding the averaged (EMA) weights when averaging is on; ``classifier``
        itself when one was given.
    history : dict
        Per-epoch loss, classification_loss, vae_loss, pseudo_label_loss,
        confident_fraction, accuracy (and val_* with a validation split).
    """
    config = config or FinetuneConfig()
    if not isinstance(vae, VAE):
        raise TypeError(f"vae must be a vaekit.VAE, got {type(vae).__name__}.")
    x = vae.check_input(x)
    y = check_semi_supervised_labels(y, len(x))
    if len(x) < config.batch_size:
        raise ValueError(
            f"Fine-tuning needs at least batch_size={config.batch_size} rows for the "
            f"unlabeled part of each step, got {len(x)}. Pass a smaller batch_size."
        )
    n_classes = int(y.max()) + 1
    labelled = np.flatnonzero(y != UNLABELED)
    train_rows, val_rows = _validation_split(y, labelled, config.validation_fraction, seed)

    if classifier is not None:
        model = _check_continuable(classifier, vae, n_classes)
    else:
        seed_everything(seed)
        model = _new_classifier(vae, n_classes, config, y[train_rows], seed)
    batches = JointBatches(x, y, train_rows, config.batch_size,
                           config.labelled_batch_size, seed,
                           passes=config.resolved_passes(len(x)))
    epochs = config.resolved_epochs(len(x))
    propagation = None
    # The model's own weight decides (a continued classifier keeps the one it was built with).
    propagate = model.label_propagation_weight > 0
    if propagate and len(x) <= config.label_propagation_max_rows:
        y_spread = np.full_like(y, UNLABELED)
        y_spread[train_rows] = y[train_rows]
        batches.set_targets(*propagate_labels(
            model.encode(x), y_spread, n_classes, config.label_propagation_neighbors))
        propagation = LabelPropagationRefresh(
            batches, y_spread, n_classes,
            every=max(1, epochs // config.label_propagation_refreshes),
            neighbors=config.label_propagation_neighbors)
    elif propagate:
        logger.info("Label propagation skipped: %d rows > label_propagation_max_rows=%d.",
                    len(x), config.label_propagation_max_rows)
    if not model.compiled:
        ema = config.resolved_ema_momentum(epochs * len(batches))
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=config.learning_rate, use_ema=ema > 0, ema_momentum=ema or 0.99,
        ))
    all_callbacks = [StopOnNonFiniteLoss()]
    if propagation is not None:
        all_callbacks.append(propagation)
    if config.freeze_encoder_epochs:
        all_callbacks.append(EncoderFreeze(config.freeze_encoder_epochs))
    validation = None
    if val_rows is not None:
        validation = (x[val_rows], y[val_rows])
        all_callbacks.append(keras.callbacks.EarlyStopping(
            monitor="val_accuracy", mode="max", patience=config.early_stopping_patience,
            restore_best_weights=True,
        ))
    all_callbacks.extend(callbacks or [])
    history = model.fit(batches, epochs=epochs, verbose=verbose, callbacks=all_callbacks,
                        validation_data=validation)
    return model, history.history


def _new_classifier(vae: VAE, n_classes: int, config: FinetuneConfig,
                    y_train: np.ndarray, seed: int) -> SemiSupervisedClassifier:
    """A classifier on copies of ``vae``'s encoder and decoder, set up from ``config``."""
    return SemiSupervisedClassifier(
        _copy_model(vae.encoder), _copy_model(vae.decoder), n_classes,
        head_units=config.head_units, beta=vae.beta, reconstruction=vae.reconstruction,
        alpha=config.alpha, pseudo_label_weight=config.pseudo_label_weight,
        confidence=config.confidence, augment=config.augment,
        mixup=config.resolved_mixup(vae.sample_shape, vae.reconstruction),
        classify_from=config.classify_from,
        class_weights=_class_weights(config.class_weight, y_train, n_classes),
        label_propagation_weight=config.resolved_label_propagation_weight(
            vae.sample_shape, vae.reconstruction),
        seed=seed,
    )


@dataclass
class SemiSupervisedResult:
    """What :func:`pretrain_then_finetune` returns.

    Attributes
    ----------
    vae : VAE
        The pretrained VAE (unchanged by fine-tuning).
    classifier : SemiSupervisedClassifier
        The fine-tuned encoder and head.
    pretrain_history, finetune_history : dict
        Per-epoch logs of each stage.
    """

    vae: VAE
    classifier: SemiSupervisedClassifier
    pretrain_history: dict = field(default_factory=dict)
    finetune_history: dict = field(default_factory=dict)


_finetune_stage = finetune


def pretrain_then_finetune(x, y, *, pretrain: PretrainConfig | None = None,
                           finetune: FinetuneConfig | None = None,
                           seed: int = 0, verbose: int = 0) -> SemiSupervisedResult:
    """The whole semi-supervised job: pretrain a VAE on all ``x``, fine-tune on the labels.

    Parameters
    ----------
    x : array-like
        All training rows, shape ``(n, *sample_shape)``.
    y : array-like of int
        Class index per row, ``-1`` for unlabeled rows (scikit-learn's
        convention).
    pretrain : PretrainConfig, optional
        Pretraining settings.
    finetune : FinetuneConfig, optional
        Fine-tuning settings.
    seed : int, default=0
        Seed of both stages.
    verbose : int, default=0
        Keras progress output.

    Returns
    -------
    SemiSupervisedResult

    Examples
    --------
    >>> import numpy as np, vaekit
    >>> from vaekit.data import load_digits, labelled_subset, hide_labels
    >>> data = load_digits()                                     # doctest: +SKIP
    >>> keep = labelled_subset(data.train.y, per_class=10, seed=0)  # doctest: +SKIP
    >>> y = hide_labels(data.train.y, keep)                      # doctest: +SKIP
    >>> result = vaekit.pretrain_then_finetune(data.train.x, y)  # doctest: +SKIP
    >>> result.classifier.predict_classes(data.test.x)           # doctest: +SKIP
    """
    x = check_array("x", x)
    y = check_semi_supervised_labels(y, len(x))
    finetune_config = finetune or FinetuneConfig()
    if len(x) < finetune_config.batch_size:
        raise ValueError(
            f"Fine-tuning needs at least batch_size={finetune_config.batch_size} rows, got "
            f"{len(x)}. Pass a smaller batch_size."
        )
    vae, pretrain_history = pretrain_vae(x, pretrain, seed=seed, verbose=verbose)
    classifier, finetune_history = _finetune_stage(vae, x, y, finetune_config, seed=seed,
                                                   verbose=verbose)
    return SemiSupervisedResult(vae, classifier, pretrain_history, finetune_history)
