"""The whole semi-supervised job in one call: pretrain on all rows, fine-tune on the labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from vaekit._validation import check_array
from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE
from vaekit.semi_supervised.finetune import finetune as _finetune_stage
from vaekit.semi_supervised.labels import check_semi_supervised_labels
from vaekit.semi_supervised.pretrain import pretrain_vae


@dataclass
class SemiSupervisedResult:
    """What :func:`pretrain_then_finetune` returns.

    Attributes
    ----------
    vae : VAE
        The pretrained VAE (unchanged by fine-tuning).
    classifier : SemiSupervisedClassifier
        The fine-tuned encoder and head.
    pretrain_history, finetune_history : dict
        Per-epoch logs of each stage.
    """

    vae: VAE
    classifier: SemiSupervisedClassifier
    pretrain_history: dict = field(default_factory=dict)
    finetune_history: dict = field(default_factory=dict)


def pretrain_then_finetune(x, y, *, pretrain: PretrainConfig | None = None,
                           finetune: FinetuneConfig | None = None,
                           recipe: FinetuneRecipe | None = None,
                           seed: int = 0, verbose: int = 0) -> SemiSupervisedResult:
    """The whole semi-supervised job: pretrain a VAE on all ``x``, fine-tune on the labels.

    Parameters
    ----------
    x : array-like
        All training rows, shape ``(n, *sample_shape)``.
    y : array-like of int
        Class index per row, ``-1`` for unlabeled rows (scikit-learn's
        convention).
    pretrain : PretrainConfig, optional
        Pretraining settings.
    finetune : FinetuneConfig, optional
        Fine-tuning schedule.
    recipe : FinetuneRecipe, optional
        Fine-tuning objective (the classifier keeps it).
    seed : int, default=0
        Seed of both stages.
    verbose : int, default=0
        Keras progress output.

    Returns
    -------
    SemiSupervisedResult

    Examples
    --------
    >>> import numpy as np, vaekit
    >>> from vaekit.data import load_digits, labelled_subset, hide_labels
    >>> data = load_digits()                                     # doctest: +SKIP
    >>> keep = labelled_subset(data.train.y, per_class=10, seed=0)  # doctest: +SKIP
    >>> y = hide_labels(data.train.y, keep)                      # doctest: +SKIP
    >>> result = vaekit.pretrain_then_finetune(data.train.x, y)  # doctest: +SKIP
    >>> result.classifier.predict_classes(data.test.x)           # doctest: +SKIP
    """
    x = check_array("x", x)
    y = check_semi_supervised_labels(y, len(x))
    vae, pretrain_history = pretrain_vae(x, pretrain, seed=seed, verbose=verbose)
    classifier, finetune_history = _finetune_stage(vae, x, y, finetune, recipe=recipe,
                                                   seed=seed, verbose=verbose)
    return SemiSupervisedResult(vae, classifier, pretrain_history, finetune_history)
