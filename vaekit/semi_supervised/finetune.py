"""Joint fine-tuning: a classifier on a pretrained VAE's encoder, trained on few labels.

:func:`finetune` puts the schedule (:class:`~vaekit.FinetuneConfig`) and the
objective (:class:`~vaekit.FinetuneRecipe`, kept by the model) together; the
loss itself is :meth:`vaekit.SemiSupervisedClassifier.compute_loss`.
"""

from __future__ import annotations

import logging
import math

import keras
import numpy as np

from vaekit.config import FinetuneConfig, FinetuneRecipe, Schedule
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE
from vaekit.semi_supervised.averaged_weights import KeepBestWeights
from vaekit.semi_supervised.joint_batches import JointBatches
from vaekit.semi_supervised.labels import UNLABELED, check_semi_supervised_labels
from vaekit.semi_supervised.propagation import LabelPropagationRefresh, SoftTargets
from vaekit.semi_supervised.warm_start import check_continuable, continue_with
from vaekit.training.callbacks import EncoderFreeze, StopOnNonFiniteLoss
from vaekit.training.seeding import seed_everything

logger = logging.getLogger(__name__)


def finetune(vae: VAE, x, y, config: FinetuneConfig | None = None, *,
             recipe: FinetuneRecipe | None = None, seed: int = 0, verbose: int = 0,
             callbacks=None, classifier: SemiSupervisedClassifier | None = None,
             ) -> tuple[SemiSupervisedClassifier, dict]:
    """Fine-tune a copy of ``vae``'s encoder and a classifier head jointly.

    The pretrained ``vae`` is left unchanged: its encoder and decoder are
    copied into a new :class:`SemiSupervisedClassifier` that owns ``recipe``.
    Pass an already fine-tuned ``classifier`` to continue training it instead
    (warm start): it keeps its optimizer state; a ``recipe`` given with it
    replaces the classifier's (a change of the head or the augmentation is
    refused), and ``config``'s learning rate and EMA momentum apply.

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
        The schedule; defaults when omitted. ``config.schedule(len(x))`` says
        how many steps and passes run.
    recipe : FinetuneRecipe, optional
        The objective; defaults for a new classifier, the classifier's own
        when continuing.
    seed : int, default=0
        Seeds the head's initialisation, the batches and the augmentations.
    verbose : int, default=0
        Keras progress output.
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks (called once a round).
    classifier : SemiSupervisedClassifier, optional
        A fine-tuned classifier (for the same classes and input shape as
        ``vae``) to train further, in place.

    Returns
    -------
    classifier : SemiSupervisedClassifier
        Holding the averaged (EMA) weights when averaging is on (the best
        ones on the validation rows, with ``validation_fraction > 0``);
        ``classifier`` itself when one was given.
    history : dict
        Per-round loss, classification_loss, vae_loss, pseudo_label_loss,
        propagation_loss, confident_fraction and accuracy (of the augmented,
        mixed-up labelled training batches), and val_* with a validation split.
    """
    config = config or FinetuneConfig()
    if not isinstance(vae, VAE):
        raise TypeError(f"vae must be a vaekit.VAE, got {type(vae).__name__}.")
    x = vae.check_input(x)
    y = check_semi_supervised_labels(y, len(x))
    n_classes = int(y.max()) + 1
    labelled = np.flatnonzero(y != UNLABELED)
    train_rows, val_rows = validation_split(y, labelled, config.validation_fraction, seed)
    resolved = None if recipe is None else recipe.resolved(
        vae.sample_shape, vae.reconstruction, y[train_rows], n_classes)
    schedule = config.schedule(len(x))
    ema = config.resolved_ema_momentum(schedule.steps)
    if classifier is not None:
        model = check_continuable(classifier, vae, n_classes)
        continue_with(model, resolved, config.learning_rate, ema)
    else:
        seed_everything(seed)
        model = SemiSupervisedClassifier(
            _copy_model(vae.encoder), _copy_model(vae.decoder), n_classes,
            recipe=resolved or FinetuneRecipe().resolved(
                vae.sample_shape, vae.reconstruction, y[train_rows], n_classes),
            beta=vae.beta, free_bits=vae.kl_divergence.free_bits,
            reconstruction=vae.reconstruction, seed=seed)
        model.compile(optimizer=keras.optimizers.Adam(
            learning_rate=config.learning_rate, use_ema=ema > 0, ema_momentum=ema or 0.99))
    logger.info("Fine-tuning: %s.", schedule.describe())
    batches = JointBatches(x, y, train_rows, config.batch_size, config.labelled_batch_size,
                           seed, steps_per_round=schedule.steps_per_round)
    all_callbacks = [StopOnNonFiniteLoss()]
    all_callbacks += _propagation(model, batches, y, train_rows, n_classes, config, schedule)
    if config.freeze_encoder_epochs:
        all_callbacks.append(EncoderFreeze(math.ceil(
            config.freeze_encoder_epochs * schedule.steps_per_pass / schedule.steps_per_round)))
    validation = None
    if val_rows is not None:
        validation = (x[val_rows], y[val_rows])
        # KeepBestWeights must come before SwapEMAWeights: see its docstring.
        all_callbacks.append(KeepBestWeights("val_accuracy", config.early_stopping_patience))
        if model.optimizer.use_ema:
            all_callbacks.append(keras.callbacks.SwapEMAWeights())
    all_callbacks.extend(callbacks or [])
    history = model.fit(batches, epochs=schedule.rounds, verbose=verbose,
                        callbacks=all_callbacks, validation_data=validation)
    return model, history.history


def _propagation(model, batches: JointBatches, y, train_rows, n_classes: int,
                 config: FinetuneConfig, schedule: Schedule) -> list:
    """Set the first label-propagation targets; return the callback that refreshes them."""
    if model.recipe.label_propagation_weight <= 0:
        return []
    if len(batches.x) > config.label_propagation_max_rows:
        logger.info("Label propagation left out: %d rows > label_propagation_max_rows=%d.",
                    len(batches.x), config.label_propagation_max_rows)
        return []
    y_spread = np.full_like(y, UNLABELED)
    y_spread[train_rows] = y[train_rows]
    share = config.resolved_label_propagation_input_share(batches.x.shape[1:])
    soft_targets = SoftTargets(batches.x, y_spread, n_classes,
                               config.label_propagation_neighbors, share)
    batches.set_targets(*soft_targets(model.encode(batches.x)))
    every = max(1, schedule.rounds // config.label_propagation_refreshes)
    return [LabelPropagationRefresh(batches, soft_targets, every=every)]


def _copy_model(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def validation_split(y: np.ndarray, labelled: np.ndarray, fraction: float,
                     seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Hold out ``fraction`` of each class's labelled rows for validation.

    Parameters
    ----------
    y : numpy.ndarray
        Labels, ``-1`` where unlabeled.
    labelled : numpy.ndarray
        Indices of the labelled rows.
    fraction : float
        Share held out per class; 0 holds out none.
    seed : int
        Seed of the draw.

    Returns
    -------
    train_rows : numpy.ndarray
    validation_rows : numpy.ndarray or None
    """
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
