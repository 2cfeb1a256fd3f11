"""Epoch checkpoints that make training resumable with the same result.

A checkpoint is one ``.npz`` file holding every model variable (weights, the KL
weight, the sampling layer's seed state), every optimizer variable (step count,
moments) and the history so far; it is replaced atomically after each epoch, so
a run killed at any moment finds either the previous or the new checkpoint.

Resuming gives the same result as not stopping because every epoch's randomness
is a function of ``(seed, epoch)``: :func:`fit_resumable` reseeds all generators
(:func:`epoch_seed`) before each epoch, and the model's own seed state comes
back from the checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from vaekit.files import atomic_path
from vaekit.runner.layout import RunFolderError

__all__ = ["EpochCheckpoint", "epoch_seed", "fit_resumable"]

logger = logging.getLogger(__name__)


def epoch_seed(seed: int, epoch: int) -> int:
    """The seed used for ``epoch`` of a run seeded with ``seed`` (a 31-bit integer)."""
    state = np.random.SeedSequence([int(seed), int(epoch)]).generate_state(1)[0]
    return int(state) & 0x7FFFFFFF


class EpochCheckpoint:
    """The training state of one model after its last finished epoch.

    Parameters
    ----------
    path : str or path-like
        The ``.npz`` file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def exists(self) -> bool:
        """True when a checkpoint has been written."""
        return self.path.is_file()

    def save(self, model, epochs_done: int, history: dict) -> None:
        """Write the model's and optimizer's variables and the history, atomically.

        Parameters
        ----------
        model : keras.Model
            A compiled model.
        epochs_done : int
            Number of finished epochs.
        history : dict
            Per-epoch logs so far.
        """
        arrays = {f"model_{i}": np.asarray(v.numpy()) for i, v in enumerate(model.variables)}
        arrays.update({
            f"optimizer_{i}": np.asarray(v.numpy())
            for i, v in enumerate(model.optimizer.variables)
        })
        meta = {"epochs_done": int(epochs_done), "history": history,
                "n_model": len(model.variables), "n_optimizer": len(model.optimizer.variables)}
        arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
        with atomic_path(self.path) as tmp, open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

    def restore(self, model) -> tuple[int, dict]:
        """Load the checkpoint into ``model`` (built and compiled, same architecture).

        Parameters
        ----------
        model : keras.Model
            Receives the saved variables; its optimizer is built first if needed.

        Returns
        -------
        epochs_done : int
        history : dict

        Raises
        ------
        RunFolderError
            If the file is damaged (cut short): the message says to delete it.
        ValueError
            If the checkpoint holds a different number or shape of variables.
        """
        if not model.optimizer.built:
            model.optimizer.build(model.trainable_variables)
        try:  # read it all now: a cut-short archive can fail on any member
            with np.load(self.path) as archive:
                saved = {key: archive[key] for key in archive.files}
            meta = json.loads(bytes(saved["meta"]).decode("utf-8"))
        except (zipfile.BadZipFile, EOFError, OSError, KeyError, ValueError) as err:
            raise RunFolderError(
                f"{self.path}: damaged checkpoint ({type(err).__name__}: {err}); delete it "
                "and continue with --resume (this model trains again from its first epoch, "
                "to the same result), or start afresh with another --output"
            ) from None
        if (meta["n_model"], meta["n_optimizer"]) != (
            len(model.variables), len(model.optimizer.variables)
        ):
            raise ValueError(
                f"{self.path}: the checkpoint holds {meta['n_model']} model and "
                f"{meta['n_optimizer']} optimizer variables, the model has "
                f"{len(model.variables)} and {len(model.optimizer.variables)}; it was "
                "written by a different pipeline. Delete it or use another --output."
            )
        pairs = [(v, saved[f"model_{i}"]) for i, v in enumerate(model.variables)]
        pairs += [(v, saved[f"optimizer_{i}"]) for i, v in enumerate(model.optimizer.variables)]
        for variable, value in pairs:
            if tuple(variable.shape) != value.shape:
                raise ValueError(
                    f"{self.path}: variable {variable.path} has shape "
                    f"{tuple(variable.shape)} but the checkpoint holds {value.shape}; "
                    "it was written by a different pipeline."
                )
            variable.assign(value)
        return int(meta["epochs_done"]), meta["history"]

    def remove(self) -> None:
        """Delete the checkpoint (once the finished model is saved), and its folder if empty."""
        self.path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # still holds another model's checkpoint
            self.path.parent.rmdir()


def fit_resumable(
    model,
    train_epoch: Callable[[int], dict],
    epochs: int,
    checkpoint: EpochCheckpoint,
    seed: int,
    on_epoch_end: Callable[[int, dict], None] | None = None,
) -> dict:
    """Train ``model`` epoch by epoch, checkpointing after each, resuming if possible.

    Parameters
    ----------
    model : keras.Model
        Built and compiled; restored from ``checkpoint`` when one exists.
    train_epoch : callable
        ``train_epoch(epoch) -> logs``: trains exactly epoch ``epoch`` (0-based)
        and returns that epoch's logs as ``{name: [value]}`` or ``{name: value}``.
        Its randomness must come only from the generators seeded here (NumPy,
        Python, Keras) and the model's own seed state; shuffle with
        ``np.random.permutation`` and ``fit(shuffle=False)``, or build the model
        before the first epoch, since Keras' shuffle also draws from NumPy when
        a fresh model builds itself inside ``fit``.
    epochs : int
        Total number of epochs.
    checkpoint : EpochCheckpoint
        Where the state is kept.
    seed : int
        Run seed; epoch ``e`` starts with every generator seeded by
        ``epoch_seed(seed, e)``.
    on_epoch_end : callable, optional
        ``on_epoch_end(epoch, history)`` after each checkpoint is written.

    Returns
    -------
    dict
        The whole history, ``{name: [value per epoch]}``.
    """
    from vaekit.training.seeding import seed_everything

    start, history = 0, {}
    if checkpoint.exists():
        start, history = checkpoint.restore(model)
        logger.info("Resuming from %s after epoch %d.", checkpoint.path, start)
    for epoch in range(start, epochs):
        seed_everything(epoch_seed(seed, epoch))
        logs = train_epoch(epoch)
        for name, value in logs.items():
            values = value if isinstance(value, (list, tuple)) else [value]
            history.setdefault(name, []).extend(float(v) for v in values)
        checkpoint.save(model, epoch + 1, history)
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
    return history
