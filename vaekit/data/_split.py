"""Turning one labelled array into :class:`DataSplits`, with an optional
stratified train/test split."""

from __future__ import annotations

import numpy as np

from vaekit.data.containers import ArrayData, DataSplits


def make_splits(
    x: np.ndarray,
    y: np.ndarray,
    *,
    test_size: float | None,
    random_state: int | None,
    class_names: list[str] | None,
    source: str,
    name: str,
) -> DataSplits:
    """Wrap ``x, y`` as splits, holding out a stratified test set if asked.

    Parameters
    ----------
    x : numpy.ndarray
        Validated float32 features.
    y : numpy.ndarray
        int64 class indices, all labelled.
    test_size : float or None
        Passed to :func:`sklearn.model_selection.train_test_split`; None keeps
        every example in ``train``.
    random_state : int or None
        Seed of the shuffle before splitting.
    class_names : list of str or None
        Original label of each class.
    source : str
        Human-readable origin.
    name : str
        Data set name.

    Returns
    -------
    DataSplits
        ``train`` and, when ``test_size`` is not None, ``test``.
    """
    if test_size is None:
        return DataSplits(train=ArrayData(x, y, class_names, source), name=name)
    from sklearn.model_selection import train_test_split

    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, random_state=random_state, stratify=y
    )
    return DataSplits(
        train=ArrayData(x_train, y_train, class_names, source),
        test=ArrayData(x_test, y_test, class_names, source),
        name=name,
    )
