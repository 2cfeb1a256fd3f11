"""Settings: the data-kind rules, the recipe, the schedule and their checks."""

from __future__ import annotations

import dataclasses

import pytest

from vaekit._validation import SettingError
from vaekit.config import (
    ARCHITECTURE_NAMES,
    FinetuneConfig,
    FinetuneRecipe,
    PretrainConfig,
    is_image_shape,
    is_pixel_data,
    resolve_schedule,
)


@pytest.mark.parametrize(("shape", "expected"), [
    ((28, 28, 1), True), ((8, 8, 1), True), ((64, 64, 3), True),
    ((4, 4, 1), False), ((784,), False), ((50, 3), False),
])
def test_is_image_shape(shape, expected):
    assert is_image_shape(shape) is expected


def test_pixel_data_is_images_or_rows_in_the_unit_interval():
    assert is_pixel_data((28, 28, 1), "mse")
    assert is_pixel_data((784,), "bce")      # flat pixel rows in [0, 1]
    assert not is_pixel_data((30,), "mse")   # a standardised table


def test_config_names_the_architectures_of_the_registry():
    from vaekit.builders import ARCHITECTURES

    assert tuple(sorted(ARCHITECTURES)) == ARCHITECTURE_NAMES


# ---------------------------------------------------------------- the recipe
def test_mixup_and_label_propagation_resolve_on_for_pixel_data_only():
    recipe = FinetuneRecipe()
    for shape, loss in (((28, 28, 1), "bce"), ((784,), "bce")):
        resolved = recipe.resolved(shape, loss)
        assert (resolved.mixup, resolved.label_propagation_weight) == (0.5, 1.0)
    table = recipe.resolved((30,), "mse")
    assert (table.mixup, table.label_propagation_weight) == (0.0, 0.0)


def test_adversarial_training_resolves_on_for_flat_pixel_rows_only():
    shapes = (((784,), "bce"), ((28, 28, 1), "bce"), ((30,), "mse"))
    resolved = {shape_loss: FinetuneRecipe().resolved(*shape_loss) for shape_loss in shapes}
    assert {k: r.adversarial_weight for k, r in resolved.items()} == {
        ((784,), "bce"): 1.0, ((28, 28, 1), "bce"): 0.0, ((30,), "mse"): 0.0}
    assert {k: r.entropy_weight for k, r in resolved.items()} == {
        ((784,), "bce"): 1.0, ((28, 28, 1), "bce"): 0.0, ((30,), "mse"): 0.0}
    assert {k: r.balance_weight for k, r in resolved.items()} == {
        ((784,), "bce"): 1.0, ((28, 28, 1), "bce"): 0.0, ((30,), "mse"): 0.0}
    assert {r.consistency_weight for r in resolved.values()} == {0.0}  # ICT is opt-in
    assert FinetuneRecipe(consistency_weight=2.0).resolved((28, 28, 1), "bce") \
        .consistency_weight == 2.0
    assert FinetuneRecipe(adversarial_weight=0.0).resolved((784,), "bce") \
        .adversarial_weight == 0.0
    # The class balance follows entropy minimisation, unless given.
    assert FinetuneRecipe(entropy_weight=0.0).resolved((784,), "bce").balance_weight == 0.0
    assert FinetuneRecipe(entropy_weight=2.0).resolved((30,), "mse").balance_weight == 1.0
    assert FinetuneRecipe(balance_weight=0.0).resolved((784,), "bce").balance_weight == 0.0


def test_input_graph_share_of_the_soft_targets_is_for_rows_not_images():
    config = FinetuneConfig()
    assert config.resolved_label_propagation_input_share((784,)) == 0.5
    assert config.resolved_label_propagation_input_share((28, 28, 1)) == 0.0
    assert FinetuneConfig(label_propagation_input_share=0.2) \
        .resolved_label_propagation_input_share((28, 28, 1)) == 0.2
    with pytest.raises(ValueError, match=r"label_propagation_input_share must lie in \[0, 1\]"):
        FinetuneConfig(label_propagation_input_share=1.5)


def test_explicit_mixup_and_label_propagation_win_over_the_data_kind():
    resolved = FinetuneRecipe(mixup=0.2, label_propagation_weight=0.5).resolved((30,), "mse")
    assert (resolved.mixup, resolved.label_propagation_weight) == (0.2, 0.5)
    off = FinetuneRecipe(mixup=0.0, label_propagation_weight=0.0).resolved((28, 28, 1), "bce")
    assert (off.mixup, off.label_propagation_weight) == (0.0, 0.0)


def test_balanced_class_weights_are_inverse_label_frequencies():
    import numpy as np

    recipe = FinetuneRecipe(class_weight="balanced").resolved(
        (4,), "mse", y_labelled=np.array([0, 0, 0, 1]), n_classes=2)
    assert recipe.class_weight == {0: pytest.approx(4 / 6), 1: pytest.approx(4 / 2)}
    assert FinetuneRecipe(class_weight={1: 3.0}).resolved(
        (4,), "mse", n_classes=3).class_weights(3) == [1.0, 3.0, 1.0]


def test_recipe_round_trips_through_its_dict_form():
    recipe = FinetuneRecipe(alpha=0.01, head_units=(16, 8), class_weight={0: 2.0, 1: 0.5})
    assert FinetuneRecipe.from_dict(recipe.as_dict()) == recipe
    assert recipe.differences(dataclasses.replace(recipe, alpha=0.1)) == {"alpha": (0.01, 0.1)}


