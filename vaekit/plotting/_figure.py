"""Creating figures without pyplot (no global state, no display) and saving them atomically."""

from __future__ import annotations

import os
from pathlib import Path

from vaekit.files import atomic_path

__all__ = ["new_figure", "save_figure"]

DPI = 110


def require_matplotlib():
    """Import matplotlib, or raise ImportError saying how to install it."""
    try:
        import matplotlib
    except ImportError as err:  # pragma: no cover - matplotlib is a core dependency
        raise ImportError(
            "vaekit.plotting needs matplotlib: pip install matplotlib"
        ) from err
    return matplotlib


def new_figure(width: float, height: float):
    """A matplotlib Figure rendered by the Agg canvas, never shown on screen.

    Figures made this way are not registered with pyplot, so they need no
    display, do not leak, and do not change the user's backend.

    Parameters
    ----------
    width, height : float
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
    """
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, path: str | os.PathLike[str], dpi: int = DPI) -> Path:
    """Write ``figure`` as a PNG file atomically (temporary name, then rename).

    Parameters
    ----------
    figure : matplotlib.figure.Figure
        The figure.
    path : str or path-like
        Destination, normally ending in ``.png``.
    dpi : int, default=110
        Resolution.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=dpi)
    return Path(path)
