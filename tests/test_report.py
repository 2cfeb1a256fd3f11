"""report.html: self-contained, every figure embedded, and rendered by a real browser."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from sklearn.datasets import load_digits

from vaekit import plotting
from vaekit.file_formats import write_json, write_yaml
from vaekit.runner import parse_pipeline
from vaekit.runner.layout import RunLayout
from vaekit.runner.report import render_report, write_report

FIGURES = ["latent_space", "reconstructions", "samples", "interpolation", "learning_curves",
           "accuracy_vs_labels"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    """A run folder as the runner leaves it: pipeline, metrics and one PNG per figure."""
    layout = RunLayout(tmp_path_factory.mktemp("run"))
    pipeline = parse_pipeline({"name": "digits", "data": {"kind": "digits"},
                               "finetune": {"labels_per_class": [2, 5], "seeds": [0, 1]}})
    write_yaml(layout.pipeline, pipeline.to_dict())
    x = (load_digits().images[:40, :, :, None] / 16.0).astype("float32")
    y = load_digits().target[:40]
    figures = {
        "latent_space": plotting.latent_space({"VAE": x.reshape(40, -1)[:, :5]}, y),
        "reconstructions": plotting.reconstructions(x[:5], {"VAE": x[:5]}),
        "samples": plotting.samples(x[:8]),
        "interpolation": plotting.interpolations([np.linspace(x[0], x[1], 6)]),
        "learning_curves": plotting.learning_curves({"VAE": {"loss": [3.0, 2.0]}}),
        "accuracy_vs_labels": plotting.accuracy_vs_labels({"vaekit": {20: [0.8, 0.9]}}),
    }
    for name, figure in figures.items():
        plotting.save_figure(figure, layout.plot(name))
    write_json(layout.metrics_json, {
        "pipeline": "digits",
        "data": {"source": "<bundled> load_digits()", "input_shape": [8, 8, 1],
                 "n_train": 1257, "n_train_labelled": 1257, "n_test": 540, "n_classes": 10},
        "pretrain": {"vae": {"epochs": 2, "final": {"loss": 27.5}, "elbo_mean": -30.0,
                             "active_units": 12, "latent_dim": 16}},
        "summary": [
            {"label_count": "2_per_class", "n_labels": 20, "seeds": [0, 1], "methods": {
                "accuracy": {"mean": 0.85, "std": 0.05, "n": 2},
                "label_spreading": {"mean": 0.9, "std": 0.01, "n": 2}}},
            {"label_count": "5_per_class", "n_labels": 50, "seeds": [0, 1], "methods": {
                "accuracy": {"mean": 0.95, "std": 0.01, "n": 2},
                "label_spreading": {"mean": 0.91, "std": 0.0, "n": 2}}},
        ],
    })
    return layout, pipeline


def test_report_embeds_every_figure_and_links_nothing_outside(run_folder):
    layout, pipeline = run_folder
    page = write_report(layout, pipeline).read_text()
    sources = re.findall(r"src='([^']*)'", page)
    assert len(sources) == len(FIGURES)
    assert all(src.startswith("data:image/png;base64,") for src in sources)
    assert re.findall(r"data-figure='(\w+)'", page) == FIGURES
    assert "href=" not in page and "<link" not in page and "http" not in page


def test_report_has_the_results_table_and_the_resolved_pipeline(run_folder):
    layout, pipeline = run_folder
    page = render_report(layout, pipeline)
    assert "<td>20</td><td>2</td><td>85.00 &plusmn; 5.00</td><td class=best>90.00" in page
    assert "<td class=best>95.00 &plusmn; 1.00</td>" in page
    assert "12 of 16 latent units active" in page
    assert "labels_per_class: [2, 5]" in page
    assert "&lt;bundled&gt; load_digits()" in page and "<bundled>" not in page  # escaped


def test_report_leaves_out_figures_that_were_not_drawn(run_folder, tmp_path):
    layout, pipeline = run_folder
    partial = RunLayout(tmp_path)
    shutil.copy(layout.plot("samples"), tmp_path / "samples.png")
    partial.plot("samples").parent.mkdir()
    shutil.move(tmp_path / "samples.png", partial.plot("samples"))
    page = render_report(partial, pipeline)
    assert re.findall(r"data-figure='(\w+)'", page) == ["samples"]
    assert "No fine-tuning experiments" in page


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(_chromium() is None,
                    reason="needs Debian's `chromium` (apt-get install chromium; .ci/run "
                           "installs it) to render report.html")
def test_report_renders_every_figure_in_headless_chromium(run_folder, tmp_path):
    layout, pipeline = run_folder
    page = write_report(layout, pipeline).read_text()
    probe = ("<script>window.addEventListener('load', () => {"
             "const shown = [...document.images].filter(i => i.complete && i.naturalWidth > 0"
             " && i.getBoundingClientRect().width > 0);"
             "document.body.setAttribute('data-rendered', shown.map(i => i.dataset.figure)"
             ".join(','));});</script>")
    checked = tmp_path / "report_checked.html"
    checked.write_text(page.replace("</body>", probe + "</body>"))
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", "--virtual-time-budget=5000",
             "--dump-dom", checked.as_uri()],
            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    rendered = re.search(r'data-rendered="([^"]*)"', result.stdout)
    assert rendered is not None, result.stdout[:2000]
    assert rendered.group(1).split(",") == FIGURES
