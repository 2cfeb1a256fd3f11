"""What the stages of a run share: the pipeline, the folder, the data, the saved models.

Each stage (:mod:`~vaekit.runner.pretraining`, :mod:`~vaekit.runner.finetuning`,
:mod:`~vaekit.runner.scoring`, :mod:`~vaekit.runner.figures`) is a function of one
:class:`StageContext`; none of them sees the :class:`~vaekit.runner.run.Runner`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from vaekit.runner.inputs import PreparedData
from vaekit.runner.layout import RunFolderError, RunLayout
from vaekit.runner.schema import LabelCount, Pipeline

__all__ = ["SavedModels", "StageContext", "experiments"]


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
            If the model has not been saved: its stage has not run in this folder.
        """
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

    def keep(self, name: str, model) -> None:
        """Remember ``model`` as the saved model ``name`` (just trained and saved)."""
        self._models[name] = model

    def latent_codes(self, name: str, x: np.ndarray) -> np.ndarray:
        """Latent means of ``x`` under model ``name``, computed once per array."""
        key = (name, id(x), len(x))
        if key not in self._codes:
            self._codes[key] = self.get(name).encode(x)
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
