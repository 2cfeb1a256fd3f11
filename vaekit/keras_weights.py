"""Checked saving and weight loading for vaekit's Keras models.

:class:`CheckedFilesMixin` is mixed into the models (before :class:`keras.Model`):
``save`` and ``save_weights`` check the destination first, and ``load_weights``
refuses weights of a model of another size, naming both sets of shapes
(:func:`weight_matrix_shapes`). Whole-file checks live in :mod:`vaekit.keras_files`.
"""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from vaekit.keras_files import (
    _OPTIMIZER_GROUP,
    _WEIGHTS_MEMBER,
    check_keras_archive,
    check_save_destination,
)

__all__ = ["CheckedFilesMixin", "weight_matrix_shapes"]


def weight_matrix_shapes(path: str | os.PathLike[str]) -> list[tuple[int, ...]]:
    """Shapes of the weight matrices (2 or more axes) in a weights or ``.keras`` file.

    The optimizer's state is left out, so a file saved from a compiled model
    and one saved from an uncompiled copy give the same list.

    Parameters
    ----------
    path : str or path-like
        A ``.weights.h5`` or ``.keras`` file.

    Returns
    -------
    list of tuple of int
        Sorted.
    """
    import h5py

    path = Path(path)
    if path.name.endswith(".keras"):
        check_keras_archive(path)
        with zipfile.ZipFile(path) as archive:
            source = io.BytesIO(archive.read(_WEIGHTS_MEMBER))
    else:
        source = path
    shapes = []

    def visit(name, item):
        if isinstance(item, h5py.Dataset) and item.ndim >= 2:
            shapes.append(tuple(int(n) for n in item.shape))

    try:
        with h5py.File(source, "r") as weights:
            for key in weights:
                if key != _OPTIMIZER_GROUP and isinstance(weights[key], h5py.Group):
                    weights[key].visititems(visit)
    except OSError as err:
        raise ValueError(f"{path}: not a readable Keras weights file ({err}); it may be "
                         "truncated. Save the weights again.") from err
    return sorted(shapes)


class CheckedFilesMixin:
    """``save``, ``save_weights`` and ``load_weights`` with one-line errors.

    Mixed into vaekit's Keras models (before :class:`keras.Model`): a wrong
    file ending, a missing folder and weights of a model of another size are
    refused before Keras starts, with the path and the fix, instead of an
    HDF5 error or a list of layers that "could not be loaded".
    """

    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Save the model as a ``.keras`` file (:meth:`keras.Model.save`), checked first.

        Keras' own method: the file keeps the optimizer's state. For the lean
        file of a finished model use :func:`vaekit.keras_files.save_model`.
        """
        if zipped is not False and isinstance(filepath, (str, os.PathLike)) and not str(
                filepath).startswith("hf://"):
            check_save_destination(filepath, what=f"a {type(self).__name__}")
        return super().save(filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Save the weights to a ``.weights.h5`` file (:meth:`keras.Model.save_weights`)."""
        if isinstance(filepath, (str, os.PathLike)) and max_shard_size is None:
            check_save_destination(filepath, suffix=".weights.h5",
                                   what=f"the weights of a {type(self).__name__}")
        return super().save_weights(filepath, overwrite=overwrite,
                                    max_shard_size=max_shard_size)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Load weights (:meth:`keras.Model.load_weights`), refusing a model of another size.

        Raises
        ------
        FileNotFoundError
            If there is no such file.
        ValueError
            If the file's weight matrices have other shapes than this model's;
            the message lists both.
        """
        if isinstance(filepath, (str, os.PathLike)) and not skip_mismatch:
            path = Path(filepath)
            if not path.is_file():
                raise FileNotFoundError(f"{path}: no such weights file.")
            if path.name.endswith((".weights.h5", ".keras")) and self.built:
                saved = weight_matrix_shapes(path)
                own = sorted(tuple(int(n) for n in v.shape)
                             for v in self.weights if len(v.shape) >= 2)
                if saved != own:
                    raise ValueError(
                        f"{path}: the weights belong to a model of another size: its weight "
                        f"matrices have shapes {saved}, this {type(self).__name__}'s have "
                        f"{own}. Build the model with the settings the weights were saved "
                        "with (input shape, latent_dim, hidden units)."
                    )
        return super().load_weights(filepath, skip_mismatch=skip_mismatch, **kwargs)
