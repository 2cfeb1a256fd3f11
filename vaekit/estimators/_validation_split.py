"""The random train/validation split behind ``early_stopping``."""

from __future__ import annotations

import math

import numpy as np


def split_validation(n: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Random train/validation split of ``n`` rows, ``fraction`` of them for validation.

    Keras' own ``validation_split`` takes the last rows, which is wrong for
    data sorted by class; this draws them at random.

    Parameters
    ----------
    n : int
        Number of rows.
    fraction : float
        Share of rows held out, in (0, 1).
    seed : int
        Seed of the draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(train_index, validation_index)``, each sorted.
    """
    n_val = int(math.ceil(fraction * n))
    if n_val < 1 or n - n_val < 1:
        raise ValueError(
            f"early_stopping holds out validation_fraction={fraction} of the rows, which "
            f"leaves no rows to train or to validate on with n_samples={n}. Pass more "
            "rows or set early_stopping=False."
        )
    order = np.random.default_rng(seed).permutation(n)
    return np.sort(order[n_val:]), np.sort(order[:n_val])
