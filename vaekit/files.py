"""Atomic file writes: every file is written under a temporary name, then renamed.

A process killed at any moment (``SIGKILL`` included) leaves either the old file,
the new file, or no file at the destination, never a half-written one. The
temporary files sit next to their destination (so the rename stays on one file
system) and are named ``.<name>.tmp-<random><suffix>``; a killed writer may
leave one behind, and :func:`remove_stale_temporaries` clears them.

JSON, CSV and YAML files are written through these functions by
:mod:`vaekit.file_formats`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "TEMPORARY_MARKER",
    "atomic_path",
    "remove_stale_temporaries",
    "save_keras_model",
    "write_bytes",
    "write_text",
]

#: Part of the name of every temporary file made by :func:`atomic_path`.
TEMPORARY_MARKER = ".tmp-"


def _full_suffix(path: Path) -> str:
    # ".weights.h5" and ".keras" must survive: Keras checks the ending of the name.
    return "".join(path.suffixes[-2:]) if path.name.endswith(".weights.h5") else path.suffix


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path to write to; rename it to ``path`` if the block succeeds.

    The temporary file is in the destination folder and keeps the destination's
    suffix, so writers that check the file ending (``keras.Model.save`` wants
    ``.keras``, matplotlib picks the format from it) work unchanged. If the block
    raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The final destination. Its parent folders are created.

    Yields
    ------
    pathlib.Path
        Where to write.

    Examples
    --------
    >>> with atomic_path("out/model.keras") as tmp:  # doctest: +SKIP
    ...     model.save(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{path.name}{TEMPORARY_MARKER}", suffix=_full_suffix(path), dir=path.parent
    )
    os.close(handle)
    tmp = Path(name)
    try:
        yield tmp
        _fsync(tmp)
        os.chmod(tmp, _file_mode())  # mkstemp makes 0600; give the usual umask mode
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@functools.lru_cache(maxsize=1)
def _file_mode() -> int:
    """Mode of a newly created file under the process umask (0o644 for umask 022)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        Destination.
    data : bytes
        Content.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically.

    Parameters
    ----------
    path : str or path-like
        Destination.
    text : str
        Content.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    return write_bytes(path, text.encode("utf-8"))


def save_keras_model(model, path: str | os.PathLike[str], *,
                     include_optimizer: bool = False) -> Path:
    """Save a Keras model as a ``.keras`` file atomically, creating its folder.

    The finished-model file of vaekit's runner and estimators: lean by
    default (see :func:`vaekit.keras_files.save_model`).

    Parameters
    ----------
    model : keras.Model
        The model to save.
    path : str or path-like
        Destination; must end in ``.keras``. Missing parent folders are created.
    include_optimizer : bool, default=False
        Keep the optimizer's variables and compile settings, for code that
        continues training the loaded model with the same optimizer state.

    Returns
    -------
    pathlib.Path
        The destination.

    Raises
    ------
    ValueError
        If ``path`` does not end in ``.keras``.
    """
    from vaekit.keras_files import save_model

    return save_model(model, path, include_optimizer=include_optimizer, create_folder=True)


def remove_stale_temporaries(directory: str | os.PathLike[str]) -> list[Path]:
    """Delete temporary files and folders that a killed writer left under ``directory``.

    Only entries whose name starts with a dot and contains :data:`TEMPORARY_MARKER`
    (the names :func:`atomic_path` makes, and staging folders named the same way)
    are removed.

    Parameters
    ----------
    directory : str or path-like
        Folder searched recursively; a missing folder is fine.

    Returns
    -------
    list of pathlib.Path
        The files and folders removed.
    """
    import shutil

    root = Path(directory)
    if not root.is_dir():
        return []
    removed = []
    for candidate in sorted(root.rglob(f".*{TEMPORARY_MARKER}*")):
        if any(parent in removed for parent in candidate.parents):
            continue
        if candidate.is_dir():
            shutil.rmtree(candidate)
        elif candidate.exists():
            candidate.unlink()
        else:
            continue
        removed.append(candidate)
    return removed
