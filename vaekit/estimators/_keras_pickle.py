"""Keras models inside pickles: in-memory ``.keras`` archives.

The estimators' own ``__getstate__``/``__setstate__``
(:class:`~vaekit.estimators._base.BaseVAEEstimator`) swap each fitted Keras
model for a :class:`_KerasArchive` of its bytes and back; ``keras.Model``
itself is never patched.
"""

from __future__ import annotations

import os
import tempfile

import keras


def model_to_bytes(model: keras.Model) -> bytes:
    """Serialise a Keras model, weights and optimizer state included, to ``.keras`` bytes.

    Parameters
    ----------
    model : keras.Model
        Any model :func:`keras.saving.save_model` can write.

    Returns
    -------
    bytes
        The content of the ``.keras`` (zip) archive.
    """
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as handle:
            return handle.read()


def model_from_bytes(data: bytes) -> keras.Model:
    """Load a model written by :func:`model_to_bytes`.

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive.

    Returns
    -------
    keras.Model
    """
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        with open(path, "wb") as handle:
            handle.write(data)
        return keras.saving.load_model(path)


class _KerasArchive:
    """A Keras model inside a pickle: the bytes of its ``.keras`` archive.

    A small class rather than bare bytes, so that ``__setstate__`` knows what to load.
    """

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __getstate__(self):
        return self.data

    def __setstate__(self, data):
        self.data = data
