"""The Keras core stays backend-neutral: keras.ops only, no TensorFlow/JAX imports."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "vaekit"
CORE = ["layers", "builders", "models", "training", "losses", "semi_supervised", "config",
        "augmentation.py", "_validation.py", "_data_checks.py"]
BACKENDS = {"tensorflow", "jax", "jaxlib", "torch"}


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module that ``path`` imports, at any depth in the file."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def core_files() -> list[Path]:
    files = []
    for entry in CORE:
        path = PACKAGE / entry
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def test_core_files_exist():
    assert len(core_files()) >= 10


@pytest.mark.parametrize("path", core_files(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_backend(path):
    used = imported_modules(path) & BACKENDS

    assert not used, f"{path.name} imports {sorted(used)}; use keras.ops / keras.random"


def test_importing_vaekit_on_jax_does_not_load_tensorflow():
    env = {**os.environ, "KERAS_BACKEND": "jax", "TF_CPP_MIN_LOG_LEVEL": "2"}
    # vaekit.VAE loads the models, layers and losses (import vaekit alone loads nothing).
    code = ("import sys, vaekit; vaekit.VAE; import keras; "
            "print(sorted(m for m in sys.modules if m == 'tensorflow'))")

    process = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=120, check=False,
    )

    assert process.returncode == 0, process.stderr[-2000:]
    assert process.stdout.strip().splitlines()[-1] == "[]", (
        "import vaekit loaded TensorFlow on the JAX backend (+3 s and its memory); "
        "import TensorFlow-only helpers inside the function that needs them"
    )
