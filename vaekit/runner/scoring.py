"""The evaluate stage: test scores of every experiment, probes, baselines, metrics files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import numpy as np

from vaekit.file_formats import write_csv, write_json

if TYPE_CHECKING:
    from vaekit.runner.run import Runner

__all__ = ["METHOD_LABELS", "OWN_COLUMNS", "evaluate_run", "method_columns"]

#: Display name of each scored method (baselines keep their own names).
METHOD_LABELS = {
    "accuracy": "vaekit (fine-tuned)",
    "vae_probe": "VAE latent + probe (M1)",
    "autoencoder_probe": "AutoEncoder latent + probe",
    "logistic_regression": "logistic regression",
    "pca_logistic": "PCA(32) + logistic regression",
    "label_spreading": "label spreading (k-NN)",
    "self_training": "self-training (SVC)",
}
#: Columns that are vaekit's own scores; the others are baselines.
OWN_COLUMNS = ("accuracy", "vae_probe", "autoencoder_probe")
#: Rows on which the VAE's ELBO and active units are measured.
_PRETRAIN_EVAL_ROWS = 5000


def method_columns(rows: list[dict]) -> list[str]:
    """Score columns present in the experiment rows, vaekit first, baselines last."""
    columns = [c for c in OWN_COLUMNS if any(c in row for row in rows)]
    baselines = list(dict.fromkeys(name for row in rows for name in row.get("baselines", {})))
    return columns + baselines


def _score(row: dict, column: str) -> float | None:
    if column in row:
        return row[column]
    return row.get("baselines", {}).get(column)


def _pretrain_metrics(runner: Runner) -> dict:
    from vaekit.evaluation import active_units

    data, layout = runner.data, runner.layout
    x = data.x_test if data.x_test is not None else data.x_train
    x = x[:_PRETRAIN_EVAL_ROWS]
    names = ["vae"] + (["autoencoder"] if runner.pipeline.autoencoder else [])
    metrics = {}
    for name in names:
        history = json.loads(layout.history(name).read_text()) if layout.history(
            name).is_file() else {}
        entry = {"epochs": len(history.get("loss", [])),
                 "final": {key: values[-1] for key, values in history.items() if values}}
        model = runner.model(name)
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


def _evaluate_experiment(runner: Runner, count, seed: int) -> dict:
    import keras

    from vaekit.evaluation import classification_report, latent_probe
    from vaekit.runner.baselines import run_baselines
    from vaekit.runner.run import RunFolderError
    from vaekit.data import hide_labels

    layout, data, spec = runner.layout, runner.data, runner.pipeline.evaluate
    finetuned = layout.result("finetune", count, seed)
    if not finetuned.is_file() or not layout.classifier(count, seed).is_file():
        raise RunFolderError(
            f"{finetuned}: not found; run `vaekit finetune` (or `vaekit run`) with this "
            "--output first"
        )
    record = json.loads(finetuned.read_text())
    keep = np.asarray(record["labelled_indices"], dtype=np.int64)
    classifier = keras.saving.load_model(layout.classifier(count, seed))
    report = classification_report(data.y_test, classifier.predict_classes(data.x_test))
    row = {"label_count": count.key, "labels_per_class": count.per_class,
           "n_labels": int(len(keep)), "seed": seed, **report}
    if spec.probe is not None:
        for name in ["vae"] + (["autoencoder"] if runner.pipeline.autoencoder else []):
            model = runner.model(name)
            row[f"{name}_probe"] = latent_probe(
                model.encode(data.x_train[keep]), data.y_train[keep],
                runner.latent_codes(name, data.x_test), data.y_test, kind=spec.probe)
    if spec.baselines:
        row["baselines"] = run_baselines(
            data.x_train, hide_labels(data.y_train, keep), data.x_test, data.y_test,
            names=spec.baselines, seed=seed, max_unlabeled=spec.baseline_max_unlabeled)
    return row


def _summary(rows: list[dict]) -> list[dict]:
    columns = method_columns(rows)
    summary = []
    for key in dict.fromkeys(row["label_count"] for row in rows):
        group = [row for row in rows if row["label_count"] == key]
        methods = {}
        for column in columns:
            scores = [s for s in (_score(row, column) for row in group) if s is not None]
            if scores:
                methods[column] = {"mean": float(np.mean(scores)),
                                   "std": float(np.std(scores)), "n": len(scores)}
        summary.append({"label_count": key, "labels_per_class": group[0]["labels_per_class"],
                        "n_labels": group[0]["n_labels"], "seeds": [r["seed"] for r in group],
                        "methods": methods})
    return summary


def evaluate_run(runner: Runner) -> dict:
    """Evaluate every experiment of ``runner`` (kept ones are reused) and write metrics.

    Writes ``results/evaluate/<count>_seed<s>.json`` per experiment, then
    ``metrics.json`` (data summary, pretraining scores, one row per experiment,
    mean and standard deviation per label count) and ``metrics.csv`` (one row
    per experiment).

    Parameters
    ----------
    runner : Runner
        An opened runner whose earlier stages are done.

    Returns
    -------
    dict
        The content of ``metrics.json``.
    """
    layout = runner.layout
    rows = []
    experiments = runner.experiments()
    for index, (count, seed) in enumerate(experiments, 1):
        label = f"evaluate {index}/{len(experiments)} ({count}, seed {seed})"
        path = layout.result("evaluate", count, seed)
        if path.is_file():
            runner.echo(f"{label}: done already, kept")
            row = json.loads(path.read_text())
        else:
            row = _evaluate_experiment(runner, count, seed)
            write_json(path, row)
            runner.echo(f"{label}: accuracy {100 * row['accuracy']:.2f}%")
        rows.append(row)
    metrics = {
        "pipeline": runner.pipeline.name,
        "data": runner.data.summary(),
        "pretrain": _pretrain_metrics(runner),
        "experiments": rows,
        "summary": _summary(rows),
    }
    write_json(layout.metrics_json, metrics)
    columns = method_columns(rows)
    table = [
        {"label_count": row["label_count"], "labels_per_class": row["labels_per_class"],
         "n_labels": row["n_labels"], "seed": row["seed"], "macro_f1": row["macro_f1"],
         **{column: _score(row, column) for column in columns}}
        for row in rows
    ]
    fields = ["label_count", "labels_per_class", "n_labels", "seed", "accuracy", "macro_f1",
              *[c for c in columns if c != "accuracy"]]
    write_csv(layout.metrics_csv, table, fieldnames=fields)
    return metrics
