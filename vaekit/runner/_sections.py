"""Checking each section of a pipeline file and turning it into its dataclass.

Every function adds what it finds wrong to a :class:`~vaekit.runner._checks.Problems`
collector instead of raising, so one run reports every problem in the file.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import re
from pathlib import Path
from typing import Any

from vaekit._validation import SettingError
from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.runner._checks import Problems, check_type, describe, show, type_hints
from vaekit.runner.baselines import BASELINE_NAMES
from vaekit.runner.spec import (
    MODEL_FIELDS, PATH_OPTIONS, PLOTS, PROBES, SCALES, DataSpec, EvaluateSpec, FinetuneSpec,
    OutputsSpec,
)

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")


def section(raw: dict, key: str, problems: Problems, required: bool = False) -> dict:
    """The mapping under ``key`` (``{}`` when absent or null; a problem if not a mapping)."""
    value = raw.get(key)
    if value is None:
        if required:
            problems.add(key, "missing; every pipeline needs this section")
        return {}
    if not isinstance(value, dict):
        problems.expected(key, "a mapping", value)
        return {}
    return value


def _fields(values: dict, path: str, cls: type, names, problems: Problems) -> dict:
    """Type-check the keys of ``values`` that are fields of ``cls`` and in ``names``."""
    hints = type_hints(cls)
    kwargs = {}
    for name in names:
        if name not in values:
            continue
        ok, value = check_type(values[name], hints.get(name, Any))
        if ok:
            kwargs[name] = value
        else:
            problems.expected(f"{path}.{name}", describe(hints.get(name, Any)), values[name])
    return kwargs


def _setting_path(field: str, paths: dict[str, str]) -> str | None:
    """The pipeline path of a config field named ``field`` (``"finetune.alpha"``,
    ``"finetune.head_units[]"``, ``"finetune.class_weight[3]"``); None if not in ``paths``."""
    dotted, bracket, subscript = field.partition("[")
    path = paths.get(dotted.rsplit(".", 1)[-1])
    if path is None or subscript in ("", "]"):  # "[]": any item of the list
        return path
    return f"{path}{bracket}{subscript}"


def _build(cls: type, kwargs: dict, paths: dict[str, str], fallback: str, problems: Problems):
    """``cls(**kwargs)``, turning the dataclass's own errors into problems.

    A :class:`~vaekit._validation.SettingError` is reported under the pipeline path
    of its field (``paths`` maps a field's last name to it); any other
    ``ValueError``/``TypeError`` under ``fallback``, with its whole message.
    """
    try:
        return cls(**kwargs)
    except SettingError as err:
        path = _setting_path(err.field, paths)
        if path is None:
            problems.add(fallback, str(err))
        else:
            problems.add(path, err.message)
        return None
    except (ValueError, TypeError) as err:
        problems.add(fallback, str(err))
        return None


def parse_data(section: dict, base: Path, problems: Problems) -> DataSpec:
    """``data:``: the loader by name, its options checked against its signature, paths
    resolved against ``base`` (the pipeline file's folder) and checked to exist."""
    from vaekit.data import LOADERS

    kind = section.get("kind")
    scale = section.get("scale", "none")
    if scale not in SCALES:
        problems.expected("data.scale", "one of " + ", ".join(SCALES), scale)
    streaming = section.get("streaming", "auto")
    if streaming not in (True, False, "auto"):
        problems.expected("data.streaming", "true, false or auto", streaming)
    if kind is None:
        if section:
            problems.add("data.kind", "missing; one of " + ", ".join(sorted(LOADERS)))
        return DataSpec(kind="", options={}, scale=scale, streaming=streaming)
    if kind not in LOADERS:
        problems.expected("data.kind", "one of " + ", ".join(sorted(LOADERS)), kind)
        return DataSpec(kind=str(kind), options={}, scale=scale, streaming=streaming)
    loader = LOADERS[kind]
    signature = inspect.signature(loader)
    problems.unknown_keys("data", list(section),
                          ["kind", "scale", "streaming", *signature.parameters])
    hints = type_hints(loader)
    options = {}
    for name, parameter in signature.parameters.items():
        if name not in section:
            if parameter.default is inspect.Parameter.empty:
                problems.add(f"data.{name}", f"missing; data kind {kind!r} needs it")
            else:
                options[name] = parameter.default
            continue
        value = section[name]
        ok, value = check_type(value, hints.get(name, Any))
        if not ok:
            problems.expected(f"data.{name}", describe(hints.get(name, Any)), section[name])
            continue
        if name in PATH_OPTIONS and value is not None:
            value = _resolve_path(f"data.{name}", value, base, problems)
        options[name] = value
    return DataSpec(kind=kind, options=options, scale=scale, streaming=streaming)


def _resolve_path(path: str, value: Any, base: Path, problems: Problems) -> str | None:
    text = os.fspath(value)
    missing = [a or b for a, b in _VARIABLE.findall(text) if not os.environ.get(a or b)]
    if missing:
        problems.add(path, f"{show(text)} uses ${{{missing[0]}}}, which is not set; set it "
                           "to the folder that holds the data")
        return None
    expanded = Path(os.path.expandvars(text)).expanduser()
    resolved = expanded if expanded.is_absolute() else (base / expanded)
    resolved = Path(os.path.normpath(resolved))
    if not resolved.exists():
        problems.add(path, f"no such file or folder: {resolved}")
    return str(resolved)


def _architecture(architecture: Any, problems: Problems):
    """The :class:`~vaekit.builders.Architecture` that ``model.architecture`` names:
    a built-in name, or ``{encoder: "pkg.mod:fn", decoder: "pkg.mod:fn"}`` (imported
    here, so that a wrong path or a builder's options are reported with the rest)."""
    from vaekit.builders import ARCHITECTURES

    if isinstance(architecture, dict):
        from vaekit.config.pretrain import PretrainConfig

        try:
            return PretrainConfig(architecture=architecture).builders()
        except (ValueError, TypeError) as error:
            problems.add("model.architecture", str(getattr(error, "message", error)))
            return None
    if not isinstance(architecture, str) or architecture not in ARCHITECTURES:
        problems.expected(
            "model.architecture", "one of " + ", ".join(ARCHITECTURES) + " or a mapping "
            "{encoder: 'package.module:function', decoder: 'package.module:function'}",
            architecture)
        return None
    return ARCHITECTURES[architecture]


def _architecture_hints(architecture) -> dict:
    from vaekit.builders import get_architecture

    arch = get_architecture(architecture)
    hints: dict = {}
    for builder in (arch.build_encoder, arch.build_decoder):
        # A user's builder is wrapped in a checking callable; its hints are the function's.
        for name, hint in type_hints(getattr(builder, "build", builder)).items():
            hints.setdefault(name, hint)
    return hints


def parse_model(model: dict, pretrain: dict, problems: Problems):
    """``model:`` and ``pretrain:`` together: one :class:`PretrainConfig`, plus the
    ``autoencoder`` flag. Architecture options are checked against the builders."""
    config_fields = [f.name for f in dataclasses.fields(PretrainConfig)]
    model_fields = [name for name in MODEL_FIELDS if name in config_fields]
    pretrain_fields = [
        name for name in config_fields
        if name not in model_fields and name != "architecture_options"
    ]
    kwargs = _fields(model, "model", PretrainConfig, model_fields, problems)
    architecture = kwargs.get("architecture", PretrainConfig.architecture)
    option_names: list[str] = []
    arch = _architecture(architecture, problems)
    if arch is None:
        kwargs.pop("architecture", None)
    else:
        option_names = sorted(arch.option_names())
        hints = _architecture_hints(arch)
        options = {}
        for name in option_names:
            if name in model:
                ok, value = check_type(model[name], hints.get(name, Any))
                if ok:
                    options[name] = value
                else:
                    problems.expected(f"model.{name}", describe(hints.get(name, Any)),
                                      model[name])
        kwargs["architecture_options"] = options
    problems.unknown_keys("model", list(model), [*model_fields, *option_names, "autoencoder"])
    autoencoder = model.get("autoencoder", False)
    if not isinstance(autoencoder, bool):
        problems.expected("model.autoencoder", "true or false", autoencoder)
    problems.unknown_keys("pretrain", list(pretrain), pretrain_fields)
    kwargs.update(_fields(pretrain, "pretrain", PretrainConfig, pretrain_fields, problems))
    paths = {name: f"model.{name}" for name in model_fields}
    paths.update({name: f"pretrain.{name}" for name in pretrain_fields})
    config = _build(PretrainConfig, kwargs, paths, "pretrain", problems)
    return config or PretrainConfig(), autoencoder is True


def _positive_ints(section: dict, key: str, problems: Problems, minimum: int = 1):
    values = section[key]
    what = "a positive integer" if minimum == 1 else f"an integer >= {minimum}"
    if not isinstance(values, list) or not values:
        problems.expected(f"finetune.{key}", f"a non-empty list of {what.split(' ', 1)[1]}s",
                          values)
        return None
    good, seen = [], set()
    for index, value in enumerate(values):
        where = f"finetune.{key}[{index}]"
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            problems.expected(where, what, value)
        elif value in seen:
            problems.add(where, f"{value} is listed twice")
        else:
            seen.add(value)
            good.append(value)
    return tuple(good)


def parse_finetune(section: dict, problems: Problems) -> FinetuneSpec:
    """``finetune:``: label counts, seeds, and every field of :class:`FinetuneConfig`
    (the schedule) and :class:`FinetuneRecipe` (the objective), side by side."""
    config_fields = [f.name for f in dataclasses.fields(FinetuneConfig)]
    recipe_fields = [f.name for f in dataclasses.fields(FinetuneRecipe)]
    problems.unknown_keys("finetune", list(section),
                          ["labels_per_class", "labels", "seeds", *config_fields,
                           *recipe_fields])
    # A key set to null counts as absent, so `--set finetune.labels_per_class=null
    # --set finetune.labels=[100]` switches from one kind of count to the other.
    has_per_class = section.get("labels_per_class") is not None
    has_total = section.get("labels") is not None
    if has_per_class == has_total:
        problems.add("finetune", "give exactly one of labels_per_class (labels of every "
                                 "class) and labels (total labels, spread evenly)")
    per_class = _positive_ints(section, "labels_per_class", problems) if has_per_class else None
    labels = _positive_ints(section, "labels", problems) if has_total else None
    seeds = (0,)
    if "seeds" in section:
        seeds = _positive_ints(section, "seeds", problems, minimum=0) or (0,)
    built = {}
    for cls, names in ((FinetuneConfig, config_fields), (FinetuneRecipe, recipe_fields)):
        kwargs = _fields(section, "finetune", cls, names, problems)
        paths = {name: f"finetune.{name}" for name in names}
        built[cls] = _build(cls, kwargs, paths, "finetune", problems) or cls()
    return FinetuneSpec(labels_per_class=per_class, labels=labels, seeds=seeds,
                        config=built[FinetuneConfig], recipe=built[FinetuneRecipe])


def parse_simple(section: dict, path: str, cls: type, problems: Problems):
    """A section whose keys are exactly the fields of the dataclass ``cls``."""
    names = [f.name for f in dataclasses.fields(cls)]
    problems.unknown_keys(path, list(section), names)
    kwargs = _fields(section, path, cls, names, problems)
    return cls(**kwargs)


def check_distribution(training, problems: Problems, *, finetune=None, data=None) -> None:
    """``training.distribution``: a name of :data:`vaekit.distribution.DISTRIBUTIONS`.

    ``multi_worker`` runs the same pipeline file on every machine (only the
    chief writes the run folder, see :mod:`vaekit.runner.workers`); it is
    refused with a ``finetune:`` section (fine-tuning draws its joint batches in
    one process: :func:`vaekit.semi_supervised.finetune.check_finetune_distribution`)
    and with ``data.streaming: true`` (each process trains on its own share of
    rows in memory).
    """
    from vaekit._distribution_names import DISTRIBUTIONS

    name = training.distribution
    if name is not None and name not in DISTRIBUTIONS:
        problems.expected("training.distribution",
                          "one of " + ", ".join(DISTRIBUTIONS) + " or null", name)
    elif name == "multi_worker" and finetune is not None:
        problems.add("training.distribution",
                     "multi_worker pretrains across machines, but fine-tuning runs on one "
                     "(its joint batches are drawn by one process); remove the finetune "
                     "section and fine-tune the pretrained model in a second pipeline with "
                     "mirrored, data_parallel or none")
    elif name == "multi_worker" and data is not None and data.streaming is True:
        problems.add("training.distribution",
                     "multi_worker splits rows in memory across the processes; set "
                     "data.streaming: false (streamed data across machines is not supported "
                     "yet)")


def check_choices(evaluate: EvaluateSpec, outputs: OutputsSpec, problems: Problems) -> None:
    """Names and ranges in ``evaluate:`` and ``outputs:`` that types alone do not check."""
    for index, name in enumerate(evaluate.baselines):
        if name not in BASELINE_NAMES:
            problems.expected(f"evaluate.baselines[{index}]",
                              "one of " + ", ".join(BASELINE_NAMES), name)
    if evaluate.probe is not None and evaluate.probe not in PROBES:
        problems.expected("evaluate.probe", "one of logistic, knn, null", evaluate.probe)
    if not 0.0 < evaluate.test_size < 1.0:
        problems.expected("evaluate.test_size", "a number between 0 and 1", evaluate.test_size)
    if evaluate.baseline_max_unlabeled is not None and evaluate.baseline_max_unlabeled < 1:
        problems.expected("evaluate.baseline_max_unlabeled", "a positive integer or null",
                          evaluate.baseline_max_unlabeled)
    for index, name in enumerate(outputs.plots):
        if name not in PLOTS:
            problems.expected(f"outputs.plots[{index}]", "one of " + ", ".join(PLOTS), name)
    if outputs.latent_points < 1:
        problems.expected("outputs.latent_points", "a positive integer", outputs.latent_points)
