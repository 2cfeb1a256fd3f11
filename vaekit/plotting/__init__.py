"""Figures for vaekit runs: latent spaces, reconstructions, samples, curves.

Every function returns a :class:`matplotlib.figure.Figure` drawn on the Agg
canvas (no display needed); :func:`save_figure` writes one as PNG atomically.
matplotlib is imported only when a figure is made.
"""

from vaekit.plotting._figure import new_figure, save_figure
from vaekit.plotting.curves import accuracy_vs_labels, learning_curves
from vaekit.plotting.images import interpolations, reconstructions, samples
from vaekit.plotting.latent import latent_space

__all__ = [
    "accuracy_vs_labels",
    "interpolations",
    "latent_space",
    "learning_curves",
    "new_figure",
    "reconstructions",
    "samples",
    "save_figure",
]
