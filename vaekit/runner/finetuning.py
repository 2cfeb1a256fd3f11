"""The finetune stage: one classifier per (label count, seed), from the pretrained VAE."""

from __future__ import annotations

import time

from vaekit.file_formats import write_json
from vaekit.files import save_keras_model
from vaekit.runner.callbacks import publish_tensorboard, training_callbacks
from vaekit.runner.context import StageContext

__all__ = ["finetune_classifiers"]


def finetune_classifiers(ctx: StageContext) -> list:
    """Fine-tune one classifier per experiment of the pipeline; finished ones are kept.

    Writes ``models/classifier_<count>_seed<s>.keras`` and
    ``results/finetune/<count>_seed<s>.json`` (history, labelled rows) per experiment.

    Parameters
    ----------
    ctx : StageContext
        The run, pretrained.

    Returns
    -------
    list of (LabelCount, int)
        The experiments; empty (and nothing done) when the pipeline has no
        finetune section.
    """
    import vaekit
    from vaekit.data import hide_labels

    experiments = ctx.experiments()
    if not experiments:
        ctx.echo("finetune: the pipeline has no finetune section, skipped")
        return experiments
    layout, data = ctx.layout, ctx.data
    config, recipe = ctx.pipeline.finetune.config, ctx.pipeline.finetune.recipe
    schedule = config.schedule(len(data.x_train))
    for index, (count, seed) in enumerate(experiments, 1):
        label = f"finetune {index}/{len(experiments)} ({count}, seed {seed})"
        result = layout.result("finetune", count, seed)
        if result.is_file() and layout.classifier(count, seed).is_file():
            ctx.echo(f"{label}: done already, kept")
            continue
        keep = data.labelled_indices(count, seed)
        y = hide_labels(data.y_train, keep)
        ctx.echo(f"{label}: {len(keep)} labelled rows, {schedule.describe()}")
        began = time.perf_counter()
        log_name = f"finetune_{layout.unit_name(count, seed)}"
        callbacks = training_callbacks(layout, ctx.pipeline.outputs.tensorboard, label,
                                       schedule.rounds, log_name)
        classifier, history = vaekit.finetune(
            ctx.models.get("vae"), data.x_train, y, config, recipe=recipe, seed=seed,
            verbose=ctx.verbose, callbacks=callbacks,
            distribution=ctx.pipeline.training.distribution)
        publish_tensorboard(layout, log_name)
        save_keras_model(classifier, layout.classifier(count, seed))
        write_json(result, {
            "label_count": count.key, "labels_per_class": count.per_class,
            "n_labels": int(len(keep)), "seed": seed,
            "seconds": time.perf_counter() - began,
            "labelled_indices": keep.tolist(),
            "history": {k: [float(v) for v in vs] for k, vs in history.items()},
        })
    return experiments
