"""``.keras`` files: lean saving without the optimizer state, safe loading with clear errors.

Keras 3 always writes the optimizer's variables into a ``.keras`` file of a
compiled model (``include_optimizer`` is ignored for that format); Adam keeps
two moments per weight, so they are two thirds of the file, three quarters
with weight averaging. :func:`save_model` writes the *lean* file by default:
the weights and the configuration, without the optimizer's variables and
compile settings. Such a model loads uncompiled, which is all that
``encode``, ``predict`` or fine-tuning a new classifier need; to continue
training the same optimizer, save with ``include_optimizer=True``.

:func:`load_model` checks the file before Keras reads it (a missing,
truncated or foreign file, a class nobody registered, a ``Lambda`` layer
holding Python code) and says in one line what is wrong and what to do.
Loading is always safe by default (Keras' ``safe_mode=True``): a file that
would run Python code stored in it is refused unless the caller says it is
trusted.

Keras only imports modules of its own packages (``keras``, ``keras_hub``, ...)
while loading, never the module a configuration names, so a vaekit file cannot
make Keras import vaekit: ``import vaekit`` first, which registers its layers
and models, then plain :func:`keras.models.load_model` works too.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import keras

from vaekit.files import write_bytes

__all__ = [
    "check_keras_archive",
    "check_save_destination",
    "load_model",
    "model_from_bytes",
    "model_to_bytes",
    "save_model",
]

#: Members every ``.keras`` archive holds (Keras' ``saving_lib`` names).
_CONFIG_MEMBER = "config.json"
_WEIGHTS_MEMBER = "model.weights.h5"
#: The weights group of a compiled model's optimizer (its attribute name).
_OPTIMIZER_GROUP = "optimizer"
#: Top-level packages whose classes Keras finds without registration.
_KERAS_PACKAGES = {"keras", "keras_hub", "keras_cv", "keras_nlp", "builtins"}
_TRUST_HINT = (
    "If you trust the file (you made it, or it comes from a source you trust), "
    "pass safe_mode=False."
)


# --------------------------------------------------------------------- saving
def check_save_destination(path: str | os.PathLike[str], *, create_folder: bool = False,
                           suffix: str = ".keras", what: str = "a Keras model") -> Path:
    """Check that ``path`` ends in ``suffix`` and that its folder exists (or create it).

    Parameters
    ----------
    path : str or path-like
        Where the file will be written.
    create_folder : bool, default=False
        Create missing parent folders instead of refusing them.
    suffix : str, default=".keras"
        The ending the file name must have.
    what : str, default="a Keras model"
        What is saved, for the error messages.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ValueError
        If the name does not end in ``suffix`` (``.h5``, Keras 2's format,
        cannot hold vaekit's models).
    FileNotFoundError
        If the folder does not exist and ``create_folder`` is False.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}.")
    path = Path(path)
    if not path.name.endswith(suffix):
        legacy = (" (.h5 is Keras 2's format, which cannot store vaekit's models)"
                  if path.suffix in (".h5", ".hdf5") else "")
        raise ValueError(
            f"{path}: the file of {what} must end in {suffix}{legacy}; save to "
            f"{str(path.with_suffix('')) + suffix!r} instead."
        )
    if not path.parent.is_dir():
        if create_folder:
            path.parent.mkdir(parents=True, exist_ok=True)
        else:
            raise FileNotFoundError(
                f"{path}: the folder {str(path.parent)!r} does not exist; create it first "
                f"(os.makedirs({str(path.parent)!r}, exist_ok=True)) or save elsewhere."
            )
    return path


def save_model(model: keras.Model, path: str | os.PathLike[str], *,
               include_optimizer: bool = False, create_folder: bool = False) -> Path:
    """Save ``model`` as a ``.keras`` file, atomically; lean (no optimizer state) by default.

    Parameters
    ----------
    model : keras.Model
        The model.
    path : str or path-like
        Destination, ending in ``.keras``.
    include_optimizer : bool, default=False
        Keep the optimizer's variables and compile settings, so that training
        can continue with the same optimizer state after loading. The default
        leaves them out: the file is about a third of the size, and the model
        loads uncompiled (``model.compile(...)`` before training it again).
    create_folder : bool, default=False
        Create a missing destination folder instead of refusing it.

    Returns
    -------
    pathlib.Path
        The destination.

    Examples
    --------
    >>> vaekit.keras_files.save_model(vae, "vae.keras")  # doctest: +SKIP
    >>> vaekit.load_model("vae.keras").encode(x)          # doctest: +SKIP
    """
    path = check_save_destination(path, create_folder=create_folder)
    return write_bytes(path, model_to_bytes(model, include_optimizer=include_optimizer))


