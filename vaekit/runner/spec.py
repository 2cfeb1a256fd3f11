"""The parsed form of a pipeline file: one typed dataclass per section.

:func:`vaekit.runner.schema.parse_pipeline` builds these from YAML; the pretraining
and fine-tuning settings are :mod:`vaekit.config`'s own dataclasses, so a field
added there is accepted in pipeline files without any change here.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.runner.baselines import BASELINE_NAMES

__all__ = [
    "MODEL_FIELDS", "PATH_OPTIONS", "PLOTS", "PROBES", "SCALES", "SECTIONS",
    "DataSpec", "EvaluateSpec", "FinetuneSpec", "LabelCount", "OutputsSpec", "Pipeline",
    "TrainingSpec",
]

SECTIONS = ("name", "seed", "data", "model", "pretrain", "finetune", "training", "evaluate",
            "outputs")
#: PretrainConfig fields written under ``model:``; every other field goes under ``pretrain:``.
MODEL_FIELDS = ("architecture", "latent_dim", "reconstruction", "beta", "free_bits")
#: Loader options that name files or folders: resolved against the pipeline file, must exist.
PATH_OPTIONS = frozenset({"path", "directory", "test_path"})
SCALES = ("none", "minmax", "standard")
PROBES = ("logistic", "knn")
#: Figures the runner can draw, in report order.
PLOTS = (
    "latent_space", "reconstructions", "samples", "interpolation", "learning_curves",
    "accuracy_vs_labels",
)


@dataclass
class DataSpec:
    """Where the data comes from.

    Attributes
    ----------
    kind : str
        A key of :data:`vaekit.data.LOADERS`.
    options : dict
        Keyword arguments of that loader, defaults filled, paths made absolute.
    scale : str
        ``"none"``, ``"minmax"`` (to [0, 1]) or ``"standard"`` (zero mean, unit
        variance), fitted on the training split; for tables.
    streaming : bool or "auto"
        Stream the training rows instead of loading them (see
        :mod:`vaekit.runner.streamed_inputs`); ``"auto"`` streams when they
        would not fit in the memory budget. Data kinds that can stream: tfds.
    """

    kind: str
    options: dict = field(default_factory=dict)
    scale: str = "none"
    streaming: bool | str = "auto"


@dataclass(frozen=True)
class LabelCount:
    """One entry of ``finetune.labels`` or ``finetune.labels_per_class``.

    Attributes
    ----------
    per_class : int or None
        Labels of every class (from ``labels_per_class``).
    n_labels : int or None
        Labels in all, spread evenly (from ``labels``).
    """

    per_class: int | None = None
    n_labels: int | None = None

    @property
    def key(self) -> str:
        """File-name-safe identifier, e.g. ``"100_labels"`` or ``"10_per_class"``."""
        if self.per_class is not None:
            return f"{self.per_class}_per_class"
        return f"{self.n_labels}_labels"

    def __str__(self) -> str:
        if self.per_class is not None:
            return f"{self.per_class} per class"
        return f"{self.n_labels} labels"


@dataclass
class FinetuneSpec:
    """Which label counts and seeds to fine-tune with, and how.

    Attributes
    ----------
    labels_per_class : tuple of int or None
        Labels of every class, one experiment per entry.
    labels : tuple of int or None
        Total labels (spread evenly over the classes), one experiment per entry.
    seeds : tuple of int
        Seeds of the labelled subset and of fine-tuning; every label count runs
        once per seed.
    config : FinetuneConfig
        The fine-tuning schedule.
    recipe : FinetuneRecipe
        The fine-tuning objective.
    """

    labels_per_class: tuple[int, ...] | None = None
    labels: tuple[int, ...] | None = None
    seeds: tuple[int, ...] = (0,)
    config: FinetuneConfig = field(default_factory=FinetuneConfig)
    recipe: FinetuneRecipe = field(default_factory=FinetuneRecipe)

    def label_counts(self) -> list[LabelCount]:
        """The label counts in file order."""
        if self.labels_per_class is not None:
            return [LabelCount(per_class=k) for k in self.labels_per_class]
        return [LabelCount(n_labels=n) for n in self.labels or ()]


@dataclass
class EvaluateSpec:
    """What is measured besides the fine-tuned classifier's test accuracy.

    Attributes
    ----------
    baselines : tuple of str
        Scikit-learn baselines on the raw features, same labelled split (see
        :data:`vaekit.runner.baselines.BASELINES`).
    probe : str or None
        ``"logistic"`` or ``"knn"``: a classifier on the frozen pretrained latent
        means (Kingma et al.'s M1), for the VAE and, if trained, the autoencoder.
    test_size : float
        Share of the labelled training rows held out as the test set when the
        data has no test split.
    baseline_max_unlabeled : int or None
        Most unlabeled rows given to the semi-supervised baselines (a seeded
        subsample); None gives them all.
    """

    baselines: tuple[str, ...] = BASELINE_NAMES
    probe: str | None = "logistic"
    test_size: float = 0.3
    baseline_max_unlabeled: int | None = None


@dataclass
class OutputsSpec:
    """What is written besides the models and metrics.

    Attributes
    ----------
    plots : tuple of str
        Figures to draw (see :data:`PLOTS`).
    report : bool
        Write ``report.html``.
    tensorboard : bool
        Write TensorBoard logs under ``tensorboard/``.
    latent_points : int
        Test points drawn in the latent-space plot.
    """

    plots: tuple[str, ...] = PLOTS
    report: bool = True
    tensorboard: bool = True
    latent_points: int = 2000


@dataclass
class TrainingSpec:
    """Where both training stages run.

    Attributes
    ----------
    distribution : str or None
        ``none`` or null (one device), ``mirrored`` or ``data_parallel`` (every
        device of this machine: TensorFlow's ``MirroredStrategy``, Keras'
        ``DataParallel`` on JAX); see :mod:`vaekit.distribution`. Batch sizes
        are global and must divide evenly across the devices. ``multi_worker``
        (JAX backend, pipelines without ``finetune:``): every machine runs the
        same ``vaekit run`` command and only process 0 writes the run folder
        (see :mod:`vaekit.runner.workers`).
    """

    distribution: str | None = None


@dataclass
class Pipeline:
    """A parsed and validated pipeline file.

    Attributes
    ----------
    name : str
        Name of the run (default output folder ``runs/<name>``).
    seed : int
        Seed of pretraining and of the figures' random picks.
    data : DataSpec
        The data.
    pretrain : PretrainConfig
        Model and pretraining settings (``model:`` and ``pretrain:`` sections).
    autoencoder : bool
        Also pretrain a plain autoencoder with the same architecture.
    finetune : FinetuneSpec or None
        Fine-tuning experiments; None skips fine-tuning and evaluation.
    evaluate : EvaluateSpec
        Baselines and probes.
    outputs : OutputsSpec
        Figures, report, logs.
    training : TrainingSpec
        Devices the training stages run on.
    source : pathlib.Path or None
        The file it was read from.
    """

    name: str
    data: DataSpec
    seed: int = 0
    pretrain: PretrainConfig = field(default_factory=PretrainConfig)
    autoencoder: bool = False
    finetune: FinetuneSpec | None = None
    evaluate: EvaluateSpec = field(default_factory=EvaluateSpec)
    outputs: OutputsSpec = field(default_factory=OutputsSpec)
    training: TrainingSpec = field(default_factory=TrainingSpec)
    source: Path | None = None

    def to_dict(self) -> dict:
        """The resolved pipeline (defaults filled) as plain data, in file layout.

        ``parse_pipeline(p.to_dict())`` gives back an equal pipeline.
        """
        pretrain = dataclasses.asdict(self.pretrain)
        options = _architecture_defaults(self.pretrain.architecture)
        options.update(self.pretrain.resolved_architecture_options())
        pretrain.pop("architecture_options")
        model = {name: pretrain.pop(name) for name in MODEL_FIELDS}
        model.update(options)
        model["autoencoder"] = self.autoencoder
        finetune = None
        if self.finetune is not None:
            finetune = {}
            if self.finetune.labels_per_class is not None:
                finetune["labels_per_class"] = self.finetune.labels_per_class
            else:
                finetune["labels"] = self.finetune.labels
            finetune["seeds"] = self.finetune.seeds
            finetune.update(dataclasses.asdict(self.finetune.config))
            finetune.update(dataclasses.asdict(self.finetune.recipe))
        resolved = {
            "name": self.name,
            "seed": self.seed,
            "data": {"kind": self.data.kind, **self.data.options, "scale": self.data.scale,
                     "streaming": self.data.streaming},
            "model": model,
            "pretrain": pretrain,
            "finetune": finetune,
            "training": dataclasses.asdict(self.training),
            "evaluate": dataclasses.asdict(self.evaluate),
            "outputs": dataclasses.asdict(self.outputs),
        }
        return _plain(resolved)


def _plain(value: Any) -> Any:
    """Tuples to lists and paths to strings, recursively, so YAML and JSON can write it."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    return value


def _architecture_defaults(architecture: str | dict) -> dict:
    from vaekit.builders import get_architecture

    if isinstance(architecture, dict):  # import paths of the user's builders
        from vaekit.config.pretrain import PretrainConfig

        architecture = PretrainConfig(architecture=architecture).builders()
    arch = get_architecture(architecture)
    defaults = {}
    for builder in (arch.build_encoder, arch.build_decoder):
        for name, parameter in list(inspect.signature(builder).parameters.items())[2:]:
            if name != "output_activation" and parameter.default is not inspect.Parameter.empty:
                defaults.setdefault(name, parameter.default)
    return defaults
