"""The whole semi-supervised job in one call: pretrain on all rows, fine-tune on the labels."""

from __future__ import annotations

from dataclasses import dataclass, field

from vaekit._validation import check_array
from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE
from vaekit.distribution import get_distribution
from vaekit.semi_supervised.finetune import check_finetune_distribution
from vaekit.semi_supervised.finetune import finetune as _finetune_stage
from vaekit.semi_supervised.labels import check_semi_supervised_labels
from vaekit.semi_supervised.pretrain import pretrain_vae
from vaekit.streaming.rows import is_dataset


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


def pretrain_then_finetune(x, y=None, *, pretrain: PretrainConfig | None = None,
                           finetune: FinetuneConfig | None = None,
                           recipe: FinetuneRecipe | None = None,
                           seed: int = 0, verbose: int = 0, labelled=None,
                           n_rows: int | None = None,
                           shuffle_buffer: int | None = None,
                           distribution=None) -> SemiSupervisedResult:
    """The whole semi-supervised job: pretrain a VAE on all ``x``, fine-tune on the labels.

    Parameters
    ----------
    x : array-like or tf.data.Dataset
        All training rows, shape ``(n, *sample_shape)``; or a
        ``tf.data.Dataset`` of unlabeled rows, streamed (see
        :func:`pretrain_vae`), with the labelled rows given as ``labelled``.
    y : array-like of int, optional
        Class index per row of array ``x``, ``-1`` for unlabeled rows
        (scikit-learn's convention); None with a dataset ``x``.
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
    labelled : (array-like, array-like), optional
        With a dataset ``x``: the labelled rows and their classes, in memory.
    n_rows : int, optional
        Rows in one pass of a dataset ``x`` whose length TensorFlow cannot tell.
    shuffle_buffer : int, optional
        Rows in the shuffle buffer of a dataset ``x``.
    distribution : {"mirrored", "data_parallel", "none"}, optional
        Train both stages on the devices of this machine (see
        :mod:`vaekit.distribution`); batch sizes are global. None: one device.

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
    plan = get_distribution(distribution)
    check_finetune_distribution(plan, finetune or FinetuneConfig())  # before pretraining
    stream = {"n_rows": n_rows, "shuffle_buffer": shuffle_buffer}
    if is_dataset(x):
        if labelled is None:
            raise ValueError("x is a dataset of unlabeled rows; give the labelled rows as "
                             "labelled=(x_labelled, y_labelled).")
    else:
        x = check_array("x", x)
        y = check_semi_supervised_labels(y, len(x))
        stream = {}
    vae, pretrain_history = pretrain_vae(x, pretrain, seed=seed, verbose=verbose,
                                         distribution=plan, **stream)
    classifier, finetune_history = _finetune_stage(vae, x, y, finetune, recipe=recipe,
                                                   seed=seed, verbose=verbose,
                                                   labelled=labelled, distribution=plan,
                                                   **stream)
    return SemiSupervisedResult(vae, classifier, pretrain_history, finetune_history)
