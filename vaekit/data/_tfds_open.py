"""Finding and opening one TFDS split, for :mod:`vaekit.data.tfds_loader`.

Every failure of ``tfds.load`` (an unknown name, files not prepared in
``data_dir``, an unknown split, a failed download) becomes a
:class:`~vaekit.data.errors.DataError` that says how to prepare the data set.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vaekit.data.errors import DataError

if TYPE_CHECKING:
    import tensorflow as tf

__all__ = ["BINARY_IMAGE_DATASETS", "base_name", "check_keys", "data_dir_text", "import_tfds",
           "open_split"]

#: Data sets whose uint8 images already hold 0/1 and must not be divided by 255.
BINARY_IMAGE_DATASETS = frozenset({"binarized_mnist"})


def import_tfds() -> Any:
    """The ``tensorflow_datasets`` module, or an ``ImportError`` naming the package."""
    try:
        import tensorflow_datasets as tfds
    except ImportError as err:
        raise ImportError(
            "loading TFDS data sets needs tensorflow-datasets: "
            "pip install tensorflow-datasets"
        ) from err
    return tfds


def data_dir_text(data_dir: str | os.PathLike[str] | None) -> str:
    """The TFDS data folder that ``data_dir`` stands for, for messages."""
    if data_dir is not None:
        return str(data_dir)
    return os.environ.get("TFDS_DATA_DIR") or str(Path("~/tensorflow_datasets").expanduser())


def base_name(name: str) -> str:
    """``"binarized_mnist:1.0.0"`` or ``"celeb_a/align"`` -> the dataset's own name."""
    return re.split(r"[/:]", name, maxsplit=1)[0]


def _how_to_prepare(name: str, where: str, *, offer_download: bool = True) -> str:
    text = (
        f"run `tfds build {base_name(name)} --data_dir {where}` on a machine with "
        f"internet access (then copy {where}/{base_name(name)} here)"
    )
    return text + (", or pass download=True" if offer_download else "")


def open_split(
    name: str,
    split: str,
    data_dir: str | os.PathLike[str] | None,
    download: bool,
    **load_kwargs: Any,
) -> tuple[tf.data.Dataset, Any]:
    """``tfds.load`` one split, turning its failures into :class:`DataError`."""
    tfds = import_tfds()
    where = data_dir_text(data_dir)
    try:
        return tfds.load(
            name,
            split=split,
            data_dir=None if data_dir is None else os.fspath(data_dir),
            download=download,
            as_supervised=False,
            with_info=True,
            **load_kwargs,
        )
    except tfds.core.DatasetNotFoundError as err:
        raise DataError(
            f"dataset {name} is neither a registered TFDS data set nor prepared in "
            f"data_dir {where}; check the name against tfds.list_builders() and the "
            "data_dir"
        ) from err
    except AssertionError as err:  # how tfds reports that the prepared files are absent
        raise DataError(
            f"dataset {name} is not prepared in data_dir {where}; "
            + _how_to_prepare(name, where)
        ) from err
    except ValueError as err:  # e.g. an unknown split name
        raise DataError(f"dataset {name}, split {split!r} in data_dir {where}: {err}") from err
    except OSError as err:
        if download:
            raise DataError(
                f"dataset {name}: download into {where} failed ({err}); instead "
                + _how_to_prepare(name, where, offer_download=False)
            ) from err
        raise DataError(f"dataset {name} in data_dir {where}: cannot read ({err})") from err


def check_keys(name: str, info: Any, image_key: str) -> list[str]:
    """The feature names of data set ``name``; a :class:`DataError` without ``image_key``."""
    keys = list(info.features.keys())
    if image_key not in keys:
        raise DataError(
            f"dataset {name} has no feature {image_key!r}; its features are {keys}; "
            "pass image_key=..."
        )
    return keys
