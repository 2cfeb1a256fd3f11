"""The generate stage's figures, drawn from a run's models and results."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaekit.runner.context import StageContext, load_saved_model
from vaekit.runner.methods import METHOD_LABELS, OWN_COLUMNS, method_columns, score

__all__ = ["FIGURES", "draw_figures"]

#: Captions used by the report, one per figure name.
CAPTIONS = {
    "latent_space": "Test samples in the latent space (two principal components of the "
                    "latent means when it has more than two dimensions), coloured by class. "
                    "The VAE's KL term packs codes around the prior; compare how cleanly "
                    "the classes separate.",
    "reconstructions": "Test inputs (the row labelled 'input') and each model's "
                       "reconstruction of them from the latent mean, one labelled row per "
                       "model (side by side panels for tabular data).",
    "samples": "New samples: latent codes drawn from the standard normal prior, decoded.",
    "interpolation": "Decoded points on the straight line between the latent codes of two "
                     "test inputs (the inputs themselves at both ends).",
    "learning_curves": "Losses of pretraining and fine-tuning after each round (a Keras "
                       "epoch; schedule.json gives its steps). Dashed, right axis: the "
                       "fine-tuning training accuracy, measured on the augmented, mixed-up "
                       "labelled batches the model trains on (not a held-out score), the "
                       "share of confident pseudo-labels, and, when finetune."
                       "validation_fraction holds labelled rows out, the validation "
                       "accuracy on them.",
    "accuracy_vs_labels": "Test accuracy against the number of labelled training examples: "
                          "mean and sample standard deviation over the seeds, with the "
                          "baselines on the same labelled rows.",
}
_N_RECONSTRUCTIONS = 10
_N_SAMPLES = 32
_N_PAIRS = 4
_STEPS = 10
_MAX_CURVES = 4


class _Figures:
    """What the figure functions share: the run, the evaluation rows, a seeded RNG."""

    def __init__(self, run: StageContext) -> None:
        self.run = run
        data = run.data
        self.x = data.x_test if data.x_test is not None else data.x_train
        self.y = data.y_test if data.y_test is not None else data.y_train
        self.rng = np.random.default_rng(run.pipeline.seed)
        self.models = run.model_names

    def model(self, name: str):
        """A saved model of the run."""
        return self.run.models.get(name)

    def spread_rows(self, n: int) -> np.ndarray:
        """``n`` evaluation rows, cycling through the classes when there are labels."""
        classes = np.unique(self.y[self.y >= 0])
        if classes.size == 0:
            return np.sort(self.rng.choice(len(self.x), min(n, len(self.x)), replace=False))
        shuffled = [self.rng.permutation(np.flatnonzero(self.y == c)) for c in classes]
        n = min(n, int(np.sum(self.y >= 0)))
        picked, round_ = [], 0
        while len(picked) < n:
            picked.extend(int(rows[round_]) for rows in shuffled if round_ < len(rows))
            round_ += 1
        return np.asarray(picked[:n])


def _latent_space(ctx: _Figures):
    from vaekit.plotting import latent_space

    run = ctx.run
    n = min(run.pipeline.outputs.latent_points, len(ctx.x))
    rows = np.sort(ctx.rng.choice(len(ctx.x), n, replace=False))
    names = {"vae": "VAE (pretrained)", "autoencoder": "AutoEncoder (pretrained)"}
    embeddings = {names[m]: ctx.model(m).encode(ctx.x[rows]) for m in ctx.models}
    experiments = run.experiments()
    if experiments:
        count = max((c for c, _ in experiments), key=lambda c: c.per_class or c.n_labels)
        seed = run.pipeline.finetune.seeds[0]
        path = run.layout.classifier(count, seed)
        if path.is_file():
            classifier = load_saved_model(path)
            embeddings[f"VAE fine-tuned ({count}, seed {seed})"] = classifier.encode(ctx.x[rows])
    split = "test" if run.data.x_test is not None else "training"
    return latent_space(embeddings, ctx.y[rows], run.data.class_names,
                        title=f"Latent space of {n} {split} samples", seed=run.pipeline.seed)


def _reconstructions(ctx: _Figures):
    from vaekit.plotting import reconstructions

    x = ctx.x[ctx.spread_rows(_N_RECONSTRUCTIONS)]
    names = {"vae": "VAE", "autoencoder": "AutoEncoder"}
    return reconstructions(x, {names[m]: ctx.model(m).reconstruct(x) for m in ctx.models},
                           title="Inputs and their reconstructions")


def _samples(ctx: _Figures):
    from vaekit.plotting import samples

    generated = ctx.model("vae").sample(_N_SAMPLES, seed=ctx.run.pipeline.seed)
    return samples(generated, title=f"{_N_SAMPLES} samples from the VAE's prior")


def _interpolation(ctx: _Figures):
    from vaekit.plotting import interpolations

    rows = ctx.spread_rows(2 * _N_PAIRS)
    starts, ends = ctx.x[rows[0::2]], ctx.x[rows[1::2]]
    vae = ctx.model("vae")
    paths = [vae.interpolate(a, b, steps=_STEPS) for a, b in zip(starts, ends)]
    return interpolations(paths, starts, ends)


#: What each fine-tuning history key measures, as the learning-curve legend says it.
FINETUNE_CURVES = {
    "loss": "training loss",
    "accuracy": "training accuracy (augmented batches)",
    "confident_fraction": "confident fraction of pseudo-labels",
    "val_loss": "validation loss (held-out labels)",
    "val_accuracy": "validation accuracy (held-out labels)",
}


def _learning_curves(ctx: _Figures):
    from vaekit.plotting import learning_curves

    layout, histories = ctx.run.layout, {}
    for name, title in (("vae", "VAE pretraining"), ("autoencoder", "AutoEncoder pretraining")):
        if layout.history(name).is_file():
            histories[title] = json.loads(layout.history(name).read_text())
    seen = []
    for count, seed in ctx.run.experiments():
        path = layout.result("finetune", count, seed)
        if count in seen or not path.is_file() or len(seen) >= _MAX_CURVES:
            continue
        seen.append(count)
        history = json.loads(path.read_text())["history"]
        histories[f"fine-tuning, {count}, seed {seed}"] = {
            FINETUNE_CURVES.get(key, key): values for key, values in history.items()}
    return learning_curves(histories, xlabel="round") if histories else None


def _accuracy_vs_labels(ctx: _Figures):
    from vaekit.plotting import accuracy_vs_labels

    path = ctx.run.layout.metrics_json
    if not path.is_file():
        return None
    rows = json.loads(path.read_text())["experiments"]
    if not rows:
        return None
    results: dict = {}
    columns = method_columns(rows)
    for column in columns:
        label = METHOD_LABELS.get(column, column)
        for row in rows:
            value = score(row, column)
            if value is not None:
                results.setdefault(label, {}).setdefault(row["n_labels"], []).append(value)
    own = sum(1 for column in columns if column in OWN_COLUMNS)
    return accuracy_vs_labels(results, highlight=METHOD_LABELS["accuracy"], baselines_from=own,
                              title=f"{ctx.run.pipeline.name}: test accuracy against "
                                    "number of labels")


#: Figure name -> function of the shared inputs returning a Figure (or None to skip).
FIGURES: dict[str, Callable[[_Figures], object]] = {
    "latent_space": _latent_space,
    "reconstructions": _reconstructions,
    "samples": _samples,
    "interpolation": _interpolation,
    "learning_curves": _learning_curves,
    "accuracy_vs_labels": _accuracy_vs_labels,
}


def draw_figures(ctx: StageContext) -> list[Path]:
    """Draw every figure named in ``outputs.plots`` into ``plots/<name>.png``.

    A figure whose inputs do not exist yet (accuracy against labels before
    the evaluate stage) is skipped with a message.

    Parameters
    ----------
    ctx : StageContext
        The run, pretrained.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from vaekit.plotting import save_figure

    inputs = _Figures(ctx)
    written = []
    for name in ctx.pipeline.outputs.plots:
        figure = FIGURES[name](inputs)
        if figure is None:
            ctx.echo(f"generate: {name} skipped (no results for it yet)")
            continue
        written.append(save_figure(figure, ctx.layout.plot(name)))
        ctx.echo(f"generate: {ctx.layout.plot(name)}")
    return written
