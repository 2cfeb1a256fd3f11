"""Pictures of data: reconstructions beside inputs, prior samples, interpolations.

Images ``(n, H, W, C)`` with ``C`` 1 or 3 (or ``(n, H, W)``) are drawn as
images; anything else (table rows) as heat maps with one row per sample.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vaekit.plotting._figure import new_figure

__all__ = ["interpolations", "reconstructions", "samples"]


def _is_images(x: np.ndarray) -> bool:
    return x.ndim == 3 or (x.ndim == 4 and x.shape[-1] in (1, 3))


def _value_range(*arrays: np.ndarray) -> tuple[float, float]:
    low = min(float(np.min(a)) for a in arrays)
    high = max(float(np.max(a)) for a in arrays)
    if low >= 0.0 and high <= 1.0:
        return 0.0, 1.0
    return low, high if high > low else low + 1.0


def _draw_image(ax, image: np.ndarray, limits: tuple[float, float]) -> None:
    image = np.asarray(image, dtype=np.float32)
    low, high = limits
    if image.ndim == 3 and image.shape[-1] == 3:
        ax.imshow(np.clip((image - low) / (high - low), 0.0, 1.0), interpolation="nearest")
    else:
        ax.imshow(image.reshape(image.shape[0], image.shape[1]), cmap="gray",
                  vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _heatmap(figure, ax, rows: np.ndarray, limits, title: str, ylabel: str) -> None:
    rows = np.asarray(rows, dtype=np.float32).reshape(len(rows), -1)
    shown = ax.imshow(rows, aspect="auto", cmap="viridis", vmin=limits[0], vmax=limits[1],
                      interpolation="nearest")
    ax.set_title(title)
    ax.set_xlabel("feature")
    ax.set_ylabel(ylabel)
    figure.colorbar(shown, ax=ax, shrink=0.8)


def reconstructions(x, x_hat, n: int = 10, title: str = "Reconstructions"):
    """Inputs (top row) and each model's reconstructions of them (one row per model).

    Parameters
    ----------
    x : array-like
        Inputs, ``(m, ...)``; the first ``n`` are drawn.
    x_hat : array-like or mapping of str to array-like
        Reconstructions, same shape as ``x``; a mapping draws one labelled row
        per model (e.g. ``{"VAE": ..., "AutoEncoder": ...}``).
    n : int, default=10
        Number of samples shown.
    title : str, default="Reconstructions"
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(x_hat, Mapping):
        x_hat = {"reconstruction": x_hat}
    x = np.asarray(x)[:n]
    rows = {"input": x}
    for name, values in x_hat.items():
        values = np.asarray(values)[:n]
        if values.shape != x.shape:
            raise ValueError(
                f"x and the {name} reconstructions differ in shape: {x.shape} and "
                f"{values.shape}"
            )
        rows[name] = values
    limits = _value_range(*rows.values())
    n = len(x)
    if not _is_images(x):
        figure = new_figure(4.6 * len(rows), 0.35 * n + 2.2)
        figure.suptitle(title)
        axes = figure.subplots(1, len(rows), sharey=True, squeeze=False)[0]
        for index, (ax, (name, values)) in enumerate(zip(axes, rows.items())):
            _heatmap(figure, ax, values, limits, name, "sample" if index == 0 else "")
        return figure
    figure = new_figure(1.1 * n + 1.2, 1.2 * len(rows) + 0.5)
    figure.suptitle(title)
    axes = figure.subplots(len(rows), n, squeeze=False)
    for row, (name, values) in enumerate(rows.items()):
        for column in range(n):
            _draw_image(axes[row, column], values[column], limits)
        axes[row, 0].set_ylabel(name)
    return figure


def samples(x, ncols: int = 8, title: str = "Samples from the prior"):
    """A grid of generated samples.

    Parameters
    ----------
    x : array-like
        Samples, ``(n, ...)``.
    ncols : int, default=8
        Images per row.
    title : str, default="Samples from the prior"
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    x = np.asarray(x)
    limits = _value_range(x)
    if not _is_images(x):
        figure = new_figure(8, 0.25 * len(x) + 1.8)
        figure.suptitle(title)
        _heatmap(figure, figure.subplots(), x, limits, "", "sample")
        return figure
    ncols = min(ncols, len(x))
    nrows = int(np.ceil(len(x) / ncols))
    figure = new_figure(1.1 * ncols, 1.1 * nrows + 0.5)
    figure.suptitle(title)
    axes = figure.subplots(nrows, ncols, squeeze=False)
    for index, ax in enumerate(axes.flat):
        if index < len(x):
            _draw_image(ax, x[index], limits)
        else:
            ax.set_axis_off()
    return figure


def interpolations(paths: Sequence, starts=None, ends=None,
                   title: str = "Interpolation between two inputs in latent space"):
    """Rows of decoded points on the line between the codes of two inputs.

    Parameters
    ----------
    paths : sequence of array-like
        One array ``(steps, ...)`` per pair of inputs (from
        :meth:`vaekit.VAE.interpolate`).
    starts, ends : array-like, optional
        The two inputs of each pair, ``(len(paths), ...)``; drawn at both ends
        of each row when given.
    title : str
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    paths = [np.asarray(p) for p in paths]
    if not paths:
        raise ValueError("paths is empty; pass at least one interpolation")
    with_ends = starts is not None and ends is not None
    arrays = paths + ([np.asarray(starts), np.asarray(ends)] if with_ends else [])
    limits = _value_range(*arrays)
    if not _is_images(paths[0]):
        figure = new_figure(9, 2.2 * len(paths) + 0.8)
        figure.suptitle(title)
        axes = figure.subplots(len(paths), 1, squeeze=False)[:, 0]
        for row, (ax, path) in enumerate(zip(axes, paths)):
            _heatmap(figure, ax, path, limits, f"pair {row + 1}", "step")
        return figure
    steps = len(paths[0])
    ncols = steps + (2 if with_ends else 0)
    figure = new_figure(1.0 * ncols + 0.6, 1.05 * len(paths) + 0.9)
    figure.suptitle(title)
    axes = figure.subplots(len(paths), ncols, squeeze=False)
    for row, path in enumerate(paths):
        offset = 1 if with_ends else 0
        for step in range(steps):
            _draw_image(axes[row, step + offset], path[step], limits)
        if with_ends:
            _draw_image(axes[row, 0], np.asarray(starts)[row], limits)
            _draw_image(axes[row, -1], np.asarray(ends)[row], limits)
    if with_ends:
        axes[0, 0].set_title("input A", fontsize=9)
        axes[0, -1].set_title("input B", fontsize=9)
        axes[0, 1].set_title("decoded A", fontsize=9)
        axes[0, -2].set_title("decoded B", fontsize=9)
    return figure
