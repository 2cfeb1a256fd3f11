"""What the joint fine-tune optimises: the recipe a classifier model owns and saves.

:class:`FinetuneRecipe` holds every setting that defines the loss of
:class:`vaekit.SemiSupervisedClassifier` (the weights of the terms, the
pseudo-label threshold, the augmentation, mix-up, the head). The model keeps
the resolved recipe in its ``.keras`` file; how long and how fast it trains is
:class:`vaekit.FinetuneConfig`'s job.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from vaekit._validation import (
    SettingTypeError,
    SettingValueError,
    check_choice,
    check_fraction,
    check_non_negative_float,
    check_positive_int,
)
from vaekit.config.data_kind import is_image_shape, is_pixel_data

#: Augmentations by name (see :class:`vaekit.augmentation.Augmenter`).
AUGMENTATIONS = ("auto", "affine", "shift", "corrupt", "noise", "none")
CLASSIFY_FROM = ("mean", "sample")
#: Mix-up and label-propagation weights that ``None`` resolves to for pixel data.
AUTO_PIXEL_MIXUP = 0.5
AUTO_PIXEL_LABEL_PROPAGATION_WEIGHT = 1.0
#: What ``None`` resolves to for flat rows in [0, 1] (pixels without an image shape):
#: virtual adversarial training on (MNIST flat: 8.05 -> 6.27 % error against ICT at 10),
#: interpolation consistency off.
AUTO_FLAT_PIXEL_ADVERSARIAL_WEIGHT = 1.0
AUTO_FLAT_PIXEL_ENTROPY_WEIGHT = 1.0
AUTO_FLAT_PIXEL_CONSISTENCY_WEIGHT = 0.0
#: Class balance wherever entropy minimisation is on: it keeps entropy minimisation and
#: pseudo-labels from locking two classes into one (MNIST flat, seed 1: 7.33 -> 2.02 %).
AUTO_BALANCE_WEIGHT_WITH_ENTROPY = 1.0
#: Fields that fix the model's structure: a continued model cannot change them.
STRUCTURAL_FIELDS = ("head_units",)


@dataclass
class FinetuneRecipe:
    """The fine-tuning objective of a semi-supervised classifier.

    Each step sees a labelled batch and an unlabeled batch; the loss is

    ``classification + alpha * vae + pseudo_label_weight * pseudo_label
    + label_propagation_weight * propagation + consistency_weight * consistency``

    (see :meth:`vaekit.SemiSupervisedClassifier.compute_loss`).

    Attributes
    ----------
    alpha : float
        Weight of the VAE loss on a weakly augmented view of the unlabeled
        batch. Small (1e-3): a weight of 1 keeps predictions unconfident and
        stalls the pseudo-labels.
    pseudo_label_weight : float
        Weight of the pseudo-label loss (0 turns pseudo-labels off).
    confidence : float
        Least predicted probability, on the weak view, for an unlabeled row to
        get a pseudo-label (FixMatch, Sohn et al. 2020), in [0, 1).
    augment : str
        ``"auto"`` (random affine warps for images, Gaussian noise otherwise),
        ``"affine"``, ``"shift"``, ``"corrupt"`` (each value replaced with
        probability 0.3 by its feature in another row), ``"noise"`` or ``"none"``.
    mixup : float or None
        Beta(mixup, mixup) mixing of labelled rows and their labels (Zhang et
        al. 2018); 0 disables it. ``None``: 0.5 for images and data in [0, 1],
        0 for real-valued tables (they lost 2-6 points with it).
    label_propagation_weight : float or None
        Weight of the label-propagation loss: label spreading on the latent
        means gives every row a soft target, weighted by its confidence. 0
        turns it off; ``None``: 1 for pixel data, 0 for real-valued tables.
    consistency_weight : float or None
        Weight of interpolation consistency on unlabeled rows (ICT, Verma et
        al. 2019): the prediction on a mix of two rows is pulled towards the
        same mix of their predictions. 0 turns it off; ``None``: 0 (on flat
        MNIST rows it lost to ``adversarial_weight``: 8.05 against 6.27 %
        error).
    adversarial_weight : float or None
        Weight of virtual adversarial training on unlabeled rows (VAT, Miyato
        et al. 2018): the prediction on the weak view is kept under the
        perturbation of norm ``adversarial_epsilon`` that changes it most
        (one power-iteration step; a gradient with respect to the input, see
        :mod:`vaekit.input_gradient`). 0 turns it off; ``None``: 1 for flat
        rows in [0, 1] (pixels without an image shape, where augmentation
        carries little: no image prior is needed), 0 otherwise.
    adversarial_epsilon : float or None
        L2 norm of each row's adversarial perturbation, in the units of the
        rows (> 0). ``None``: measured from the training rows by
        :func:`vaekit.finetune`, 0.35 times their median nearest-neighbour
        distance (see :func:`vaekit.losses.adversarial.epsilon_from_rows`;
        2.0 for MNIST pixels in [0, 1], the value of Miyato et al.).
    balance_weight : float or None
        Weight of ``KL(prior || mean prediction)`` over each unlabeled batch,
        the prior being the class shares of the step's labelled rows: it keeps
        self-training from merging classes (two classes drifting into one
        make the mean prediction lopsided). 0 turns it off; ``None``: 1 where
        ``entropy_weight`` resolves above 0, else 0. The prior assumes the
        labelled rows have the class shares of the unlabeled ones: with
        labels drawn k per class from strongly imbalanced data, set it to 0.
    entropy_weight : float or None
        Weight of the mean entropy of the predictions on unlabeled rows
        (entropy minimisation, Grandvalet and Bengio 2005; paired with VAT by
        Miyato et al.): it keeps the soft targets of label propagation from
        making every prediction unsure. 0 turns it off; ``None``: 1 where
        ``adversarial_weight`` resolves on (flat rows in [0, 1]), else 0.
    head_units : tuple of int
        Hidden layers of the classifier head; ``()`` is a linear softmax head.
    classify_from : str
        ``"mean"`` (the posterior mean) or ``"sample"`` (a sampled latent while
        training; the mean at prediction).
    class_weight : dict, str or None
        ``{class index: weight}``, ``"balanced"`` (inverse label frequency) or
        None, for the labelled loss.
    """

    alpha: float = 1e-3
    pseudo_label_weight: float = 1.0
    confidence: float = 0.95
    augment: str = "auto"
    mixup: float | None = None
    label_propagation_weight: float | None = None
    consistency_weight: float | None = None
    adversarial_weight: float | None = None
    adversarial_epsilon: float | None = None
    balance_weight: float | None = None
    entropy_weight: float | None = None
    head_units: tuple = ()
    classify_from: str = "mean"
    class_weight: dict | str | None = None

    def __post_init__(self) -> None:
        for name in ("alpha", "pseudo_label_weight"):
            check_non_negative_float(f"finetune.{name}", getattr(self, name))
        for name in ("mixup", "label_propagation_weight", "consistency_weight",
                     "adversarial_weight", "entropy_weight", "balance_weight"):
            if getattr(self, name) is not None:
                check_non_negative_float(f"finetune.{name}", getattr(self, name))
        if self.adversarial_epsilon is not None:
            check_non_negative_float("finetune.adversarial_epsilon", self.adversarial_epsilon,
                                     strict=True)
        check_fraction("finetune.confidence", self.confidence)
        check_choice("finetune.augment", self.augment, AUGMENTATIONS)
        check_choice("finetune.classify_from", self.classify_from, CLASSIFY_FROM)
        if isinstance(self.head_units, (str, bytes)) or not hasattr(self.head_units, "__iter__"):
            raise SettingTypeError("finetune.head_units",
                                   f"must be a sequence of integers, got {self.head_units!r}.")
        self.head_units = tuple(
            check_positive_int("finetune.head_units[]", units) for units in self.head_units)
        self.class_weight = _check_class_weight(self.class_weight)

    def resolved(self, sample_shape, reconstruction: str, y_labelled: np.ndarray | None = None,
                 n_classes: int | None = None) -> FinetuneRecipe:
        """A copy with the automatic choices made for this data.

        Parameters
        ----------
        sample_shape : tuple of int
            Shape of one sample.
        reconstruction : str
            The VAE's reconstruction loss (``"bce"`` marks pixel-like data).
        y_labelled : numpy.ndarray, optional
            Class indices of the labelled training rows (for ``"balanced"``).
        n_classes : int, optional
            Number of classes; class weights become a full ``{k: w}`` dict.

        Returns
        -------
        FinetuneRecipe
            ``mixup``, ``label_propagation_weight``, ``consistency_weight``,
            ``adversarial_weight``, ``entropy_weight`` and ``balance_weight``
            are numbers and
            ``class_weight`` is a dict over every class, or None.
        """
        pixels = is_pixel_data(sample_shape, reconstruction)
        mixup = self.mixup if self.mixup is not None else (AUTO_PIXEL_MIXUP if pixels else 0.0)
        propagation = self.label_propagation_weight
        if propagation is None:
            propagation = AUTO_PIXEL_LABEL_PROPAGATION_WEIGHT if pixels else 0.0
        flat_pixels = pixels and not is_image_shape(sample_shape)
        consistency = self.consistency_weight
        if consistency is None:
            consistency = AUTO_FLAT_PIXEL_CONSISTENCY_WEIGHT if flat_pixels else 0.0
        adversarial = self.adversarial_weight
        if adversarial is None:
            adversarial = AUTO_FLAT_PIXEL_ADVERSARIAL_WEIGHT if flat_pixels else 0.0
        entropy = self.entropy_weight
        if entropy is None:
            entropy = AUTO_FLAT_PIXEL_ENTROPY_WEIGHT if flat_pixels else 0.0
        balance = self.balance_weight
        if balance is None:
            balance = AUTO_BALANCE_WEIGHT_WITH_ENTROPY if entropy > 0 else 0.0
        return dataclasses.replace(
            self, mixup=float(mixup), label_propagation_weight=float(propagation),
            consistency_weight=float(consistency), adversarial_weight=float(adversarial),
            entropy_weight=float(entropy), balance_weight=float(balance),
            class_weight=_resolve_class_weight(self.class_weight, y_labelled, n_classes))

    def class_weights(self, n_classes: int) -> list[float] | None:
        """The weight of each class ``0..n_classes-1``, or None for equal weights."""
        if self.class_weight is None:
            return None
        if isinstance(self.class_weight, str):
            raise ValueError("class_weight='balanced' must be resolved from the labels first "
                             "(FinetuneRecipe.resolved).")
        return [float(self.class_weight.get(k, 1.0)) for k in range(n_classes)]

    def as_dict(self) -> dict:
        """The fields as JSON-ready values (the form a model's config stores)."""
        values = dataclasses.asdict(self)
        values["head_units"] = list(self.head_units)
        if isinstance(self.class_weight, dict):
            values["class_weight"] = {str(k): v for k, v in self.class_weight.items()}
        return values

    @classmethod
    def from_dict(cls, values: dict) -> FinetuneRecipe:
        """Inverse of :meth:`as_dict`."""
        values = dict(values)
        if isinstance(values.get("class_weight"), dict):
            values["class_weight"] = {int(k): v for k, v in values["class_weight"].items()}
        return cls(**values)

    def differences(self, other: FinetuneRecipe) -> dict:
        """``{field: (self's value, other's value)}`` for every field that differs."""
        return {f.name: (getattr(self, f.name), getattr(other, f.name))
                for f in dataclasses.fields(self)
                if getattr(self, f.name) != getattr(other, f.name)}


def _check_class_weight(spec):
    if spec is None:
        return None
    if isinstance(spec, str):
        if spec != "balanced":
            raise SettingValueError("finetune.class_weight",
                                    f"must be a dict, 'balanced' or None, got {spec!r}.")
        return spec
    if not isinstance(spec, dict):
        raise SettingTypeError("finetune.class_weight",
                               f"must be a dict, 'balanced' or None, got {spec!r}.")
    checked = {}
    for key, weight in spec.items():
        index = check_positive_int("finetune.class_weight (a class index)", key, minimum=0)
        checked[index] = check_non_negative_float(f"finetune.class_weight[{key}]", weight)
    return checked


def _resolve_class_weight(spec, y_labelled, n_classes):
    if spec is None or n_classes is None:
        return spec
    if spec == "balanced":
        if y_labelled is None:
            raise ValueError("class_weight='balanced' needs the labelled rows' classes.")
        counts = np.bincount(np.asarray(y_labelled, dtype="int64"), minlength=n_classes)
        return {k: float(len(y_labelled) / (n_classes * counts[k])) if counts[k] else 0.0
                for k in range(n_classes)}
    unknown = sorted(set(spec) - set(range(n_classes)))
    if unknown:
        raise SettingValueError("finetune.class_weight",
                                f"names unknown classes {unknown}; the labels hold classes "
                                f"0..{n_classes - 1}.")
    return {k: float(spec.get(k, 1.0)) for k in range(n_classes)}
