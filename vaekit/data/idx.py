"""IDX files, the format of the original MNIST distribution (gzip-compressed or raw).

Layout: two zero bytes, a type code byte, a byte giving the number of dimensions,
one big-endian uint32 per dimension, then the big-endian data in C order.
"""

from __future__ import annotations

import gzip
import logging
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from vaekit.data._features import as_images
from vaekit.data._labels import encode_labels
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError

__all__ = ["IDX_FILE_NAMES", "load_idx", "load_idx_dataset"]

logger = logging.getLogger(__name__)

#: IDX type code -> big-endian NumPy dtype.
_IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}

#: Base names of the four MNIST-style files; each may also carry a ``.gz`` suffix.
IDX_FILE_NAMES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        raise DataError(f"{path}: no such file") from err
    except IsADirectoryError as err:
        raise DataError(f"{path}: is a directory, expected an IDX file") from err
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(
            f"{path}: corrupt or truncated gzip data ({err}); download the file again"
        ) from err


def load_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read one IDX file into an array.

    Gzip compression is detected from the file's first bytes, not its name.

    Parameters
    ----------
    path : str or path-like
        The IDX file, e.g. ``train-images-idx3-ubyte.gz``.

    Returns
    -------
    numpy.ndarray
        Array with the shape from the header and the dtype from the type code
        (``uint8``, ``int8``, ``int16``, ``int32``, ``float32`` or ``float64``), in
        native byte order.

    Raises
    ------
    DataError
        If the file is missing, the gzip stream is corrupt, the magic number is not
        an IDX one, or the file length does not match its header.
    """
    path = Path(path)
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise DataError(
            f"{path}: too short to be an IDX file ({len(raw)} bytes, the header alone "
            "needs at least 8); download the file again"
        )
    magic = int.from_bytes(raw[:4], "big")
    code, ndim = raw[2], raw[3]
    if raw[0] != 0 or raw[1] != 0 or code not in _IDX_DTYPES or ndim == 0:
        codes = ", ".join(f"0x{c:02x}" for c in _IDX_DTYPES)
        raise DataError(
            f"{path}: not an IDX file (magic number 0x{magic:08x}, expected 0x00TTDD "
            f"with type code TT in {codes} and DD >= 1 dimensions, e.g. 0x00000803 for "
            "images or 0x00000801 for labels)"
        )
    header_len = 4 + 4 * ndim
    if len(raw) < header_len:
        raise DataError(
            f"{path}: truncated IDX header ({len(raw)} bytes, a {ndim}-D header needs "
            f"{header_len}); download the file again"
        )
    dims = struct.unpack(f">{ndim}I", raw[4:header_len])
    dtype = _IDX_DTYPES[code]
    expected = header_len + math.prod(dims) * dtype.itemsize
    if len(raw) != expected:
        problem = "truncated" if len(raw) < expected else "has trailing bytes"
        raise DataError(
            f"{path}: IDX file {problem}: header says {dtype.newbyteorder('=')} data of "
            f"shape {dims} ({expected} bytes in all) but the file holds {len(raw)} "
            "bytes; download the file again"
        )
    arr = np.frombuffer(raw, dtype=dtype, offset=header_len).reshape(dims)
    logger.debug("%s: IDX array of shape %s, dtype %s", path, dims, dtype)
    return arr.astype(dtype.newbyteorder("="))


def _find(directory: Path, base: str) -> Path | None:
    for candidate in (directory / base, directory / f"{base}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _read_pair(images_path: Path, labels_path: Path) -> tuple[np.ndarray, np.ndarray]:
    images = load_idx(images_path)
    labels = load_idx(labels_path)
    if images.ndim != 3:
        raise DataError(
            f"{images_path}: expected images of shape (N, H, W), got shape {images.shape}"
        )
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise DataError(
            f"{labels_path}: expected 1-D integer labels, got shape {labels.shape} "
            f"and dtype {labels.dtype}"
        )
    if len(images) != len(labels):
        raise DataError(
            f"{images_path} holds {len(images)} images but {labels_path} holds "
            f"{len(labels)} labels; the files do not belong together"
        )
    return images, labels


def load_idx_dataset(directory: str | os.PathLike[str]) -> DataSplits:
    """Load an MNIST-style folder of IDX files into train and test splits.

    Reads ``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``,
    ``t10k-images-idx3-ubyte`` and ``t10k-labels-idx1-ubyte``, each raw or with a
    ``.gz`` suffix. The test pair may be absent, in which case ``test`` is None.
    The same layout serves Fashion-MNIST and KMNIST.

    Parameters
    ----------
    directory : str or path-like
        Folder holding the files.

    Returns
    -------
    DataSplits
        Images ``(N, H, W, 1)`` in [0, 1] (28x28 for MNIST) and labels mapped to
        ``0..K-1``.

    Raises
    ------
    DataError
        If the folder or the training pair is missing, only half of the test pair is
        present, or any file is malformed (see :func:`load_idx`).
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DataError(
            f"{directory}: no such directory; pass the folder that holds the MNIST IDX "
            "files (train-images-idx3-ubyte.gz etc.)"
        )
    found = {key: _find(directory, base) for key, base in IDX_FILE_NAMES.items()}
    for key in ("train_images", "train_labels"):
        if found[key] is None:
            present = sorted(p.name for p in directory.iterdir())
            raise DataError(
                f"{directory}: missing {IDX_FILE_NAMES[key]}[.gz]; expected the files "
                f"{', '.join(IDX_FILE_NAMES.values())} (raw or .gz), found "
                f"{present or 'nothing'}"
            )
    if (found["test_images"] is None) != (found["test_labels"] is None):
        missing = "test_images" if found["test_images"] is None else "test_labels"
        raise DataError(
            f"{directory}: missing {IDX_FILE_NAMES[missing]}[.gz] although its partner "
            "is present; add it, or remove both test files to load the training split only"
        )
    prefixes = ["train"] + (["test"] if found["test_images"] is not None else [])
    if len(prefixes) == 1:
        logger.info("%s: no t10k-* files; loading the training split only", directory)
    pairs = [_read_pair(found[f"{p}_images"], found[f"{p}_labels"]) for p in prefixes]
    encoded, class_names = encode_labels(
        [labels for _, labels in pairs],
        [str(found[f"{p}_labels"]) for p in prefixes],
        minus_one_unlabeled=False,
    )
    source = f"IDX files in {directory}"
    splits = [
        ArrayData(as_images(images, str(found[f"{p}_images"])), y, class_names, source)
        for p, (images, _), y in zip(prefixes, pairs, encoded)
    ]
    return DataSplits(
        train=splits[0],
        test=splits[1] if len(splits) > 1 else None,
        name=directory.name or "idx",
    )
