"""The latent space in two dimensions, coloured by class, one panel per model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from vaekit.plotting._figure import new_figure

__all__ = ["latent_space"]

_MAX_LEGEND = 20


def _to_2d(z: np.ndarray, seed: int) -> tuple[np.ndarray, tuple[str, str], str]:
    z = np.asarray(z, dtype=np.float64).reshape(len(z), -1)
    if z.shape[1] == 1:
        return np.column_stack([z[:, 0], np.zeros(len(z))]), ("z[0]", ""), "1-D latent"
    if z.shape[1] == 2:
        return z, ("z[0]", "z[1]"), "2-D latent"
    from sklearn.decomposition import PCA

    pca = PCA(n_components=2, random_state=seed).fit(z)
    share = 100.0 * float(np.sum(pca.explained_variance_ratio_))
    return (pca.transform(z), ("PC 1", "PC 2"),
            f"PCA of {z.shape[1]}-D latent means ({share:.0f}% of variance)")


def latent_space(embeddings: Mapping[str, np.ndarray], y=None,
                 class_names: Sequence[str] | None = None,
                 title: str = "Latent space of the test set", seed: int = 0):
    """Scatter plots of latent codes, side by side, coloured by class.

    Codes with more than two dimensions are projected on their first two
    principal components (fitted per model).

    Parameters
    ----------
    embeddings : mapping of str to array-like
        Model name (e.g. ``"VAE"``, ``"AutoEncoder"``) to latent means ``(n, d)``
        of the same ``n`` samples.
    y : array-like of int, optional
        Class of each sample (``-1`` drawn grey as unlabeled); None draws one colour.
    class_names : sequence of str, optional
        Legend label of each class index.
    title : str
        Figure title.
    seed : int, default=0
        Seed of the PCA solver.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not embeddings:
        raise ValueError("embeddings is empty; pass at least one model's latent codes")
    n_panels = len(embeddings)
    figure = new_figure(5.2 * n_panels + 1.6, 5.0)
    figure.suptitle(title)
    axes = figure.subplots(1, n_panels, squeeze=False)[0]
    labels = None if y is None else np.asarray(y).astype(np.int64)
    classes = [] if labels is None else sorted(int(c) for c in np.unique(labels) if c >= 0)
    from matplotlib import colormaps

    cmap = colormaps["tab10" if len(classes) <= 10 else "tab20" if len(classes) <= 20
                     else "turbo"]
    handles = []
    for ax, (name, z) in zip(axes, embeddings.items()):
        points, (xlabel, ylabel), subtitle = _to_2d(z, seed)
        if labels is None:
            ax.scatter(points[:, 0], points[:, 1], s=6, alpha=0.6, color="tab:blue")
        else:
            if len(points) != len(labels):
                raise ValueError(f"{name}: {len(points)} codes but {len(labels)} labels")
            unlabeled = labels < 0
            if unlabeled.any():
                ax.scatter(points[unlabeled, 0], points[unlabeled, 1], s=5, alpha=0.3,
                           color="lightgrey", label="unlabeled")
            handles = []
            for index, cls in enumerate(classes):
                colour = cmap(index / max(1, len(classes) - 1)) if len(classes) > 20 \
                    else cmap(index)
                rows = labels == cls
                name_of = class_names[cls] if class_names is not None else str(cls)
                handles.append(ax.scatter(points[rows, 0], points[rows, 1], s=6, alpha=0.7,
                                          color=colour, label=name_of))
        ax.set_title(f"{name}\n{subtitle}", fontsize=10)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    if handles and len(handles) <= _MAX_LEGEND:
        figure.legend(handles=handles, loc="outside right center", title="class",
                      markerscale=2.5, frameon=False)
    elif handles:
        figure.suptitle(f"{title}\n(colour = class; {len(handles)} classes, too many to "
                        "list)")
    return figure