def model_to_bytes(model: keras.Model, *, include_optimizer: bool = False) -> bytes:
    """The content of ``model``'s ``.keras`` file; lean (no optimizer state) by default.

    Parameters
    ----------
    model : keras.Model
        Any model :func:`keras.saving.save_model` can write.
    include_optimizer : bool, default=False
        Keep the optimizer's variables and compile settings (see :func:`save_model`).

    Returns
    -------
    bytes
        A ``.keras`` (zip) archive.
    """
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        keras.saving.save_model(model, path)
        with open(path, "rb") as handle:
            data = handle.read()
    if include_optimizer or getattr(model, "optimizer", None) is None:
        return data
    return _without_optimizer(data)


def _without_optimizer(data: bytes) -> bytes:
    """A ``.keras`` archive without the optimizer's weights group and compile settings."""
    import h5py

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == _CONFIG_MEMBER:
                config = json.loads(content)
                config["compile_config"] = None
                content = json.dumps(config).encode("utf-8")
            elif info.filename == _WEIGHTS_MEMBER:
                lean = io.BytesIO()
                with h5py.File(io.BytesIO(content), "r") as full, h5py.File(lean, "w") as copy:
                    for key, value in full.attrs.items():
                        copy.attrs[key] = value
                    for name in full:
                        if name != _OPTIMIZER_GROUP:
                            full.copy(full[name], copy, name=name)
                content = lean.getvalue()
            target.writestr(info, content)
    return out.getvalue()


# --------------------------------------------------------------------- loading
def check_keras_archive(path: str | os.PathLike[str]) -> Path:
    """Check that ``path`` is a whole ``.keras`` archive, before Keras opens it.

    Parameters
    ----------
    path : str or path-like
        The file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the name does not end in ``.keras``, or the file is truncated,
        damaged or not a Keras model file.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or path-like, got {type(path).__name__}.")
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file.")
    if path.is_dir() or not path.name.endswith(".keras"):
        raise ValueError(
            f"{path}: expected a .keras file (Keras 3's model format); "
            f"{'this is a folder' if path.is_dir() else 'the name does not end in .keras'}."
        )
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path}: not a readable .keras file: it is not a zip archive, so it was cut "
            f"short (an interrupted copy, download or save; {path.stat().st_size} bytes) or "
            "is another format. Copy or save it again."
        )
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        if _CONFIG_MEMBER not in names or not names & {_WEIGHTS_MEMBER, "model.weights.npz"}:
            raise ValueError(
                f"{path}: a zip archive but not a Keras model file (it holds "
                f"{sorted(names)[:5]}; a .keras file holds config.json and model.weights.h5)."
            )
        damaged = archive.testzip()
    if damaged is not None:
        raise ValueError(
            f"{path}: the .keras file is damaged ({damaged!r} fails its checksum); copy or "
            "save it again."
        )
    return path


def load_model(path: str | os.PathLike[str], *, compile: bool = True,
               safe_mode: bool = True, custom_objects: dict | None = None) -> keras.Model:
    """Load a ``.keras`` file, checked first, safely by default.

    Like :func:`keras.models.load_model`, with one-line errors for what goes
    wrong most: a missing, truncated or foreign file, a class that is not
    registered, a ``Lambda`` layer that would run Python code from the file.

    Parameters
    ----------
    path : str or path-like
        A ``.keras`` file.
    compile : bool, default=True
        Compile the model when the file holds compile settings (files saved
        with ``include_optimizer=True`` or by ``keras.Model.save``).
    safe_mode : bool, default=True
        Refuse files that would run Python code stored in them (``Lambda``
        layers with lambdas). Pass ``False`` only for a file you trust.
    custom_objects : dict, optional
        Classes and functions that are not registered, by name.

    Returns
    -------
    keras.Model

    Raises
    ------
    FileNotFoundError, ValueError
        See :func:`check_keras_archive`; also ``ValueError`` for a ``Lambda``
        layer in safe mode.
    TypeError
        If the file holds classes that are neither Keras' own nor registered.
    """
    path = check_keras_archive(path)
    with zipfile.ZipFile(path) as archive:
        config = json.loads(archive.read(_CONFIG_MEMBER))
    check_model_config(config, str(path), safe_mode=safe_mode, custom_objects=custom_objects)
    return keras.saving.load_model(path, custom_objects=custom_objects, compile=compile,
                                   safe_mode=safe_mode)


def model_from_bytes(data: bytes, *, safe_mode: bool = True, source: str = "archive",
                     custom_objects: dict | None = None) -> keras.Model:
    """Load a model from the content of a ``.keras`` file (see :func:`model_to_bytes`).

    Parameters
    ----------
    data : bytes
        A ``.keras`` archive.
    safe_mode : bool, default=True
        As in :func:`load_model`.
    source : str, default="archive"
        Where the bytes come from, for error messages.
    custom_objects : dict, optional
        As in :func:`load_model`.

    Returns
    -------
    keras.Model
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            config = json.loads(archive.read(_CONFIG_MEMBER))
    except (zipfile.BadZipFile, KeyError) as err:
        raise ValueError(f"{source}: not a whole .keras archive ({err}).") from err
    check_model_config(config, source, safe_mode=safe_mode, custom_objects=custom_objects)
    with tempfile.TemporaryDirectory(prefix="vaekit-") as directory:
        path = os.path.join(directory, "model.keras")
        with open(path, "wb") as handle:
            handle.write(data)
        return keras.saving.load_model(path, custom_objects=custom_objects,
                                       safe_mode=safe_mode)


