"""Figures: each function draws what it says, on real digits, and saves PNG atomically."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from sklearn.datasets import load_digits

from vaekit import plotting

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def digits():
    bunch = load_digits()
    return (bunch.images[:200, :, :, None] / 16.0).astype("float32"), bunch.target[:200]


def titles(figure) -> list[str]:
    return [ax.get_title() for ax in figure.axes]


def test_figures_render_on_agg_without_pyplot():
    import matplotlib

    backend = matplotlib.get_backend() if "matplotlib.pyplot" in sys.modules else None
    figure = plotting.new_figure(2, 2)
    assert type(figure.canvas).__name__ == "FigureCanvasAgg"
    if backend is not None:  # drawing did not switch the user's pyplot backend
        assert matplotlib.get_backend() == backend


def test_save_figure_writes_a_png_and_leaves_no_temporary(tmp_path, digits):
    figure = plotting.samples(digits[0][:8])
    path = plotting.save_figure(figure, tmp_path / "plots" / "samples.png")
    assert path.read_bytes().startswith(PNG_SIGNATURE)
    assert [p.name for p in path.parent.iterdir()] == ["samples.png"]


def test_save_figure_keeps_the_old_file_when_drawing_fails(tmp_path, digits):
    path = plotting.save_figure(plotting.samples(digits[0][:4]), tmp_path / "s.png")
    before = path.read_bytes()
    figure = plotting.samples(digits[0][:4])
    figure.text(0.5, 0.5, r"$\notamathcommand$")  # fails only when drawn
    with pytest.raises(ValueError):
        plotting.save_figure(figure, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["s.png"]


def test_latent_space_draws_models_side_by_side_with_a_class_legend(digits):
    x, y = digits
    flat = x.reshape(len(x), -1)
    figure = plotting.latent_space({"VAE": flat[:, :16], "AutoEncoder": flat[:, 16:18]}, y,
                                   class_names=[f"digit {k}" for k in range(10)])
    vae, autoencoder = figure.axes[:2]
    assert "VAE" in vae.get_title() and "PCA of 16-D latent means" in vae.get_title()
    assert "2-D latent" in autoencoder.get_title()
    assert (vae.get_xlabel(), autoencoder.get_xlabel()) == ("PC 1", "z[0]")
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == [f"digit {k}" for k in range(10)]
    assert sum(len(c.get_offsets()) for c in vae.collections) == len(x)


def test_latent_space_draws_unlabeled_points_grey(digits):
    x, y = digits
    y = np.where(np.arange(len(y)) % 2 == 0, y, -1)
    figure = plotting.latent_space({"VAE": x.reshape(len(x), -1)[:, :2]}, y)
    labels = [c.get_label() for c in figure.axes[0].collections]
    assert labels[0] == "unlabeled"


def test_reconstructions_put_each_model_in_its_own_labelled_row(digits):
    x = digits[0][:6]
    figure = plotting.reconstructions(x, {"VAE": x * 0.5, "AutoEncoder": x * 0.9})
    assert len(figure.axes) == 3 * 6
    assert [figure.axes[r * 6].get_ylabel() for r in range(3)] == ["input", "VAE", "AutoEncoder"]
    shown = figure.axes[6].images[0].get_array()
    np.testing.assert_allclose(shown, x[0, :, :, 0] * 0.5)


def test_reconstructions_reject_mismatched_shapes(digits):
    with pytest.raises(ValueError, match="differ in shape"):
        plotting.reconstructions(digits[0][:4], digits[0][:3])


def test_table_rows_are_drawn_as_heat_maps():
    rows = np.random.default_rng(0).normal(size=(5, 30))
    figure = plotting.reconstructions(rows, rows + 0.1)
    assert [ax.get_title() for ax in figure.axes[:2]] == ["input", "reconstruction"]
    assert figure.axes[0].images[0].get_array().shape == (5, 30)


def test_samples_grid_has_one_image_per_sample(digits):
    figure = plotting.samples(digits[0][:10], ncols=4)
    drawn = [ax for ax in figure.axes if ax.images]
    assert len(drawn) == 10 and len(figure.axes) == 12
    assert figure.get_suptitle() == "Samples from the prior"


def test_interpolations_show_inputs_at_both_ends(digits):
    x = digits[0]
    paths = [np.linspace(x[0], x[1], 5), np.linspace(x[2], x[3], 5)]
    figure = plotting.interpolations(paths, x[[0, 2]], x[[1, 3]])
    assert len(figure.axes) == 2 * 7
    assert figure.axes[0].get_title() == "input A" and figure.axes[6].get_title() == "input B"
    np.testing.assert_allclose(figure.axes[7].images[0].get_array(), x[2, :, :, 0])


def test_learning_curves_one_panel_per_history_with_rates_on_a_second_axis():
    histories = {
        "VAE pretraining": {"loss": [30.0, 25.0, 24.0], "kl_loss": [1.0, 2.0, 2.5]},
        "fine-tuning": {"loss": [2.0, 1.0], "accuracy": [0.5, 0.8]},
    }
    figure = plotting.learning_curves(histories)
    assert titles(figure)[:2] == ["VAE pretraining", "fine-tuning"]
    pretrain, finetune = figure.axes[:2]
    assert [line.get_label() for line in pretrain.get_lines()] == ["loss", "kl_loss"]
    assert pretrain.get_xlabel() == "epoch"
    twin = [ax for ax in figure.axes if ax.get_ylabel() == "rate (dashed)"]
    assert len(twin) == 1 and twin[0].get_lines()[0].get_label() == "accuracy"


def test_accuracy_vs_labels_plots_mean_and_std_over_seeds():
    results = {"vaekit": {10: [0.8, 0.9], 100: [0.95, 0.97]},
               "logistic_regression": {10: [0.6, 0.7], 100: [0.85, 0.85]}}
    figure = plotting.accuracy_vs_labels(results, highlight="vaekit", baselines_from=1)
    ax = figure.axes[0]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["10", "100"]
    assert ax.get_ylabel() == "test accuracy (%)"
    vaekit_line = ax.get_lines()[0]
    np.testing.assert_allclose(vaekit_line.get_ydata(), [85.0, 96.0])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["vaekit", "logistic_regression"]


def test_error_bars_are_the_sample_standard_deviation_over_seeds():
    results = {"vaekit": {10: [0.80, 0.90, 0.85], 100: [0.95]}}
    ax = plotting.accuracy_vs_labels(results).axes[0]
    bars = ax.containers[0].lines[2][0].get_segments()  # one vertical segment per count
    half_heights = [abs(segment[1][1] - segment[0][1]) / 2 for segment in bars]
    np.testing.assert_allclose(half_heights, [100 * np.std([0.80, 0.90, 0.85], ddof=1), 0.0])


def test_learning_curves_take_the_unit_of_their_x_axis():
    figure = plotting.learning_curves({"fine-tuning": {"loss": [2.0, 1.0]}}, xlabel="round")
    assert figure.axes[0].get_xlabel() == "round"


@pytest.mark.parametrize("function, argument", [
    (plotting.latent_space, {}), (plotting.learning_curves, {}),
    (plotting.accuracy_vs_labels, {}), (plotting.interpolations, []),
])
def test_empty_input_is_a_clear_error(function, argument):
    with pytest.raises(ValueError, match="empty"):
        function(argument)
