"""The notebooks in notebooks/ run from top to bottom and compute sensible numbers.

Each notebook is executed with nbclient in a kernel that runs this interpreter
(the test's virtual environment), through a kernel spec written to a temporary
``JUPYTER_PATH``; nothing is written outside the temporary directory and the
executed notebook is never saved. The last code cell of every notebook is tagged
``results`` and prints a JSON dict, which the checks below read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "vaekit-test"
CELL_TIMEOUT_S = 300
RESULTS_TAG = "results"


def _check_quickstart(results: dict) -> None:
    assert results["final_reconstruction_loss"] < results["first_reconstruction_loss"]
    assert results["final_kl_loss"] > 0.0
    assert results["loaded_model_matches"] is True
    # Ten classes: chance is 10 %.
    assert results["vae_probe_accuracy"] > 0.6
    assert results["autoencoder_probe_accuracy"] > 0.6
    assert results["frozen_encoder_head_accuracy"] > 0.5


def _check_semi_supervised(results: dict) -> None:
    assert results["n_labelled"] == 100
    assert results["finetuned_accuracy"] > 0.7
    assert abs(results["finetuned_macro_f1"] - results["finetuned_accuracy"]) < 0.1
    assert results["probe_accuracy"] > 0.5
    assert results["pixel_accuracy"] > 0.5


def _check_scikit_learn(results: dict) -> None:
    assert results["pipeline_reconstruction"] == "mse"  # standardised input
    assert results["pandas_columns"] == ["vae0", "vae1"]
    assert results["n_labelled"] == 100
    assert results["pipeline_accuracy"] > 0.7
    assert results["classifier_accuracy"] > 0.7


#: Checks of the ``results`` dict per notebook; a new notebook must add one.
CHECKS = {
    "01_vae_quickstart.ipynb": _check_quickstart,
    "02_semi_supervised.ipynb": _check_semi_supervised,
    "03_scikit_learn.ipynb": _check_scikit_learn,
}


@pytest.fixture
def kernel_name(tmp_path, monkeypatch) -> str:
    """A kernel spec that starts ``sys.executable``, visible only to this test."""
    spec_dir = tmp_path / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "vaekit tests",
        "language": "python",
        "env": {
            "TF_CPP_MIN_LOG_LEVEL": "2",
            # Figures go into the notebook, never to a display.
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path / "runtime"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "matplotlib"))
    return KERNEL_NAME


def _execute(path: Path, kernel_name: str):
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb, timeout=CELL_TIMEOUT_S, kernel_name=kernel_name,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    return nb


def _results(nb) -> dict:
    tagged = [cell for cell in nb.cells
              if RESULTS_TAG in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged {RESULTS_TAG!r}, found {len(tagged)}"
    stdout = "".join(output.get("text", "") for output in tagged[0].outputs
                     if output.output_type == "stream" and output.name == "stdout")
    return json.loads(stdout)


def test_the_notebooks_are_there():
    assert {path.name for path in NOTEBOOKS} >= set(CHECKS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebook_has_no_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} of {path.name} has stored outputs"
            assert cell.execution_count is None, f"cell {index} of {path.name} was run"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_and_computes_sensible_numbers(path, kernel_name):
    assert path.name in CHECKS, f"add checks of {path.name}'s results to CHECKS"
    nb = _execute(path, kernel_name)
    errors = [output for cell in nb.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert errors == []
    figures = sum("image/png" in output.get("data", {})
                  for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs)
    if path.name != "03_scikit_learn.ipynb":  # the scikit-learn notebook draws none
        assert figures > 0, "the notebook's figures were not rendered"
    CHECKS[path.name](_results(nb))
