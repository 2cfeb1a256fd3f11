"""Semi-supervised learning: pretrain a VAE on all data, fine-tune jointly on few labels.

Where things are:

* the objective: :meth:`vaekit.SemiSupervisedClassifier.compute_loss` in
  ``vaekit/models/semi_supervised_classifier.py`` (one method per term), the
  terms themselves in ``vaekit/losses/finetune_objective.py``;
* what it optimises: :class:`vaekit.FinetuneRecipe` (``vaekit/config/recipe.py``);
  how long: :class:`vaekit.FinetuneConfig` (``vaekit/config/finetune.py``);
* the loops: :func:`pretrain_vae` (``pretrain.py``), :func:`finetune`
  (``finetune.py``), :func:`pretrain_then_finetune` (``workflow.py``);
* their parts: :class:`JointBatches` (``joint_batches.py``), label propagation
  (``propagation.py``), early stopping on averaged weights
  (``averaged_weights.py``), warm start (``warm_start.py``).
"""

from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.semi_supervised.averaged_weights import KeepBestWeights
from vaekit.semi_supervised.finetune import finetune
from vaekit.semi_supervised.joint_batches import JointBatches
from vaekit.semi_supervised.labels import check_semi_supervised_labels
from vaekit.semi_supervised.pretrain import pretrain_vae
from vaekit.semi_supervised.propagation import LabelPropagationRefresh, propagate_labels
from vaekit.semi_supervised.workflow import SemiSupervisedResult, pretrain_then_finetune

__all__ = [
    "JointBatches",
    "KeepBestWeights",
    "LabelPropagationRefresh",
    "SemiSupervisedClassifier",
    "SemiSupervisedResult",
    "check_semi_supervised_labels",
    "finetune",
    "pretrain_then_finetune",
    "pretrain_vae",
    "propagate_labels",
]
