"""The finetune stage: one classifier per (label count, seed), from the pretrained VAE.

With ``data.streaming``, the labelled rows of each experiment are drawn from
the ones a bounded scan kept in memory (:mod:`vaekit.runner.streamed_labels`)
and every training row is streamed as the unlabeled part
(``vaekit.finetune(vae, stream, labelled=(x, y))``).
"""

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
    schedule = config.schedule(data.n_train)
    for index, (count, seed) in enumerate(experiments, 1):
        label = f"finetune {index}/{len(experiments)} ({count}, seed {seed})"
        result = layout.result("finetune", count, seed)
        if result.is_file() and layout.classifier(count, seed).is_file():
            ctx.echo(f"{label}: done already, kept")
            continue
        keep = data.labelled_indices(count, seed)
        ctx.echo(f"{label}: {len(keep)} labelled rows, {schedule.describe()}")
        began = time.perf_counter()
        log_name = f"finetune_{layout.unit_name(count, seed)}"
        callbacks = training_callbacks(layout, ctx.pipeline.outputs.tensorboard, label,
                                       schedule.rounds, log_name)
        if data.train_stream is None:
            rows = {"x": data.x_train, "y": hide_labels(data.y_train, keep)}
        else:  # the labelled rows in memory, every training row streamed
            rows = {"x": data.train_stream, "labelled": (data.x_train[keep], data.y_train[keep])}
        classifier, history = vaekit.finetune(
            ctx.models.get("vae"), config=config, recipe=recipe, seed=seed,
            verbose=ctx.verbose, callbacks=callbacks,
            distribution=ctx.pipeline.training.distribution, **rows)
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
