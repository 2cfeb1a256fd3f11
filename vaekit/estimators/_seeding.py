"""The block an estimator fits or scores in: Keras seeded, TensorFlow's retracing log quiet."""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Iterator
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state

from vaekit.training.seeding import seed_everything


def draw_seed(random_state) -> int:
    """Turn a scikit-learn ``random_state`` into the integer seed Keras needs.

    Parameters
    ----------
    random_state : int, numpy.random.RandomState or None
        An int is used as is; ``None`` draws from NumPy's global generator (so
        seeding NumPy makes the fit repeatable, as for scikit-learn's own estimators).

    Returns
    -------
    int
    """
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        return int(random_state)
    return int(check_random_state(random_state).randint(np.iinfo(np.int32).max))


@contextlib.contextmanager
def seeded(seed: int) -> Iterator[int]:
    """Seed Keras (weights, sampling, shuffling) and leave the user's generators as found.

    :func:`~vaekit.training.seeding.seed_everything` reseeds Python's
    :mod:`random`, NumPy's global generator and Keras' global seed (and
    TensorFlow's, on that backend). The first two are put back on exit, so
    fitting an estimator does not change the random numbers the rest of the
    program draws; the backend's global seed stays at ``seed``. TensorFlow's
    retracing warnings are silenced inside (see :func:`quiet_retracing`).

    Parameters
    ----------
    seed : int
        The seed.

    Yields
    ------
    int
        ``seed``.
    """
    python_state = random.getstate()
    numpy_state = np.random.get_state()
    seed_everything(seed)
    try:
        with quiet_retracing():
            yield seed
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)


class _DropRetracingWarnings(logging.Filter):
    """Drops TensorFlow's "triggered tf.function retracing" warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


@contextlib.contextmanager
def quiet_retracing() -> Iterator[None]:
    """Silence TensorFlow's retracing warning while an estimator trains or scores.

    TensorFlow counts traces per Python function, and every Keras model's
    training step is the same function, so fitting a sixth model in one
    process (a grid search, cross-validation, the estimator checks) logs
    "5 out of the last N calls ... triggered tf.function retracing": each new
    model must be traced once, which the user can do nothing about. Only
    that message is dropped, and only inside this block.
    """
    tf_logger = logging.getLogger("tensorflow")
    dropper = _DropRetracingWarnings()
    tf_logger.addFilter(dropper)
    try:
        yield
    finally:
        tf_logger.removeFilter(dropper)
