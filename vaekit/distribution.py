"""Training on several devices or machines with the engines Keras already has.

One job: turn a distribution name (``"none"``, ``"mirrored"``,
``"data_parallel"``, ``"multi_worker"``) into the backend's own engine and
give the block that models are built and trained in. Nothing here moves
gradients or data itself: TensorFlow's :class:`tf.distribute.MirroredStrategy`
and Keras' :class:`keras.distribution.DataParallel` (with
:func:`jax.distributed.initialize` across machines) do.

=================  ====================================  =======================================
name               TensorFlow backend                    JAX backend
=================  ====================================  =======================================
``none``           one device                            one device
``mirrored``       ``MirroredStrategy`` (local devices)  ``DataParallel`` (local devices)
``data_parallel``  same as ``mirrored``                  same as ``mirrored``
``multi_worker``   refused (see :data:`TF_MULTI_WORKER`)  ``DataParallel`` over every process
=================  ====================================  =======================================

The batch size is always the global batch: each of ``n`` replicas computes
``batch_size / n`` rows a step, and the gradients are averaged, so a run on
two devices takes the same steps as a run on one.

``multi_worker`` reads the cluster from Keras' variables
``KERAS_DISTRIBUTION_JOB_ADDRESSES`` (``host:port`` of every process, the
coordinator first), ``KERAS_DISTRIBUTION_NUM_PROCESSES`` and
``KERAS_DISTRIBUTION_PROCESS_ID``, or else from a TensorFlow-style
``TF_CONFIG``. Every process runs the same program; each trains on its own
share of the rows (``rows[process_id::num_processes]``); only the chief
(process 0) writes files (:attr:`Distribution.is_chief`,
:class:`ChiefBackupAndRestore`).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keras

from vaekit._cluster_environment import (  # noqa: F401 - KERAS_VARIABLES is public here
    KERAS_VARIABLES,
    TIMEOUT_VARIABLE,
    cluster_from_environment,
    wait_for_coordinator,
)
from vaekit._distribution_names import DISTRIBUTIONS

logger = logging.getLogger(__name__)

#: Seconds to wait for the other processes of a cluster before giving up.
DEFAULT_TIMEOUT_S = 60
#: Why ``multi_worker`` is refused on TensorFlow (see tests/test_multi_host.py).
TF_MULTI_WORKER = (
    "distribution='multi_worker' runs on the JAX backend only: with Keras {keras} and "
    "TensorFlow's MultiWorkerMirroredStrategy, Keras 3 models do not train across "
    "workers (keras-team/keras#20585, #21069). Install the 'jax' extra and set "
    "KERAS_BACKEND=jax on every machine, with KERAS_DISTRIBUTION_JOB_ADDRESSES, "
    "KERAS_DISTRIBUTION_NUM_PROCESSES and KERAS_DISTRIBUTION_PROCESS_ID (or TF_CONFIG); "
    "see the README's 'Scaling out'."
)


@dataclass(frozen=True)
class Distribution:
    """A resolved distribution: the engine, its replicas, and this process's place.

    Build with :func:`get_distribution`, not directly.

    Attributes
    ----------
    name : str
        A key of :data:`DISTRIBUTIONS`.
    num_replicas : int
        Devices that share each global batch, over all processes.
    num_processes : int
        Processes (machines) in the job; 1 unless ``multi_worker``.
    process_id : int
        This process's index, 0 for the chief.
    engine : object or None
        The ``tf.distribute.Strategy`` or ``keras.distribution.Distribution``,
        None for one device.
    """

    name: str
    num_replicas: int = 1
    num_processes: int = 1
    process_id: int = 0
    engine: Any = None

    @property
    def is_chief(self) -> bool:
        """True in the process that writes checkpoints and outputs (process 0)."""
        return self.process_id == 0

    def scope(self) -> contextlib.AbstractContextManager:
        """The block to build, compile and train models in.

        Returns
        -------
        context manager
            ``strategy.scope()`` on TensorFlow, the Keras distribution's
            ``scope()`` on JAX (the same as
            :func:`keras.distribution.set_distribution`, undone on exit), a
            no-op for one device.
        """
        return contextlib.nullcontext() if self.engine is None else self.engine.scope()

    def check_batch_size(self, batch_size: int, name: str = "batch_size") -> int:
        """Refuse a global batch that does not split evenly across the replicas.

        Parameters
        ----------
        batch_size : int
            The global batch (rows per optimizer step, over all devices).
        name : str, default="batch_size"
            The setting's name, for the message.

        Returns
        -------
        int
            Rows each replica computes per step.

        Raises
        ------
        ValueError
            If ``batch_size`` is not a multiple of :attr:`num_replicas`.
        """
        if batch_size % self.num_replicas:
            lower = max(self.num_replicas, batch_size - batch_size % self.num_replicas)
            raise ValueError(
                f"{name}={batch_size} is the global batch and must split evenly across "
                f"the {self.num_replicas} replicas of distribution={self.name!r}; use a "
                f"multiple of {self.num_replicas}, e.g. {lower} or {lower + self.num_replicas}."
            )
        return batch_size // self.num_replicas

    def local_batch_size(self, batch_size: int) -> int:
        """Rows this process feeds per step: the global batch over the processes."""
        return batch_size // self.num_processes

    def local_rows(self, x):
        """This process's share of the rows of ``x`` (all of them on one machine).

        With several processes, process ``p`` of ``P`` keeps rows ``p, p + P,
        ...`` (the same count in every process, so all take the same number of
        steps). On JAX the count is also cut to a multiple of the local
        devices, since every batch must split evenly across them; TensorFlow
        splits uneven last batches itself. Datasets and other non-array
        inputs are returned as they are.

        Parameters
        ----------
        x : numpy.ndarray or any
            Training rows.

        Returns
        -------
        numpy.ndarray or any
        """
        if self.num_processes > 1 and not hasattr(x, "__array__"):
            raise ValueError(
                f"distribution={self.name!r} splits in-memory rows across the processes; "
                f"got {type(x).__name__}. Give each process an array (streamed data "
                "across machines is not supported yet)."
            )
        if not hasattr(x, "__array__") or self.engine is None:
            return x
        n = len(x) // self.num_processes
        if keras.backend.backend() == "jax":
            local_devices = self.num_replicas // self.num_processes
            n -= n % local_devices
        if n < 1:
            raise ValueError(
                f"x has {len(x)} rows, too few to give each of the {self.num_replicas} "
                f"replicas of distribution={self.name!r} one row."
            )
        kept = x[self.process_id::self.num_processes][:n]
        if n * self.num_processes < len(x):
            logger.info("distribution=%r: %d of %d rows used, so that every replica "
                        "gets the same number.", self.name, n * self.num_processes, len(x))
        return kept


ONE_DEVICE = Distribution("none")


def get_distribution(distribution: str | Distribution | None = None, *,
                     timeout: float | None = None) -> Distribution:
    """Resolve a distribution name into the backend's engine.

    Parameters
    ----------
    distribution : str, Distribution or None, default=None
        A key of :data:`DISTRIBUTIONS`; ``None`` is ``"none"``; a
        :class:`Distribution` is returned as it is.
    timeout : float, optional
        ``multi_worker`` only: seconds to wait for the other processes to
        join, and for one that stops answering during training before the
        job fails (on JAX); default ``$VAEKIT_DISTRIBUTION_TIMEOUT`` or
        :data:`DEFAULT_TIMEOUT_S`.

    Returns
    -------
    Distribution

    Raises
    ------
    ValueError
        For an unknown name, a backend without that engine, or a cluster
        description that does not parse.
    TimeoutError
        If the other processes of a ``multi_worker`` job do not answer in time.
    """
    if isinstance(distribution, Distribution):
        return distribution
    name = "none" if distribution is None else distribution
    if not isinstance(name, str) or name not in DISTRIBUTIONS:
        raise ValueError(
            f"distribution must be one of {sorted(DISTRIBUTIONS)} or None, got "
            f"{distribution!r}."
        )
    if name == "none":
        return ONE_DEVICE
    backend = keras.backend.backend()
    engines = _CLUSTER_ENGINES if name == "multi_worker" else _LOCAL_ENGINES
    if backend not in engines:
        if name == "multi_worker" and backend == "tensorflow":
            raise ValueError(TF_MULTI_WORKER.format(keras=keras.__version__))
        raise ValueError(
            f"distribution={name!r} needs the backend {' or '.join(sorted(engines))}, "
            f"but Keras runs on {backend!r}; set KERAS_BACKEND or use distribution='none'."
        )
    if name == "multi_worker":
        return engines[backend](name, resolve_timeout(timeout))
    return engines[backend](name)


def resolve_timeout(timeout: float | None) -> float:
    """``timeout``, else ``$VAEKIT_DISTRIBUTION_TIMEOUT``, else :data:`DEFAULT_TIMEOUT_S`."""
    if timeout is None:
        text = os.environ.get(TIMEOUT_VARIABLE)
        try:
            timeout = float(text) if text else DEFAULT_TIMEOUT_S
        except ValueError:
            raise ValueError(
                f"{TIMEOUT_VARIABLE}={text!r} must be a number of seconds."
            ) from None
    if not timeout > 0:
        raise ValueError(f"timeout must be > 0 seconds, got {timeout!r}.")
    return float(timeout)


def scale_loss(loss):
    """Scale a model's loss for the replicas of a TensorFlow strategy.

    TensorFlow's strategies sum the gradients of the replicas, so a loss
    that a model computes as a mean over its share of the batch must be
    divided by the replica count for the step to follow the mean over the
    global batch (what Keras' own ``compute_loss`` does for compiled losses).
    On JAX the step is one program over the global batch and the loss is
    returned unchanged.

    Parameters
    ----------
    loss : tensor
        The mean loss of this replica's rows.

    Returns
    -------
    tensor
    """
    if keras.backend.backend() != "tensorflow":
        return loss
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss * (1.0 / replicas)


class ChiefBackupAndRestore(keras.callbacks.BackupAndRestore):
    """:class:`keras.callbacks.BackupAndRestore` that only the chief writes.

    Every process restores from ``backup_dir`` when training starts (so it
    must be on storage all machines share); only process 0 writes the
    backups and deletes them at the end, so two processes never write the
    same file. The previous backup is kept (``double_checkpoint=True``) in
    case a process is killed in the middle of writing one.

    Parameters
    ----------
    backup_dir : str or path-like
        Folder of the backups.
    distribution : Distribution, optional
        The job; by default process 0 of one.
    **kwargs
        Passed to :class:`keras.callbacks.BackupAndRestore`.
    """

    def __init__(self, backup_dir, distribution: Distribution | None = None,
                 **kwargs) -> None:
        kwargs.setdefault("double_checkpoint", True)
        super().__init__(os.fspath(backup_dir), **kwargs)
        self.distribution = distribution or ONE_DEVICE

    def on_train_begin(self, logs=None):
        # Restoring needs built weights; Keras builds a model before this call only
        # under a strategy or on JAX. vaekit's models know their input shape.
        shape = getattr(self.model, "sample_shape", None)
        if not self.model.built and shape is not None:
            self.model(keras.ops.zeros((1, *shape)))
        super().on_train_begin(logs)

    def _save_model(self):
        # The only method of the parent that writes backups (Keras 3.8 - 3.15).
        if self.distribution.is_chief:
            with without_distribution():
                super()._save_model()

    def on_train_end(self, logs=None):
        if self.distribution.is_chief:
            super().on_train_end(logs)


@contextlib.contextmanager
def without_distribution():
    """The block where one process alone writes: no Keras distribution active.

    Saving creates Keras variables (``save_weights`` builds a throw-away
    optimizer to list its attributes); under a multi-process
    ``DataParallel`` every new variable is a collective that waits for all
    processes, so a write by the chief alone would hang. Reading the
    replicated weights needs no other process. A no-op on TensorFlow.
    """
    if keras.backend.backend() != "jax":
        yield
        return
    previous = keras.distribution.distribution()
    keras.distribution.set_distribution(None)
    try:
        yield
    finally:
        keras.distribution.set_distribution(previous)


# ---------------------------------------------------------------------- engines
def _tf_mirrored(name: str) -> Distribution:
    strategy = _mirrored_strategy()
    return Distribution(name, num_replicas=strategy.num_replicas_in_sync, engine=strategy)


@functools.cache
def _mirrored_strategy():
    """One MirroredStrategy per process: two would number their collectives alike, and
    a model of one would meet the other's all-reduce ("Shape mismatch in the collective
    instance")."""
    import tensorflow as tf

    return tf.distribute.MirroredStrategy()


def _jax_data_parallel(name: str) -> Distribution:
    devices = keras.distribution.list_devices()
    engine = keras.distribution.DataParallel(devices=devices)
    return Distribution(name, num_replicas=len(devices), engine=engine)


def _jax_multi_process(name: str, timeout: float) -> Distribution:
    import jax

    addresses, num_processes, process_id, source = cluster_from_environment()
    if not jax.distributed.is_initialized():
        wait_for_coordinator(addresses[0], process_id, timeout, source)
        # A warning, so that it shows without logging set up: if a process does not
        # join, JAX's client ends this process (DEADLINE_EXCEEDED, no Python error)
        # and this line is what says which cluster it waited for.
        logger.warning(
            "multi_worker: process %d of %d joining the cluster at %s (from %s); each "
            "process waits at most %g s for the others (%s).", process_id, num_processes,
            addresses[0], source, timeout, TIMEOUT_VARIABLE)
        try:
            # keras.distribution.initialize() with time-outs: Keras passes none, and
            # JAX waits 300 s for the others to join and 100 s for a silent one.
            seconds = max(1, round(timeout))
            jax.distributed.initialize(
                coordinator_address=addresses[0], num_processes=num_processes,
                process_id=process_id, initialization_timeout=seconds,
                heartbeat_timeout_seconds=seconds)
        except Exception as err:  # JAX raises its runtime's own error type
            raise TimeoutError(
                f"multi_worker: process {process_id} could not join the cluster of "
                f"{num_processes} processes at {addresses[0]} (from {source}) within "
                f"{timeout:g} s; check that every process was started with the same "
                f"addresses and that the ports are open ({TIMEOUT_VARIABLE} sets the "
                f"time-out). JAX said: {err}"
            ) from None
    devices = keras.distribution.list_devices()
    # Each process feeds its own rows (Distribution.local_rows), so Keras must not
    # shard them again.
    engine = keras.distribution.DataParallel(devices=devices, auto_shard_dataset=False)
    return Distribution(name, num_replicas=len(devices), num_processes=jax.process_count(),
                        process_id=jax.process_index(), engine=engine)


_LOCAL_ENGINES: dict[str, Callable[[str], Distribution]] = {
    "tensorflow": _tf_mirrored,
    "jax": _jax_data_parallel,
}
_CLUSTER_ENGINES: dict[str, Callable[[str, float], Distribution]] = {
    "jax": _jax_multi_process,
}
