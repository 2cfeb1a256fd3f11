"""``keras``, imported on first use.

Modules that only *describe* models until one is built (the builders, whose
option names and types ``vaekit validate`` reads) take ``keras`` from here, so
that reading them imports no backend. ``keras.layers.Dense`` and
``isinstance(x, keras.Model)`` work as with the real module: the first attribute
looked up imports Keras.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["keras"]


class _LazyKeras:
    """Stands in for the ``keras`` module; imports it at the first attribute lookup."""

    def __getattr__(self, name: str) -> Any:
        return getattr(importlib.import_module("keras"), name)

    def __repr__(self) -> str:
        return "<keras, imported on first use>"


keras = _LazyKeras()
