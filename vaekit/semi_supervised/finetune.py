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
from vaekit.distribution import Distribution, get_distribution
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE
from vaekit.semi_supervised.averaged_weights import KeepBestWeights
from vaekit.semi_supervised.finetune_data import (
    InMemory,
    Streamed,
    sample_rows_per_step,
    streamed,
    with_measured_epsilon,
)
from vaekit.semi_supervised.joint_batches import JointBatches
from vaekit.semi_supervised.labels import UNLABELED, check_semi_supervised_labels
from vaekit.streaming.joint import StreamTargets, stream_joint_batches
from vaekit.semi_supervised.propagation import (
    LabelPropagationRefresh,
    PropagationRows,
    SoftTargets,
    describe_sample,
)
from vaekit.semi_supervised.warm_start import check_continuable, continue_with
from vaekit.streaming.bad_records import explain_stream_errors
from vaekit.streaming.rows import is_dataset, sample_rows
from vaekit.training.callbacks import EncoderFreeze, StopOnNonFiniteLoss
from vaekit.training.seeding import seed_everything

logger = logging.getLogger(__name__)


def finetune(vae: VAE, x, y=None, config: FinetuneConfig | None = None, *,
             recipe: FinetuneRecipe | None = None, seed: int = 0, verbose: int = 0,
             callbacks=None, classifier: SemiSupervisedClassifier | None = None,
             labelled=None, n_rows: int | None = None, shuffle_buffer: int | None = None,
             distribution=None) -> tuple[SemiSupervisedClassifier, dict]:
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
    x : array-like or tf.data.Dataset
        All training rows, labelled and unlabeled; all of them feed the
        unlabeled part of the loss. Or a ``tf.data.Dataset`` of unlabeled rows
        (see :func:`vaekit.pretrain_vae`), streamed beside the labelled rows
        given as ``labelled``.
    y : array-like of int, optional
        Class index ``0..K-1`` per row of array ``x``, ``-1`` where unlabeled;
        None when ``x`` is a dataset.
    config : FinetuneConfig, optional
        The schedule; defaults when omitted. ``config.schedule(n)`` says how
        many steps and passes run for ``n`` rows of ``x``. Label propagation
        runs on at most ``config.label_propagation_max_rows`` rows: the
        labelled ones and a uniform sample of the others (a log line says so).
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
    labelled : (array-like, array-like), optional
        With a dataset ``x``: the labelled rows and their classes, in memory.
    n_rows : int, optional
        Rows in one pass of a dataset ``x`` whose length TensorFlow cannot tell.
    shuffle_buffer : int, optional
        Rows in the shuffle buffer of a dataset ``x`` (see :func:`vaekit.pretrain_vae`).
    distribution : {"mirrored", "data_parallel", "none"}, optional
        Train on the devices of this machine (see :mod:`vaekit.distribution`);
        ``config.batch_size`` and ``config.labelled_batch_size`` are global
        and must divide evenly across the replicas. None: one device.

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
    plan = check_finetune_distribution(get_distribution(distribution), config)
    if not isinstance(vae, VAE):
        raise TypeError(f"vae must be a vaekit.VAE, got {type(vae).__name__}.")
    if is_dataset(x):
        data = streamed(vae, x, y, labelled, n_rows)
    else:
        if y is None or labelled is not None:
            raise ValueError("With array x, give y (class per row, -1 where unlabeled) and "
                             "no labelled=...; labelled=(x, y) goes with a dataset x.")
        x = vae.check_input(x)
        data = InMemory(x, check_semi_supervised_labels(y, len(x)))
    y_all = data.y
    n_classes = int(y_all.max()) + 1
    labelled_rows = np.flatnonzero(y_all != UNLABELED)
    train_rows, val_rows = validation_split(y_all, labelled_rows, config.validation_fraction,
                                            seed)
    if recipe is None and classifier is None:
        recipe = FinetuneRecipe()
    resolved = None if recipe is None else with_measured_epsilon(recipe.resolved(
        vae.sample_shape, vae.reconstruction, y_all[train_rows], n_classes), data, seed)
    schedule = config.schedule(data.n_rows)
    ema = config.resolved_ema_momentum(schedule.steps)
    if classifier is not None:
        model = check_continuable(classifier, vae, n_classes)
        continue_with(model, resolved, config.learning_rate, ema)
    else:
        seed_everything(seed)
        with plan.scope():
            model = SemiSupervisedClassifier(
                _copy_model(vae.encoder), _copy_model(vae.decoder), n_classes,
                recipe=resolved,
                beta=vae.beta, free_bits=vae.kl_divergence.free_bits,
                reconstruction=vae.reconstruction, seed=seed)
            model.compile(optimizer=keras.optimizers.Adam(
                learning_rate=config.learning_rate, use_ema=ema > 0,
                ema_momentum=ema or 0.99))
    logger.info("Fine-tuning: %s.", schedule.describe())
    all_callbacks = [StopOnNonFiniteLoss()]
    if isinstance(data, InMemory):
        batches = JointBatches(data.x, y_all, train_rows, config.batch_size,
                               config.labelled_batch_size, seed,
                               steps_per_round=schedule.steps_per_round)
        all_callbacks += _propagation(model, batches, y_all, train_rows, n_classes, config,
                                      schedule, seed)
        fit_options = {}
    else:
        batches, refresh = _stream_batches(model, data, train_rows, n_classes, config,
                                           schedule, seed, shuffle_buffer)
        all_callbacks += refresh
        fit_options = {"steps_per_epoch": schedule.steps_per_round, "shuffle": False}
    if config.freeze_encoder_epochs:
        all_callbacks.append(EncoderFreeze(math.ceil(
            config.freeze_encoder_epochs * schedule.steps_per_pass / schedule.steps_per_round)))
    validation = None
    if val_rows is not None:
        validation = (data.labelled_x(val_rows), y_all[val_rows])
        # KeepBestWeights must come before SwapEMAWeights: see its docstring.
        all_callbacks.append(KeepBestWeights("val_accuracy", config.early_stopping_patience))
        if model.optimizer.use_ema:
            all_callbacks.append(keras.callbacks.SwapEMAWeights())
    all_callbacks.extend(callbacks or [])
    with explain_stream_errors(x), plan.scope():
        history = model.fit(batches, epochs=schedule.rounds, verbose=verbose,
                            callbacks=all_callbacks, validation_data=validation,
                            **fit_options)
    return model, history.history


