"""Scikit-learn baselines on the raw features, scored on the same labelled split as vaekit.

Every baseline sees the flattened features. The supervised ones train on the
labelled rows only; PCA and the semi-supervised ones also use the unlabeled
rows (``y == -1``), as a semi-supervised method may.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Sequence

import numpy as np

__all__ = ["BASELINES", "BASELINE_NAMES", "run_baselines"]

logger = logging.getLogger(__name__)

PCA_COMPONENTS = 32


def _logistic(seed: int):
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000, random_state=seed)


def _fit_logistic_regression(x, y, seed):
    labelled = y != -1
    return _logistic(seed).fit(x[labelled], y[labelled])


def _fit_pca_logistic(x, y, seed):
    from sklearn.decomposition import PCA
    from sklearn.pipeline import make_pipeline

    components = min(PCA_COMPONENTS, x.shape[1], x.shape[0])
    pca = PCA(n_components=components, random_state=seed).fit(x)  # unlabeled rows too
    labelled = y != -1
    head = _logistic(seed).fit(pca.transform(x[labelled]), y[labelled])
    return make_pipeline(pca, head)


def _fit_label_spreading(x, y, seed):
    from sklearn.semi_supervised import LabelSpreading

    return LabelSpreading(kernel="knn", n_neighbors=7, max_iter=100).fit(x, y)


def _fit_self_training(x, y, seed):
    from sklearn.semi_supervised import SelfTrainingClassifier
    from sklearn.svm import SVC

    svc = SVC(probability=True, gamma="scale", random_state=seed)
    return SelfTrainingClassifier(svc).fit(x, y)


#: Baseline name -> ``fit(x, y_with_minus1, seed) -> fitted estimator with .predict``.
BASELINES: dict[str, Callable[[np.ndarray, np.ndarray, int], object]] = {
    "logistic_regression": _fit_logistic_regression,
    "pca_logistic": _fit_pca_logistic,
    "label_spreading": _fit_label_spreading,
    "self_training": _fit_self_training,
}
BASELINE_NAMES: tuple[str, ...] = tuple(BASELINES)


def run_baselines(
    x_train,
    y_train,
    x_test,
    y_test,
    names: Sequence[str] = BASELINE_NAMES,
    seed: int = 0,
    max_unlabeled: int | None = None,
) -> dict[str, float]:
    """Fit each named baseline on the training rows and score it on the test rows.

    Parameters
    ----------
    x_train : array-like
        Training features, any shape ``(n, ...)``; flattened to ``(n, features)``.
    y_train : array-like of int
        Class indices, ``-1`` for unlabeled rows (at least one labelled row).
    x_test : array-like
        Test features, same per-row shape as ``x_train``.
    y_test : array-like of int
        Test labels (all known).
    names : sequence of str, default=all
        Keys of :data:`BASELINES`: ``"logistic_regression"``, ``"pca_logistic"``
        (PCA to 32 dimensions fitted on all training rows, then logistic
        regression), ``"label_spreading"`` (k-NN graph, k=7),
        ``"self_training"`` (an RBF SVC wrapped in ``SelfTrainingClassifier``).
    seed : int, default=0
        Seed of the estimators and of the unlabeled subsample.
    max_unlabeled : int or None, default=None
        Keep at most this many unlabeled rows (a seeded random subsample) for
        the baselines that use them; None keeps all.

    Returns
    -------
    dict of str to float
        Test accuracy of each baseline, in the order of ``names``.

    Raises
    ------
    ValueError
        If a name is unknown, the shapes disagree or no training row is labelled.
    """
    unknown = [name for name in names if name not in BASELINES]
    if unknown:
        raise ValueError(
            f"unknown baseline(s) {unknown}; known baselines: {', '.join(BASELINE_NAMES)}"
        )
    x_train = np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1)
    x_test = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
    y_train = np.asarray(y_train).astype(np.int64)
    y_test = np.asarray(y_test).astype(np.int64)
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(
            f"x_train has {x_train.shape[1]} features per row but x_test has {x_test.shape[1]}"
        )
    if y_train.shape != (len(x_train),) or y_test.shape != (len(x_test),):
        raise ValueError("y_train and y_test must be 1-D with one label per row of x")
    if not np.any(y_train != -1):
        raise ValueError("y_train has no labelled rows (all are -1)")
    if max_unlabeled is not None:
        unlabeled = np.flatnonzero(y_train == -1)
        if unlabeled.size > max_unlabeled:
            rng = np.random.default_rng(seed)
            dropped = rng.choice(unlabeled, unlabeled.size - max_unlabeled, replace=False)
            keep = np.setdiff1d(np.arange(len(y_train)), dropped)
            x_train, y_train = x_train[keep], y_train[keep]
    scores = {}
    for name in names:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = BASELINES[name](x_train, y_train, seed)
            predictions = np.asarray(model.predict(x_test))
        for warning in caught:
            logger.debug("baseline %s: %s", name, warning.message)
        scores[name] = float(np.mean(predictions == y_test))
    return scores
