"""The pretrain stage: the VAE (and the autoencoder) on every training row, resumable.

Pretraining keeps a checkpoint after every round (Keras epoch, see
:class:`vaekit.config.Schedule`); a resumed run continues from the last one and
ends with the same model as a run that was never stopped.
"""

from __future__ import annotations

import numpy as np

from vaekit.file_formats import write_json
from vaekit.files import save_keras_model
from vaekit.runner.callbacks import training_callbacks
from vaekit.runner.checkpoints import EpochCheckpoint, fit_resumable
from vaekit.runner.context import StageContext
from vaekit.runner.event_files import write_history_events

__all__ = ["pretrain_models"]


def _trainer(ctx: StageContext, name: str, schedule, plan):
    """A freshly built model ``name`` and ``train_round(round) -> logs`` for it."""
    import vaekit
    from vaekit.semi_supervised.pretrain import repeat_for_rounds
    from vaekit.training.seeding import seed_everything

    config, seed, x = ctx.pipeline.pretrain, ctx.pipeline.seed, ctx.data.x_train
    plan.check_batch_size(config.batch_size, "pretrain.batch_size")
    # No TensorBoard callback: it would open an event file per round (per fit call);
    # _pretrain_one writes the whole history as one event file instead.
    callbacks = training_callbacks(ctx.layout, False, f"pretrain {name}", schedule.rounds,
                                   f"pretrain_{name}")
    if name == "vae":
        # initial_epoch == rounds builds the model through the one pretraining code
        # path without training it; the rounds below train it.
        source = x if ctx.data.train_stream is None else ctx.data.train_stream
        model, _ = vaekit.pretrain_vae(source, config, seed=seed, initial_epoch=schedule.rounds,
                                       distribution=plan)
    else:
        seed_everything(seed)
        with plan.scope():
            model = vaekit.build_autoencoder(
                x.shape[1:], config.latent_dim, config.builders(), config.reconstruction,
                learning_rate=config.learning_rate, **config.resolved_architecture_options())
    if ctx.data.train_stream is not None:
        from vaekit.runner.streamed_inputs import streamed_rounds

        return model, _in_scope(plan, streamed_rounds(ctx, model, schedule, callbacks))
    # As pretrain_vae does (on JAX, cut to a multiple of the devices).
    rows = repeat_for_rounds(plan.local_rows(x), schedule.passes_per_round)

    def train_round(round_index):
        # Shuffled here, from the generator fit_resumable seeds for this round:
        # Keras' own shuffle would also draw when a fresh model builds itself.
        order = np.random.permutation(len(rows))
        return model.fit(rows[order], epochs=round_index + 1, initial_epoch=round_index,
                         shuffle=False, batch_size=min(config.batch_size, len(x)),
                         verbose=ctx.verbose, callbacks=callbacks).history
    return model, _in_scope(plan, train_round)


def _in_scope(plan, train_round):
    """``train_round`` run inside the distribution's scope (JAX's DataParallel needs it)."""
    def run(round_index):
        with plan.scope():
            return train_round(round_index)
    return run


def _pretrain_one(ctx: StageContext, name: str) -> None:
    from vaekit.distribution import get_distribution

    layout = ctx.layout
    if layout.model(name).is_file() and layout.history(name).is_file():
        ctx.echo(f"pretrain {name}: done already, kept")
        return
    config, seed = ctx.pipeline.pretrain, ctx.pipeline.seed
    schedule = config.schedule(ctx.data.n_train)
    plan = get_distribution(ctx.pipeline.training.distribution)
    model, train_round = _trainer(ctx, name, schedule, plan)
    checkpoint = EpochCheckpoint(layout.checkpoint(name))
    if checkpoint.exists():
        ctx.echo(f"pretrain {name}: resuming from {checkpoint.path}")
    ctx.echo(f"pretrain {name}: {schedule.describe()}, on {ctx.data.n_train} rows")
    history = fit_resumable(model, train_round, schedule.rounds, checkpoint, seed)
    if ctx.pipeline.outputs.tensorboard:  # one event file per model, restored rounds too
        write_history_events(layout, f"pretrain_{name}", history)
    save_keras_model(model, layout.model(name))
    write_json(layout.history(name), history)
    checkpoint.remove()
    if plan.num_processes == 1:  # across processes its weights live on every machine's
        ctx.models.keep(name, model)  # devices: the later stages load the saved copy


def pretrain_models(ctx: StageContext) -> None:
    """Pretrain every model of the pipeline on all training rows; finished ones are kept.

    Writes ``models/<name>.keras`` and ``histories/<name>.json`` per model (and
    ``tensorboard/pretrain_<name>/``, one event file, when ``outputs.tensorboard``);
    while a model trains, ``checkpoints/<name>.npz`` holds its last finished epoch.

    Parameters
    ----------
    ctx : StageContext
        The run.
    """
    for name in ctx.model_names:
        _pretrain_one(ctx, name)
