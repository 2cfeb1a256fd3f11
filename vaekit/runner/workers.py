"""One run over several processes (``training.distribution: multi_worker``): the chief writes.

Every machine runs the same command, ``vaekit run pipeline.yaml --output DIR``,
with the cluster in its environment (``KERAS_DISTRIBUTION_JOB_ADDRESSES``,
``KERAS_DISTRIBUTION_NUM_PROCESSES``, ``KERAS_DISTRIBUTION_PROCESS_ID``, or
``TF_CONFIG``). :func:`join_cluster` resolves the distribution before the run
touches its folder, with :func:`vaekit.distribution.get_distribution`: it reads
the cluster with the one reader of those variables
(:func:`vaekit.distribution.cluster_from_environment`), joins the other
processes, and refuses the TensorFlow backend at start-up, with the Python
API's own message. Process 0 is the chief; it alone writes ``DIR`` (models,
checkpoints, metrics, figures, report, lock file).

Every other process trains in step with the chief but writes into a private
temporary folder (:class:`PrivateFolder`), removed when its run ends, so that
it runs the very same code as the chief (every collective of the training
meets its twin) without touching ``DIR``. It runs the pretrain stage only: the
stages after it read the saved models on the chief alone. On ``--resume`` it
first copies the state of the run (pipeline, models, histories, checkpoints)
from ``DIR``, so every process starts from the chief's last checkpoint; that
needs ``DIR`` on storage all machines read, and a process that finds no run
there stops at once instead of training out of step.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from vaekit.runner.layout import RunFolderError, RunLayout

__all__ = ["CHIEF_STAGES", "PrivateFolder", "join_cluster"]

logger = logging.getLogger(__name__)

#: Stages that only the chief runs (they read the saved models, not the cluster).
CHIEF_STAGES = ("finetune", "evaluate", "generate")


def join_cluster(pipeline):
    """The run's processes, or None when it runs in one process.

    Parameters
    ----------
    pipeline : Pipeline
        The validated pipeline.

    Returns
    -------
    vaekit.distribution.Distribution or None
        The ``multi_worker`` distribution (this process's id and the number of
        processes) when ``training.distribution`` is ``multi_worker``.

    Raises
    ------
    ValueError
        On the TensorFlow backend, or when the cluster variables are missing or
        do not parse.
    TimeoutError
        If the other processes do not join in time.
    """
    if pipeline.training.distribution != "multi_worker":
        return None
    from vaekit.distribution import get_distribution

    return get_distribution("multi_worker")


class PrivateFolder:
    """The throw-away run folder of a process that is not the chief.

    Parameters
    ----------
    output : str or path-like
        The run's folder, which the chief writes.
    process : vaekit.distribution.Distribution
        This process's place in the job.
    """

    #: What a resumed process copies from the chief's folder before it starts.
    STATE = ("pipeline.yaml", "models", "histories", "checkpoints")

    def __init__(self, output: str | os.PathLike[str], process) -> None:
        self.output = Path(output)
        self.process = process
        self.root: Path | None = None

    def create(self, fresh: bool) -> RunLayout:
        """Make the folder (with the chief's state when resuming) and return its layout.

        Parameters
        ----------
        fresh : bool
            A new run (nothing to copy) rather than ``--resume``.

        Returns
        -------
        RunLayout

        Raises
        ------
        RunFolderError
            When resuming and ``output`` holds no run this process can read.
        """
        if not fresh and not (self.output / "pipeline.yaml").is_file():
            raise RunFolderError(
                f"{self.output}: process {self.process.process_id} of "
                f"{self.process.num_processes} finds no run here to resume; with "
                "training.distribution: multi_worker every process resumes from the chief's "
                "checkpoints, so --output must be a folder on storage all machines read")
        self.root = Path(tempfile.mkdtemp(prefix=f"vaekit-process{self.process.process_id}-"))
        if not fresh:
            for name in self.STATE:
                source = self.output / name
                if source.is_dir():
                    shutil.copytree(source, self.root / name)
                elif source.is_file():
                    shutil.copy2(source, self.root / name)
        logger.info("process %d of %d: the chief (process 0) writes %s; this process writes "
                    "only into %s, removed at the end", self.process.process_id,
                    self.process.num_processes, self.output, self.root)
        return RunLayout(self.root)

    def remove(self) -> None:
        """Delete the folder and everything in it."""
        if self.root is None:
            return
        try:
            shutil.rmtree(self.root)
        except OSError as err:  # the run itself is done: say what was left, do not fail it
            logger.warning("process %d: could not remove its private folder %s (%s); "
                           "delete it by hand", self.process.process_id, self.root, err)
        self.root = None
