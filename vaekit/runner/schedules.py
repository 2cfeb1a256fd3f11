"""What a pipeline's ``epochs``/``steps`` resolve to once the data's size is known."""

from __future__ import annotations

from vaekit.config import Schedule
from vaekit.runner.spec import Pipeline

__all__ = ["resolved_schedules"]


def resolved_schedules(pipeline: Pipeline, n_rows: int) -> dict[str, Schedule]:
    """``{"pretrain": Schedule, "finetune": Schedule}`` for ``n_rows`` training rows.

    Parameters
    ----------
    pipeline : Pipeline
        The parsed pipeline.
    n_rows : int
        Rows of the training split (all of them feed both stages).

    Returns
    -------
    dict
        The fine-tune entry only when the pipeline has a finetune section.
    """
    schedules = {"pretrain": pipeline.pretrain.schedule(n_rows)}
    if pipeline.finetune is not None:
        schedules["finetune"] = pipeline.finetune.config.schedule(n_rows)
    return schedules
