"""Pipeline files: their schema, parsed into typed dataclasses and validated as a whole.

A pipeline file is YAML with these sections (only ``data`` is required)::

    name: digits                 # names the output folder (default: the file name)
    seed: 0                      # seed of pretraining and of the figures' random picks
    data:                        # kind = a key of vaekit.data.LOADERS, plus its options
      kind: idx
      directory: ${VAEKIT_DATA_DIR}/mnist   # paths: relative to this file, $VARS expanded
      scale: none                # none | minmax | standard (fitted on the training split)
    model:                       # PretrainConfig's model fields + the architecture's options
      architecture: dense
      latent_dim: 50
      beta: 1.0
      reconstruction: bce
      hidden_units: [1000, 500]
      autoencoder: true          # also train a plain autoencoder, for the latent-space plot
    pretrain: {epochs: 30, batch_size: 256, learning_rate: 1.0e-3}   # PretrainConfig
    finetune:                    # omit the section to skip fine-tuning
      labels: [100, 600, 1000, 3000]   # total labels, spread evenly over the classes
      # labels_per_class: [10, 60]     # ... or this many of every class
      seeds: [0, 1, 2]
      epochs: 20                 # and any other FinetuneConfig field
    training:
      distribution: none         # none | mirrored | data_parallel (this machine) | multi_worker
    evaluate:
      baselines: [logistic_regression, pca_logistic, label_spreading, self_training]
      probe: logistic            # logistic | knn | null: a classifier on the frozen latent means
      test_size: 0.3             # held out from the labelled rows when the data has no test split
      baseline_max_unlabeled: null   # cap on unlabeled rows given to the semi-supervised baselines
    outputs:
      plots: [latent_space, reconstructions, samples, interpolation, learning_curves,
              accuracy_vs_labels]
      report: true
      tensorboard: true

Every problem is collected before anything runs and reported with its path in
the file (``finetune.labels[2]: expected a positive integer, got "ten"``).
"""

import copy
import os
import re
from pathlib import Path
from typing import Any

from vaekit.runner import _sections
from vaekit.runner._checks import PipelineError, Problems, show
from vaekit.runner._yaml import load_yaml
from vaekit.runner.spec import (
    PLOTS, SECTIONS, DataSpec, EvaluateSpec, FinetuneSpec, LabelCount, OutputsSpec, Pipeline,
    TrainingSpec,
)

