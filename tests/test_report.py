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
    write_json(layout.provenance, PROVENANCE)
    return layout, pipeline


PROVENANCE = {
    "date": "2026-11-30T12:00:00+00:00", "backend": "tensorflow",
    "settings": {"resolved_pipeline": "pipeline.yaml", "schedule": "schedule.json"},
    "versions": {"python": "3.11.7", "vaekit": "0.1.0", "keras": "3.15.1", "numpy": "2.4.6",
                 "scikit-learn": "1.9.1", "tensorflow": "2.21.0"},
    "host": {"hostname": "vm", "system": "Linux-6.18", "machine": "x86_64", "cpu": "AMD EPYC",
             "cpu_count": 2, "gpus": ["NVIDIA H200"]},
    "git": {"commit": "a70dd25e", "dirty": True, "work_tree": "/work/main"},
    "stage_seconds": {"data": 1.3, "pretrain": 65.0, "finetune": 3725.0},
    "invocations": [{"date": "2026-11-30T12:00:00+00:00"}, {"date": "2026-11-30T14:00:00+00:00"}],
}


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


def test_report_states_the_spread_over_seeds_as_a_sample_standard_deviation(run_folder):
    page = render_report(*run_folder)
    assert "mean &plusmn; sample standard deviation (n&minus;1 in the denominator) over " \
           "the seeds, whose number is in the <em>seeds</em> column" in page


def test_report_shows_where_the_results_came_from(run_folder):
    page = render_report(*run_folder)
    block = re.search(r"<section id='provenance'>.*?</section>", page, re.S).group(0)
    for text in ("<th>started (UTC)</th><td>2026-11-30T12:00:00+00:00; continued 1 time(s), "
                 "last on 2026-11-30T14:00:00+00:00</td>",
                 "<th>backend</th><td>tensorflow</td>",
                 "python 3.11.7, vaekit 0.1.0, keras 3.15.1, numpy 2.4.6, scikit-learn 1.9.1, "
                 "tensorflow 2.21.0",
                 "a70dd25e with uncommitted changes (work tree /work/main)",
                 "AMD EPYC, 2 logical CPUs; GPUs: NVIDIA H200",
                 "data 1.3 s; pretrain 1 min 05 s; finetune 1 h 02 min; total 1 h 03 min",
                 "pipeline.yaml", "schedule.json"):
        assert text in block, text
    assert page.index("id='provenance'") < page.index("<h2>Pipeline</h2>")


def test_a_folder_without_provenance_says_so(run_folder, tmp_path):
    page = render_report(RunLayout(tmp_path), run_folder[1])
    assert "has no provenance.json" in page


def test_learning_curves_name_what_fine_tuning_measured_and_plot_the_validation_split(
        tmp_path, monkeypatch):
    from types import SimpleNamespace

    import vaekit.plotting
    from vaekit.runner.figures import FIGURES
    from vaekit.runner.schema import LabelCount

    layout = RunLayout(tmp_path)
    write_json(layout.history("vae"), {"loss": [3.0, 2.0]})
    count = LabelCount(per_class=2)
    write_json(layout.result("finetune", count, 0), {"history": {
        "loss": [1.0, 0.5], "accuracy": [0.6, 0.8], "confident_fraction": [0.2, 0.4],
        "val_loss": [1.1, 0.9], "val_accuracy": [0.5, 0.7]}})
    drawn = {}

    def capture(histories, **kwargs):
        drawn.update(histories=histories, **kwargs)
        return "figure"

    monkeypatch.setattr(vaekit.plotting, "learning_curves", capture)
    run = SimpleNamespace(layout=layout, experiments=lambda: [(count, 0)])
    assert FIGURES["learning_curves"](SimpleNamespace(run=run)) == "figure"
    assert drawn["xlabel"] == "round"
    assert drawn["histories"]["fine-tuning, 2 per class, seed 0"] == {
        "training loss": [1.0, 0.5], "training accuracy (augmented batches)": [0.6, 0.8],
        "confident fraction of pseudo-labels": [0.2, 0.4],
        "validation loss (held-out labels)": [1.1, 0.9],
        "validation accuracy (held-out labels)": [0.5, 0.7]}
    assert drawn["histories"]["VAE pretraining"] == {"loss": [3.0, 2.0]}


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
             ".join(','));"
             "const block = document.getElementById('provenance');"
             "document.body.setAttribute('data-provenance', block && "
             "block.getBoundingClientRect().height > 40 && "
             "block.querySelectorAll('tr').length >= 7 ? 'shown' : 'missing');});</script>")
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
    assert 'data-provenance="shown"' in result.stdout
