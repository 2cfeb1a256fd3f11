"""Folders of image files: one sub-folder per class, or loose unlabeled images."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from vaekit.data._features import as_images
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError

__all__ = ["IMAGE_SUFFIXES", "UNLABELED_FOLDER", "load_image_folder"]

logger = logging.getLogger(__name__)

#: File suffixes read as images (compared in lower case); other files are skipped.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp"})

#: A sub-folder with this name holds unlabeled images, not a class.
UNLABELED_FOLDER = "unlabeled"

_PIL_MODES = {"grayscale": "L", "rgb": "RGB"}


def _image_files(folder: Path, recursive: bool) -> list[Path]:
    pattern = folder.rglob("*") if recursive else folder.iterdir()
    files, skipped = [], 0
    for path in sorted(pattern):
        if not path.is_file() or path.name.startswith("."):
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES:
            files.append(path)
        else:
            skipped += 1
    if skipped:
        logger.info("%s: skipped %d files that are not images", folder, skipped)
    return files


def _read_image(path: Path, mode: str, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            img = img.convert(mode)
            if size is not None and img.size != (size[1], size[0]):
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise DataError(
            f"{path}: cannot read as an image ({err}); delete or replace the file"
        ) from err
    return arr


def load_image_folder(
    path: str | os.PathLike[str],
    image_size: tuple[int, int] | None = None,
    color_mode: str = "grayscale",
) -> DataSplits:
    """Load a folder of images, labelled by sub-folder.

    Layouts:

    * ``path/<class>/*.png``: one sub-folder per class (searched recursively);
      classes are the sub-folder names in sorted order.
    * ``path/*.png``: images directly in the folder are unlabeled (``y = -1``).
    * ``path/unlabeled/``: a sub-folder of that name also holds unlabeled images.

    Parameters
    ----------
    path : str or path-like
        The folder.
    image_size : tuple of (int, int), optional
        ``(height, width)`` to resize every image to (bilinear). When None, all
        images must already share one size.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        Convert images to one channel or three.

    Returns
    -------
    DataSplits
        ``train`` only: images ``(N, H, W, C)`` in [0, 1], files in sorted order.

    Raises
    ------
    ValueError
        If ``color_mode`` or ``image_size`` is invalid.
    DataError
        If the folder is missing or holds no images, there is exactly one class
        folder, a class folder is empty, an image cannot be read, or sizes differ
        and ``image_size`` is None.
    """
    if color_mode not in _PIL_MODES:
        raise ValueError(
            f"color_mode must be one of {sorted(_PIL_MODES)}, got {color_mode!r}"
        )
    if image_size is not None:
        if len(image_size) != 2 or any(int(s) < 1 for s in image_size):
            raise ValueError(
                f"image_size must be (height, width) with both >= 1, got {image_size!r}"
            )
        image_size = (int(image_size[0]), int(image_size[1]))
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: no such directory")

    subfolders = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
    class_dirs = [p for p in subfolders if p.name != UNLABELED_FOLDER]
    entries: list[tuple[Path, int]] = [(f, -1) for f in _image_files(root, recursive=False)]
    if (root / UNLABELED_FOLDER).is_dir():
        entries += [(f, -1) for f in _image_files(root / UNLABELED_FOLDER, recursive=True)]
    for label, folder in enumerate(class_dirs):
        files = _image_files(folder, recursive=True)
        if not files:
            raise DataError(
                f"{folder}: class folder holds no images (suffixes "
                f"{', '.join(sorted(IMAGE_SUFFIXES))}); add images or remove the folder"
            )
        entries += [(f, label) for f in files]
    if not entries:
        raise DataError(
            f"{root}: no images found; put images in one sub-folder per class, or "
            "directly in the folder for unlabeled data"
        )

    if len(class_dirs) == 1:
        raise DataError(
            f"{root}: only one class folder ({class_dirs[0].name!r}); a classifier needs "
            f"at least two, so add class folders, or move the images into "
            f"{UNLABELED_FOLDER}/ to load them unlabeled"
        )

    mode = _PIL_MODES[color_mode]
    images = []
    for file, _ in entries:
        arr = _read_image(file, mode, image_size)
        if images and arr.shape != images[0].shape:
            raise DataError(
                f"{file}: image is {arr.shape[1]}x{arr.shape[0]} but {entries[0][0]} is "
                f"{images[0].shape[1]}x{images[0].shape[0]} (width x height); pass "
                "image_size=(height, width) to resize them all"
            )
        images.append(arr)
    x = as_images(np.stack(images), str(root))
    y = np.array([label for _, label in entries], dtype=np.int64)
    class_names = [p.name for p in class_dirs] or None
    logger.debug("%s: %d images, %d classes", root, len(x), len(class_dirs))
    return DataSplits(
        train=ArrayData(x, y, class_names, f"image folder {root}"), name=root.name
    )
