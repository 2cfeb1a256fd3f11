"""The pretrain stage: the VAE (and the autoencoder) on every training row, resumable.

Pretraining keeps a checkpoint after every epoch; a resumed run continues from
the last one and ends with the same model as a run that was never stopped.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from vaekit.file_formats import write_json
from vaekit.files import save_keras_model
from vaekit.runner.callbacks import publish_tensorboard, training_callbacks
from vaekit.runner.checkpoints import EpochCheckpoint, fit_resumable
from vaekit.runner.context import StageContext

__all__ = ["pretrain_models"]


def _trainer(ctx: StageContext, name: str, epochs: int):
    """A freshly built model ``name`` and ``train_epoch(epoch) -> logs`` for it."""
    import vaekit
    from vaekit.training.seeding import seed_everything

    config, seed, x = ctx.pipeline.pretrain, ctx.pipeline.seed, ctx.data.x_train
    callbacks = training_callbacks(ctx.layout, ctx.pipeline.outputs.tensorboard,
                                   f"pretrain {name}", epochs, f"pretrain_{name}")
    fit_args = dict(verbose=ctx.verbose, callbacks=callbacks)
    if name == "vae":
        # Zero epochs (initial_epoch == epochs) builds the model through the one
        # pretraining code path without training it.
        model, _ = vaekit.pretrain_vae(x, dataclasses.replace(config, epochs=1), seed=seed,
                                       initial_epoch=1)

        def train_epoch(epoch):
            step = dataclasses.replace(config, epochs=epoch + 1)
            return vaekit.pretrain_vae(x, step, seed=seed, vae=model,
                                       initial_epoch=epoch, **fit_args)[1]
    else:
        seed_everything(seed)
        model = vaekit.build_autoencoder(
            x.shape[1:], config.latent_dim, config.architecture, config.reconstruction,
            learning_rate=config.learning_rate, **config.resolved_architecture_options())

        passes = config.resolved_passes(len(x))  # as pretrain_vae does for the VAE
        rows = np.concatenate([x] * passes, axis=0) if passes > 1 else x

        def train_epoch(epoch):
            # Shuffled here, from the generator fit_resumable seeds for this epoch:
            # Keras' own shuffle would also draw when a fresh model builds itself.
            order = np.random.permutation(len(rows))
            return model.fit(rows[order], epochs=epoch + 1, initial_epoch=epoch,
                             shuffle=False, batch_size=config.batch_size,
                             **fit_args).history
    return model, train_epoch


def _pretrain_one(ctx: StageContext, name: str) -> None:
    layout = ctx.layout
    if layout.model(name).is_file() and layout.history(name).is_file():
        ctx.echo(f"pretrain {name}: done already, kept")
        return
    config, seed, x = ctx.pipeline.pretrain, ctx.pipeline.seed, ctx.data.x_train
    epochs = config.resolved_epochs(len(x))
    model, train_epoch = _trainer(ctx, name, epochs)
    checkpoint = EpochCheckpoint(layout.checkpoint(name))
    if checkpoint.exists():
        ctx.echo(f"pretrain {name}: resuming from {checkpoint.path}")
    ctx.echo(f"pretrain {name}: {epochs} epochs on {len(x)} rows")
    history = fit_resumable(
        model, train_epoch, epochs, checkpoint, seed,
        on_epoch_end=lambda epoch, logs: publish_tensorboard(layout, f"pretrain_{name}"))
    save_keras_model(model, layout.model(name))
    write_json(layout.history(name), history)
    checkpoint.remove()
    ctx.models.keep(name, model)


def pretrain_models(ctx: StageContext) -> None:
    """Pretrain every model of the pipeline on all training rows; finished ones are kept.

    Writes ``models/<name>.keras`` and ``histories/<name>.json`` per model; while a
    model trains, ``checkpoints/<name>.npz`` holds its last finished epoch.

    Parameters
    ----------
    ctx : StageContext
        The run.
    """
    for name in ctx.model_names:
        _pretrain_one(ctx, name)
