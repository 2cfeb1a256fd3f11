"""vaekit: variational autoencoders that turn unlabeled data into useful features.

Importing vaekit registers its Keras layers and models, so ``.keras`` files it
saved load with plain :func:`keras.models.load_model`. The public names are
loaded on first use (PEP 562 module ``__getattr__``), so ``import vaekit`` and
the ``vaekit`` command's ``--help``, ``--version`` and ``validate`` do not
import Keras or a backend; the first name that needs Keras imports it, and
with it vaekit's layers and models, which registers them.
"""

from __future__ import annotations

import importlib
import importlib.util

from vaekit._registration import register_when_keras_loads
from vaekit._version import __version__

#: Where each public name lives; imported on first access.
_PUBLIC = {
    "FinetuneConfig": "vaekit.config",
    "FinetuneRecipe": "vaekit.config",
    "PretrainConfig": "vaekit.config",
    "VAEClassifier": "vaekit.estimators",
    "VAETransformer": "vaekit.estimators",
    "KLDivergence": "vaekit.layers",
    "Sampling": "vaekit.layers",
    "VAE": "vaekit.models",
    "AutoEncoder": "vaekit.models",
    "build_autoencoder": "vaekit.models",
    "build_vae": "vaekit.models",
    "SemiSupervisedClassifier": "vaekit.semi_supervised",
    "SemiSupervisedResult": "vaekit.semi_supervised",
    "finetune": "vaekit.semi_supervised",
    "pretrain_then_finetune": "vaekit.semi_supervised",
    "pretrain_vae": "vaekit.semi_supervised",
    "encode_to_parquet": "vaekit.encoding",
    "load_model": "vaekit.keras_files",
    "save_model": "vaekit.keras_files",
    "BetaWarmup": "vaekit.training",
    "StopOnNonFiniteLoss": "vaekit.training",
    "TrainingDivergedError": "vaekit.training",
}

__all__ = [
    "VAE",
    "AutoEncoder",
    "BetaWarmup",
    "FinetuneConfig",
    "FinetuneRecipe",
    "PretrainConfig",
    "SemiSupervisedClassifier",
    "SemiSupervisedResult",
    "KLDivergence",
    "Sampling",
    "StopOnNonFiniteLoss",
    "TrainingDivergedError",
    "VAEClassifier",
    "VAETransformer",
    "__version__",
    "build_autoencoder",
    "build_vae",
    "encode_to_parquet",
    "finetune",
    "load_model",
    "pretrain_then_finetune",
    "pretrain_vae",
    "save_model",
]


def __getattr__(name: str):
    """Import the public ``name`` (or the subpackage ``vaekit.<name>``) on first access."""
    module = _PUBLIC.get(name)
    if module is None:
        if not name.startswith("_") and importlib.util.find_spec(f"{__name__}.{name}"):
            return importlib.import_module(f"{__name__}.{name}")  # e.g. vaekit.data
        raise AttributeError(f"module 'vaekit' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})


# What ``import vaekit`` loaded before its names became lazy; importing these
# registers vaekit's Keras classes, now or as soon as Keras is imported.
register_when_keras_loads(_PUBLIC.values())
