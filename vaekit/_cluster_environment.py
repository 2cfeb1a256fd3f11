"""Where the processes of a multi-machine job are: read from Keras' variables or
``TF_CONFIG``, checked, and the coordinator waited for with a bounded time-out.

Kept apart from :mod:`vaekit.distribution` (which maps a name to an engine);
``vaekit.distribution.cluster_from_environment`` is the public name.
"""

from __future__ import annotations

import json
import os
import socket
import time

__all__ = ["KERAS_VARIABLES", "TIMEOUT_VARIABLE", "cluster_from_environment",
           "wait_for_coordinator"]

#: Environment variable that overrides :data:`DEFAULT_TIMEOUT_S`.
TIMEOUT_VARIABLE = "VAEKIT_DISTRIBUTION_TIMEOUT"
#: Keras' own variables for the cluster (read by :func:`keras.distribution.initialize`).
KERAS_VARIABLES = ("KERAS_DISTRIBUTION_JOB_ADDRESSES", "KERAS_DISTRIBUTION_NUM_PROCESSES",
                   "KERAS_DISTRIBUTION_PROCESS_ID")


def cluster_from_environment(environ=None) -> tuple[list[str], int, int, str]:
    """Read a multi-worker cluster from Keras' variables or ``TF_CONFIG``.

    Parameters
    ----------
    environ : mapping, optional
        The environment; ``os.environ`` by default.

    Returns
    -------
    addresses : list of str
        ``host:port`` of every process, the coordinator (process 0) first.
    num_processes : int
    process_id : int
    source : str
        Which variables described the cluster, for messages.

    Raises
    ------
    ValueError
        If neither is set, or what is set does not parse; the message names
        the variable and the expected form.
    """
    environ = os.environ if environ is None else environ
    if any(environ.get(name) for name in KERAS_VARIABLES):
        return _from_keras_variables(environ) + ("KERAS_DISTRIBUTION_*",)
    if environ.get("TF_CONFIG"):
        return _from_tf_config(environ["TF_CONFIG"]) + ("TF_CONFIG",)
    raise ValueError(
        "distribution='multi_worker' needs the cluster: set "
        "KERAS_DISTRIBUTION_JOB_ADDRESSES='host0:port,host1:port', "
        "KERAS_DISTRIBUTION_NUM_PROCESSES=2 and KERAS_DISTRIBUTION_PROCESS_ID=<0 or 1> "
        "on every machine (or TF_CONFIG); none of them is set."
    )


def _from_keras_variables(environ) -> tuple[list[str], int, int]:
    missing = [name for name in KERAS_VARIABLES if not environ.get(name)]
    if missing:
        raise ValueError(f"multi_worker: {', '.join(missing)} not set; set all of "
                         f"{', '.join(KERAS_VARIABLES)}.")
    addresses = [_check_address("KERAS_DISTRIBUTION_JOB_ADDRESSES", a.strip())
                 for a in environ["KERAS_DISTRIBUTION_JOB_ADDRESSES"].split(",")]
    count = _check_int("KERAS_DISTRIBUTION_NUM_PROCESSES",
                       environ["KERAS_DISTRIBUTION_NUM_PROCESSES"], 1)
    index = _check_int("KERAS_DISTRIBUTION_PROCESS_ID",
                       environ["KERAS_DISTRIBUTION_PROCESS_ID"], 0)
    if len(addresses) not in (1, count):
        raise ValueError(
            f"KERAS_DISTRIBUTION_JOB_ADDRESSES names {len(addresses)} processes but "
            f"KERAS_DISTRIBUTION_NUM_PROCESSES={count}; give one address per process "
            "(or only the coordinator's)."
        )
    if index >= count:
        raise ValueError(f"KERAS_DISTRIBUTION_PROCESS_ID={index} must be below "
                         f"KERAS_DISTRIBUTION_NUM_PROCESSES={count}.")
    return addresses, count, index


def _from_tf_config(text: str) -> tuple[list[str], int, int]:
    form = ('{"cluster": {"worker": ["host0:port", "host1:port"]}, '
            '"task": {"type": "worker", "index": 0}}')
    try:
        config = json.loads(text)
    except json.JSONDecodeError as err:
        raise ValueError(f"TF_CONFIG is not valid JSON ({err}); expected {form}.") from None
    cluster = config.get("cluster") if isinstance(config, dict) else None
    task = config.get("task") if isinstance(config, dict) else None
    if not isinstance(cluster, dict) or not isinstance(task, dict):
        raise ValueError(f"TF_CONFIG needs 'cluster' and 'task' mappings; expected {form}.")
    order = [kind for kind in ("chief", "worker") if kind in cluster]
    if not order or not all(isinstance(cluster[kind], list) for kind in order):
        raise ValueError(f"TF_CONFIG's cluster needs a 'worker' (or 'chief') list of "
                         f"addresses; expected {form}.")
    addresses = [_check_address("TF_CONFIG", str(a)) for kind in order for a in cluster[kind]]
    kind, index = task.get("type"), task.get("index", 0)
    if kind not in order or isinstance(index, bool) or not isinstance(index, int) \
            or not 0 <= index < len(cluster[kind]):
        raise ValueError(f"TF_CONFIG's task {task!r} names no process of the cluster "
                         f"{ {k: cluster[k] for k in order} }.")
    offset = len(cluster["chief"]) if kind == "worker" and "chief" in cluster else 0
    return addresses, len(addresses), offset + index


def _check_address(variable: str, address: str) -> str:
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{variable}: {address!r} is not a host:port address such as "
                         "'10.0.0.1:1234'.")
    return address


def _check_int(variable: str, text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        value = None
    if value is None or value < minimum:
        raise ValueError(f"{variable}={text!r} must be an integer >= {minimum}.")
    return value


def wait_for_coordinator(address: str, process_id: int, timeout: float,
                          source: str) -> None:
    """Workers: wait until the coordinator's port answers, at most ``timeout`` seconds.

    JAX's client would also give up after its own time-out, but with a
    message about gRPC; this says which address did not answer.
    """
    if process_id == 0:
        return
    host, _, port = address.rpartition(":")
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host, int(port)), timeout=min(2.0, timeout)):
                return
        except OSError as err:
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"multi_worker: the coordinator {address} (process 0, from {source}) "
                    f"did not answer within {timeout:g} s ({err}); start it first, or "
                    f"check the address and the firewall ({TIMEOUT_VARIABLE} sets the "
                    "time-out)."
                ) from None
            time.sleep(0.2)
