"""vaekit: variational autoencoders that turn unlabeled data into useful features.

Importing vaekit registers its Keras layers and models, so ``.keras`` files it
saved load with plain :func:`keras.models.load_model`.
"""

from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.estimators import VAEClassifier, VAETransformer
from vaekit.layers import KLDivergence, Sampling
from vaekit.models import VAE, AutoEncoder, build_autoencoder, build_vae
from vaekit.semi_supervised import (
    SemiSupervisedClassifier,
    SemiSupervisedResult,
    finetune,
    pretrain_then_finetune,
    pretrain_vae,
)
from vaekit.training import BetaWarmup, StopOnNonFiniteLoss, TrainingDivergedError

__version__ = "0.1.0"

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
    "build_autoencoder",
    "build_vae",
    "finetune",
    "pretrain_then_finetune",
    "pretrain_vae",
]
