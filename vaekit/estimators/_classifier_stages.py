"""How ``VAEClassifier`` drives vaekit's two stages, pretraining and fine-tuning.

Its parameters become the stages' settings (:class:`~vaekit.config.PretrainConfig`,
:class:`~vaekit.config.FinetuneConfig`, :class:`~vaekit.config.FinetuneRecipe`);
a warm start fine-tunes the fitted model further; histories come back as plain lists.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.semi_supervised import finetune

if TYPE_CHECKING:
    from vaekit.estimators.classifier import VAEClassifier

#: FinetuneConfig and FinetuneRecipe fields that have their own constructor parameter.
_FINETUNE_PARAMS = {
    "epochs": "finetune_epochs",
    "batch_size": "batch_size",
    "learning_rate": "learning_rate",
    "alpha": "alpha",
}


def pretrain_config(clf: VAEClassifier, n_rows: int) -> PretrainConfig:
    """The pretraining stage from ``clf``'s parameters and resolved ``reconstruction_``."""
    return PretrainConfig(
        architecture=clf.architecture, latent_dim=clf.latent_dim,
        reconstruction=clf.reconstruction_, beta=float(clf.beta),
        epochs=clf.pretrain_epochs, batch_size=min(clf.batch_size, n_rows),
        learning_rate=float(clf.learning_rate),
        architecture_options=clf._architecture_options(),
    )

def finetune_settings(clf: VAEClassifier, n_rows: int) -> tuple[FinetuneConfig, FinetuneRecipe]:
    """The schedule and the recipe, from the parameters and ``finetune_options``."""
    options = dict(clf.finetune_options or {})
    schedule_fields = {f.name for f in dataclasses.fields(FinetuneConfig)}
    recipe_fields = {f.name for f in dataclasses.fields(FinetuneRecipe)}
    unknown = set(options) - schedule_fields - recipe_fields
    if unknown:
        raise ValueError(
            f"finetune_options has unknown key(s) {sorted(unknown)}; it accepts the "
            f"fields of FinetuneConfig {sorted(schedule_fields)} and of FinetuneRecipe "
            f"{sorted(recipe_fields)}."
        )
    for field, param in _FINETUNE_PARAMS.items():
        if field in options:
            raise ValueError(
                f"finetune_options[{field!r}] duplicates the parameter {param}; set "
                f"{param} instead."
            )
    config = FinetuneConfig(
        epochs=clf.finetune_epochs, batch_size=min(clf.batch_size, n_rows),
        learning_rate=float(clf.learning_rate),
        **{k: v for k, v in options.items() if k in schedule_fields})
    recipe = FinetuneRecipe(
        alpha=float(clf.alpha), **{k: v for k, v in options.items() if k in recipe_fields})
    return config, recipe


def continue_finetuning(clf: VAEClassifier, x, y_encoded, config: FinetuneConfig,
                        recipe: FinetuneRecipe, seed: int, callbacks=None) -> dict:
    """Warm start: more fine-tuning of ``model_`` with its optimizer state.

    The recipe, learning rate and averaging of the current parameters
    apply from now on; a change the model cannot take raises. ``callbacks``
    go to Keras' ``fit``.
    """
    _, history = finetune(clf.vae_, x, y_encoded, config, recipe=recipe, seed=seed,
                          verbose=min(int(clf.verbose), 2), classifier=clf.model_,
                          distribution=clf.distribution, callbacks=callbacks)
    return as_lists(history)


def as_lists(history: dict) -> dict:
    """Keras' per-epoch logs as plain lists of floats."""
    return {key: [float(v) for v in values] for key, values in history.items()}