def _stream_batches(model, data: Streamed, train_rows, n_classes: int,
                    config: FinetuneConfig, schedule: Schedule, seed: int, shuffle_buffer):
    """The tf.data batches of a streamed fine-tune and its propagation callbacks."""
    x_train, y_train = data.x[train_rows], data.y[train_rows]
    if model.recipe.label_propagation_weight <= 0:
        return stream_joint_batches(x_train, y_train, data.stream, config.batch_size,
                                    config.labelled_batch_size, seed,
                                    shuffle_buffer=shuffle_buffer), []
    room = max(1, config.label_propagation_max_rows - len(x_train))
    sample, _ = sample_rows(data.stream, room, seed)
    logger.info(describe_sample(len(x_train) + len(sample), len(x_train) + data.n_rows,
                                config.label_propagation_max_rows))
    targets = StreamTargets(sample, n_classes)
    rows = PropagationRows(np.concatenate([x_train, sample]), len(x_train),
                           lambda t, w: targets.write(t[len(x_train):], w[len(x_train):]))
    refresh = _first_targets(model, rows, y_train, n_classes, config, schedule)
    per_step = sample_rows_per_step(config.batch_size, len(sample), data.n_rows)
    batches = stream_joint_batches(x_train, y_train, data.stream, config.batch_size,
                                   config.labelled_batch_size, seed,
                                   shuffle_buffer=shuffle_buffer, targets=targets,
                                   sample_rows_per_step=per_step)
    return batches, refresh


def _first_targets(model, rows: PropagationRows, y_labelled, n_classes: int,
                   config: FinetuneConfig, schedule: Schedule) -> list:
    """Spread the labels over ``rows`` once; return the callback that refreshes them."""
    y_spread = np.full(len(rows.x), UNLABELED, dtype=np.int64)
    y_spread[:rows.n_labelled] = y_labelled
    share = config.resolved_label_propagation_input_share(rows.x.shape[1:])
    soft_targets = SoftTargets(rows.x, y_spread, n_classes,
                               config.label_propagation_neighbors, share)
    rows.set_targets(*soft_targets(model.encode(rows.x)))
    every = max(1, schedule.rounds // config.label_propagation_refreshes)
    return [LabelPropagationRefresh(rows, soft_targets, every=every)]


def _propagation(model, batches: JointBatches, y, train_rows, n_classes: int,
                 config: FinetuneConfig, schedule: Schedule, seed: int) -> list:
    """Set the first label-propagation targets of array batches; return the refresh callback.

    On more than ``label_propagation_max_rows`` rows, the graph holds the
    labelled training rows and a uniform sample of the others.
    """
    if model.recipe.label_propagation_weight <= 0:
        return []
    x = batches.x
    sample, index = sample_rows(x, config.label_propagation_max_rows, seed, always=train_rows)
    logger.info(describe_sample(len(index), len(x), config.label_propagation_max_rows))
    full_targets = np.full((len(x), n_classes), 1.0 / n_classes, dtype="float32")
    full_weights = np.zeros(len(x), dtype="float32")

    def write(targets, weights):
        full_targets[index], full_weights[index] = targets, weights
        batches.set_targets(full_targets, full_weights)

    rows = PropagationRows(sample, len(train_rows), write)
    return _first_targets(model, rows, y[train_rows], n_classes, config, schedule)


def check_finetune_distribution(plan: Distribution, config: FinetuneConfig) -> Distribution:
    """Refuse what fine-tuning cannot do with ``plan``; return it.

    Fine-tuning runs on the devices of one machine: its joint batches are drawn
    from every row by one process. Pretraining, the stage that reads all the
    unlabeled data, is the one to spread over machines.
    """
    if plan.num_processes > 1:
        raise ValueError(
            f"distribution={plan.name!r}: fine-tuning runs on one machine (its joint "
            "batches are drawn by one process); pretrain with 'multi_worker' and "
            "fine-tune with 'mirrored' or None.")
    plan.check_batch_size(config.batch_size, "config.batch_size")
    plan.check_batch_size(config.labelled_batch_size, "config.labelled_batch_size")
    return plan


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
