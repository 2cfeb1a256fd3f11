"""vaekit.config: the automatic schedule and the recipe's image/table defaults."""

import pytest

from vaekit.config import FinetuneConfig, PretrainConfig, is_image_shape, is_pixel_data


@pytest.mark.parametrize(("shape", "expected"), [
    ((28, 28, 1), True), ((8, 8, 1), True), ((64, 64, 3), True),
    ((784,), False), ((30,), False), ((8, 8), False), ((4, 4, 1), False),
])
def test_is_image_shape(shape, expected):
    assert is_image_shape(shape) is expected


def test_pixel_data_is_images_or_bernoulli_rows():
    assert is_pixel_data((28, 28, 1), "mse")
    assert is_pixel_data((784,), "bce")      # flat pixel rows in [0, 1]
    assert not is_pixel_data((30,), "mse")   # a standardised table


def test_mixup_and_label_propagation_default_on_for_pixel_data_only():
    config = FinetuneConfig()
    for shape, loss in (((28, 28, 1), "bce"), ((784,), "bce")):
        assert config.resolved_mixup(shape, loss) == 0.5
        assert config.resolved_label_propagation_weight(shape, loss) == 1.0
    assert config.resolved_mixup((30,), "mse") == 0.0
    assert config.resolved_label_propagation_weight((30,), "mse") == 0.0


def test_explicit_mixup_and_label_propagation_win_over_the_data_kind():
    config = FinetuneConfig(mixup=0.2, label_propagation_weight=0.5)
    assert config.resolved_mixup((30,), "mse") == 0.2
    assert config.resolved_label_propagation_weight((30,), "mse") == 0.5
    off = FinetuneConfig(mixup=0.0, label_propagation_weight=0.0)
    assert off.resolved_mixup((28, 28, 1), "bce") == 0.0
    assert off.resolved_label_propagation_weight((28, 28, 1), "bce") == 0.0


@pytest.mark.parametrize("name", ["mixup", "label_propagation_weight"])
def test_negative_recipe_weights_are_rejected(name):
    with pytest.raises(ValueError, match=f"finetune.{name} must be a finite number >= 0"):
        FinetuneConfig(**{name: -0.1})


def test_automatic_epochs_aim_at_the_step_targets_within_the_pass_caps():
    # Full MNIST: 234 steps a pass -> ~6,000 pretraining and ~3,000 fine-tuning steps.
    assert PretrainConfig().resolved_epochs(60_000) == 26
    assert FinetuneConfig().resolved_epochs(60_000) == 13
    # Digits (1,257 rows, 4 steps a pass): 13 passes an epoch, capped at 100 / 300 passes.
    assert PretrainConfig().resolved_passes(1257) == 13
    assert PretrainConfig().resolved_epochs(1257) == 10   # 100 passes, at least 10 epochs
    assert FinetuneConfig().resolved_epochs(1257) == 24   # 300 passes / 13 per epoch
    assert PretrainConfig(epochs=3).resolved_epochs(60_000) == 3


def test_ema_momentum_follows_the_run_length():
    assert FinetuneConfig().resolved_ema_momentum(2000) == pytest.approx(0.99)
    assert FinetuneConfig().resolved_ema_momentum(100) == 0.9
    assert FinetuneConfig().resolved_ema_momentum(10**6) == 0.999
    assert FinetuneConfig(ema_momentum=0.5).resolved_ema_momentum(10) == 0.5
