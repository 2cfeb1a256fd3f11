"""Virtual adversarial training and the class-balance term: each piece on fixed inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import vaekit
from vaekit.config import FinetuneRecipe
from vaekit.input_gradient import input_gradient
from vaekit.losses.adversarial import (
    AUTO_EPSILON_SHARE,
    epsilon_from_rows,
    kl_divergence,
    unit_rows,
    virtual_adversarial_perturbation,
)

pytestmark = pytest.mark.backends


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


def test_input_gradient_matches_the_analytic_gradient():
    x = keras.ops.convert_to_tensor(np.array([[1.0, -2.0], [0.5, 3.0]], "float32"))
    gradient = numpy(input_gradient(lambda v: keras.ops.sum(v ** 3), x))
    np.testing.assert_allclose(gradient, 3 * numpy(x) ** 2, rtol=1e-6)


def test_kl_divergence_is_zero_for_equal_rows_and_matches_the_formula():
    p = np.array([[0.7, 0.2, 0.1], [0.5, 0.25, 0.25]], "float32")
    q = np.array([[0.7, 0.2, 0.1], [0.25, 0.5, 0.25]], "float32")
    kl = numpy(kl_divergence(p, q))
    assert kl[0] == pytest.approx(0.0, abs=1e-6)
    assert kl[1] == pytest.approx(0.5 * np.log(2) + 0.25 * np.log(0.5), rel=1e-5)


def test_unit_rows_have_norm_one_over_every_axis_but_the_first():
    d = np.random.default_rng(0).normal(size=(3, 2, 4)).astype("float32")
    norms = np.sqrt((numpy(unit_rows(d)) ** 2).sum(axis=(1, 2)))
    np.testing.assert_allclose(norms, 1.0, rtol=1e-5)


def test_the_perturbation_has_norm_epsilon_and_points_where_the_prediction_moves():
    # A linear softmax on 3 inputs that only reads the first input: the direction that
    # changes the prediction most is along that input, whatever the random start.
    weights = np.array([[4.0, -4.0], [0.0, 0.0], [0.0, 0.0]], "float32")

    def predict(x):
        return keras.ops.softmax(keras.ops.matmul(x, weights))

    x = keras.ops.convert_to_tensor(np.zeros((5, 3), "float32"))
    r_adv = numpy(virtual_adversarial_perturbation(predict, x, predict(x), 0.5,
                                                   keras.random.SeedGenerator(0)))
    np.testing.assert_allclose(np.linalg.norm(r_adv, axis=1), 0.5, rtol=1e-4)
    assert np.all(np.abs(r_adv[:, 0]) > 0.49)  # along the one input that matters


def test_automatic_epsilon_is_a_share_of_the_nearest_neighbour_spacing():
    grid = np.stack(np.meshgrid(np.arange(10.0), np.arange(10.0)), -1).reshape(-1, 2)
    assert epsilon_from_rows(3.0 * grid) == pytest.approx(AUTO_EPSILON_SHARE * 3.0)
    duplicated = np.concatenate([grid, grid])  # twins do not shrink the spacing
    assert epsilon_from_rows(duplicated) == pytest.approx(AUTO_EPSILON_SHARE)
    assert epsilon_from_rows(np.ones((10, 2))) is None  # no spacing at all


def tiny_classifier(recipe: FinetuneRecipe):
    vae = vaekit.build_vae((4,), 2, "dense", reconstruction="bce", seed=0, hidden_units=(8,))
    return vaekit.SemiSupervisedClassifier(vae.encoder, vae.decoder, 3, recipe=recipe,
                                           reconstruction="bce", seed=0)


def views(**extra):
    base = {
        "p_labelled": np.array([[0.6, 0.3, 0.1], [0.2, 0.7, 0.1]], "float32"),
        "p_weak": np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]], "float32"),
        "p_strong": np.array([[0.9, 0.05, 0.05], [0.8, 0.1, 0.1]], "float32"),
        "x_weak": np.full((2, 4), 0.5, "float32"), "x_hat": np.full((2, 4), 0.5, "float32"),
        "mean_weak": np.zeros((2, 2), "float32"), "log_var_weak": np.zeros((2, 2), "float32"),
        "lam": np.ones(2, "float32"), "perm": np.array([0, 1]),
    }
    base.update(extra)
    return base


def off(**weights):
    weights = {"adversarial_weight": 0.0, "entropy_weight": 0.0, "balance_weight": 0.0,
               **weights}
    return FinetuneRecipe(alpha=0.0, pseudo_label_weight=0.0, mixup=0.0,
                          label_propagation_weight=0.0, consistency_weight=0.0, **weights)


def test_adversarial_term_is_the_kl_from_the_weak_to_the_adversarial_prediction():
    p_adv = np.array([[0.5, 0.25, 0.25], [0.8, 0.1, 0.1]], "float32")
    model = tiny_classifier(off(adversarial_weight=2.0, adversarial_epsilon=1.0))
    labels = np.array([0, 1])
    with_term = float(model.compute_loss(y=labels, y_pred=views(p_adversarial=p_adv)))
    without = float(tiny_classifier(off()).compute_loss(y=labels, y_pred=views()))
    p = views()["p_weak"]
    expected = np.mean(np.sum(p * np.log(p / p_adv), axis=1))
    assert with_term - without == pytest.approx(2.0 * expected, rel=1e-4)


def test_balance_term_is_the_kl_from_the_labelled_shares_to_the_mean_prediction():
    model = tiny_classifier(off(balance_weight=1.0))
    labels = np.array([0, 1])
    with_term = float(model.compute_loss(y=labels, y_pred=views()))
    without = float(tiny_classifier(off()).compute_loss(y=labels, y_pred=views()))
    prior, mean = np.array([0.5, 0.5, 0.0]), views()["p_weak"].mean(axis=0)
    expected = sum(p * np.log(p / m) for p, m in zip(prior, mean) if p > 0)
    assert with_term - without == pytest.approx(expected, rel=1e-4)


def test_the_training_step_computes_the_adversarial_view_on_this_backend():
    rng = np.random.default_rng(0)
    x = rng.random((6, 4)).astype("float32")
    model = tiny_classifier(off(adversarial_weight=1.0, adversarial_epsilon=0.3))
    out = model((x[:2], x), training=True)
    assert out["p_adversarial"].shape == (6, 3)
    assert np.all(np.isfinite(numpy(out["p_adversarial"])))


def test_new_weights_are_checked_when_the_recipe_is_built():
    for field in ("adversarial_weight", "balance_weight", "entropy_weight"):
        with pytest.raises(ValueError, match=field):
            FinetuneRecipe(**{field: -1.0})
    with pytest.raises(ValueError, match="adversarial_epsilon"):
        FinetuneRecipe(adversarial_epsilon=0.0)


def test_entropy_term_is_the_mean_entropy_of_the_weak_predictions():
    model = tiny_classifier(off(entropy_weight=0.5))
    labels = np.array([0, 1])
    with_term = float(model.compute_loss(y=labels, y_pred=views()))
    without = float(tiny_classifier(off()).compute_loss(y=labels, y_pred=views()))
    p = views()["p_weak"]
    assert with_term - without == pytest.approx(0.5 * np.mean(-np.sum(p * np.log(p), 1)),
                                                rel=1e-4)


def test_a_model_trained_directly_needs_a_number_for_epsilon():
    model = tiny_classifier(FinetuneRecipe(adversarial_weight=1.0))  # building is fine
    x = np.random.default_rng(0).random((4, 4)).astype("float32")
    with pytest.raises(ValueError, match="adversarial_epsilon"):
        model((x, x), training=True)


def test_finetune_measures_epsilon_from_the_rows():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    X = (X[:200] / 16).astype("float32")
    y = np.where(np.arange(200) % 4 == 0, y[:200], -1)
    vae = vaekit.build_vae((64,), 2, "dense", reconstruction="bce", seed=0, hidden_units=(8,))
    model, _ = vaekit.finetune(vae, X, y, vaekit.FinetuneConfig(steps=2, batch_size=32),
                               recipe=FinetuneRecipe(adversarial_weight=1.0))
    assert model.recipe.adversarial_epsilon == pytest.approx(epsilon_from_rows(X))
    constant, _ = vaekit.finetune(vae, np.zeros_like(X), y,
                                  vaekit.FinetuneConfig(steps=2, batch_size=32),
                                  recipe=FinetuneRecipe(adversarial_weight=1.0))
    assert constant.recipe.adversarial_weight == 0.0  # nothing to perturb towards: off
