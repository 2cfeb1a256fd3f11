"""Seeding that works on every backend without importing TensorFlow needlessly."""

from __future__ import annotations

import random

import keras
import numpy as np


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and Keras (weight initialisers, ``keras.random``).

    On TensorFlow this is :func:`keras.utils.set_random_seed`. On other
    backends that function would import TensorFlow only to seed it (about 3 s
    and 400 MB on JAX), so the same Keras global seed is set directly.

    Parameters
    ----------
    seed : int
        The seed.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an integer, got {seed!r}.")
    seed = int(seed)
    if keras.backend.backend() == "tensorflow":
        keras.utils.set_random_seed(seed)
        return
    # Same effect as keras.utils.set_random_seed minus the TensorFlow import.
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
