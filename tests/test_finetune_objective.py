"""Each term of the joint fine-tuning objective, computed by hand on fixed inputs."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import vaekit
from vaekit.config import FinetuneRecipe
from vaekit.losses import (
    bernoulli_reconstruction,
    classification_loss,
    consistency_loss,
    cross_entropy,
    kl_loss,
    mixed_class_weights,
    mixup_targets,
    pseudo_label_loss,
    soft_target_loss,
    vae_loss,
)

pytestmark = pytest.mark.backends


def numpy(value) -> np.ndarray:
    return np.asarray(keras.ops.convert_to_numpy(value), dtype="float64")


P = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], dtype="float32")


def test_cross_entropy_is_minus_the_log_of_the_target_class():
    one_hot = np.array([[1, 0, 0], [0, 0, 1]], dtype="float32")
    np.testing.assert_allclose(numpy(cross_entropy(one_hot, P)), [-np.log(0.7), -np.log(0.1)],
                               rtol=1e-6)


def test_mixup_targets_mix_each_row_with_its_partner():
    one_hot = np.eye(3, dtype="float32")[[0, 1]]
    targets = numpy(mixup_targets(one_hot, np.array([0.7, 1.0], "float32"), np.array([1, 0])))
    np.testing.assert_allclose(targets, [[0.7, 0.3, 0.0], [0.0, 1.0, 0.0]], atol=1e-7)


def test_class_weights_are_mixed_like_the_labels():
    weights = numpy(mixed_class_weights(np.array([2.0, 0.5, 1.0], "float32"),
                                        np.array([0, 1]), np.array([0.75, 0.6], "float32"),
                                        np.array([1, 0])))
    np.testing.assert_allclose(weights, [0.75 * 2 + 0.25 * 0.5, 0.6 * 0.5 + 0.4 * 2], rtol=1e-6)


def test_classification_loss_weights_each_row():
    targets = np.eye(3, dtype="float32")[[0, 1]]
    loss = float(classification_loss(targets, P, np.array([2.0, 0.0], "float32")))
    assert loss == pytest.approx(2.0 * -np.log(0.7) / 2, rel=1e-6)
    unweighted = float(classification_loss(targets, P))
    assert unweighted == pytest.approx((-np.log(0.7) - np.log(0.8)) / 2, rel=1e-6)


def test_pseudo_labels_are_gated_at_the_confidence_threshold():
    p_weak = np.array([[0.95, 0.05, 0.0],     # exactly at the threshold: used
                       [0.05, 0.9499, 0.0001],  # just under: not used
                       [0.0, 0.02, 0.98]], dtype="float32")
    p_strong = np.array([[0.5, 0.25, 0.25], [0.2, 0.6, 0.2], [0.1, 0.1, 0.8]], "float32")
    loss, fraction = pseudo_label_loss(p_weak, p_strong, 0.95)
    assert float(fraction) == pytest.approx(2 / 3)
    assert float(loss) == pytest.approx((-np.log(0.5) - np.log(0.8)) / 3, rel=1e-6)


def test_soft_targets_are_weighted_by_their_confidence():
    targets = np.array([[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]], "float32")
    loss = float(soft_target_loss(targets, np.array([1.0, 0.25], "float32"), P))
    expected = (-(0.5 * np.log(0.7) + 0.5 * np.log(0.2)) + 0.25 * -np.log(0.1)) / 2
    assert loss == pytest.approx(expected, rel=1e-6)


def test_consistency_loss_is_the_squared_error_to_the_mixed_predictions():
    p_mixed = np.array([[0.6, 0.4], [0.1, 0.9]], "float32")
    targets = np.array([[0.5, 0.5], [0.3, 0.7]], "float32")
    expected = ((0.1**2 + 0.1**2) + (0.2**2 + 0.2**2)) / 2
    assert float(consistency_loss(p_mixed, targets)) == pytest.approx(expected, rel=1e-5)


def test_vae_loss_adds_beta_times_kl_with_free_bits():
    x = np.array([[1.0, 0.0]], "float32")
    x_hat = np.array([[0.8, 0.4]], "float32")
    mean = np.array([[0.1, 1.0]], "float32")
    log_var = np.zeros((1, 2), "float32")
    recon = -np.log(0.8) - np.log(0.6)
    kl = 0.5 * np.array([0.01, 1.0])  # per dimension: (exp(0) + m^2 - 1 - 0) / 2
    plain = float(vae_loss(x, x_hat, mean, log_var, bernoulli_reconstruction, beta=2.0))
    assert plain == pytest.approx(recon + 2.0 * kl.sum(), rel=1e-5)
    floored = float(vae_loss(x, x_hat, mean, log_var, bernoulli_reconstruction, beta=2.0,
                             free_bits=0.1))
    assert floored == pytest.approx(recon + 2.0 * (0.1 + 0.5), rel=1e-5)
    assert float(kl_loss(mean, log_var, 0.1)) == pytest.approx(0.6, rel=1e-6)


# ---------------------------------------------------------------- the model's sum
def tiny_classifier(recipe: FinetuneRecipe, free_bits: float = 0.0):
    vae = vaekit.build_vae((4,), 2, "dense", reconstruction="bce", free_bits=free_bits,
                           seed=0, hidden_units=(8,))
    return vaekit.SemiSupervisedClassifier(vae.encoder, vae.decoder, 3, recipe=recipe,
                                           beta=0.5, free_bits=free_bits,
                                           reconstruction="bce", seed=0)


def fixed_views():
    rng = np.random.default_rng(0)
    softmax = lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True)  # noqa: E731
    return {
        "p_labelled": softmax(rng.normal(size=(2, 3))).astype("float32"),
        "p_weak": np.array([[0.97, 0.02, 0.01], [0.4, 0.3, 0.3]], "float32"),
        "p_strong": softmax(rng.normal(size=(2, 3))).astype("float32"),
        "x_weak": rng.random((2, 4)).astype("float32"),
        "x_hat": rng.uniform(0.1, 0.9, (2, 4)).astype("float32"),
        "mean_weak": rng.normal(size=(2, 2)).astype("float32"),
        "log_var_weak": rng.normal(size=(2, 2)).astype("float32") * 0.1,
        "lam": np.array([0.8, 0.6], "float32"), "perm": np.array([1, 0]),
        "p_mixed": softmax(rng.normal(size=(2, 3))).astype("float32"),
        "lam_unlabeled": np.array([0.7, 0.9], "float32"), "perm_unlabeled": np.array([1, 0]),
    }


def test_compute_loss_is_the_weighted_sum_of_the_terms():
    recipe = FinetuneRecipe(alpha=0.1, pseudo_label_weight=2.0, label_propagation_weight=3.0,
                            consistency_weight=0.5, mixup=0.5, adversarial_weight=0.0,
                            entropy_weight=0.0,
                            class_weight={0: 2.0, 1: 1.0, 2: 0.5})
    model = tiny_classifier(recipe, free_bits=0.2)
    views = fixed_views()
    labels = np.array([0, 2])
    soft = (np.array([[0.2, 0.8, 0.0], [1.0, 0.0, 0.0]], "float32"),
            np.array([0.5, 1.0], "float32"))
    total = float(model.compute_loss(y=(labels, soft), y_pred=views))

    targets = numpy(mixup_targets(np.eye(3, dtype="float32")[labels], views["lam"],
                                  views["perm"]))
    row_weights = numpy(mixed_class_weights(np.array([2.0, 1.0, 0.5], "float32"), labels,
                                            views["lam"], views["perm"]))
    expected = float(classification_loss(targets.astype("float32"), views["p_labelled"],
                                         row_weights.astype("float32")))
    expected += 0.1 * float(vae_loss(views["x_weak"], views["x_hat"], views["mean_weak"],
                                     views["log_var_weak"], bernoulli_reconstruction,
                                     beta=0.5, free_bits=0.2))
    expected += 2.0 * float(pseudo_label_loss(views["p_weak"], views["p_strong"], 0.95)[0])
    expected += 3.0 * float(soft_target_loss(*soft, views["p_strong"]))
    mixed_targets = numpy(mixup_targets(views["p_weak"], views["lam_unlabeled"],
                                        views["perm_unlabeled"]))
    expected += 0.5 * np.mean(np.sum((views["p_mixed"] - mixed_targets) ** 2, axis=-1))
    assert total == pytest.approx(expected, rel=1e-5)
    assert float(model.trackers["confident_fraction"].result()) == pytest.approx(0.5)


def test_terms_with_zero_weight_are_left_out():
    model = tiny_classifier(FinetuneRecipe(alpha=0.0, pseudo_label_weight=0.0, mixup=0.0,
                                           label_propagation_weight=0.0,
                                           consistency_weight=0.0, adversarial_weight=0.0,
                                           entropy_weight=0.0))
    views = fixed_views()
    labels = np.array([1, 1])
    total = float(model.compute_loss(y=labels, y_pred=views))
    targets = numpy(mixup_targets(np.eye(3, dtype="float32")[labels], views["lam"],
                                  views["perm"])).astype("float32")
    assert total == pytest.approx(float(classification_loss(targets, views["p_labelled"])),
                                  rel=1e-6)
    assert float(model.trackers["pseudo_label_loss"].result()) == 0.0


def test_classify_from_sample_feeds_the_head_a_sampled_latent():
    x = np.random.default_rng(0).random((4, 4)).astype("float32")

    def labelled_predictions(classify_from):
        model = tiny_classifier(FinetuneRecipe(augment="none", mixup=0.0,
                                               consistency_weight=0.0, adversarial_weight=0.0,
                                               classify_from=classify_from))
        return [numpy(model((x, x), training=True)["p_labelled"]) for _ in range(2)]

    mean_a, mean_b = labelled_predictions("mean")
    np.testing.assert_allclose(mean_a, mean_b, rtol=1e-6)  # deterministic from the mean
    sample_a, sample_b = labelled_predictions("sample")
    assert np.abs(sample_a - sample_b).max() > 1e-4  # a new latent sample each call
