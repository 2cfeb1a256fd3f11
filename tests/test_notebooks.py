"""The notebooks in notebooks/: committed with the outputs of a full run, and runnable.

Two kinds of check:

* the committed files (no kernel, milliseconds): every code cell was run, in order,
  every notebook has at least one figure and no error output, and its last cell (tagged
  ``results``) printed a JSON dict saying it ran in the full setting, not the small one;
* execution: every notebook runs from top to bottom in the small setting
  (``VAEKIT_NOTEBOOK_SMALL=1``: a sliver of the data, an epoch or two) without an
  error and draws its figures. The notebooks share one kernel, started once from this
  interpreter through a kernel spec written to a temporary ``JUPYTER_PATH``; before
  each notebook the kernel's namespace is wiped (``%reset -f``), so a notebook that
  relies on another's variables fails, while imported modules stay loaded (importing
  TensorFlow is most of a kernel's start-up). On TensorFlow, ``tf.function`` runs
  eagerly: with an epoch or two per model, tracing the training step costs more than
  the steps (about 40 % of the run); the committed outputs come from graph-mode runs,
  and the library's own tests cover the compiled steps. Nothing is written outside the
  temporary directory and the executed notebooks are never saved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import pytest

NOTEBOOK_DIR = Path(__file__).resolve().parent.parent / "notebooks"
EXPECTED = [
    "01_quickstart.ipynb",
    "02_latent_space.ipynb",
    "03_loss_terms.ipynb",
    "04_semi_supervised_mnist.ipynb",
    "05_generation_faces.ipynb",
    "06_keras_import.ipynb",
    "07_scikit_learn.ipynb",
]
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
KERNEL_NAME = "vaekit-notebook-tests"
CELL_TIMEOUT_S = 300
RESULTS_TAG = "results"
MAX_FILE_BYTES = 2 * 1024 * 1024
SMALL_ENV = "VAEKIT_NOTEBOOK_SMALL"
#: Runs before each notebook in the shared kernel (see the module docstring).
SETUP_CELL = """\
%reset -f
import keras as _keras
if _keras.backend.backend() == "tensorflow":
    import tensorflow as _tf
    _tf.config.run_functions_eagerly(True)
del _keras
"""


def _outputs(nb):
    return [output for cell in nb.cells if cell.cell_type == "code" for output in cell.outputs]


def _figures(nb) -> int:
    return sum("image/png" in output.get("data", {}) for output in _outputs(nb))


def _errors(nb) -> list:
    return [output for output in _outputs(nb) if output.output_type == "error"]


def _results(nb) -> dict:
    tagged = [cell for cell in nb.cells
              if RESULTS_TAG in cell.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"expected one cell tagged {RESULTS_TAG!r}, found {len(tagged)}"
    stdout = "".join(output.get("text", "") for output in tagged[0].outputs
                     if output.output_type == "stream" and output.name == "stdout")
    return json.loads(stdout)


def test_the_seven_notebooks_are_there():
    assert [path.name for path in NOTEBOOKS] == EXPECTED


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_committed_notebook_holds_the_outputs_of_a_full_run(path):
    assert path.stat().st_size < MAX_FILE_BYTES, f"{path.name} is over 2 MB"
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [cell.execution_count for cell in nb.cells if cell.cell_type == "code"]
    assert None not in counts, f"{path.name} has cells that were not run: {counts}"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name} was not run top to bottom in one go: execution counts {counts}")
    assert _errors(nb) == [], f"{path.name} stores an error output"
    assert _figures(nb) >= 1, f"{path.name} stores no figure"
    assert _results(nb)["small"] is False, (
        f"{path.name} stores the outputs of the small setting; run it in full")


@pytest.fixture(scope="module")
def notebook_runner(tmp_path_factory):
    """Run notebooks, one after another, in a single kernel of ``sys.executable``."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync
    from nbclient import NotebookClient

    root = tmp_path_factory.mktemp("jupyter")
    spec_dir = root / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "vaekit notebook tests",
        "language": "python",
        "env": {
            SMALL_ENV: "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            # Figures go into the notebook, never to a display.
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            "IPYTHONDIR": str(root / "ipython"),
            "MPLCONFIGDIR": str(root / "matplotlib"),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(root))
        patch.setenv("JUPYTER_RUNTIME_DIR", str(root / "runtime"))
        manager = AsyncKernelManager(kernel_name=KERNEL_NAME)

        def run(path: Path):
            nb = nbformat.read(path, as_version=4)
            nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP_CELL))
            client = NotebookClient(
                nb, km=manager, timeout=CELL_TIMEOUT_S, kernel_name=KERNEL_NAME,
                resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
            )
            try:
                client.execute()  # raises CellExecutionError naming the failing cell
            finally:
                if client.kc is not None:
                    client.kc.stop_channels()
            return nb

        yield run
        if manager.has_kernel:
            run_sync(manager.shutdown_kernel)(now=True)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_notebook_runs_top_to_bottom_in_the_small_setting(path, notebook_runner):
    nb = notebook_runner(path)
    assert _errors(nb) == []
    assert _figures(nb) >= 1, "the notebook's figures were not rendered"
    assert _results(nb)["small"] is True, f"{path.name} ignores {SMALL_ENV}"
