"""The evaluate stage: test scores of every experiment, probes, baselines, metrics files."""

from __future__ import annotations

import json

import numpy as np

from vaekit.file_formats import write_csv, write_json
from vaekit.runner.context import StageContext, load_saved_model
from vaekit.runner.layout import RunFolderError
from vaekit.runner.methods import method_columns, score

__all__ = ["evaluate_run", "sample_std"]

#: Rows on which the VAE's ELBO and active units are measured.
_PRETRAIN_EVAL_ROWS = 5000


def _pretrain_metrics(ctx: StageContext) -> dict:
    from vaekit.evaluation import active_units

    data, layout = ctx.data, ctx.layout
    x = data.x_test if data.x_test is not None else data.x_train
    x = x[:_PRETRAIN_EVAL_ROWS]
    metrics = {}
    for name in ctx.model_names:
        history = json.loads(layout.history(name).read_text()) if layout.history(
            name).is_file() else {}
        schedule = ctx.pipeline.pretrain.schedule(len(data.x_train))
        entry = {"epochs": schedule.epochs, "steps": schedule.steps,
                 "rounds": len(history.get("loss", [])),
                 "final": {key: values[-1] for key, values in history.items() if values}}
        model = ctx.models.get(name)
        if name == "vae":
            entry["elbo_mean"] = float(np.mean(model.elbo(x)))
            entry["active_units"] = active_units(model, x)
            entry["latent_dim"] = int(model.latent_dim)
        else:
            x_hat = model.reconstruct(x)
            entry["reconstruction_loss_mean"] = float(np.mean(
                np.asarray(model.reconstruction_loss(x, x_hat))))
        metrics[name] = entry
    return metrics


def _evaluate_experiment(ctx: StageContext, count, seed: int) -> dict:
    from vaekit.data import hide_labels
    from vaekit.evaluation import classification_report, latent_probe
    from vaekit.runner.baselines import run_baselines
    from vaekit.runner.streamed_scoring import baseline_rows, streamed_predictions

    layout, data, spec = ctx.layout, ctx.data, ctx.pipeline.evaluate
    finetuned = layout.result("finetune", count, seed)
    if not finetuned.is_file() or not layout.classifier(count, seed).is_file():
        raise RunFolderError(
            f"{finetuned}: not found; run `vaekit finetune` (or `vaekit run`) with this "
            "--output first"
        )
    record = json.loads(finetuned.read_text())
    keep = np.asarray(record["labelled_indices"], dtype=np.int64)
    classifier = load_saved_model(layout.classifier(count, seed))
    if data.test_stream is None:
        y_test, predicted = data.y_test, classifier.predict_classes(data.x_test)
    else:  # every test row, a batch at a time
        y_test, predicted = streamed_predictions(classifier, data.test_stream)
    report = classification_report(y_test, predicted)
    row = {"label_count": count.key, "labels_per_class": count.per_class,
           "n_labels": int(len(keep)), "seed": seed, **report}
    if spec.probe is not None:
        for name in ctx.model_names:
            model = ctx.models.get(name)
            codes, y_codes = ctx.models.test_codes(name, data)
            row[f"{name}_probe"] = latent_probe(
                model.encode(data.x_train[keep]), data.y_train[keep], codes, y_codes,
                kind=spec.probe)
    if spec.baselines:
        row["baselines"] = run_baselines(
            data.x_train, hide_labels(data.y_train, keep), data.x_test, data.y_test,
            names=spec.baselines, seed=seed, max_unlabeled=spec.baseline_max_unlabeled)
        if data.test_stream is not None:
            row["baselines_sample"] = baseline_rows(data)
            ctx.echo(row["baselines_sample"]["note"])
    return row


def sample_std(values) -> float | None:
    """The sample standard deviation (``ddof=1``) of ``values``; None for one value.

    Means over a few seeds come with this spread, not the population one
    (``ddof=0``), which understates it: by a factor of 0.82 for three seeds.

    Parameters
    ----------
    values : sequence of float

    Returns
    -------
    float or None
    """
    values = np.asarray(values, dtype=float)
    return float(np.std(values, ddof=1)) if values.size > 1 else None


def _summary(rows: list[dict]) -> list[dict]:
    columns = method_columns(rows)
    summary = []
    for key in dict.fromkeys(row["label_count"] for row in rows):
        group = [row for row in rows if row["label_count"] == key]
        methods = {}
        for column in columns:
            scores = [s for s in (score(row, column) for row in group) if s is not None]
            if scores:
                methods[column] = {"mean": float(np.mean(scores)),
                                   "std": sample_std(scores), "n": len(scores)}
        summary.append({"label_count": key, "labels_per_class": group[0]["labels_per_class"],
                        "n_labels": group[0]["n_labels"], "seeds": [r["seed"] for r in group],
                        "methods": methods})
    return summary


def evaluate_run(ctx: StageContext) -> dict:
    """Evaluate every experiment of the run (kept ones are reused) and write metrics.

    Writes ``results/evaluate/<count>_seed<s>.json`` per experiment, then
    ``metrics.json`` (data summary, pretraining scores, one row per experiment,
    mean, sample standard deviation and number of seeds per label count) and
    ``metrics.csv`` (one row per experiment).

    Parameters
    ----------
    ctx : StageContext
        The run, its earlier stages done.

    Returns
    -------
    dict
        The content of ``metrics.json``.
    """
    layout = ctx.layout
    rows = []
    experiments = ctx.experiments()
    for index, (count, seed) in enumerate(experiments, 1):
        label = f"evaluate {index}/{len(experiments)} ({count}, seed {seed})"
        path = layout.result("evaluate", count, seed)
        if path.is_file():
            ctx.echo(f"{label}: done already, kept")
            row = json.loads(path.read_text())
        else:
            row = _evaluate_experiment(ctx, count, seed)
            write_json(path, row)
            ctx.echo(f"{label}: accuracy {100 * row['accuracy']:.2f}%")
        rows.append(row)
    metrics = {
        "pipeline": ctx.pipeline.name,
        "summary_spread": "std: sample standard deviation (ddof=1) over the n seeds; "
                          "null for one seed",
        "data": ctx.data.summary(),
        "pretrain": _pretrain_metrics(ctx),
        "experiments": rows,
        "summary": _summary(rows),
    }
    write_json(layout.metrics_json, metrics)
    columns = method_columns(rows)
    table = [
        {"label_count": row["label_count"], "labels_per_class": row["labels_per_class"],
         "n_labels": row["n_labels"], "seed": row["seed"], "macro_f1": row["macro_f1"],
         **{column: score(row, column) for column in columns}}
        for row in rows
    ]
    fields = ["label_count", "labels_per_class", "n_labels", "seed", "accuracy", "macro_f1",
              *[c for c in columns if c != "accuracy"]]
    write_csv(layout.metrics_csv, table, fieldnames=fields)
    return metrics
