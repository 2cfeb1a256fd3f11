"""Running a pipeline: pretrain -> fine-tune -> evaluate -> generate (figures and report).

Every finished unit of work (a pretrained model, one fine-tuning experiment, its
evaluation) is written atomically and skipped when the run is resumed;
pretraining also keeps a checkpoint after every epoch. Each epoch's randomness
is a function of the seed and the epoch number, so a resumed run ends with the
same outputs as one that was never stopped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaekit.file_formats import write_json, write_yaml
from vaekit.files import TEMPORARY_MARKER, remove_stale_temporaries, save_keras_model
from vaekit.runner.checkpoints import EpochCheckpoint, fit_resumable
from vaekit.runner.layout import RunLayout
from vaekit.runner.schema import Pipeline

__all__ = ["STAGES", "RunFolderError", "Runner"]

logger = logging.getLogger(__name__)

#: The stages in order; ``vaekit run`` does them all.
STAGES = ("pretrain", "finetune", "evaluate", "generate")


class RunFolderError(ValueError):
    """The output folder does not fit the command: taken, from another pipeline, or
    missing the results an earlier stage should have written."""


def _progress_callback(label: str, total_epochs: int):
    import keras

    class EpochProgress(keras.callbacks.ProgbarLogger):
        """Keras' progress bar, headed ``<label> epoch e/E`` with the run's real total."""

        def set_params(self, params):
            super().set_params(params)
            self.epochs = total_epochs

        def on_epoch_begin(self, epoch, logs=None):
            self._reset_progbar()
            self._maybe_init_progbar()
            if self.verbose:
                print(f"{label}: epoch {epoch + 1}/{total_epochs}", flush=True)

    return EpochProgress()


def _require_tensorboard() -> None:
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            "outputs.tensorboard is true but the tensorboard package is not installed: "
            "pip install tensorboard, or set outputs.tensorboard: false "
            "(--set outputs.tensorboard=false)"
        )


class Runner:
    """Runs the stages of a pipeline into one output folder.

    Parameters
    ----------
    pipeline : Pipeline
        The validated pipeline.
    output : str or path-like
        The run's folder.
    verbose : int, default=1
        Keras progress output: 0 silent, 1 progress bars, 2 one line an epoch.
    echo : callable, optional
        ``echo(message)`` for stage progress lines (the CLI prints them); by
        default they go to the module logger.
    """

    def __init__(self, pipeline: Pipeline, output: str | os.PathLike[str], *,
                 verbose: int = 1,
                 echo: Callable[[str], None] | None = None) -> None:
        self.pipeline = pipeline
        self.layout = RunLayout(output)
        self.verbose = verbose
        self.echo = echo or logger.info
        self._data = None
        self._models: dict = {}
        self._codes: dict = {}
        self._timings: dict = {}

    # ------------------------------------------------------------------ setup
    def open(self, fresh: bool) -> None:
        """Claim the output folder, write the resolved pipeline, load and check the data.

        The data is loaded and checked before anything is written, so a pipeline
        that fails its checks leaves no folder behind. An existing folder is
        reused (the run resumes: finished units are kept, pretraining restarts
        from its last epoch checkpoint) when it holds a run of the same pipeline.

        Parameters
        ----------
        fresh : bool
            The command starts a new run (``vaekit run`` without ``--resume``):
            the folder must be new or empty.

        Raises
        ------
        RunFolderError
            If the folder holds a run (when ``fresh``) or a run of another pipeline.
        vaekit.data.DataError
            If the data does not fit the pipeline.
        """
        from vaekit.runner.inputs import prepare_data

        root, layout = self.layout.root, self.layout
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"{root}: exists and is not a folder; pick another --output")
        if fresh and root.is_dir() and any(root.iterdir()):
            raise RunFolderError(
                f"{root}: already holds a run; pass --resume to continue it, or pick "
                "another --output"
            )
        if self.pipeline.outputs.tensorboard:
            _require_tensorboard()
        resolved = self.pipeline.to_dict()
        if layout.pipeline.is_file():
            self._check_same_pipeline(resolved)
        start = time.perf_counter()
        self._data = prepare_data(self.pipeline)  # before the folder is claimed: a
        self._timings["data"] = time.perf_counter() - start  # failed check leaves none
        remove_stale_temporaries(root)
        header = f"Resolved pipeline of this run (from {self.pipeline.source or 'memory'})."
        write_yaml(layout.pipeline, resolved, header=header)
        summary = self._data.summary()
        self.echo(f"data: {summary['n_train']} training rows "
                  f"({summary['n_train_labelled']} labelled), {summary['n_test']} test rows, "
                  f"shape {tuple(summary['input_shape'])}, from {self._data.source}")

    def _check_same_pipeline(self, resolved: dict) -> None:
        import yaml

        saved = yaml.safe_load(self.layout.pipeline.read_text(encoding="utf-8")) or {}
        differences = []

        def walk(a, b, path):
            if isinstance(a, dict) and isinstance(b, dict):
                for key in dict.fromkeys([*a, *b]):
                    walk(a.get(key), b.get(key), f"{path}.{key}" if path else key)
            elif a != b and not path.startswith("outputs"):
                differences.append(f"{path} ({json.dumps(a)} in the folder, now "
                                   f"{json.dumps(b)})")

        walk(saved, resolved, "")
        if differences:
            raise RunFolderError(
                f"{self.layout.root}: holds a run of a different pipeline; it differs in "
                + "; ".join(differences[:5]) + ". Use another --output, or the same settings."
            )

    @property
    def data(self):
        """The prepared data (after :meth:`open`)."""
        if self._data is None:
            raise RuntimeError("call Runner.open() before running a stage")
        return self._data

    # ------------------------------------------------------------------ models
    def model(self, name: str):
        """A saved model of this run, loaded once (``"vae"``, ``"autoencoder"``)."""
        if name not in self._models:
            import keras

            import vaekit  # noqa: F401  (registers vaekit's classes for loading)

            path = self.layout.model(name)
            if not path.is_file():
                raise RunFolderError(
                    f"{path}: not found; run `vaekit pretrain` (or `vaekit run`) with "
                    f"this --output first"
                )
            self._models[name] = keras.saving.load_model(path)
        return self._models[name]

    def latent_codes(self, name: str, x: np.ndarray) -> np.ndarray:
        """Latent means of ``x`` under model ``name``, computed once per array."""
        key = (name, id(x), len(x))
        if key not in self._codes:
            self._codes[key] = self.model(name).encode(x)
        return self._codes[key]

    def _callbacks(self, label: str, epochs: int, log_name: str) -> list:
        callbacks = [_progress_callback(label, epochs)]
        if self.pipeline.outputs.tensorboard:
            import keras

            # Keras writes event files as training goes; they are written under a
            # temporary folder and moved into tensorboard/ once complete (at the end
            # of each fit call), so a killed run leaves no half-written log there.
            callbacks.append(keras.callbacks.TensorBoard(
                log_dir=str(self._tensorboard_staging(log_name)), write_graph=False))
        return callbacks

    def _tensorboard_staging(self, log_name: str) -> Path:
        return self.layout.tensorboard / f".{log_name}{TEMPORARY_MARKER}staging"

    def _publish_tensorboard(self, log_name: str) -> None:
        staging = self._tensorboard_staging(log_name)
        if not staging.is_dir():
            return
        for file in sorted(p for p in staging.rglob("*") if p.is_file()):
            target = self.layout.tensorboard / log_name / file.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(file, target)
        shutil.rmtree(staging)  # only empty folders are left; the next fit makes it again

    def _pretrain_one(self, name: str) -> None:
        layout = self.layout
        if layout.model(name).is_file() and layout.history(name).is_file():
            self.echo(f"pretrain {name}: done already, kept")
            return
        config, seed, x = self.pipeline.pretrain, self.pipeline.seed, self.data.x_train
        epochs = config.resolved_epochs(len(x))
        model, train_epoch = self._trainer(name, config, seed, x, epochs)
        checkpoint = EpochCheckpoint(layout.checkpoint(name))
        if checkpoint.exists():
            self.echo(f"pretrain {name}: resuming from {checkpoint.path}")
        self.echo(f"pretrain {name}: {epochs} epochs on {len(x)} rows")
        history = fit_resumable(
            model, train_epoch, epochs, checkpoint, seed,
            on_epoch_end=lambda epoch, logs: self._publish_tensorboard(f"pretrain_{name}"))
        save_keras_model(model, layout.model(name))
        write_json(layout.history(name), history)
        checkpoint.remove()
        self._models[name] = model

    def _trainer(self, name, config, seed, x, epochs):
        import vaekit
        from vaekit.training.seeding import seed_everything

        callbacks = self._callbacks(f"pretrain {name}", epochs, f"pretrain_{name}")
        fit_args = dict(verbose=self.verbose, callbacks=callbacks)
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

    # ------------------------------------------------------------------ stages
    def pretrain(self) -> None:
        """Pretrain the VAE (and the autoencoder when ``model.autoencoder``) on all rows."""
        start = time.perf_counter()
        self._pretrain_one("vae")
        if self.pipeline.autoencoder:
            self._pretrain_one("autoencoder")
        self._timings["pretrain"] = time.perf_counter() - start

    def experiments(self) -> list:
        """The (label count, seed) pairs of the pipeline, in order."""
        spec = self.pipeline.finetune
        if spec is None:
            return []
        return [(count, seed) for count in spec.label_counts() for seed in spec.seeds]

    def finetune(self) -> None:
        """Fine-tune one classifier per (label count, seed); finished ones are kept."""
        import vaekit
        from vaekit.data import hide_labels

        experiments = self.experiments()
        if not experiments:
            self.echo("finetune: the pipeline has no finetune section, skipped")
            return
        start, config = time.perf_counter(), self.pipeline.finetune.config
        for index, (count, seed) in enumerate(experiments, 1):
            label = f"finetune {index}/{len(experiments)} ({count}, seed {seed})"
            result = self.layout.result("finetune", count, seed)
            if result.is_file() and self.layout.classifier(count, seed).is_file():
                self.echo(f"{label}: done already, kept")
                continue
            keep = self.data.labelled_indices(count, seed)
            y = hide_labels(self.data.y_train, keep)
            epochs = config.resolved_epochs(len(self.data.x_train))
            self.echo(f"{label}: {len(keep)} labelled rows, {epochs} epochs")
            began = time.perf_counter()
            callbacks = self._callbacks(label, epochs,
                                        f"finetune_{self.layout.unit_name(count, seed)}")
            classifier, history = vaekit.finetune(
                self.model("vae"), self.data.x_train, y, config, seed=seed,
                verbose=self.verbose, callbacks=callbacks)
            self._publish_tensorboard(f"finetune_{self.layout.unit_name(count, seed)}")
            save_keras_model(classifier, self.layout.classifier(count, seed))
            write_json(result, {
                "label_count": count.key, "labels_per_class": count.per_class,
                "n_labels": int(len(keep)), "seed": seed,
                "seconds": time.perf_counter() - began,
                "labelled_indices": keep.tolist(),
                "history": {k: [float(v) for v in vs] for k, vs in history.items()},
            })
        self._timings["finetune"] = time.perf_counter() - start

    def evaluate(self) -> dict:
        """Score every classifier, probe and baseline on the test set; write the metrics."""
        from vaekit.runner.scoring import evaluate_run

        start = time.perf_counter()
        metrics = evaluate_run(self)
        self._timings["evaluate"] = time.perf_counter() - start
        return metrics

    def generate(self) -> list[Path]:
        """Draw the figures and write ``report.html``; returns the files written."""
        from vaekit.runner.figures import draw_figures
        from vaekit.runner.report import write_report

        start = time.perf_counter()
        written = draw_figures(self)
        if self.pipeline.outputs.report:
            written.append(write_report(self.layout, self.pipeline))
        self._timings["generate"] = time.perf_counter() - start
        return written

    def run(self, stages=STAGES) -> None:
        """Run ``stages`` in order, then record the time each took in timings.json."""
        chosen = [stage for stage in STAGES if stage in stages]
        try:
            for index, stage in enumerate(chosen, 1):
                self.echo(f"== stage {index}/{len(chosen)}: {stage} ==")
                getattr(self, stage)()
        finally:
            self.write_timings()

    def write_timings(self) -> None:
        """Add this invocation's seconds per stage to ``timings.json``."""
        path = self.layout.timings
        saved = json.loads(path.read_text()) if path.is_file() else {}
        for stage, seconds in self._timings.items():
            saved[stage] = round(saved.get(stage, 0.0) + seconds, 3)
        write_json(path, saved)
