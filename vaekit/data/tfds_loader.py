"""TensorFlow Datasets: whole splits as arrays (:func:`load_tfds`) or a batched
stream for sets too large for memory (:func:`tfds_stream`).

Nothing is downloaded unless ``download=True``; a data set that is not prepared in
``data_dir`` gives a :class:`DataError` that says how to prepare it elsewhere.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import numpy as np

from vaekit.data._features import as_images, check_same_shape
from vaekit.data._labels import encode_labels
from vaekit.data._tfds_open import (
    BINARY_IMAGE_DATASETS, base_name, check_keys, data_dir_text, import_tfds, open_split,
)
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = ["BINARY_IMAGE_DATASETS", "load_tfds", "tfds_stream"]

logger = logging.getLogger(__name__)

_BATCH = 1024


def _check_image_size(image_size) -> tuple[int, int] | None:
    if image_size is None:
        return None
    size = tuple(image_size) if isinstance(image_size, (list, tuple)) else None
    if (size is None or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size)):
        raise ValueError(
            f"image_size must be two positive integers (height, width), got {image_size!r}"
        )
    return size


def _resizer(image_size: tuple[int, int] | None):
    """A graph function resizing one image to ``image_size``, keeping its dtype."""
    if image_size is None:
        return lambda image: image
    import tensorflow as tf

    def resize(image):
        resized = tf.image.resize(image, image_size, method="bilinear", antialias=True)
        if image.dtype.is_integer:
            return tf.saturate_cast(tf.round(resized), image.dtype)
        return tf.cast(resized, image.dtype)

    return resize


def _to_unit_images(images: np.ndarray, name: str, where: str) -> np.ndarray:
    if base_name(name) in BINARY_IMAGE_DATASETS and images.dtype == np.uint8:
        if images.size and images.max() > 1:
            raise DataError(
                f"{where}: {base_name(name)} should hold 0/1 pixels, found values up "
                f"to {int(images.max())}"
            )
        images = images.astype(np.float32)
    return as_images(images, where)


def load_tfds(
    name: str,
    data_dir: str | os.PathLike[str] | None = None,
    split_train: str = "train",
    split_test: str | None = "test",
    image_key: str = "image",
    label_key: str | None = "label",
    download: bool = False,
    max_examples: int | None = None,
    image_size: tuple[int, int] | None = None,
) -> DataSplits:
    """Load a TensorFlow Datasets image data set into arrays.

    Parameters
    ----------
    name : str
        TFDS name, e.g. ``"mnist"``, ``"fashion_mnist"``, ``"cifar10"``,
        ``"binarized_mnist"``, ``"celeb_a"`` (optionally with ``:version``).
    data_dir : str or path-like, optional
        TFDS data folder; by default ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``.
    split_train : str, default="train"
        Split (or TFDS slice such as ``"train[:10%]"``) loaded as ``train``.
    split_test : str or None, default="test"
        Split loaded as ``test``; None loads no test split.
    image_key : str, default="image"
        Feature holding the images.
    label_key : str or None, default="label"
        Feature holding class labels. When None, or when the data set has no such
        feature (``binarized_mnist``, ``celeb_a``), every example is unlabeled.
    download : bool, default=False
        Download and prepare the data set if it is not in ``data_dir``.
    max_examples : int, optional
        Load at most this many examples per split (the first ones).
    image_size : (int, int), optional
        Resize every image to ``(height, width)`` (bilinear, antialiased)
        while reading, e.g. ``(64, 64)`` for CelebA's 218x178 faces; this also
        admits data sets whose images vary in size. None keeps the stored size.

    Returns
    -------
    DataSplits
        float32 images ``(N, H, W, C)`` in [0, 1] (uint8 divided by 255, except
        ``binarized_mnist`` whose 0/1 pixels are kept); ``class_names`` from the
        label feature's names.

    Raises
    ------
    DataError
        If the data set is unknown, not prepared (and ``download`` is False), the
        download fails, a split is unknown or empty, ``image_key`` is missing, or
        images vary in size.
    ValueError
        If ``max_examples`` is not a positive integer.
    """
    if max_examples is not None and (int(max_examples) != max_examples or max_examples < 1):
        raise ValueError(f"max_examples must be a positive integer, got {max_examples!r}")
    resize = _resizer(_check_image_size(image_size))
    tfds = import_tfds()
    splits = [split_train] + ([split_test] if split_test is not None else [])
    wheres, images, labels = [], [], []
    info = None
    with_labels = False
    for split in splits:
        request = split if max_examples is None else f"{split}[:{int(max_examples)}]"
        ds, info = open_split(name, request, data_dir, download)
        keys = check_keys(name, info, image_key)
        with_labels = label_key is not None and label_key in keys
        where = f"dataset {name}, split {request!r}"
        if label_key is not None and not with_labels:
            logger.info(
                "%s has no %r feature (features: %s); all examples unlabeled",
                where, label_key, keys,
            )
        shape = ds.element_spec[image_key].shape
        if image_size is None and not shape.is_fully_defined():
            raise DataError(
                f"{where}: images vary in size (shape {shape}); pass image_size=(height, "
                "width) to resize them while reading"
            )
        ds = ds.map(
            (lambda ex: (resize(ex[image_key]), ex[label_key]))
            if with_labels else (lambda ex: (resize(ex[image_key]),))
        )
        batches = list(tfds.as_numpy(ds.batch(_BATCH)))
        if not batches:
            raise DataError(f"{where}: the split holds no examples")
        images.append(_to_unit_images(np.concatenate([b[0] for b in batches]), name, where))
        labels.append(np.concatenate([b[1] for b in batches]) if with_labels else None)
        wheres.append(where)
    check_same_shape(images, wheres)

    class_names = None
    if with_labels:
        feature = info.features[label_key]
        names = getattr(feature, "names", None)
        if names:
            class_names = list(names)
            encoded = [np.asarray(y, dtype=np.int64) for y in labels]
        else:
            encoded, class_names = encode_labels(labels, wheres, minus_one_unlabeled=True)
    else:
        encoded = [np.full(len(x), -1, dtype=np.int64) for x in images]
    source = f"TFDS {name} in {data_dir_text(data_dir)}"
    arrays = [ArrayData(x, y, class_names, source) for x, y in zip(images, encoded)]
    return DataSplits(
        train=arrays[0], test=arrays[1] if len(arrays) > 1 else None, name=name
    )


def tfds_stream(
    name: str,
    split: str,
    data_dir: str | os.PathLike[str] | None = None,
    batch_size: int = 128,
    shuffle_buffer: int = 10000,
    seed: int = 0,
    download: bool = False,
    image_key: str = "image",
) -> tf.data.Dataset:
    """Stream float32 image batches from a TFDS split without loading it whole.

    Parameters
    ----------
    name : str
        TFDS name, e.g. ``"celeb_a"``.
    split : str
        Split or slice, e.g. ``"train"`` or ``"train[:10%]"``.
    data_dir : str or path-like, optional
        TFDS data folder; by default ``$TFDS_DATA_DIR`` or ``~/tensorflow_datasets``.
    batch_size : int, default=128
        Images per batch (the last batch may be smaller).
    shuffle_buffer : int, default=10000
        Size of the shuffle buffer; 0 keeps the file order and does not shuffle.
    seed : int, default=0
        Seed of the file and buffer shuffles.
    download : bool, default=False
        Download and prepare the data set if it is not in ``data_dir``.
    image_key : str, default="image"
        Feature holding the images.

    Returns
    -------
    tf.data.Dataset
        Batches of float32 images ``(B, H, W, C)`` in [0, 1] (uint8 divided by
        255, ``binarized_mnist`` kept as 0/1).

    Raises
    ------
    DataError
        As :func:`load_tfds`.
    ValueError
        If ``batch_size`` < 1 or ``shuffle_buffer`` < 0.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if shuffle_buffer < 0:
        raise ValueError(f"shuffle_buffer must be >= 0, got {shuffle_buffer}")
    tfds = import_tfds()
    import tensorflow as tf

    ds, info = open_split(
        name, split, data_dir, download,
        shuffle_files=shuffle_buffer > 0,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
    )
    check_keys(name, info, image_key)
    spec = ds.element_spec[image_key]
    divide = spec.dtype == tf.uint8 and base_name(name) not in BINARY_IMAGE_DATASETS
    add_channel = spec.shape.rank == 2

    def to_float(example: dict[str, tf.Tensor]) -> tf.Tensor:
        image = tf.cast(example[image_key], tf.float32)
        if divide:
            image = image / 255.0
        return image[..., tf.newaxis] if add_channel else image

    ds = ds.map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
    if shuffle_buffer:
        ds = ds.shuffle(shuffle_buffer, seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size).prefetch(tf.data.AUTOTUNE)
