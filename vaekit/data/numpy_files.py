"""NumPy ``.npy`` and ``.npz`` files."""

from __future__ import annotations

import logging
import os
import zipfile
from pathlib import Path

import numpy as np

from vaekit.data._features import as_features, check_same_shape
from vaekit.data._labels import encode_labels
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError

__all__ = ["load_numpy"]

logger = logging.getLogger(__name__)

_Raw = tuple[np.ndarray, np.ndarray | None, str]  # features, raw labels, where


def _open(path: Path) -> np.ndarray | dict[str, np.ndarray]:
    if not path.is_file():
        raise DataError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix not in (".npy", ".npz"):
        raise DataError(
            f"{path}: unsupported suffix {suffix!r}; load_numpy reads .npy (features "
            "only) and .npz (features and labels) files"
        )
    try:
        loaded = np.load(path, allow_pickle=False)
    except ValueError as err:
        # NumPy refuses object arrays without allow_pickle, and reports bad headers
        raise DataError(
            f"{path}: cannot read as {suffix} ({err}); save plain numeric arrays with "
            "numpy.save / numpy.savez"
        ) from err
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise DataError(f"{path}: corrupt or truncated {suffix} file ({err})") from err
    if isinstance(loaded, np.ndarray):
        return loaded
    with loaded:
        try:
            return {key: loaded[key] for key in loaded.files}
        except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:
            raise DataError(f"{path}: corrupt array inside .npz file ({err})") from err


def _read(
    path: Path, x_key: str, y_key: str
) -> tuple[_Raw, _Raw | None]:
    """Return the train part and, for ``x_train``-style files, the test part."""
    content = _open(path)
    if isinstance(content, np.ndarray):
        return (content, None, str(path)), None
    keys = sorted(content)
    if x_key in content:
        return (content[x_key], content.get(y_key), f"{path}[{x_key!r}]"), None
    if "x_train" in content:
        train = (content["x_train"], content.get("y_train"), f"{path}['x_train']")
        if "x_test" not in content:
            return train, None
        if "y_train" in content and "y_test" not in content:
            raise DataError(
                f"{path}: has y_train but no y_test; save y_test too, or leave both out"
            )
        return train, (content["x_test"], content.get("y_test"), f"{path}['x_test']")
    raise DataError(
        f"{path}: no array named {x_key!r} (or 'x_train'); the file holds {keys}; "
        "pass x_key=... to name the feature array"
    )


def load_numpy(
    path: str | os.PathLike[str],
    x_key: str = "x",
    y_key: str = "y",
    test_path: str | os.PathLike[str] | None = None,
) -> DataSplits:
    """Load features (and labels) from a ``.npy`` or ``.npz`` file.

    A ``.npy`` file holds features only, so every example is unlabeled. A ``.npz``
    file holds ``x_key`` and optionally ``y_key``, or ``x_train``/``y_train`` with
    optional ``x_test``/``y_test``. ``uint8`` features are pixel intensities and
    are divided by 255; 3-D features ``(N, H, W)`` get a channel axis. Labels may
    be integers or strings; ``-1`` (and NaN) marks an unlabeled example, as in
    scikit-learn.

    Parameters
    ----------
    path : str or path-like
        The ``.npy`` or ``.npz`` file with the training data.
    x_key : str, default="x"
        Name of the feature array in a ``.npz`` file.
    y_key : str, default="y"
        Name of the label array in a ``.npz`` file; a missing one means unlabeled.
    test_path : str or path-like, optional
        A second file, read the same way, used as the test split.

    Returns
    -------
    DataSplits
        float32 features and labels mapped to ``0..K-1``; ``class_names`` are the
        original labels as strings.

    Raises
    ------
    DataError
        If a file is missing or corrupt, a key is absent, features are not numeric,
        empty, non-finite or out of [0, 1] for float images, labels and features
        differ in length, or the test split is given twice.
    """
    path = Path(path)
    train, test = _read(path, x_key, y_key)
    if test_path is not None:
        if test is not None:
            raise DataError(
                f"{path}: already holds x_test, and test_path={str(test_path)!r} was "
                "given too; use one of them"
            )
        test, extra = _read(Path(test_path), x_key, y_key)
        if extra is not None:
            raise DataError(
                f"{test_path}: holds both x_train and x_test; as test_path, a file "
                f"must hold one split ({x_key!r} and {y_key!r})"
            )
    parts = [train] + ([test] if test is not None else [])
    xs = [as_features(x, where) for x, _, where in parts]
    check_same_shape(xs, [where for _, _, where in parts])
    for (_, y, where), feats in zip(parts, xs):
        if y is not None and np.ndim(y) == 1 and len(y) != len(feats):
            raise DataError(
                f"{where}: {len(feats)} examples but {len(y)} labels; the arrays must "
                "have the same length"
            )
    raw_labels = [
        y if y is not None else np.full(len(feats), -1, dtype=np.int64)
        for (_, y, _), feats in zip(parts, xs)
    ]
    encoded, class_names = encode_labels(
        raw_labels, [where for _, _, where in parts], minus_one_unlabeled=True
    )
    source = f"NumPy file {path}" + (f" and {test_path}" if test_path is not None else "")
    arrays = [ArrayData(x, y, class_names, source) for x, y in zip(xs, encoded)]
    logger.debug("%s: loaded %s", source, [a.x.shape for a in arrays])
    return DataSplits(
        train=arrays[0], test=arrays[1] if len(arrays) > 1 else None, name=path.stem
    )
