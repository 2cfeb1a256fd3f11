"""In-memory containers for loaded data: one split (:class:`ArrayData`) and a
train/test pair (:class:`DataSplits`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["ArrayData", "DataSplits"]


@dataclass
class ArrayData:
    """Features and labels of one split.

    Parameters
    ----------
    x : numpy.ndarray
        Features, converted to ``float32``. Images are ``(N, H, W, C)`` in [0, 1];
        tables are ``(N, F)``.
    y : numpy.ndarray
        Integer class indices ``0..K-1``, ``-1`` where unlabeled; shape ``(N,)``.
        Converted to ``int64``.
    class_names : list of str or None, default=None
        ``class_names[k]`` is the original label of class ``k``.
    source : str, default=""
        Human-readable origin, e.g. ``"IDX files in /data/mnist"``.

    Raises
    ------
    TypeError
        If ``x`` is not numeric or ``y`` is not integer.
    ValueError
        If the shapes disagree, ``y`` holds values below -1, or a label has no
        entry in ``class_names``.
    """

    x: np.ndarray
    y: np.ndarray
    class_names: list[str] | None = None
    source: str = ""

    def __post_init__(self) -> None:
        x = np.asarray(self.x)
        y = np.asarray(self.y)
        if x.dtype.kind not in "biuf":
            raise TypeError(f"x must be a numeric array, got dtype {x.dtype}")
        if y.dtype.kind not in "iu":
            raise TypeError(
                f"y must hold integer class indices (-1 for unlabeled), got dtype {y.dtype}"
            )
        if x.ndim < 2:
            raise ValueError(
                f"x must have shape (N, F) or (N, H, W, C), got shape {x.shape}"
            )
        if y.shape != (x.shape[0],):
            raise ValueError(
                f"y must have shape ({x.shape[0]},) to match x of shape {x.shape}, "
                f"got {y.shape}"
            )
        self.x = x.astype(np.float32, copy=False)
        self.y = y.astype(np.int64, copy=False)
        if self.y.size and self.y.min() < -1:
            raise ValueError(
                f"y holds {int(self.y.min())}; labels must be class indices >= 0 "
                "or -1 for unlabeled"
            )
        if self.class_names is not None:
            self.class_names = [str(name) for name in self.class_names]
            if self.y.size and self.y.max() >= len(self.class_names):
                raise ValueError(
                    f"y holds class index {int(self.y.max())} but class_names has only "
                    f"{len(self.class_names)} entries"
                )

    def labelled_mask(self) -> np.ndarray:
        """Return a boolean mask that is True where the example has a label.

        Returns
        -------
        numpy.ndarray
            Boolean array of shape ``(N,)``, ``y != -1``.
        """
        return self.y != -1

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass
class DataSplits:
    """A training split and an optional test split of one data set.

    Parameters
    ----------
    train : ArrayData
        Training examples (labelled, unlabeled, or both).
    test : ArrayData or None, default=None
        Held-out examples, with the same feature shape as ``train``.
    name : str, default=""
        Short name of the data set, e.g. ``"mnist"``.

    Raises
    ------
    ValueError
        If ``train`` and ``test`` have different feature shapes.
    """

    train: ArrayData
    test: ArrayData | None = None
    name: str = ""

    def __post_init__(self) -> None:
        if self.test is not None and self.test.x.shape[1:] != self.train.x.shape[1:]:
            raise ValueError(
                f"train examples have shape {self.train.x.shape[1:]} but test examples "
                f"have shape {self.test.x.shape[1:]}; both splits must match"
            )

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one example, ``x.shape[1:]``."""
        return tuple(int(d) for d in self.train.x.shape[1:])

    @property
    def n_classes(self) -> int | None:
        """Number of classes, or None when the data set carries no labels.

        Taken from ``class_names`` when set, else from the largest label seen.
        """
        if self.train.class_names is not None:
            return len(self.train.class_names)
        labels = [self.train.y] + ([self.test.y] if self.test is not None else [])
        top = max((int(y.max()) for y in labels if y.size), default=-1)
        return top + 1 if top >= 0 else None
