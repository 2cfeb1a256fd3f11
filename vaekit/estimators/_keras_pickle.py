"""Keras models inside pickles: in-memory ``.keras`` archives, lean and loaded safely.

The estimators' own ``__getstate__``/``__setstate__``
(:class:`~vaekit.estimators._base.BaseVAEEstimator`) swap each fitted Keras
model for a :class:`_KerasArchive` of its bytes and back; ``keras.Model``
itself is never patched. The archives leave out the optimizer's state (a
third of the size; see :mod:`vaekit.keras_files`) and load with Keras'
``safe_mode``. A pickle still runs code when loaded (that is what pickle
does): load pickles only from sources you trust, and share fitted
estimators with ``save``/``load`` (:mod:`vaekit.estimators._persistence`).
"""

from __future__ import annotations

import keras

from vaekit.keras_files import model_from_bytes as _model_from_bytes
from vaekit.keras_files import model_to_bytes as _model_to_bytes


def model_to_bytes(model: keras.Model) -> bytes:
    """Serialise a Keras model's configuration and weights to lean ``.keras`` bytes.

    Parameters
    ----------
    model : keras.Model
        Any model :func:`keras.saving.save_model` can write.

    Returns
    -------
    bytes
        The content of the ``.keras`` (zip) archive, without optimizer state.
    """
    return _model_to_bytes(model, include_optimizer=False)


def model_from_bytes(data: bytes) -> keras.Model:
    """Load a model written by :func:`model_to_bytes` (in Keras' safe mode).

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive.

    Returns
    -------
    keras.Model
        Uncompiled when the archive is lean.
    """
    return _model_from_bytes(data, source="a pickled vaekit estimator")


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
