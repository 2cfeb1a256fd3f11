"""Pipelines as jobs: the pipeline-file schema, the stages that run it, the report.

>>> from vaekit.runner import Runner, load_pipeline           # doctest: +SKIP
>>> pipeline = load_pipeline("pipelines/digits.yaml", ["finetune.epochs=5"])
>>> runner = Runner(pipeline, "runs/digits")
>>> runner.open(fresh=True)
>>> runner.run()
"""

from vaekit.runner._checks import PipelineError
from vaekit.runner.baselines import BASELINES, run_baselines
from vaekit.runner.layout import RunFolderError
from vaekit.runner.run import STAGES, Runner
from vaekit.runner.schema import Pipeline, apply_overrides, load_pipeline, parse_pipeline

__all__ = [
    "BASELINES",
    "STAGES",
    "Pipeline",
    "PipelineError",
    "RunFolderError",
    "Runner",
    "apply_overrides",
    "load_pipeline",
    "parse_pipeline",
    "run_baselines",
]
