"""Pretraining: a VAE built from a :class:`~vaekit.PretrainConfig`, trained on all rows."""

from __future__ import annotations

import logging

import numpy as np

from vaekit._validation import check_array
from vaekit.config import PretrainConfig
from vaekit.models.factory import build_vae
from vaekit.models.vae import VAE
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
                 vae: VAE | None = None) -> tuple[VAE, dict]:
    """Build a VAE from ``config`` and train it on all rows of ``x``.

    Parameters
    ----------
    x : array-like
        All training rows (labels are not used), shape ``(n, *sample_shape)``.
    config : PretrainConfig, optional
        Architecture and training settings; defaults when omitted.
        ``config.schedule(len(x))`` says how many passes and steps run.
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

    Returns
    -------
    vae : VAE
        The trained model.
    history : dict
        ``fit``'s history (loss, reconstruction_loss, kl_loss per round).
    """
    config = config or PretrainConfig()
    if vae is None:
        seed_everything(seed)
    x = check_array("x", x, unit_interval=config.reconstruction == "bce")
    if len(x) < config.batch_size:
        logger.info("Pretraining on %d rows, fewer than batch_size=%d: one step a pass.",
                    len(x), config.batch_size)
    if vae is None:
        vae = build_vae(
            x.shape[1:], config.latent_dim, config.architecture, config.reconstruction,
            config.beta, free_bits=config.free_bits, learning_rate=config.learning_rate,
            seed=seed, **config.resolved_architecture_options(),
        )
    schedule = config.schedule(len(x))
    logger.info("Pretraining: %s.", schedule.describe())
    history = vae.fit(repeat_for_rounds(x, schedule.passes_per_round), epochs=schedule.rounds,
                      batch_size=min(config.batch_size, len(x)), verbose=verbose,
                      callbacks=callbacks, initial_epoch=initial_epoch, shuffle=True)
    return vae, history.history
