"""``provenance.json``: where a run's results came from.

Every invocation on a run folder (``vaekit run``, a ``--resume``, a single
stage) adds an entry with the date (UTC), the command, the versions of vaekit,
Keras, the backend, NumPy, scikit-learn and Python, the backend's name, the git
commit of the project that holds the pipeline file (and whether it had
uncommitted changes), the host's CPU and the GPUs the backend sees, and the
seconds each stage took. The resolved settings are not copied: the file points
at ``pipeline.yaml`` and ``schedule.json`` beside it. The top-level
``versions``, ``backend``, ``host`` and ``git`` are those of the latest
invocation; ``stage_seconds`` adds up all of them (as ``timings.json`` does).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import socket
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from vaekit.file_formats import write_json
from vaekit.runner.layout import RunLayout

__all__ = ["GIT_TIMEOUT_S", "GPU_LISTERS", "describe_environment", "git_state", "host",
           "record_invocation", "record_stage_seconds", "versions"]

#: Seconds a ``git`` call may take before the commit is recorded as unknown.
GIT_TIMEOUT_S = 5.0


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _module_version(name: str) -> str | None:
    module = sys.modules.get(name)
    if module is None:
        return None
    return str(getattr(module, "__version__", "unknown"))


def versions(backend: str) -> dict:
    """Versions of Python, vaekit, Keras, the backend, NumPy and scikit-learn.

    Parameters
    ----------
    backend : str
        The Keras backend's name; its module is read only if already imported.

    Returns
    -------
    dict
    """
    import keras
    import numpy
    import sklearn

    import vaekit

    found = {"python": platform.python_version(), "vaekit": vaekit.__version__,
             "keras": keras.__version__, "numpy": numpy.__version__,
             "scikit-learn": sklearn.__version__}
    found[backend] = _module_version(backend)
    if backend == "jax":
        found["jaxlib"] = _module_version("jaxlib")
    return found


def _tensorflow_gpus() -> list[str]:
    import tensorflow as tf

    names = []
    for device in tf.config.list_physical_devices("GPU"):
        details = tf.config.experimental.get_device_details(device)
        names.append(str(details.get("device_name", device.name)))
    return names


def _jax_gpus() -> list[str]:
    import jax

    return [str(device.device_kind) for device in jax.devices() if device.platform != "cpu"]


def _torch_gpus() -> list[str]:
    import torch

    if not torch.cuda.is_available():
        return []
    return [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]


#: Keras backend name -> function listing the names of the GPUs it sees.
GPU_LISTERS: dict[str, Callable[[], list[str]]] = {
    "tensorflow": _tensorflow_gpus,
    "jax": _jax_gpus,
    "torch": _torch_gpus,
}


def _cpu_model() -> str:
    """The CPU's model name: ``platform.processor()``, or ``/proc/cpuinfo`` on Linux,
    where ``platform.processor()`` is often empty or only the architecture."""
    name = platform.processor()
    if name and name != platform.machine():
        return name
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text(errors="replace").splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return name or platform.machine()


def host(backend: str) -> dict:
    """The machine: name, operating system, CPU model and count, GPUs the backend sees.

    Parameters
    ----------
    backend : str
        The Keras backend, asked for its GPU list.

    Returns
    -------
    dict
        ``gpus`` is a list of names (empty: none seen); for a backend vaekit
        cannot ask it is None and ``gpus_note`` says why.
    """
    found = {"hostname": socket.gethostname(), "system": platform.platform(),
             "machine": platform.machine(), "cpu": _cpu_model(), "cpu_count": os.cpu_count()}
    lister = GPU_LISTERS.get(backend)
    if lister is None:
        found["gpus"], found["gpus_note"] = None, f"cannot list the GPUs of backend {backend!r}"
    else:
        found["gpus"] = lister()
    return found


def git_state(folder: str | os.PathLike[str] | None) -> dict:
    """The git commit of the work tree holding ``folder``, and whether it has changes.

    Parameters
    ----------
    folder : str or path-like or None
        The pipeline file's folder (None: the pipeline was not read from a file).

    Returns
    -------
    dict
        ``{"commit": sha, "dirty": bool, "work_tree": path}``, or
        ``{"commit": None, "reason": why}`` when there is no commit to record
        (not a git work tree, git not installed, git too slow).
    """
    if folder is None:
        return {"commit": None, "reason": "the pipeline was not read from a file"}

    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(folder), *args], capture_output=True,
                              text=True, timeout=GIT_TIMEOUT_S, check=True).stdout

    try:
        commit, work_tree = git("rev-parse", "HEAD", "--show-toplevel").split()[:2]
        changes = git("status", "--porcelain", "--untracked-files=no")
    except FileNotFoundError:
        return {"commit": None, "reason": "git is not installed"}
    except subprocess.TimeoutExpired:
        return {"commit": None, "reason": f"git took over {GIT_TIMEOUT_S:g} s"}
    except (subprocess.CalledProcessError, ValueError):
        return {"commit": None, "reason": f"{folder} is not in a git work tree with a commit"}
    return {"commit": commit, "dirty": bool(changes.strip()), "work_tree": work_tree}


def describe_environment(source: str | os.PathLike[str] | None) -> dict:
    """One invocation's entry: date, command, versions, backend, host, git state.

    Parameters
    ----------
    source : str or path-like or None
        The pipeline file (its folder is asked for the git commit).

    Returns
    -------
    dict
    """
    import keras

    backend = keras.backend.backend()
    folder = Path(source).resolve().parent if source is not None else None
    return {"date": _now(), "command": list(sys.argv), "backend": backend,
            "versions": versions(backend), "host": host(backend), "git": git_state(folder),
            "stage_seconds": {}}


def _read(layout: RunLayout) -> dict:
    path = layout.provenance
    if not path.is_file():
        return {}
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        from vaekit.runner.layout import RunFolderError

        raise RunFolderError(f"{path}: not valid JSON ({err}); delete it (the run's other "
                             "files are not affected) and resume") from None
    return saved if isinstance(saved, dict) else {}


def record_invocation(layout: RunLayout, source: str | os.PathLike[str] | None) -> dict:
    """Add this invocation to ``provenance.json`` (created on the first).

    Parameters
    ----------
    layout : RunLayout
        The run's folder.
    source : str or path-like or None
        The pipeline file.

    Returns
    -------
    dict
        The content written.
    """
    saved = _read(layout)
    entry = describe_environment(source)
    invocations = [*saved.get("invocations", []), entry]
    provenance = {
        "date": invocations[0]["date"],
        "pipeline_file": str(Path(source).resolve()) if source is not None else None,
        "settings": {"resolved_pipeline": layout.pipeline.name,
                     "schedule": layout.schedule.name},
        **{key: entry[key] for key in ("backend", "versions", "host", "git")},
        "stage_seconds": saved.get("stage_seconds", {}),
        "invocations": invocations,
    }
    write_json(layout.provenance, provenance)
    return provenance


def record_stage_seconds(layout: RunLayout, seconds: Mapping[str, float]) -> None:
    """Add this invocation's seconds per stage to ``provenance.json``.

    The latest invocation gets ``seconds``; ``stage_seconds`` is the sum over all
    invocations.

    Parameters
    ----------
    layout : RunLayout
        The run's folder, after :func:`record_invocation`.
    seconds : mapping of str to float
        Stage name to seconds, for this invocation only.
    """
    saved = _read(layout)
    if not saved.get("invocations"):
        return  # the run stopped before it was recorded (its checks failed)
    saved["invocations"][-1]["stage_seconds"] = {k: round(v, 3) for k, v in seconds.items()}
    totals: dict = {}
    for invocation in saved["invocations"]:
        for stage, value in invocation["stage_seconds"].items():
            totals[stage] = round(totals.get(stage, 0.0) + value, 3)
    saved["stage_seconds"] = totals
    write_json(layout.provenance, saved)
