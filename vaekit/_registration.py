"""Register vaekit's Keras classes as soon as Keras is loaded, without loading it early.

``import vaekit`` imports no Keras (so the ``vaekit`` command starts fast and
picks the backend before one is imported), yet ``import vaekit, keras;
keras.models.load_model("vae.keras")`` must find vaekit's registered classes.
So ``import vaekit`` either registers them at once, when Keras is already
loaded, or puts a finder on :data:`sys.meta_path` that notices when Keras has
been imported and, once no vaekit or Keras module is still executing (an import
of a vaekit module may be what pulled Keras in), imports the modules that
``import vaekit`` used to import. Then the finder removes itself.
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import threading
from collections.abc import Iterable

__all__ = ["register_when_keras_loads"]

_state = threading.local()


def _executing() -> list[str]:
    if not hasattr(_state, "stack"):
        _state.stack = []
    return _state.stack


class _RegisterAfterKeras(importlib.abc.MetaPathFinder):
    """Wraps the loading of ``keras`` and ``vaekit.*`` to register once both are done."""

    def __init__(self, modules: Iterable[str]) -> None:
        self.modules = tuple(modules)
        self.done = False

    def find_spec(self, fullname, path, target=None):  # noqa: D102 - importlib protocol
        if fullname != "keras" and not fullname.startswith("vaekit."):
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            _executing().append(fullname)
            try:
                run(module)
            finally:
                _executing().pop()
            self._register_if_ready()

        loader.exec_module = exec_module  # this spec's own loader object, not a shared one
        return spec

    def _register_if_ready(self) -> None:
        if self.done or _executing() or "keras" not in sys.modules:
            return
        self.done = True
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        for name in self.modules:
            importlib.import_module(name)


def register_when_keras_loads(modules: Iterable[str]) -> None:
    """Import ``modules`` (which register Keras classes) now or right after Keras loads.

    Parameters
    ----------
    modules : iterable of str
        The vaekit modules whose import registers its Keras layers and models.
    """
    modules = tuple(dict.fromkeys(modules))
    if "keras" in sys.modules:
        for name in modules:
            importlib.import_module(name)
        return
    if not any(isinstance(f, _RegisterAfterKeras) for f in sys.meta_path):
        sys.meta_path.insert(0, _RegisterAfterKeras(modules))
