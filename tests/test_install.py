"""What an install gives: a wheel with the package, the ``vaekit`` command and one version,
and an ``import vaekit`` that loads no Keras yet registers vaekit's classes once Keras loads."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import vaekit

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter; its last line of output."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={**os.environ, **env})
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from a copy of the sources (the checkout gets no build/ or egg-info)."""
    source = tmp_path_factory.mktemp("source")
    shutil.copy(ROOT / "setup.py", source)
    shutil.copy(ROOT / "README.md", source)
    shutil.copytree(ROOT / "vaekit", source / "vaekit",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--quiet", "--wheel-dir", str(out), str(source)],
        capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    [built] = out.glob("vaekit-*.whl")
    return built


def test_the_wheel_holds_the_package_the_command_and_the_version(wheel):
    version = vaekit.__version__
    assert wheel.name.startswith(f"vaekit-{version}-")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = f"vaekit-{version}.dist-info"
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        metadata = archive.read(f"{info}/METADATA").decode()
    sources = {p.relative_to(ROOT).as_posix() for p in (ROOT / "vaekit").rglob("*.py")
               if "__pycache__" not in p.parts}
    assert sources <= names, sorted(sources - names)[:5]
    assert "[console_scripts]\nvaekit = vaekit.cli:main" in entry_points
    assert f"\nVersion: {version}\n" in metadata
    assert "Requires-Dist: tqdm" in metadata and "Requires-Dist: keras" in metadata


def test_the_version_lives_in_one_place():
    namespace: dict = {}
    exec((ROOT / "vaekit" / "_version.py").read_text(), namespace)
    assert namespace["__version__"] == vaekit.__version__
    assert "0.1.0" not in (ROOT / "setup.py").read_text()  # setup.py reads _version.py
    script = Path(sys.executable).parent / "vaekit"
    assert script.exists(), "the vaekit console script is not installed (pip install -e .)"
    result = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0 and result.stdout == f"vaekit {vaekit.__version__}\n"


def test_import_vaekit_loads_no_keras_and_every_public_name_resolves():
    loaded = python("import json, sys, vaekit; print(json.dumps(sorted(m for m in "
                    "('keras', 'tensorflow', 'jax', 'sklearn') if m in sys.modules)))")
    assert json.loads(loaded) == []
    for name in vaekit.__all__:
        assert getattr(vaekit, name) is not None, name
    assert set(vaekit.__all__) <= set(dir(vaekit))
    assert vaekit.data.load_digits is not None  # subpackages as attributes, as before
    with pytest.raises(AttributeError, match="has no attribute 'no_such_name'"):
        vaekit.no_such_name  # noqa: B018


@pytest.mark.parametrize("first", [
    "import vaekit, keras",                      # vaekit first: registered when Keras loads
    "from vaekit.training import BetaWarmup",    # Keras pulled in by a vaekit module
])  # Keras first, then vaekit (registered at once) is what every test process here does
def test_vaekit_classes_are_registered_with_keras_however_imports_are_ordered(first):
    names = ["vaekit>VAE", "vaekit>AutoEncoder", "vaekit>SemiSupervisedClassifier",
             "vaekit>Sampling", "vaekit>KLDivergence"]
    found = python(f"{first}\nimport json, keras\nprint(json.dumps([keras.saving."
                   f"get_registered_object(n) is not None for n in {names!r}]))",
                   KERAS_BACKEND="jax")
    assert json.loads(found) == [True] * len(names)
