"""A TensorFlow Datasets split as a stream of float32 image rows, with its length."""

from __future__ import annotations

import os

from vaekit.data.errors import DataError
from vaekit.streaming.bad_records import StreamInfo, register

__all__ = ["tfds_rows"]


def tfds_rows(name: str, split: str = "train", *, data_dir: str | os.PathLike[str] | None = None,
              image_key: str = "image", image_size: tuple[int, int] | None = None,
              download: bool = False, max_examples: int | None = None,
              label_key: str | None = None):
    """Stream one TFDS split as float32 images in [0, 1], resized while reading, in file order.

    Unlike :func:`vaekit.data.tfds_stream` (shuffled batches), this gives
    rows with the split's length known, which the training functions need,
    and resizes them (``image_size``) as :func:`vaekit.data.load_tfds` does.

    Parameters
    ----------
    name : str
        TFDS name, e.g. ``"celeb_a"``.
    split : str, default="train"
        Split or slice.
    data_dir : str or path-like, optional
        TFDS data folder.
    image_key : str, default="image"
        Feature holding the images.
    image_size : (int, int), optional
        Resize to ``(height, width)`` (bilinear, antialiased).
    download : bool, default=False
        Download and prepare the data set if it is not in ``data_dir``.
    max_examples : int, optional
        Read at most this many examples (the first ones).
    label_key : str, optional
        Feature holding class indices: each element is then ``(row, label)``
        with an int64 label (what a labelled scan or a streamed test set
        needs); None gives rows alone.

    Returns
    -------
    tf.data.Dataset

    Raises
    ------
    DataError
        If the split cannot be opened, or ``image_key`` or ``label_key`` is not a
        feature of the data set.
    """
    import tensorflow as tf

    from vaekit.data._tfds_open import BINARY_IMAGE_DATASETS, base_name, check_keys, open_split

    request = split if max_examples is None else f"{split}[:{int(max_examples)}]"
    dataset, info = open_split(name, request, data_dir, download)
    keys = check_keys(name, info, image_key)
    if label_key is not None and label_key not in keys:
        raise DataError(f"dataset {name} has no feature {label_key!r}; its features are "
                        f"{keys}; set label_key to one of them, or to null for no labels")
    spec = dataset.element_spec[image_key]
    divide = spec.dtype == tf.uint8 and base_name(name) not in BINARY_IMAGE_DATASETS

    def to_row(example):
        image = tf.cast(example[image_key], tf.float32)
        if spec.shape.rank == 2:
            image = image[..., tf.newaxis]
        if image_size is not None:
            image = tf.image.resize(image, image_size, method="bilinear", antialias=True)
        image = image / 255.0 if divide else image
        return tf.clip_by_value(image, 0.0, 1.0) if divide else image

    if label_key is None:
        rows = dataset.map(to_row, num_parallel_calls=tf.data.AUTOTUNE)
    else:
        rows = dataset.map(lambda ex: (to_row(ex), tf.cast(ex[label_key], tf.int64)),
                           num_parallel_calls=tf.data.AUTOTUNE)
    n_rows = int(rows.cardinality())
    return register(rows, StreamInfo(f"TFDS {name}, split {request!r}", "tfds_rows",
                                     n_rows if n_rows >= 0 else None))
