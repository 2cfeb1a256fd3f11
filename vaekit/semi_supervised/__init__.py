"""Semi-supervised learning: pretrain a VAE on all data, fine-tune jointly on few labels."""

from vaekit.semi_supervised.augment import Augmenter
from vaekit.semi_supervised.classifier import SemiSupervisedClassifier, build_head
from vaekit.semi_supervised.labels import check_semi_supervised_labels
from vaekit.semi_supervised.training import (
    EncoderFreeze,
    JointBatches,
    SemiSupervisedResult,
    finetune,
    pretrain_then_finetune,
    pretrain_vae,
)

__all__ = [
    "Augmenter",
    "EncoderFreeze",
    "JointBatches",
    "SemiSupervisedClassifier",
    "SemiSupervisedResult",
    "build_head",
    "check_semi_supervised_labels",
    "finetune",
    "pretrain_then_finetune",
    "pretrain_vae",
]