@pytest.mark.parametrize(("field", "value", "error", "message"), [
    ("mixup", -0.1, ValueError, "finetune.mixup must be a finite number >= 0"),
    ("label_propagation_weight", -1, ValueError, "finetune.label_propagation_weight must"),
    ("alpha", "big", TypeError, "finetune.alpha must be a number"),
    ("augment", "afine", ValueError, "finetune.augment must be one of 'auto', 'affine'"),
    ("classify_from", "median", ValueError, "finetune.classify_from must be one of"),
    ("class_weight", "balance", ValueError, "finetune.class_weight must be a dict, 'balanced'"),
    ("class_weight", {0: -1.0}, ValueError, r"finetune.class_weight\[0\] must be"),
    ("head_units", (16, 0), ValueError, r"finetune.head_units\[\] must be >= 1"),
    ("confidence", 1.0, ValueError, r"finetune.confidence must lie in \[0, 1\)"),
])
def test_recipe_rejects_bad_fields_when_built(field, value, error, message):
    with pytest.raises(error, match=message) as info:
        FinetuneRecipe(**{field: value})
    assert isinstance(info.value, SettingError)
    assert info.value.field.startswith("finetune.")


# ---------------------------------------------------------------- the schedule
@pytest.mark.parametrize(("field", "value", "message"), [
    ("learning_rate", 0.0, "finetune.learning_rate must be a finite number > 0"),
    ("learning_rate", float("inf"), "finetune.learning_rate must be a finite number > 0"),
    ("steps", 0, "finetune.steps must be >= 1"),
    ("validation_fraction", 1.0, r"finetune.validation_fraction must lie in \[0, 1\)"),
])
def test_schedule_rejects_bad_fields_with_the_field_named(field, value, message):
    with pytest.raises(ValueError, match=message) as info:
        FinetuneConfig(**{field: value})
    assert info.value.field == f"finetune.{field}"


def test_one_learning_rate_rule_everywhere():
    # Adam accepts any positive rate; so do both stages (no upper bound of 1).
    assert PretrainConfig(learning_rate=2.0).learning_rate == 2.0
    assert FinetuneConfig(learning_rate=2.0).learning_rate == 2.0
    with pytest.raises(ValueError, match="pretrain.learning_rate must be a finite number > 0"):
        PretrainConfig(learning_rate=-1e-3)


def test_pretrain_rejects_unknown_architecture_and_loss_when_built():
    with pytest.raises(ValueError, match="pretrain.architecture must be one of 'conv'"):
        PretrainConfig(architecture="mlp")
    with pytest.raises(ValueError, match="pretrain.reconstruction must be one of 'bce'"):
        PretrainConfig(reconstruction="l1")


def test_epochs_and_steps_cannot_both_set_the_length():
    with pytest.raises(ValueError, match="give one of them"):
        FinetuneConfig(epochs=3, steps=100)


def test_epochs_are_passes_over_the_data():
    # Digits: 1,257 rows, batches of 256 -> 4 steps a pass.
    schedule = PretrainConfig(epochs=15).schedule(1257)
    assert (schedule.steps, schedule.epochs, schedule.steps_per_pass) == (60, 15, 4)
    assert schedule.rounds * schedule.steps_per_round == schedule.steps
    assert schedule.steps_per_round % schedule.steps_per_pass == 0  # whole passes a round
    finetune = FinetuneConfig(epochs=7).schedule(60_000)
    assert (finetune.steps, finetune.epochs, finetune.rounds) == (7 * 234, 7, 7)


def test_explicit_steps_run_exactly():
    schedule = FinetuneConfig(steps=1000).schedule(1257)
    assert schedule.steps == 1000 and schedule.epochs == 250
    assert schedule.rounds * schedule.steps_per_round == 1000
    assert 25 <= schedule.steps_per_round <= 100


def test_automatic_length_aims_at_the_step_targets_within_the_pass_caps():
    # Full MNIST: 234 steps a pass -> ~6,000 pretraining and ~3,000 fine-tuning steps.
    assert PretrainConfig().schedule(60_000).epochs == 26
    assert FinetuneConfig().schedule(60_000).epochs == 13
    # Digits: 4 steps a pass; capped at 100 and 300 passes, in rounds of about 50 steps.
    pretrain, finetune = PretrainConfig().schedule(1257), FinetuneConfig().schedule(1257)
    assert (pretrain.epochs, pretrain.steps) == (100, 400)
    assert (finetune.epochs, finetune.steps) == (300, 1200)
    assert 25 <= finetune.steps_per_round <= 100
    assert "1,200 steps = 300 epochs (passes)" in finetune.describe()


def test_a_data_set_smaller_than_a_batch_makes_one_step_a_pass():
    schedule = resolve_schedule(100, 256, epochs=5, auto_steps=1, auto_max_passes=1)
    assert (schedule.steps, schedule.steps_per_pass) == (5, 1)


def test_ema_momentum_follows_the_run_length():
    assert FinetuneConfig().resolved_ema_momentum(2000) == pytest.approx(0.99)
    assert FinetuneConfig().resolved_ema_momentum(100) == 0.9
    assert FinetuneConfig().resolved_ema_momentum(10**6) == 0.999
    assert FinetuneConfig(ema_momentum=0.5).resolved_ema_momentum(10) == 0.5
