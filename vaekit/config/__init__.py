"""Typed settings; every default lives here, once.

* :class:`PretrainConfig`: the VAE and how it is pretrained.
* :class:`FinetuneRecipe`: what the joint fine-tune optimises (kept by the model).
* :class:`FinetuneConfig`: how long and how fast the fine-tune trains.
* :class:`Schedule`: what ``epochs``/``steps`` resolve to for a data set.

Pipeline files and the scikit-learn wrappers are parsed into these dataclasses,
so a field added here is available everywhere. Importing this package does not
import Keras.
"""

from vaekit.config.data_kind import is_image_shape, is_pixel_data
from vaekit.config.finetune import FinetuneConfig
from vaekit.config.pretrain import ARCHITECTURE_NAMES, RECONSTRUCTIONS, PretrainConfig
from vaekit.config.recipe import AUGMENTATIONS, FinetuneRecipe
from vaekit.config.schedule import Schedule, resolve_schedule

__all__ = [
    "ARCHITECTURE_NAMES",
    "AUGMENTATIONS",
    "RECONSTRUCTIONS",
    "FinetuneConfig",
    "FinetuneRecipe",
    "PretrainConfig",
    "Schedule",
    "is_image_shape",
    "is_pixel_data",
    "resolve_schedule",
]
