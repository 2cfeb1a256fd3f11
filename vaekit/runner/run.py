"""Running a pipeline: pretrain -> fine-tune -> evaluate -> generate (figures and report).

Every finished unit of work (a pretrained model, one fine-tuning experiment, its
evaluation) is written atomically and skipped when the run is resumed;
pretraining also keeps a checkpoint after every epoch. Each epoch's randomness
is a function of the seed and the epoch number, so a resumed run ends with the
same outputs as one that was never stopped.

With ``training.distribution: multi_worker`` every machine runs the same
command (``vaekit run pipeline.yaml --output DIR``). Each process learns its
place from the cluster variables (``KERAS_DISTRIBUTION_PROCESS_ID`` and the
others, or ``TF_CONFIG``, read by
:func:`vaekit.distribution.cluster_from_environment`) when :meth:`Runner.open`
joins the cluster, before the folder is touched. Process 0, the chief, writes
``DIR``; the others pretrain in step with it, write into a private temporary
folder that is removed at the end, and skip the later stages (see
:mod:`vaekit.runner.workers`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaekit.file_formats import write_json, write_yaml
from vaekit.files import remove_stale_temporaries
from vaekit.runner.callbacks import RunProgress, require_tensorboard
from vaekit.runner.context import SavedModels, StageContext, experiments
from vaekit.runner.figures import draw_figures
from vaekit.runner.finetuning import finetune_classifiers
from vaekit.runner.inputs import PreparedData, prepare_data
from vaekit.runner.layout import RunFolderError, RunLayout
from vaekit.runner.lock import LOCK_NAME, RunFolderLock, probe_writable, storage_error
from vaekit.runner.pretraining import pretrain_models
from vaekit.runner.provenance import record_invocation, record_stage_seconds
from vaekit.runner.report import write_report
from vaekit.runner.schedules import resolved_schedules
from vaekit.runner.schema import Pipeline
from vaekit.runner.scoring import evaluate_run
from vaekit.runner.workers import CHIEF_STAGES, PrivateFolder, join_cluster

__all__ = ["STAGES", "RunFolderError", "Runner"]

logger = logging.getLogger(__name__)

#: The stages in order; ``vaekit run`` does them all.
STAGES = ("pretrain", "finetune", "evaluate", "generate")


class Runner:
    """Runs the stages of a pipeline into one output folder.

    The runner claims the folder, loads the data and keeps the time each stage
    takes; the stages themselves are functions of a
    :class:`~vaekit.runner.context.StageContext` (:func:`pretrain_models`,
    :func:`finetune_classifiers`, :func:`evaluate_run`, :func:`draw_figures`
    and :func:`write_report`).

    Parameters
    ----------
    pipeline : Pipeline
        The validated pipeline.
    output : str or path-like
        The run's folder.
    verbose : int, default=1
        Progress of :meth:`run` (:class:`~vaekit.runner.callbacks.RunProgress`):
        0 none, 1 one bar for the whole run (stage, step of steps, elapsed,
        ETA), 2 one line per stage with its time (for logs).
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
        self._data: PreparedData | None = None
        self._models = SavedModels(self.layout)
        self._timings: dict = {}
        self._lock = RunFolderLock(self.layout.root)
        self.process = None  # the multi_worker job, once open() has joined it
        self._private: PrivateFolder | None = None

    @property
    def is_chief(self) -> bool:
        """False in a process of a ``multi_worker`` job other than process 0 (after open)."""
        return self.process is None or self.process.is_chief

    # ------------------------------------------------------------------ setup
    def open(self, fresh: bool) -> None:
        """Lock the output folder, check it, load and check the data, write the pipeline.

        The folder is locked first (:class:`~vaekit.runner.lock.RunFolderLock`,
        held until :meth:`run` ends or :meth:`close`), so a second run into it
        is refused at once, naming the process that holds it. The data is
        loaded and checked before anything is written, so a pipeline that
        fails its checks leaves no folder behind; then a probe file checks that
        the folder can be written. An existing folder is reused (the run
        resumes: finished units are kept, pretraining restarts from its last
        epoch checkpoint) when it holds a run of the same pipeline.

        Parameters
        ----------
        fresh : bool
            The command starts a new run (``vaekit run`` without ``--resume``):
            the folder must be new or empty.

        Raises
        ------
        RunFolderLockedError
            If another run holds the folder (a :class:`RunFolderError`).
        RunFolderError
            If the folder holds a run (when ``fresh``) or a run of another
            pipeline, or cannot be written.
        vaekit.data.DataError
            If the data does not fit the pipeline.
        ValueError
            With ``training.distribution: multi_worker`` on TensorFlow, or a
            cluster description that does not parse.
        TimeoutError
            If the other processes of a ``multi_worker`` job do not join in time.
        """
        self.process = join_cluster(self.pipeline)  # first: nothing is written before
        if not self.is_chief:
            self._private = PrivateFolder(self.layout.root, self.process)
            self.layout = self._private.create(fresh)
            self._models = SavedModels(self.layout)
            self._lock = RunFolderLock(self.layout.root)
            self.echo(f"process {self.process.process_id} of {self.process.num_processes}: "
                      f"the chief (process 0) writes the run folder; this process pretrains "
                      f"with it and writes only into {self.layout.root}, removed at the end")
        root = self.layout.root
        if root.exists() and not root.is_dir():
            raise RunFolderError(f"{root}: exists and is not a folder; pick another --output")
        self._lock.acquire()
        try:
            self._open(fresh)
        except BaseException:
            self._lock.release(remove_folder_if_empty=True)
            self._remove_private_folder()
            raise

    def close(self) -> None:
        """Release the output folder's lock (:meth:`run` does it when it ends)."""
        self._lock.release()
        self._remove_private_folder()

    def _remove_private_folder(self) -> None:
        if self._private is not None:
            self._private.remove()

    def _open(self, fresh: bool) -> None:
        root, layout = self.layout.root, self.layout
        if self._lock.taken_over:
            self.echo(f"{root}: the run that held this folder ended without releasing it "
                      f"(process {self._lock.taken_over.get('pid')}); taking it over")
        if fresh and any(path.name != LOCK_NAME for path in root.iterdir()):
            raise RunFolderError(
                f"{root}: already holds a run; pass --resume to continue it, or pick "
                "another --output"
            )
        if self.pipeline.outputs.tensorboard:
            require_tensorboard()
        resolved = self.pipeline.to_dict()
        if layout.pipeline.is_file():
            self._check_same_pipeline(resolved)
        start = time.perf_counter()
        self._data = prepare_data(self.pipeline)  # before anything is written: a failed
        self._timings["data"] = time.perf_counter() - start  # check leaves no folder
        probe_writable(root)
        remove_stale_temporaries(root)
        header = f"Resolved pipeline of this run (from {self.pipeline.source or 'memory'})."
        write_yaml(layout.pipeline, resolved, header=header)
        summary = self._data.summary()
        self.echo(f"data: {summary['n_train']} training rows "
                  f"({summary['n_train_labelled']} labelled), {summary['n_test']} test rows, "
                  f"shape {tuple(summary['input_shape'])}, from {self._data.source}")
        schedules = resolved_schedules(self.pipeline, summary["n_train"])
        write_json(layout.schedule, {stage: sched.as_dict() for stage, sched in schedules.items()})
        for stage, schedule in schedules.items():
            self.echo(f"{stage}: {schedule.describe()}")
        record_invocation(layout, self.pipeline.source)

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
    def data(self) -> PreparedData:
        """The prepared data (after :meth:`open`)."""
        if self._data is None:
            raise RuntimeError("call Runner.open() before running a stage")
        return self._data

    def context(self) -> StageContext:
        """What the stages share: pipeline, folder, data, models, progress output.

        Raises
        ------
        RuntimeError
            Before :meth:`open`.
        """
        return StageContext(pipeline=self.pipeline, layout=self.layout, data=self.data,
                            models=self._models, echo=self.echo,
                            verbose=0)  # Keras prints nothing: RunProgress shows progress

    # ------------------------------------------------------------------ models
    def model(self, name: str):
        """A saved model of this run, loaded once (``"vae"``, ``"autoencoder"``)."""
        return self._models.get(name)

    def latent_codes(self, name: str, x: np.ndarray) -> np.ndarray:
        """Latent means of ``x`` under model ``name``, computed once per array."""
        return self._models.latent_codes(name, x)

    def experiments(self) -> list:
        """The (label count, seed) pairs of the pipeline, in order."""
        return experiments(self.pipeline)

    # ------------------------------------------------------------------ stages
    def pretrain(self) -> None:
        """Pretrain the VAE (and the autoencoder when ``model.autoencoder``) on all rows."""
        start = time.perf_counter()
        pretrain_models(self.context())
        self._timings["pretrain"] = time.perf_counter() - start

    def finetune(self) -> None:
        """Fine-tune one classifier per (label count, seed); finished ones are kept."""
        start = time.perf_counter()
        if finetune_classifiers(self.context()):  # not timed when there is nothing to do
            self._timings["finetune"] = time.perf_counter() - start

    def evaluate(self) -> dict:
        """Score every classifier, probe and baseline on the test set; write the metrics."""
        start = time.perf_counter()
        metrics = evaluate_run(self.context())
        self._timings["evaluate"] = time.perf_counter() - start
        return metrics

    def generate(self) -> list[Path]:
        """Draw the figures and write ``report.html``; returns the files written."""
        start = time.perf_counter()
        written = draw_figures(self.context())
        if self.pipeline.outputs.report:
            written.append(write_report(self.layout, self.pipeline))
        self._timings["generate"] = time.perf_counter() - start
        return written

    def run(self, stages=STAGES) -> None:
        """Run ``stages`` in order, then record the time each took in timings.json."""
        chosen = [stage for stage in STAGES if stage in stages]
        if not self.is_chief:  # the later stages read the saved models: the chief's work
            skipped = [stage for stage in chosen if stage in CHIEF_STAGES]
            chosen = [stage for stage in chosen if stage not in CHIEF_STAGES]
            if skipped:
                self.echo(f"process {self.process.process_id}: {', '.join(skipped)} left to "
                          "the chief (process 0)")
        self._lock.acquire()
        try:
            try:
                with RunProgress.for_run(self.pipeline, self.data.n_train, chosen,
                                         verbose=self.verbose, echo=self.echo) as progress:
                    for index, stage in enumerate(chosen, 1):
                        self.echo(f"== stage {index}/{len(chosen)}: {stage} ==")
                        with progress.stage(stage):
                            getattr(self, stage)()
            finally:
                self.write_timings()
        except OSError as err:  # a full disk: one line saying how to continue
            clear = storage_error(self.layout.root, err)
            if clear is None:
                raise
            raise clear from err
        finally:
            self._lock.release()
            self._remove_private_folder()

    def write_timings(self) -> None:
        """Add this invocation's seconds per stage to ``timings.json`` and ``provenance.json``."""
        path = self.layout.timings
        saved = json.loads(path.read_text()) if path.is_file() else {}
        for stage, seconds in self._timings.items():
            saved[stage] = round(saved.get(stage, 0.0) + seconds, 3)
        write_json(path, saved)
        record_stage_seconds(self.layout, self._timings)
