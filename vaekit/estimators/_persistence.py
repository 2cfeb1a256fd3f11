"""Fitted estimators as zip files of ``.keras`` models and JSON: shareable without pickle.

``estimator.save("clf.zip")`` writes one zip archive holding

- ``estimator.json``: the class name, the parameters (``get_params``), the
  fitted attributes (``classes_``, ``n_features_in_``, ``feature_names_in_``,
  ``history_``, ...) and the versions that wrote it;
- one ``<attribute>.keras`` file per fitted Keras model (``vae_.keras``,
  ``model_.keras``), lean by default (no optimizer state).

``VAEClassifier.load("clf.zip")`` (or :func:`load_estimator`) reads it back.
Loading runs no code from the file: the JSON holds only numbers, strings,
lists and arrays, the class is looked up among vaekit's estimators by name,
and the models load in Keras' safe mode. A pickle, by contrast, runs whatever
code it names when loaded.
"""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any

import keras
import numpy as np

from vaekit.files import write_bytes
from vaekit.keras_files import check_save_destination, model_from_bytes, model_to_bytes

__all__ = ["load_estimator", "save_estimator"]

#: Name of the JSON member, and the format tag and version it carries.
STATE_MEMBER = "estimator.json"
FORMAT = "vaekit-estimator"
FORMAT_VERSION = 1
#: Private attributes that are fitted state (and may be set when loading).
PRIVATE_STATE = ("_fitted_structure", "_sklearn_output_config")
#: The JSON member is small (parameters, histories); anything larger is refused.
MAX_STATE_BYTES = 64 * 2**20


def save_estimator(estimator, path: str | os.PathLike[str], *,
                   include_optimizer: bool = False) -> Path:
    """Write a fitted vaekit estimator to a ``.zip`` file (see the module docstring).

    Parameters
    ----------
    estimator : VAETransformer or VAEClassifier
        A fitted estimator.
    path : str or path-like
        Destination ending in ``.zip``; its folder must exist.
    include_optimizer : bool, default=False
        Keep the optimizer's state in the models, so that ``warm_start=True``
        continues training after loading. The default file is about a third
        the size and can be used for everything else.

    Returns
    -------
    pathlib.Path
    """
    from sklearn.utils.validation import check_is_fitted

    check_is_fitted(estimator)
    path = check_save_destination(path, suffix=".zip",
                                  what=f"a {type(estimator).__name__}")
    state = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "versions": _versions(),
        "params": _encode(estimator.get_params(deep=False), "params"),
        "attributes": {
            name: _encode(value, name) for name, value in _fitted_state(estimator).items()
        },
        "models": list(_models(estimator)),
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(STATE_MEMBER, json.dumps(state, indent=1))
        for name, model in _models(estimator).items():
            # .keras archives are zips of compressed data already: store them as they are.
            archive.writestr(f"{name}.keras",
                             model_to_bytes(model, include_optimizer=include_optimizer),
                             compress_type=zipfile.ZIP_STORED)
    return write_bytes(path, buffer.getvalue())