def check_model_config(config: dict, source: str, *, safe_mode: bool = True,
                       custom_objects: dict | None = None) -> None:
    """Refuse a model configuration Keras could not load, or should not in safe mode.

    Parameters
    ----------
    config : dict
        The content of a ``.keras`` file's ``config.json``.
    source : str
        The file, for error messages.
    safe_mode : bool, default=True
        Also refuse Python lambdas stored in the file.
    custom_objects : dict, optional
        Classes and functions known by name besides the registered ones.

    Raises
    ------
    TypeError
        If classes are neither Keras' own nor registered.
    ValueError
        If, in safe mode, the file stores Python code (a ``Lambda`` layer's lambda).
    """
    unknown, lambdas = [], []
    for item, owner in _objects(config, None):
        if item.get("class_name") == "__lambda__":
            lambdas.append(owner.get("config", {}).get("name") if owner else None)
            continue
        module, class_name = item.get("module") or "", item["class_name"]
        if class_name.startswith("__") or module.split(".", 1)[0] in _KERAS_PACKAGES:
            continue  # Keras' own classes and markers (__keras_tensor__, __tuple__, ...)
        name = item.get("registered_name") or class_name
        if (keras.saving.get_registered_object(name, custom_objects) is None
                and keras.saving.get_registered_object(class_name, custom_objects) is None):
            unknown.append(f"{module}.{class_name}" if module else name)
    if unknown:
        names = sorted(set(unknown))
        vaekit_hint = (" For vaekit's classes, import vaekit first (this version of "
                       "vaekit does not define them all: the file may come from a newer one)."
                       if any(n.startswith("vaekit.") for n in names) else "")
        raise TypeError(
            f"{source}: the file holds classes that are not registered with Keras: "
            f"{', '.join(names)}. Import the package that defines them (it registers them) "
            f"or pass custom_objects={{name: class}}; only do so for a file you trust, since "
            f"their code runs while loading.{vaekit_hint}"
        )
    if lambdas and safe_mode:
        layers = ", ".join(repr(n) for n in lambdas if n) or "a Lambda layer"
        raise ValueError(
            f"{source}: refused to load: the file stores Python code (a lambda in {layers}), "
            "which would run on loading, and loading is safe by default (safe_mode=True). "
            + _TRUST_HINT
        )


def _objects(config, owner) -> Iterator[tuple[dict, dict | None]]:
    """Every serialised object (a dict with ``class_name``) in ``config``, with its owner."""
    if isinstance(config, dict):
        if isinstance(config.get("class_name"), str):
            yield config, owner
            owner = config
        for value in config.values():
            yield from _objects(value, owner)
    elif isinstance(config, list):
        for value in config:
            yield from _objects(value, owner)


# --------------------------------------------------------------------- weights
