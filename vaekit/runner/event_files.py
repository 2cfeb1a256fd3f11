"""TensorBoard event files written from a finished training history.

Pretraining runs as many Keras ``fit`` calls as it has rounds (each one
resumable from its checkpoint); a TensorBoard callback there would open a new
event file per round. Instead the whole history, restored rounds included, is
written once the model is trained: one event file per model, with the scalars
Keras' TensorBoard callback would have logged (``epoch_<metric>`` in ``train/``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from vaekit.files import TEMPORARY_MARKER
from vaekit.runner.layout import RunLayout

__all__ = ["write_history_events"]


def write_history_events(layout: RunLayout, log_name: str,
                         history: Mapping[str, Sequence[float]]) -> Path:
    """Write ``history`` as one event file in ``tensorboard/<log_name>/train/``.

    The file is written in a temporary folder and moved into place whole; an
    older log of the same name (from a run stopped after it was written) is
    replaced, so the folder never holds two event files for one model.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    log_name : str
        The log's folder under ``tensorboard/``, e.g. ``"pretrain_vae"``.
    history : mapping of str to sequence of float
        ``{metric: [value per round]}``; ``val_*`` metrics go to ``validation/``
        as Keras logs them.

    Returns
    -------
    pathlib.Path
        The log folder.
    """
    from tensorboard.summary import Writer

    layout.tensorboard.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{log_name}{TEMPORARY_MARKER}",
                                    dir=layout.tensorboard))
    target = layout.tensorboard / log_name
    try:
        for split, keys in (("train", [k for k in history if not k.startswith("val_")]),
                            ("validation", [k for k in history if k.startswith("val_")])):
            if not keys:
                continue
            writer = Writer(str(staging / split))
            for key in keys:
                tag = "epoch_" + key.removeprefix("val_")
                for step, value in enumerate(history[key]):
                    writer.add_scalar(tag, float(value), step)
            writer.close()
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)
    except BaseException:
        with contextlib.suppress(OSError):
            shutil.rmtree(staging)
        raise
    return target