def load_estimator(path: str | os.PathLike[str], *, expected: type | None = None,
                   safe_mode: bool = True):
    """Read an estimator written by :func:`save_estimator`.

    Parameters
    ----------
    path : str or path-like
        The ``.zip`` file.
    expected : type, optional
        The estimator class the file must hold; another raises ``ValueError``.
    safe_mode : bool, default=True
        Load the Keras models in Keras' safe mode, which refuses Python code
        stored in them. Pass ``False`` only for a file you trust.

    Returns
    -------
    VAETransformer or VAEClassifier
        Fitted, ready for ``transform``/``predict``.

    Raises
    ------
    FileNotFoundError
        If there is no such file.
    ValueError
        If the file is truncated, damaged, not a vaekit estimator file, from a
        newer format, or holds another class than ``expected``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file.")
    if not zipfile.is_zipfile(path):
        raise ValueError(
            f"{path}: not a vaekit estimator file: it is not a zip archive, so it was cut "
            f"short (an interrupted copy or download; {path.stat().st_size} bytes) or is "
            "another format. Copy or save it again."
        )
    with zipfile.ZipFile(path) as archive:
        state = _read_state(archive, path)
        cls = _estimator_class(state, path, expected)
        estimator = cls(**_decode(state["params"]))
        unknown = set(state["params"]) - set(estimator.get_params(deep=False))
        if unknown:
            raise ValueError(f"{path}: unknown parameters {sorted(unknown)} for {cls.__name__}.")
        for name, value in state["attributes"].items():
            if not _is_state_name(name) or name in cls._keras_models:
                raise ValueError(f"{path}: {name!r} is not a fitted attribute of "
                                 f"{cls.__name__}; the file was not written by vaekit.")
            setattr(estimator, name, _decode(value))
        if sorted(state["models"]) != sorted(cls._keras_models):
            raise ValueError(f"{path}: holds the models {state['models']}, but a "
                             f"{cls.__name__} has {list(cls._keras_models)}.")
        for name in cls._keras_models:
            member = f"{name}.keras"
            try:
                data = archive.read(member)
            except KeyError:
                raise ValueError(f"{path}: {member} is missing from the archive.") from None
            setattr(estimator, name, model_from_bytes(data, safe_mode=safe_mode,
                                                      source=f"{path}:{member}"))
    for name, (owner, attribute) in cls._keras_parts.items():
        setattr(estimator, name, getattr(getattr(estimator, owner), attribute))
    return estimator


# --------------------------------------------------------------------- reading
def _read_state(archive: zipfile.ZipFile, path: Path) -> dict:
    try:
        info = archive.getinfo(STATE_MEMBER)
    except KeyError:
        raise ValueError(
            f"{path}: a zip archive but not a vaekit estimator file (no {STATE_MEMBER}); "
            "a Keras model file ends in .keras and loads with vaekit.load_model."
        ) from None
    if info.file_size > MAX_STATE_BYTES:
        raise ValueError(f"{path}: {STATE_MEMBER} is {info.file_size} bytes, more than an "
                         "estimator's state can be; the file was not written by vaekit.")
    try:
        state = json.loads(archive.read(info))
    except (zipfile.BadZipFile, ValueError) as err:
        raise ValueError(f"{path}: {STATE_MEMBER} is damaged ({err}); save it again.") from err
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise ValueError(f"{path}: {STATE_MEMBER} is not a vaekit estimator's state.")
    if state.get("format_version") != FORMAT_VERSION:
        raise ValueError(
            f"{path}: written in format version {state.get('format_version')!r} (by vaekit "
            f"{state.get('versions', {}).get('vaekit')}); this vaekit reads version "
            f"{FORMAT_VERSION}. Load it with the vaekit version that wrote it."
        )
    return state


def _estimator_class(state: dict, path: Path, expected: type | None) -> type:
    from vaekit.estimators.classifier import VAEClassifier
    from vaekit.estimators.transformer import VAETransformer

    classes = {cls.__name__: cls for cls in (VAETransformer, VAEClassifier)}
    name = state.get("class")
    if name not in classes:
        raise ValueError(f"{path}: holds a {name!r}; vaekit estimator files hold one of "
                         f"{sorted(classes)}.")
    cls = classes[name]
    if expected is not None and not issubclass(cls, expected):
        raise ValueError(f"{path}: holds a {name}, not a {expected.__name__}; load it with "
                         f"{name}.load.")
    return cls


# --------------------------------------------------------------------- state
def _versions() -> dict:
    import sklearn

    import vaekit

    return {"vaekit": vaekit.__version__, "keras": keras.__version__,
            "scikit-learn": sklearn.__version__, "backend": keras.backend.backend()}


def _is_state_name(name: str) -> bool:
    return name in PRIVATE_STATE or (
        name.isidentifier() and name.endswith("_") and not name.startswith("_"))


def _models(estimator) -> dict[str, keras.Model]:
    return {name: getattr(estimator, name) for name in estimator._keras_models}


def _fitted_state(estimator) -> dict[str, Any]:
    """Every fitted attribute but the Keras models and their parts."""
    skip = set(estimator._keras_models) | set(estimator._keras_parts)
    return {name: value for name, value in vars(estimator).items()
            if _is_state_name(name) and name not in skip}


def _encode(value, name: str):
    """``value`` as JSON data; tuples, arrays and random states tagged so they come back."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, np.generic):
        return value
    if isinstance(value, np.random.RandomState):
        kind, keys, pos, has_gauss, gauss = value.get_state()
        return {"__random_state__": [kind, keys.tolist(), pos, has_gauss, gauss]}
    if isinstance(value, (np.ndarray, np.generic)):
        if value.dtype.kind not in "biufUO":
            raise TypeError(f"cannot save {name}: arrays of dtype {value.dtype} are not "
                            "supported.")
        items = value.tolist()
        if value.dtype.kind == "O":
            if value.ndim != 1:
                raise TypeError(f"cannot save {name}: object arrays must be 1-D.")
            items = _encode(items, name)
        return {"__ndarray__": items, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, name) for v in value]}
    if isinstance(value, list):
        return [_encode(v, name) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"cannot save {name}: dictionary keys must be strings.")
        if any(k.startswith("__") for k in value):
            raise TypeError(f"cannot save {name}: keys starting with '__' are reserved.")
        return {k: _encode(v, f"{name}[{k!r}]") for k, v in value.items()}
    raise TypeError(
        f"cannot save {name}: a {type(value).__name__} has no JSON form; vaekit's estimator "
        "files hold numbers, strings, lists, tuples, dicts and NumPy arrays."
    )


def _decode(value):
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "__tuple__" in value:
        return tuple(_decode(v) for v in value["__tuple__"])
    if "__ndarray__" in value:
        dtype = np.dtype(value["dtype"])
        items = value["__ndarray__"]
        if dtype.kind == "O":
            array = np.empty(len(items), dtype=object)
            for index, item in enumerate(_decode(items)):
                array[index] = item
            return array
        array = np.asarray(items, dtype=dtype).reshape(value["shape"])
        return array[()] if not value["shape"] else array
    if "__random_state__" in value:
        kind, keys, pos, has_gauss, gauss = value["__random_state__"]
        state = np.random.RandomState()
        state.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, gauss))
        return state
    return {k: _decode(v) for k, v in value.items()}
