"""Start-up time of the ``vaekit`` command, against the interpreter and a bare Keras import.

Run from the repository root::

    python bench/cli_startup.py               # 7 runs of each command
    python bench/cli_startup.py --runs 3

Each row starts a fresh process and times it from start to exit, ``--runs``
times, rounds of all commands taken in turn so that load from other processes
hits every row alike; the table gives the median, the fastest and the slowest
run, and which of Keras, TensorFlow and JAX the command imported (from a
separate run of the same command under ``python -c``). The target is under
1 s for ``vaekit --help``; the rows ``python -c pass`` (the interpreter alone)
and ``python -c "import keras"`` (what any command that imports Keras pays at
least) are measured in the same run as baselines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _machine import print_machine

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(sys.executable).parent / "vaekit"
PIPELINE = "pipelines/digits.yaml"
TARGET_S = 1.0

#: (label, command line, the same as Python statements for the import check).
COMMANDS = [
    ("python -c pass", [sys.executable, "-c", "pass"], "pass"),
    ('python -c "import keras"', [sys.executable, "-c", "import keras"], "import keras"),
    ("vaekit --help", [str(SCRIPT), "--help"], "run(['--help'])"),
    ("vaekit --version", [str(SCRIPT), "--version"], "run(['--version'])"),
    (f"vaekit validate {PIPELINE}", [str(SCRIPT), "validate", PIPELINE],
     f"run(['validate', {PIPELINE!r}])"),
]

#: Runs the statements, then prints which backends they imported.
CHECK = """
import contextlib, io, json, sys

def run(argv):
    from vaekit.cli import main
    with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):
        main(argv)

{statements}
print(json.dumps([m for m in ("keras", "tensorflow", "jax") if m in sys.modules]))
"""


def environment() -> dict:
    """The user's environment, without a log level that would hide a slow backend start."""
    env = dict(os.environ)
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    return env


def time_once(argv: list[str]) -> float:
    """Seconds from start to exit of one fresh process."""
    began = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=environment(), stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=600)
    return time.perf_counter() - began


def imported(statements: str) -> str:
    """Which backends ``statements`` import, e.g. ``"none"`` or ``"keras, tensorflow"``."""
    result = subprocess.run([sys.executable, "-c", CHECK.format(statements=statements)],
                            cwd=ROOT, env=environment(), capture_output=True, text=True,
                            check=True, timeout=600)
    modules = json.loads(result.stdout.strip().splitlines()[-1])
    return ", ".join(modules) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="runs of each command (default 7)")
    args = parser.parse_args()
    if not SCRIPT.exists():
        sys.exit(f"{SCRIPT}: the vaekit console script is not installed (pip install -e .)")

    print_machine("vaekit command start-up")
    print(f"runs    : {args.runs} per command, median reported; target: vaekit --help "
          f"under {TARGET_S:g} s")
    print()
    for _, argv, _ in COMMANDS:  # one warm-up run each: file caches, .pyc files
        time_once(argv)
    seconds: dict[str, list[float]] = {label: [] for label, _, _ in COMMANDS}
    for _ in range(args.runs):
        for label, argv, _ in COMMANDS:
            seconds[label].append(time_once(argv))

    header = ["command", "median s", "min s", "max s", "imports"]
    rows = []
    for label, _, statements in COMMANDS:
        runs = seconds[label]
        rows.append([label, f"{statistics.median(runs):.2f}", f"{min(runs):.2f}",
                     f"{max(runs):.2f}", imported(statements)])
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join([row[0].ljust(widths[0])]
                        + [cell.rjust(w) for cell, w in zip(row[1:4], widths[1:4])]
                        + [row[4]]))
    help_median = statistics.median(seconds["vaekit --help"])
    verdict = "meets" if help_median < TARGET_S else "misses"
    print(f"\nvaekit --help: {help_median:.2f} s median, {verdict} the {TARGET_S:g} s target")


if __name__ == "__main__":
    main()
