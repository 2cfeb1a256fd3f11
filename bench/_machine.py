"""Describe the machine a benchmark ran on: host, CPU, cores, library versions, date.

Every bench script prints this header first, so a table can be compared with
another one only when the header says the runs are comparable. Bench scripts
are run as ``python bench/<name>.py`` from the repository root; Python puts
the script's own folder (``bench/``) first on ``sys.path``, so
``from _machine import machine_lines`` works there. A script started any other
way can add the folder itself::

    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

Nothing here imports TensorFlow or JAX: versions are read from the installed
package metadata, so the header costs milliseconds and does not fix the Keras
backend of the process that prints it.
"""

from __future__ import annotations

import datetime
import os
import platform
import sys
from importlib import metadata

#: Distribution name -> label printed in the header.
PACKAGES: dict[str, str] = {
    "vaekit": "vaekit",
    "keras": "keras",
    "tensorflow": "tensorflow",
    "jax": "jax",
    "jaxlib": "jaxlib",
    "numpy": "numpy",
    "scikit-learn": "sklearn",
}


def cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo``, or :func:`platform.processor`."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def cpu_count() -> tuple[int, int | None]:
    """``(logical CPUs in the machine, CPUs this process may run on)``."""
    total = os.cpu_count() or 1
    try:
        usable: int | None = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        usable = None
    return total, usable


def cpu_flags() -> str:
    """The vector instruction sets the CPU reports (AVX2, AVX-512, AMX), for BLAS speed."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
            else:
                return "unknown"
    except OSError:
        return "unknown"
    wanted = ("avx2", "fma", "avx512f", "avx512_bf16", "amx_tile")
    found = [flag for flag in wanted if flag in flags]
    return " ".join(found) if found else "none of avx2/avx512/amx"


def package_versions() -> dict[str, str]:
    """Installed version of each package in :data:`PACKAGES` (``"absent"`` if missing)."""
    versions = {}
    for dist, label in PACKAGES.items():
        try:
            versions[label] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[label] = "absent"
    return versions


def load_average() -> str:
    """The 1/5/15-minute load average; other jobs on the machine make timings noisy."""
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def machine_lines() -> list[str]:
    """The header lines: machine, CPU, cores, load, Python and package versions, date."""
    total, usable = cpu_count()
    cores = f"{total} logical CPUs" + (f", {usable} usable by this process"
                                         if usable is not None else "")
    versions = package_versions()
    now = datetime.datetime.now(datetime.timezone.utc).astimezone()
    return [
        f"machine : {platform.node()} ({platform.system()} {platform.release()}, "
        f"{platform.machine()})",
        f"cpu     : {cpu_model()}; {cores}; {cpu_flags()}",
        f"load    : {load_average()} (1/5/15 min, at start)",
        f"python  : {platform.python_version()} ({sys.executable})",
        "versions: " + ", ".join(f"{name} {version}" for name, version in versions.items()),
        f"backend : KERAS_BACKEND={os.environ.get('KERAS_BACKEND', '(unset: tensorflow)')}",
        f"date    : {now.isoformat(timespec='seconds')}",
    ]


def print_machine(title: str | None = None) -> None:
    """Print :func:`machine_lines`, under ``title`` if given."""
    if title:
        print(title)
        print("=" * len(title))
    for line in machine_lines():
        print(line)
    print()


if __name__ == "__main__":
    print_machine("machine")
