"""A folder of images, decoded lazily and in parallel while training reads it."""

from __future__ import annotations

import concurrent.futures
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from vaekit.data.errors import DataError
from vaekit.data.image_folder import _PIL_MODES, _image_files, _read_image
from vaekit.streaming.bad_records import BadRecordError, StreamInfo, register

__all__ = ["image_files", "image_folder_dataset", "iter_image_batches"]

logger = logging.getLogger(__name__)

#: Images decoded ahead of the one the stream hands out.
READ_AHEAD = 64


def image_files(path: str | os.PathLike[str]) -> list[Path]:
    """Every image file under ``path`` (recursively), in sorted order."""
    root = Path(path)
    if not root.is_dir():
        raise DataError(f"{root}: no such directory")
    files = _image_files(root, recursive=True)
    if not files:
        raise DataError(f"{root}: no images found (looked recursively)")
    return files


def _check_options(image_size, color_mode) -> tuple[tuple[int, int] | None, str]:
    if color_mode not in _PIL_MODES:
        raise ValueError(f"color_mode must be one of {sorted(_PIL_MODES)}, got {color_mode!r}")
    if image_size is not None:
        if len(image_size) != 2 or any(int(s) < 1 for s in image_size):
            raise ValueError(
                f"image_size must be (height, width) with both >= 1, got {image_size!r}")
        image_size = (int(image_size[0]), int(image_size[1]))
    return image_size, _PIL_MODES[color_mode]


def _decoded(files: list[Path], mode: str, size, workers: int) -> Iterator[tuple[int, object]]:
    """``(position, uint8 image or the DataError)`` in file order, ``READ_AHEAD`` in flight."""
    def read(path):
        try:
            return _read_image(path, mode, size)
        except DataError as error:
            return error

    with concurrent.futures.ThreadPoolExecutor(max_workers=workers) as pool:
        pending = {}
        for position, path in enumerate(files):
            pending[position] = pool.submit(read, path)
            if len(pending) >= READ_AHEAD:
                first = min(pending)
                yield first, pending.pop(first).result()
        for position in sorted(pending):
            yield position, pending.pop(position).result()


def _checked_images(files, mode, size, shape, info: StreamInfo, skip: bool, workers: int):
    """uint8 images of one shape; a bad one raises (naming file and position) or is skipped."""
    for position, image in _decoded(files, mode, size, workers):
        problem = None
        if isinstance(image, DataError):
            problem = str(image)
        elif image.reshape(*image.shape[:2], -1).shape != shape:
            problem = (f"{files[position]}: image is {image.shape[1]}x{image.shape[0]}, not "
                       f"{shape[1]}x{shape[0]} like the first; pass image_size=(height, "
                       "width) to resize them all")
        if problem is None:
            yield image.reshape(shape)
            continue
        where = f"image {position} of {len(files)} in the stream"
        if not skip:
            info.failure = (f"{problem} ({where}); or pass skip_bad_records=True to "
                            f"{info.reader} to skip bad images")
            raise BadRecordError(info.failure)
        info.record_skip(f"{files[position]} ({where})", problem)


def iter_image_batches(path: str | os.PathLike[str], *, image_size=None,
                       color_mode: str = "grayscale", batch_rows: int = 256,
                       skip_bad_records: bool = False) -> Iterator[np.ndarray]:
    """uint8 image batches ``(b, H, W, C)`` of a folder, read in parallel, in file order.

    Parameters
    ----------
    path : str or path-like
        The folder (searched recursively).
    image_size : (int, int), optional
        Resize to ``(height, width)``; None: every image must have the first one's size.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        One channel or three.
    batch_rows : int, default=256
        Images per batch.
    skip_bad_records : bool, default=False
        Skip images that do not decode (or differ in size) instead of failing.

    Yields
    ------
    numpy.ndarray
    """
    size, mode = _check_options(image_size, color_mode)
    files = image_files(path)
    shape = _first_shape(files, mode, size)
    info = StreamInfo(f"image folder {path}", "iter_image_batches")
    batch = []
    for image in _checked_images(files, mode, size, shape, info, skip_bad_records,
                                 os.cpu_count() or 1):
        batch.append(image)
        if len(batch) == batch_rows:
            yield np.stack(batch)
            batch = []
    if batch:
        yield np.stack(batch)


def _first_shape(files, mode, size) -> tuple[int, int, int]:
    """Shape ``(H, W, C)`` of the stream's images, from the first one that decodes."""
    for path in files[:READ_AHEAD]:
        try:
            image = _read_image(path, mode, size)
        except DataError:
            continue
        return (*image.shape[:2], 1 if image.ndim == 2 else image.shape[2])
    raise DataError(f"{files[0].parent}: none of the first {min(len(files), READ_AHEAD)} "
                    "images decodes")


def image_folder_dataset(path: str | os.PathLike[str], *, image_size=None,
                         color_mode: str = "grayscale", skip_bad_records: bool = False,
                         workers: int | None = None):
    """Stream the images of a folder as float32 rows in [0, 1], decoded lazily in parallel.

    Images are listed once (every image file under ``path``, recursively, in
    sorted order) and decoded by a pool of threads, at most 64 ahead of the
    one training reads, so memory holds a few images, never the folder.

    Parameters
    ----------
    path : str or path-like
        The folder.
    image_size : (int, int), optional
        Resize every image to ``(height, width)``; None: all images must have
        the size of the first one.
    color_mode : {"grayscale", "rgb"}, default="grayscale"
        One channel or three.
    skip_bad_records : bool, default=False
        Skip an image that does not decode (or has another size) instead of
        stopping with a :class:`BadRecordError` naming it and its position;
        each skip is logged and counted (:func:`vaekit.streaming.skipped_records`).
        The stream's length then no longer says the rows of a pass exactly.
    workers : int, optional
        Decoding threads; the number of CPUs by default.

    Returns
    -------
    tf.data.Dataset
        float32 images ``(H, W, C)``; its length is the number of image files.
    """
    import tensorflow as tf

    size, mode = _check_options(image_size, color_mode)
    files = image_files(path)
    shape = _first_shape(files, mode, size)
    info = StreamInfo(f"image folder {path}", "image_folder_dataset", n_rows=len(files))
    workers = int(workers or os.cpu_count() or 1)

    def generate():
        yield from _checked_images(files, mode, size, shape, info, skip_bad_records, workers)

    rows = tf.data.Dataset.from_generator(
        generate, output_signature=tf.TensorSpec(shape, tf.uint8))
    rows = rows.map(lambda image: tf.cast(image, tf.float32) / 255.0,
                    num_parallel_calls=tf.data.AUTOTUNE)
    if not skip_bad_records:
        rows = rows.apply(tf.data.experimental.assert_cardinality(len(files)))
    return register(rows, info)
