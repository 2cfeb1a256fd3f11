"""Curves: training histories and accuracy against the number of labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vaekit.plotting._figure import new_figure

__all__ = ["accuracy_vs_labels", "learning_curves"]

#: History keys drawn on the right-hand axis (values in [0, 1]).
_RATE_KEYS = ("accuracy", "fraction", "beta")
_RATE_COLOURS = ("black", "tab:gray", "tab:olive", "tab:cyan", "tab:pink", "tab:brown")


def learning_curves(histories: Mapping[str, Mapping[str, Sequence[float]]],
                    title: str = "Learning curves", ncols: int = 3, xlabel: str = "epoch"):
    """One panel per training history: losses on the left axis, rates on the right.

    Parameters
    ----------
    histories : mapping of str to mapping
        Panel title (e.g. ``"VAE pretraining"``) to a Keras history dict
        ``{name: [value per epoch]}``. Keys containing ``accuracy``, ``fraction``
        or ``beta`` are drawn dashed on a right-hand axis from 0 to 1.
    title : str
        Figure title.
    ncols : int, default=3
        Panels per row.
    xlabel : str, default="epoch"
        What one point of a history is (``"round"`` when a Keras epoch is a
        round of several passes or a part of one).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not histories:
        raise ValueError("histories is empty; pass at least one training history")
    ncols = min(ncols, len(histories))
    nrows = int(np.ceil(len(histories) / ncols))
    figure = new_figure(4.6 * ncols, 3.4 * nrows + 0.5)
    figure.suptitle(title)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    from matplotlib.ticker import MaxNLocator

    for ax, (name, history) in zip(axes.flat, histories.items()):
        rates = {k: v for k, v in history.items() if any(r in k for r in _RATE_KEYS)}
        losses = {k: v for k, v in history.items() if k not in rates}
        for key, values in losses.items():
            epochs = np.arange(1, len(values) + 1)
            ax.plot(epochs, values, label=key, marker="o" if len(values) < 8 else None,
                    markersize=3)
        if _spans_decades(losses):
            ax.set_yscale("log")
            top = max(max(v) for v in losses.values() if len(v))
            ax.set_ylim(bottom=top / 1e3)  # near-zero terms would flatten the rest
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("loss" + (" (log scale)" if ax.get_yscale() == "log" else ""))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        lines, labels = ax.get_legend_handles_labels()
        if rates:
            right = ax.twinx()
            for colour, (key, values) in zip(_RATE_COLOURS, rates.items()):
                epochs = np.arange(1, len(values) + 1)
                right.plot(epochs, values, linestyle="--", label=key, color=colour,
                           marker="o" if len(values) < 8 else None, markersize=3)
            right.set_ylim(0.0, 1.02)
            right.set_ylabel("rate (dashed)")
            more_lines, more_labels = right.get_legend_handles_labels()
            lines, labels = lines + more_lines, labels + more_labels
        if lines:
            ax.legend(lines, labels, fontsize=7, loc="upper center", ncol=3,
                      bbox_to_anchor=(0.5, -0.2), frameon=False)
    for ax in list(axes.flat)[len(histories):]:
        ax.set_axis_off()
    return figure


def _spans_decades(series: Mapping[str, Sequence[float]]) -> bool:
    """True when positive loss values differ by more than a factor of 30 (log axis)."""
    values = np.concatenate([np.asarray(v, dtype=float) for v in series.values()] or [[]])
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0 or np.any(values[np.isfinite(values)] < 0):
        return False
    return bool(positive.max() / positive.min() > 30)


def accuracy_vs_labels(results: Mapping[str, Mapping[int, Sequence[float]]],
                       title: str = "Test accuracy against number of labels",
                       highlight: str | None = None, baselines_from: int | None = None):
    """Mean test accuracy (± sample standard deviation over seeds) per number of labels.

    Parameters
    ----------
    results : mapping of str to mapping of int to sequence of float
        Method name to ``{number of labels: [accuracy per seed]}``.
    title : str
        Figure title.
    highlight : str, optional
        Method drawn thicker (vaekit's own result).
    baselines_from : int, optional
        Methods from this position on (in the order of ``results``) are
        baselines, drawn dashed.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not results:
        raise ValueError("results is empty; pass at least one method's accuracies")
    figure = new_figure(9.0, 4.8)
    ax = figure.subplots()
    counts = sorted({int(n) for per_method in results.values() for n in per_method})
    markers = "osD^v<>ph*"
    for index, (method, per_count) in enumerate(results.items()):
        xs = sorted(per_count)
        means = np.array([100.0 * np.mean(per_count[n]) for n in xs])
        # Sample standard deviation (ddof=1): a few seeds are a sample; one has no spread.
        stds = np.array([100.0 * np.std(per_count[n], ddof=1) if len(per_count[n]) > 1
                         else 0.0 for n in xs])
        strong = method == highlight
        baseline = baselines_from is not None and index >= baselines_from
        ax.errorbar(xs, means, yerr=stds, marker=markers[index % len(markers)],
                    capsize=3, linewidth=2.8 if strong else 1.3,
                    linestyle="--" if baseline else "-",
                    markersize=7 if strong else 5, label=method, zorder=3 if strong else 2)
    if len(counts) > 1 and counts[-1] / max(counts[0], 1) >= 5:
        ax.set_xscale("log")
    ax.set_xticks(counts)
    ax.set_xticklabels([str(n) for n in counts])
    ax.minorticks_off()
    ax.set_xlabel("number of labelled training examples")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
              title="method")
    return figure
