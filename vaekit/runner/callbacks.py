"""Keras callbacks of a run's training: the run's progress and TensorBoard logs.

Progress is one bar for the whole run (:class:`RunProgress`): the stage, the
optimizer step of all the run's steps, the time elapsed and an estimate of the
time left, drawn with tqdm; or, where the output is a log rather than a
terminal, one line per stage with its time. :class:`~vaekit.runner.run.Runner`
makes one for each :meth:`~vaekit.runner.run.Runner.run` and activates it;
:func:`training_callbacks` then adds a Keras callback that moves it on every
batch. The totals come from the resolved schedules
(:mod:`vaekit.runner.schedules`), in the schedule's steps.

TensorBoard event files are written as training goes, under a temporary folder,
and moved into ``tensorboard/`` once complete (at the end of each fit call or
epoch), so a killed run leaves no half-written log there.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TextIO

from vaekit.files import TEMPORARY_MARKER
from vaekit.runner.context import experiments
from vaekit.runner.layout import RunLayout
from vaekit.runner.schedules import resolved_schedules
from vaekit.runner.spec import Pipeline

__all__ = ["RunProgress", "publish_tensorboard", "require_tensorboard",
           "training_callbacks"]

#: ``{elapsed}<{remaining}`` is tqdm's "time so far < time left (ETA)".
BAR_FORMAT = ("{desc} {percentage:3.0f}%|{bar}| step {n_fmt}/{total_fmt} "
              "[{elapsed}<{remaining}, {rate_fmt}]")

_ACTIVE: contextvars.ContextVar[RunProgress | None] = contextvars.ContextVar(
    "vaekit_run_progress", default=None)


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


class RunProgress:
    """The progress of one run over all its stages.

    Parameters
    ----------
    planned : dict of str to (int, int)
        For each stage to run, in order: ``(steps of one unit, units)``, e.g.
        ``{"pretrain": (400, 2), "finetune": (1200, 9), "evaluate": (0, 0)}``.
        A unit is one model pretrained or one classifier fine-tuned.
    verbose : int
        0 nothing; 1 one tqdm bar (stage, step of steps, elapsed, ETA) and a
        line as each stage ends; 2 only the line per stage (for logs).
    echo : callable
        ``echo(message)`` for the per-stage lines.
    file : file-like, optional
        Where the bar is drawn; ``sys.stderr`` by default.

    Examples
    --------
    >>> progress = RunProgress({"pretrain": (4, 1)}, verbose=2, echo=print)
    >>> with progress, progress.stage("pretrain"):
    ...     progress.advance(4)                                   # doctest: +ELLIPSIS
    pretrain: done in 0:00 (4 steps)
    """

    def __init__(self, planned: dict[str, tuple[int, int]], *, verbose: int,
                 echo: Callable[[str], None], file: TextIO | None = None) -> None:
        self.planned = dict(planned)
        self.verbose = verbose
        self.echo = echo
        self.file = file
        self.total = sum(steps * units for steps, units in self.planned.values())
        self.done = 0
        self.current: str | None = None
        self._stage_done = 0
        self._bar = None
        self._token = None

    @classmethod
    def for_run(cls, pipeline: Pipeline, n_rows: int, stages: Iterable[str], *,
                verbose: int, echo: Callable[[str], None],
                file: TextIO | None = None) -> RunProgress:
        """The progress of running ``stages`` of ``pipeline`` on ``n_rows`` training rows.

        Parameters
        ----------
        pipeline : Pipeline
            The validated pipeline.
        n_rows : int
            Training rows (they fix the steps, see :func:`resolved_schedules`).
        stages : iterable of str
            The stages about to run, in order.
        verbose, echo, file
            As for :class:`RunProgress`.

        Returns
        -------
        RunProgress
        """
        schedules = resolved_schedules(pipeline, n_rows)
        units = {"pretrain": 1 + bool(pipeline.autoencoder),
                 "finetune": len(experiments(pipeline))}
        planned = {}
        for stage in stages:
            schedule = schedules.get(stage)
            planned[stage] = ((schedule.steps, units.get(stage, 0)) if schedule is not None
                              else (0, 0))
        return cls(planned, verbose=verbose, echo=echo, file=file)

    # -------------------------------------------------------------- lifetime
    def __enter__(self) -> RunProgress:
        if self.verbose == 1:
            from tqdm import tqdm

            self._bar = tqdm(total=self.total, desc="starting", unit="step",
                             file=self.file if self.file is not None else sys.stderr,
                             bar_format=BAR_FORMAT, dynamic_ncols=True, mininterval=0.5,
                             disable=False, leave=True)
        self._token = _ACTIVE.set(self)
        return self

    def __exit__(self, *exc_info) -> None:
        _ACTIVE.reset(self._token)
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    @staticmethod
    def active() -> RunProgress | None:
        """The progress of the run going on in this context, if any."""
        return _ACTIVE.get()

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Mark ``name`` as the stage running; at its end say how long it took.

        Units the stage skips (finished by an earlier run) leave the total, so
        the bar ends full and its estimate counts only work that runs.
        """
        self.current, self._stage_done = name, 0
        self.describe(name)
        began = time.perf_counter()
        yield
        steps, units = self.planned.get(name, (0, 0))
        unrun = steps * units - self._stage_done
        if unrun > 0 and self._bar is not None:
            self._bar.total -= unrun
            self._bar.refresh()
        self.total -= max(unrun, 0)
        if self.verbose:
            ran = f" ({self._stage_done:,} steps)" if self._stage_done else ""
            self.echo(f"{name}: done in {_clock(time.perf_counter() - began)}{ran}")
        self.current = None

    # -------------------------------------------------------------- updates
    @property
    def steps_per_unit(self) -> int:
        """Steps of one unit (model or classifier) of the current stage."""
        return self.planned.get(self.current, (0, 0))[0]

    def describe(self, label: str) -> None:
        """Head the bar with ``label`` (the stage and what it is training)."""
        if self._bar is not None:
            self._bar.set_description_str(label, refresh=True)

    def advance(self, steps: int) -> None:
        """Count ``steps`` more optimizer steps as done."""
        if steps <= 0:
            return
        self.done += steps
        self._stage_done += steps
        if self._bar is not None:
            self._bar.update(steps)


