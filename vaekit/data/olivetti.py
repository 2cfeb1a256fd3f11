"""The Olivetti (AT&T Cambridge) faces from the MATLAB file ``olivettifaces.mat``."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from vaekit.data._features import as_images
from vaekit.data._split import make_splits
from vaekit.data.containers import DataSplits
from vaekit.data.errors import DataError
from vaekit.data.paths import DATA_DIR_ENV, default_data_dir

__all__ = ["OLIVETTI_RELATIVE_PATH", "load_olivetti_faces"]

logger = logging.getLogger(__name__)

#: Location of the file inside the data folder named by ``$VAEKIT_DATA_DIR``.
OLIVETTI_RELATIVE_PATH = Path("olivetti_faces") / "olivettifaces.mat"

_SIDE = 64
_PEOPLE = 40
_PER_PERSON = 10


def _resolve(path: str | os.PathLike[str] | None) -> Path:
    if path is not None:
        return Path(path)
    root = default_data_dir()
    if root is None:
        raise DataError(
            f"olivettifaces.mat: no path given and ${DATA_DIR_ENV} is not set; pass "
            f"path=... or set {DATA_DIR_ENV} to a folder holding {OLIVETTI_RELATIVE_PATH}"
        )
    return root / OLIVETTI_RELATIVE_PATH


def load_olivetti_faces(
    path: str | os.PathLike[str] | None = None,
    test_size: float | None = None,
    random_state: int | None = 0,
) -> DataSplits:
    """Load the 400 Olivetti faces (40 people x 10 images, 64x64 grayscale).

    The file holds one variable ``faces`` of shape ``(4096, 400)``, one image per
    column in MATLAB's column-major order; images come back upright (eyes above
    mouth), the same arrays scikit-learn's ``fetch_olivetti_faces`` returns.

    Parameters
    ----------
    path : str or path-like, optional
        The ``olivettifaces.mat`` file; by default
        ``$VAEKIT_DATA_DIR/olivetti_faces/olivettifaces.mat``.
    test_size : float or None, default=None
        Fraction held out as a test set stratified by person; None keeps all 400
        images in ``train``.
    random_state : int or None, default=0
        Seed of the shuffle before splitting.

    Returns
    -------
    DataSplits
        Images ``(400, 64, 64, 1)`` in [0, 1]; labels are person ids 0..39 in file
        order (images 0-9 are person 0).

    Raises
    ------
    DataError
        If no path is given and ``$VAEKIT_DATA_DIR`` is unset, the file is missing
        or not a MATLAB file, or ``faces`` is absent or has the wrong shape.
    """
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    file = _resolve(path)
    if not file.is_file():
        raise DataError(
            f"{file}: no such file; pass path=... to olivettifaces.mat (or set "
            f"{DATA_DIR_ENV} to a folder holding {OLIVETTI_RELATIVE_PATH})"
        )
    try:
        content = loadmat(file)
    except (MatReadError, ValueError, OSError, TypeError, IndexError) as err:
        # scipy reports malformed files with any of these
        raise DataError(
            f"{file}: cannot read as a MATLAB .mat file ({type(err).__name__}: {err}); "
            "expected the original olivettifaces.mat"
        ) from err
    if "faces" not in content:
        names = sorted(k for k in content if not k.startswith("__"))
        raise DataError(
            f"{file}: no variable 'faces' (the file holds {names}); expected the "
            "original olivettifaces.mat"
        )
    faces = np.asarray(content["faces"])
    expected = (_SIDE * _SIDE, _PEOPLE * _PER_PERSON)
    if faces.shape != expected:
        raise DataError(
            f"{file}: variable 'faces' has shape {faces.shape}, expected {expected} "
            "(one 64x64 image per column)"
        )
    # Column j is image j flattened in column-major order: undo that per image,
    # giving (row, col, image), then put the image axis first.
    images = faces.reshape(_SIDE, _SIDE, -1, order="F").transpose(2, 0, 1)
    x = as_images(images, str(file))
    y = np.repeat(np.arange(_PEOPLE, dtype=np.int64), _PER_PERSON)
    return make_splits(
        x, y, test_size=test_size, random_state=random_state,
        class_names=[str(k) for k in range(_PEOPLE)],
        source=f"MATLAB file {file}", name="olivetti_faces",
    )
