"""Keras callbacks of a run's training: a progress bar per stage and TensorBoard logs.

TensorBoard event files are written as training goes, under a temporary folder,
and moved into ``tensorboard/`` once complete (at the end of each fit call or
epoch), so a killed run leaves no half-written log there.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from vaekit.files import TEMPORARY_MARKER
from vaekit.runner.layout import RunLayout

__all__ = ["publish_tensorboard", "require_tensorboard", "training_callbacks"]


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
                print(f"{label}: round {epoch + 1}/{total_epochs}", flush=True)

    return EpochProgress()


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
    """The callbacks of one fit: a progress bar, and TensorBoard logging when asked.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    tensorboard : bool
        ``outputs.tensorboard`` of the pipeline.
    label : str
        Heads each epoch's progress line.
    epochs : int
        The fit's total number of epochs.
    log_name : str
        The TensorBoard log folder, ``tensorboard/<log_name>``.

    Returns
    -------
    list of keras.callbacks.Callback
    """
    callbacks = [_progress_callback(label, epochs)]
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