def _step_callback(progress: RunProgress, label: str, rounds: int):
    """A Keras callback moving ``progress`` on after every batch of a fit labelled ``label``.

    Keras' own batches per epoch can differ from the schedule's steps per round
    (a last, partial batch), so each batch counts for its share of the round.
    """
    import keras

    class StepProgress(keras.callbacks.Callback):
        """Moves the run's progress bar on by the steps of each batch."""

        def on_train_begin(self, logs=None):
            progress.describe(label)

        def on_epoch_begin(self, epoch, logs=None):
            self.counted = 0

        def on_train_batch_end(self, batch, logs=None):
            per_round = progress.steps_per_unit // max(rounds, 1)
            batches = (self.params or {}).get("steps") or per_round
            reached = min(per_round, per_round * (batch + 1) // max(batches, 1))
            progress.advance(reached - self.counted)
            self.counted = reached

        def on_epoch_end(self, epoch, logs=None):
            per_round = progress.steps_per_unit // max(rounds, 1)
            progress.advance(per_round - self.counted)
            self.counted = per_round

    return StepProgress()


def require_tensorboard() -> None:
    """Raise ``ImportError`` naming the fix if the tensorboard package is missing."""
    import importlib.util

    if importlib.util.find_spec("tensorboard") is None:
        raise ImportError(
            "outputs.tensorboard is true but the tensorboard package is not installed: "
            "pip install tensorboard, or set outputs.tensorboard: false "
            "(--set outputs.tensorboard=false)"
        )


def _tensorboard_staging(layout: RunLayout, log_name: str) -> Path:
    return layout.tensorboard / f".{log_name}{TEMPORARY_MARKER}staging"


def training_callbacks(layout: RunLayout, tensorboard: bool, label: str, epochs: int,
                       log_name: str) -> list:
    """The callbacks of one fit: the run's progress, and TensorBoard logging when asked.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    tensorboard : bool
        ``outputs.tensorboard`` of the pipeline.
    label : str
        Heads the progress bar while this fit runs.
    epochs : int
        The fit's total number of epochs (rounds of the schedule).
    log_name : str
        The TensorBoard log folder, ``tensorboard/<log_name>``.

    Returns
    -------
    list of keras.callbacks.Callback
        With a progress callback only inside an active :class:`RunProgress`
        that shows something (``verbose`` 1 or 2).
    """
    callbacks = []
    progress = RunProgress.active()
    if progress is not None and progress.verbose:
        callbacks.append(_step_callback(progress, label, epochs))
    if tensorboard:
        import keras

        callbacks.append(keras.callbacks.TensorBoard(
            log_dir=str(_tensorboard_staging(layout, log_name)), write_graph=False))
    return callbacks


def publish_tensorboard(layout: RunLayout, log_name: str) -> None:
    """Move the finished event files of ``log_name`` from staging into ``tensorboard/``.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    log_name : str
        As given to :func:`training_callbacks`.
    """
    staging = _tensorboard_staging(layout, log_name)
    if not staging.is_dir():
        return
    for file in sorted(p for p in staging.rglob("*") if p.is_file()):
        target = layout.tensorboard / log_name / file.relative_to(staging)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(file, target)
    shutil.rmtree(staging)  # only empty folders are left; the next fit makes it again
