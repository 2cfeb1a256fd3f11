"""What the stages of a run share: the pipeline, the folder, the data, the saved models.

Each stage (:mod:`~vaekit.runner.pretraining`, :mod:`~vaekit.runner.finetuning`,
:mod:`~vaekit.runner.scoring`, :mod:`~vaekit.runner.figures`) is a function of one
:class:`StageContext`; none of them sees the :class:`~vaekit.runner.run.Runner`.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from vaekit.runner.inputs import PreparedData
from vaekit.runner.layout import RunFolderError, RunLayout
from vaekit.runner.schema import LabelCount, Pipeline

__all__ = ["SavedModels", "StageContext", "experiments", "load_saved_model"]


def _damage(path: Path) -> str | None:
    """Why ``path`` is not a whole ``.keras`` archive, or None when it is."""
    if not zipfile.is_zipfile(path):
        return "not a zip archive: cut short or overwritten"
    try:
        with zipfile.ZipFile(path) as archive:
            broken = archive.testzip()
    except (zipfile.BadZipFile, EOFError, OSError) as err:
        return f"its zip archive cannot be read: {err}"
    return f"member {broken} fails its checksum" if broken else None


def load_saved_model(path: str | os.PathLike[str]):
    """Load a model the run saved, naming the file and the way out if it is damaged.

    Parameters
    ----------
    path : str or path-like
        A ``.keras`` file of the run folder (written atomically by the run, so
        damage comes from outside: a copy cut short, a failing disk).

    Returns
    -------
    keras.Model

    Raises
    ------
    RunFolderError
        If the file is missing or not a whole ``.keras`` archive; the message
        says to delete it and resume (the stage that wrote it runs again), or
        to start afresh in another folder.
    """
    import keras

    import vaekit  # noqa: F401  (registers vaekit's classes for loading)

    path = Path(path)
    reason = _damage(path)
    if reason is None:
        try:
            return keras.saving.load_model(path)
        except (zipfile.BadZipFile, EOFError) as err:
            reason = f"{type(err).__name__}: {err}"
    raise RunFolderError(
        f"{path}: damaged ({reason}); delete it and continue with --resume (the stage "
        "that wrote it runs again), or start afresh with another --output"
    )


def experiments(pipeline: Pipeline) -> list[tuple[LabelCount, int]]:
    """The (label count, seed) pairs of ``pipeline``, in order; empty without fine-tuning.

    Parameters
    ----------
    pipeline : Pipeline
        The validated pipeline.

    Returns
    -------
    list of (LabelCount, int)
    """
    spec = pipeline.finetune
    if spec is None:
        return []
    return [(count, seed) for count in spec.label_counts() for seed in spec.seeds]


class SavedModels:
    """The models a run has saved, each loaded once, and latent codes computed once.

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    """

    def __init__(self, layout: RunLayout) -> None:
        self.layout = layout
        self._models: dict = {}
        self._codes: dict = {}

    def get(self, name: str):
        """A saved model of the run (``"vae"``, ``"autoencoder"``), loaded on first use.

        Raises
        ------
        RunFolderError
            If the model has not been saved (its stage has not run in this
            folder) or its file is damaged.
        """
        if name not in self._models:
            path = self.layout.model(name)
            if not path.is_file():
                raise RunFolderError(
                    f"{path}: not found; run `vaekit pretrain` (or `vaekit run`) with "
                    f"this --output first"
                )
            self._models[name] = load_saved_model(path)
        return self._models[name]

    def keep(self, name: str, model) -> None:
        """Remember ``model`` as the saved model ``name`` (just trained and saved)."""
        self._models[name] = model

    def latent_codes(self, name: str, x: np.ndarray) -> np.ndarray:
        """Latent means of ``x`` under model ``name``, computed once per array."""
        key = (name, id(x), len(x))
        if key not in self._codes:
            self._codes[key] = self.get(name).encode(x)
        return self._codes[key]

    def test_codes(self, name: str, data: PreparedData) -> tuple[np.ndarray, np.ndarray]:
        """Latent means of every test row under model ``name`` and the rows' classes, once.

        A streamed test split (``data.test_stream``) passes through the encoder a
        batch at a time (:func:`vaekit.runner.streamed_scoring.streamed_codes`).
        """
        if data.test_stream is None:
            return self.latent_codes(name, data.x_test), data.y_test
        key = (name, id(data.test_stream))
        if key not in self._codes:
            from vaekit.runner.streamed_scoring import streamed_codes

            self._codes[key] = streamed_codes(self.get(name), data.test_stream)
        return self._codes[key]


@dataclass
class StageContext:
    """Everything a stage reads or writes besides its own settings.

    Attributes
    ----------
    pipeline : Pipeline
        The validated pipeline.
    layout : RunLayout
        Where the run's files live.
    data : PreparedData
        The loaded and checked data.
    models : SavedModels
        The run's saved models.
    echo : callable
        ``echo(message)`` for stage progress lines.
    verbose : int
        Keras progress output: 0 silent, 1 progress bars, 2 one line an epoch.
    """

    pipeline: Pipeline
    layout: RunLayout
    data: PreparedData
    models: SavedModels
    echo: Callable[[str], None]
    verbose: int = 1

    @property
    def model_names(self) -> list[str]:
        """The pretrained models of the pipeline: the VAE, then the autoencoder if asked."""
        return ["vae"] + (["autoencoder"] if self.pipeline.autoencoder else [])

    def experiments(self) -> list[tuple[LabelCount, int]]:
        """The (label count, seed) pairs of the pipeline, in order."""
        return experiments(self.pipeline)
