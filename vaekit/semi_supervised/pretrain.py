"""Pretraining: a VAE built from a :class:`~vaekit.PretrainConfig`, trained on all rows."""

from __future__ import annotations

import logging

import numpy as np

from vaekit._validation import check_array
from vaekit.config import PretrainConfig
from vaekit.distribution import get_distribution
from vaekit.models.factory import build_vae
from vaekit.models.vae import VAE
from vaekit.streaming.bad_records import explain_stream_errors
from vaekit.streaming.rows import RowStream, as_row_stream, is_dataset, training_batches
from vaekit.training.seeding import seed_everything

logger = logging.getLogger(__name__)


def repeat_for_rounds(x: np.ndarray, passes_per_round: int) -> np.ndarray:
    """The rows of one round: ``x`` repeated ``passes_per_round`` times (shuffled by fit).

    Parameters
    ----------
    x : numpy.ndarray
        All training rows.
    passes_per_round : int
        Passes over ``x`` in one Keras epoch (see :class:`vaekit.config.Schedule`).

    Returns
    -------
    numpy.ndarray
    """
    return x if passes_per_round == 1 else np.concatenate([x] * passes_per_round, axis=0)


def pretrain_vae(x, config: PretrainConfig | None = None, *, seed: int = 0,
                 verbose: int = 0, callbacks=None, initial_epoch: int = 0,
                 vae: VAE | None = None, n_rows: int | None = None,
                 shuffle_buffer: int | None = None,
                 distribution=None) -> tuple[VAE, dict]:
    """Build a VAE from ``config`` and train it on all rows of ``x``.

    Parameters
    ----------
    x : array-like or tf.data.Dataset
        All training rows (labels are not used), shape ``(n, *sample_shape)``;
        or a ``tf.data.Dataset`` of rows (or of ``(row, label)`` pairs, or of
        batches), e.g. from :mod:`vaekit.streaming`, streamed through a
        bounded shuffle buffer with prefetching and never held whole.
    config : PretrainConfig, optional
        Architecture and training settings; defaults when omitted.
        ``config.schedule(n_rows)`` says how many passes and steps run.
    seed : int, default=0
        Seeds weight initialisation, sampling and shuffling.
    verbose : int, default=0
        Keras progress output (0 silent, 1 progress bar, 2 one line a round).
    callbacks : list of keras.callbacks.Callback, optional
        Extra callbacks (checkpoints, TensorBoard, ...).
    initial_epoch : int, default=0
        Round (Keras epoch) to resume at, with ``vae`` holding the restored model.
    vae : VAE, optional
        An existing VAE to train further instead of building one.
    n_rows : int, optional
        Rows in one pass of a dataset whose length TensorFlow cannot tell
        (``cardinality`` unknown or infinite); a ``ValueError`` asks for it.
    shuffle_buffer : int, optional
        Rows in a dataset's shuffle buffer; by default what fits in 256 MB, at
        most 10,000 (see :func:`vaekit.streaming.rows.shuffle_buffer_rows`).
    distribution : {"mirrored", "data_parallel", "multi_worker", "none"}, optional
        Train on several devices or machines (see :mod:`vaekit.distribution`);
        ``config.batch_size`` is the global batch and must divide evenly
        across the replicas. None: one device.

    Returns
    -------
    vae : VAE
        The trained model.
    history : dict
        ``fit``'s history (loss, reconstruction_loss, kl_loss per round).
    """
    config = config or PretrainConfig()
    plan = get_distribution(distribution)
    plan.check_batch_size(config.batch_size, "config.batch_size")
    if vae is None:
        seed_everything(seed)
    if is_dataset(x):
        with plan.scope():
            return _pretrain_on_stream(plan.local_rows(as_row_stream(x, n_rows)), config,
                                       seed=seed, verbose=verbose, callbacks=callbacks,
                                       initial_epoch=initial_epoch, vae=vae,
                                       shuffle_buffer=shuffle_buffer)
    x = check_array("x", x, unit_interval=config.reconstruction == "bce")
    if len(x) < config.batch_size:
        logger.info("Pretraining on %d rows, fewer than batch_size=%d: one step a pass.",
                    len(x), config.batch_size)
    if vae is None:
        with plan.scope():
            vae = _build(x.shape[1:], config, seed)
    schedule = config.schedule(len(x))
    logger.info("Pretraining: %s.", schedule.describe())
    # Each process of a multi-worker job feeds its share of the rows and of the batch.
    rows = repeat_for_rounds(plan.local_rows(x), schedule.passes_per_round)
    with plan.scope():
        history = vae.fit(rows, epochs=schedule.rounds, verbose=verbose,
                          batch_size=plan.local_batch_size(min(config.batch_size, len(x))),
                          callbacks=callbacks, initial_epoch=initial_epoch, shuffle=True)
    return vae, history.history


def _build(sample_shape, config: PretrainConfig, seed: int) -> VAE:
    return build_vae(
        sample_shape, config.latent_dim, config.builders(), config.reconstruction,
        config.beta, free_bits=config.free_bits, learning_rate=config.learning_rate,
        seed=seed, **config.resolved_architecture_options(),
    )


def check_first_batch(stream: RowStream, reconstruction: str, name: str = "x") -> None:
    """Check the first rows of a stream as arrays are checked (finite; [0, 1] for ``bce``).

    A stream is not read whole before training; a later bad row shows up as a
    non-finite loss (:class:`~vaekit.training.StopOnNonFiniteLoss`).
    """
    with explain_stream_errors(stream.source):
        first = next(stream.dataset.batch(64).take(1).as_numpy_iterator(), None)
    if first is None:
        raise ValueError(f"{name} is an empty dataset.")
    check_array(f"{name} (its first {len(first)} rows)", first,
                unit_interval=reconstruction == "bce")


def _pretrain_on_stream(stream: RowStream, config: PretrainConfig, *, seed, verbose,
                        callbacks, initial_epoch, vae, shuffle_buffer) -> tuple[VAE, dict]:
    """:func:`pretrain_vae` on a stream: ``steps_per_round`` batches a Keras epoch."""
    check_first_batch(stream, config.reconstruction)
    if vae is None:
        vae = _build(stream.sample_shape, config, seed)
    schedule = config.schedule(stream.n_rows)
    logger.info("Pretraining on a stream of %d rows: %s.", stream.n_rows, schedule.describe())
    batches = training_batches(stream, config.batch_size, seed, shuffle_buffer)
    with explain_stream_errors(stream.source):
        history = vae.fit(batches, epochs=schedule.rounds,
                          steps_per_epoch=schedule.steps_per_round, verbose=verbose,
                          callbacks=callbacks, initial_epoch=initial_epoch, shuffle=False)
    return vae, history.history