__all__ = [
    "PLOTS",
    "DataSpec",
    "EvaluateSpec",
    "FinetuneSpec",
    "LabelCount",
    "OutputsSpec",
    "Pipeline",
    "PipelineError",
    "apply_overrides",
    "load_pipeline",
    "parse_pipeline",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def load_pipeline(path: str | os.PathLike[str], overrides: list[str] | tuple = ()) -> Pipeline:
    """Read, override and validate a pipeline file.

    Parameters
    ----------
    path : str or path-like
        The YAML file.
    overrides : list of str, default=()
        ``key.path=value`` strings (the CLI's ``--set``); values are parsed as YAML.

    Returns
    -------
    Pipeline

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    PipelineError
        If the YAML is malformed, holds a key twice in one mapping (two
        ``pretrain:`` blocks), or anything in it (or in an override) is
        invalid; the message lists every problem with its path or line.
    """
    import yaml

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such pipeline file")
    try:
        raw = load_yaml(path.read_text(encoding="utf-8"))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "YAML"
        raise PipelineError(str(path), [f"{where}: {err.problem or err}"]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise PipelineError(str(path), [f"not a readable YAML file ({err})"]) from None
    if raw is None:
        raw = {}
    raw = apply_overrides(raw, overrides, source=str(path))
    return parse_pipeline(raw, source=str(path), base_dir=path.parent)


def apply_overrides(raw: Any, overrides: list[str] | tuple, source: str = "<pipeline>") -> Any:
    """Return a copy of ``raw`` with ``key.path=value`` overrides applied.

    Parameters
    ----------
    raw : dict
        The pipeline as read from YAML.
    overrides : list of str
        E.g. ``["finetune.epochs=3", "finetune.seeds=[0, 1]"]``; values are YAML.
        Missing sections are created.
    source : str, default="<pipeline>"
        Used in error messages.

    Returns
    -------
    dict

    Raises
    ------
    PipelineError
        If an override is not ``key=value`` or walks into a value that is not a
        mapping.
    """
    import yaml

    if not overrides:
        return raw
    result = copy.deepcopy(raw)
    problems = Problems()
    if not isinstance(result, dict):
        return result  # parse_pipeline reports the wrong top-level type
    for text in overrides:
        key, sep, value_text = str(text).partition("=")
        keys = key.strip().split(".")
        if not sep or not all(keys):
            problems.add(f"--set {text}", "expected KEY.PATH=VALUE, e.g. finetune.epochs=3")
            continue
        try:
            value = load_yaml(value_text) if value_text.strip() else None
        except yaml.YAMLError as err:
            problems.add(f"--set {text}", f"the value is not valid YAML ({err})")
            continue
        node = result
        for depth, part in enumerate(keys[:-1]):
            child = node.get(part)
            if child is None:
                child = node[part] = {}
            if not isinstance(child, dict):
                where = ".".join(keys[: depth + 1])
                problems.add(f"--set {text}", f"{where} is {show(child)}, not a section")
                break
            node = child
        else:
            node[keys[-1]] = value
    problems.raise_if_any(source)
    return result


def parse_pipeline(
    raw: Any, source: str = "<pipeline>", base_dir: str | os.PathLike[str] | None = None
) -> Pipeline:
    """Validate plain pipeline data and turn it into a :class:`Pipeline`.

    Parameters
    ----------
    raw : dict
        The pipeline as read from YAML (after overrides).
    source : str, default="<pipeline>"
        Name of the file, used in error messages.
    base_dir : str or path-like, optional
        Folder that relative data paths are resolved against (the pipeline
        file's folder); by default the working directory.

    Returns
    -------
    Pipeline

    Raises
    ------
    PipelineError
        Listing every problem found, each with its path in the file.
    """
    problems = Problems()
    if not isinstance(raw, dict):
        problems.expected("", "a mapping with the sections " + ", ".join(SECTIONS), raw)
        problems.raise_if_any(source)
    problems.unknown_keys("", list(raw), SECTIONS)
    base = Path(base_dir).resolve() if base_dir is not None else Path.cwd()

    name = raw.get("name", Path(source).name.split(".")[0] if source != "<pipeline>" else "run")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.expected("name", "a name of letters, digits, '_', '.' or '-'", name)
    seed = raw.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        problems.expected("seed", "an integer >= 0", seed)

    data = _sections.parse_data(_sections.section(raw, "data", problems, required=True),
                                base, problems)
    pretrain, autoencoder = _sections.parse_model(
        _sections.section(raw, "model", problems),
        _sections.section(raw, "pretrain", problems), problems)
    finetune = None
    if raw.get("finetune") is not None:
        finetune = _sections.parse_finetune(_sections.section(raw, "finetune", problems),
                                             problems)
    evaluate = _sections.parse_simple(_sections.section(raw, "evaluate", problems),
                                     "evaluate", EvaluateSpec, problems)
    outputs = _sections.parse_simple(_sections.section(raw, "outputs", problems),
                                    "outputs", OutputsSpec, problems)
    _sections.check_choices(evaluate, outputs, problems)
    training = _sections.parse_simple(_sections.section(raw, "training", problems),
                                     "training", TrainingSpec, problems)
    _sections.check_distribution(training, problems, finetune=finetune, data=data)
    problems.raise_if_any(source)
    return Pipeline(
        name=name, seed=seed, data=data, pretrain=pretrain, autoencoder=autoencoder,
        finetune=finetune, evaluate=evaluate, outputs=outputs, training=training,
        source=Path(source) if source != "<pipeline>" else None,
    )
