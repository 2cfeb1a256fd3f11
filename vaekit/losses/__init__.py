"""Losses: reconstruction by name, the KL term, and the fine-tuning objective's terms."""

from vaekit.losses.finetune_objective import (
    classification_loss,
    consistency_loss,
    cross_entropy,
    mixed_class_weights,
    mixup_targets,
    pseudo_label_loss,
    soft_target_loss,
    vae_loss,
)
from vaekit.losses.kl import kl_loss, kl_per_dimension
from vaekit.losses.reconstruction import (
    OUTPUT_ACTIVATIONS,
    RECONSTRUCTION_LOSSES,
    bernoulli_reconstruction,
    get_reconstruction_loss,
    l2_reconstruction,
)

__all__ = [
    "OUTPUT_ACTIVATIONS",
    "RECONSTRUCTION_LOSSES",
    "bernoulli_reconstruction",
    "classification_loss",
    "consistency_loss",
    "cross_entropy",
    "get_reconstruction_loss",
    "kl_loss",
    "kl_per_dimension",
    "l2_reconstruction",
    "mixed_class_weights",
    "mixup_targets",
    "pseudo_label_loss",
    "soft_target_loss",
    "vae_loss",
]
