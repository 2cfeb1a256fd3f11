"""Where each output of a run lives inside its folder."""

from __future__ import annotations

import os
from pathlib import Path

from vaekit.runner.schema import LabelCount

__all__ = ["RunFolderError", "RunLayout"]


class RunFolderError(ValueError):
    """The output folder does not fit the command: taken, from another pipeline, or
    missing the results an earlier stage should have written."""


class RunLayout:
    """Paths of every file a run writes, relative to one output folder.

    ::

        pipeline.yaml                 the resolved pipeline (defaults filled)
        models/vae.keras, autoencoder.keras, classifier_<count>_seed<s>.keras
        checkpoints/<model>.npz       per-epoch state while a model trains
        histories/<model>.json        per-epoch logs of pretraining
        results/finetune/<count>_seed<s>.json   fine-tuning history, labelled rows
        results/evaluate/<count>_seed<s>.json   test scores, probes, baselines
        metrics.json, metrics.csv     all scores, per label count and seed
        timings.json                  seconds per stage (kept out of metrics.json)
        provenance.json               versions, backend, date, git commit, host, stage times
        .vaekit-run.lock              held by the run using the folder (vaekit.runner.lock)
        plots/<figure>.png, report.html, tensorboard/

    Parameters
    ----------
    root : str or path-like
        The output folder.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    @property
    def pipeline(self) -> Path:
        """The resolved pipeline file."""
        return self.root / "pipeline.yaml"

    def model(self, name: str) -> Path:
        """A saved model, e.g. ``model("vae")``."""
        return self.root / "models" / f"{name}.keras"

    def checkpoint(self, name: str) -> Path:
        """The epoch checkpoint of a model in training."""
        return self.root / "checkpoints" / f"{name}.npz"

    def history(self, name: str) -> Path:
        """The pretraining history of a model."""
        return self.root / "histories" / f"{name}.json"

    @staticmethod
    def unit_name(count: LabelCount, seed: int) -> str:
        """Identifier of one (label count, seed) experiment."""
        return f"{count.key}_seed{seed}"

    def classifier(self, count: LabelCount, seed: int) -> Path:
        """The fine-tuned classifier of one experiment."""
        return self.model(f"classifier_{self.unit_name(count, seed)}")

    def result(self, stage: str, count: LabelCount, seed: int) -> Path:
        """The result file of one experiment in ``stage`` (finetune or evaluate)."""
        return self.root / "results" / stage / f"{self.unit_name(count, seed)}.json"

    @property
    def schedule(self) -> Path:
        """What ``epochs``/``steps`` resolved to for this data: steps, passes, rounds."""
        return self.root / "schedule.json"

    @property
    def metrics_json(self) -> Path:
        """All scores, JSON."""
        return self.root / "metrics.json"

    @property
    def metrics_csv(self) -> Path:
        """One row per (label count, seed), CSV."""
        return self.root / "metrics.csv"

    @property
    def timings(self) -> Path:
        """Seconds spent per stage."""
        return self.root / "timings.json"

    @property
    def provenance(self) -> Path:
        """Where the results came from: versions, backend, date, commit, host, stage times."""
        return self.root / "provenance.json"

    def plot(self, name: str) -> Path:
        """A figure."""
        return self.root / "plots" / f"{name}.png"

    @property
    def report(self) -> Path:
        """The HTML report."""
        return self.root / "report.html"

    @property
    def tensorboard(self) -> Path:
        """Folder of TensorBoard logs."""
        return self.root / "tensorboard"
