"""Continuing the fine-tune of an existing classifier (warm start)."""

from __future__ import annotations

import logging

import keras
import numpy as np

from vaekit.config import FinetuneRecipe
from vaekit.config.recipe import STRUCTURAL_FIELDS
from vaekit.models.semi_supervised_classifier import SemiSupervisedClassifier
from vaekit.models.vae import VAE

logger = logging.getLogger(__name__)


def check_continuable(classifier, vae: VAE, n_classes: int) -> SemiSupervisedClassifier:
    """``classifier`` if it can be fine-tuned further on ``vae``'s data and these classes.

    Parameters
    ----------
    classifier : object
        What the user passed.
    vae : VAE
        The pretrained VAE of this fine-tune.
    n_classes : int
        Classes in the labels.

    Returns
    -------
    SemiSupervisedClassifier
    """
    if not isinstance(classifier, SemiSupervisedClassifier):
        raise TypeError(
            "classifier must be a vaekit.SemiSupervisedClassifier to continue training, got "
            f"{type(classifier).__name__}."
        )
    if classifier.n_classes != n_classes:
        raise ValueError(
            f"classifier predicts {classifier.n_classes} classes, but the labels hold "
            f"{n_classes}; fine-tune a new classifier (classifier=None) instead."
        )
    if classifier.sample_shape != vae.sample_shape:
        raise ValueError(
            f"classifier takes samples of shape {classifier.sample_shape}, but the VAE "
            f"{vae.sample_shape}."
        )
    if not classifier.compiled:
        raise ValueError("classifier has no optimizer (it was saved without one or never "
                         "trained); fine-tune a new classifier (classifier=None) instead.")
    return classifier


def apply_recipe(model: SemiSupervisedClassifier, recipe: FinetuneRecipe) -> dict:
    """Make ``recipe`` the objective of ``model`` from now on; return what changed.

    Parameters
    ----------
    model : SemiSupervisedClassifier
        The classifier that trains on.
    recipe : FinetuneRecipe
        Resolved for the model's data (see :meth:`FinetuneRecipe.resolved`).

    Returns
    -------
    dict
        ``{field: (old, new)}``.

    Raises
    ------
    ValueError
        When a field that fixes the model's structure (the head's layers, the
        augmentation's warp banks) would change.
    """
    changes = model.recipe.differences(recipe)
    fixed = sorted(set(changes) & set(STRUCTURAL_FIELDS))
    if fixed:
        detail = ", ".join(f"{name} from {changes[name][0]!r} to {changes[name][1]!r}"
                           for name in fixed)
        raise ValueError(
            f"A fine-tuned classifier cannot change {detail} when training continues "
            "(warm start): they fix its structure. Fine-tune a new classifier instead.")
    if changes:
        model.set_recipe(recipe)
    return changes


def continue_with(model: SemiSupervisedClassifier, recipe: FinetuneRecipe | None,
                  learning_rate: float, ema_momentum: float) -> None:
    """Apply a new recipe, learning rate and EMA momentum to a classifier that trains on.

    Nothing is ignored: each setting is applied, or a ``ValueError`` says why
    it cannot be (the head and the augmentation fix the model's structure;
    averaging cannot be switched on or off for an optimizer that has state).

    Parameters
    ----------
    model : SemiSupervisedClassifier
        The compiled classifier.
    recipe : FinetuneRecipe or None
        The objective from now on (resolved); None keeps the model's.
    learning_rate : float
        Adam's learning rate from now on.
    ema_momentum : float
        Averaging momentum from now on (0: no averaging).
    """
    optimizer = model.optimizer
    if bool(optimizer.use_ema) != (ema_momentum > 0):
        raise ValueError(
            f"The classifier's optimizer was built {'with' if optimizer.use_ema else 'without'}"
            f" weight averaging, but the schedule asks for ema_momentum={ema_momentum}; "
            "averaging cannot be switched when training continues. Keep ema_momentum "
            f"{'> 0' if optimizer.use_ema else '= 0'} or fine-tune a new classifier.")
    _give_weights_their_own_buffers(model)
    changes = apply_recipe(model, recipe) if recipe is not None else {}
    current = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not np.isclose(current, learning_rate, rtol=1e-6, atol=0.0):
        optimizer.learning_rate = learning_rate
        changes["learning_rate"] = learning_rate
    if optimizer.use_ema and not np.isclose(optimizer.ema_momentum, ema_momentum, rtol=1e-9):
        optimizer.ema_momentum = float(ema_momentum)
        # The momentum is a constant of the compiled step: trace it again.
        model.train_function = None
        changes["ema_momentum"] = ema_momentum
    if changes:
        logger.info("Warm start applies: %s.", ", ".join(sorted(changes)))


def _give_weights_their_own_buffers(model: SemiSupervisedClassifier) -> None:
    """Copy each trainable weight's value into a buffer of its own.

    Keras' ``fit`` ends by assigning each weight its moving average
    (``finalize_variable_values``). On JAX the weight and its average then
    hold the same array, and the next ``fit``, which donates both to the
    compiled step, fails with "Attempt to donate the same buffer twice".
    A copy costs one pass over the weights and changes no value.
    """
    for variable in model.trainable_variables:
        variable.assign(keras.ops.copy(variable.value))
