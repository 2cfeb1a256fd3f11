"""Semi-supervised fine-tuning: label checks, augmentation, the joint step, saving."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

import vaekit
from vaekit.config import FinetuneConfig, FinetuneRecipe, PretrainConfig
from vaekit.semi_supervised import JointBatches, check_semi_supervised_labels, propagate_labels
from vaekit.semi_supervised.finetune import validation_split

TINY_PRETRAIN = PretrainConfig(latent_dim=8, epochs=3, batch_size=64,
                               architecture_options={"hidden_units": (64,)})


def tiny_finetune(**overrides) -> FinetuneConfig:
    settings = dict(epochs=3, batch_size=64, labelled_batch_size=32)
    if "steps" in overrides:
        del settings["epochs"]
    settings.update(overrides)
    return FinetuneConfig(**settings)


def partly_labelled(y, per_class=5, seed=0):
    from vaekit.data import hide_labels, labelled_subset

    return hide_labels(y, labelled_subset(y, per_class=per_class, seed=seed))


@pytest.fixture(scope="module")
def pretrained(digits):
    x, _ = digits
    vae, history = vaekit.pretrain_vae(x[:600], TINY_PRETRAIN, seed=0)
    return vae, history


@pytest.fixture(scope="module")
def finetuned_once(pretrained, digits):
    """One short fine-tuning of ``pretrained`` on 600 rows, 5 labels per class.

    Shared by tests that only read the classifier (save it, predict, look at its
    state); a test that trains it further makes its own.
    """
    vae, _ = pretrained
    x, y = digits
    classifier, _ = vaekit.finetune(vae, x[:600], partly_labelled(y[:600]),
                                    tiny_finetune(epochs=1), seed=0)
    return classifier


# ---------------------------------------------------------------- label checks
@pytest.mark.parametrize(
    ("y", "error", "message"),
    [
        (np.full(10, -1), ValueError, "no labelled rows"),
        (np.array([0, 0, -1, -1, -1, -1, -1, -1, -1, -1]), ValueError, "single class"),
        (np.array([0, 0, 1, -1, -1, -1, -1, -1, -1, -1]), ValueError, "fewer than 2"),
        (np.array(["a", "b"] * 5), TypeError, "integer class indices"),
        (np.array([0.5, 1.0] * 5), TypeError, "integer class indices"),
        (np.array([0, 0, 2, 2, -1, -1, -1, -1, -1, -1]), ValueError, r"class\(es\) \[1\]"),
        (np.array([0, 0, 1, 1, -2, -1, -1, -1, -1, -1]), ValueError, "other than -1"),
        (np.array([0, 1, 0, 1]), ValueError, "10 rows but y has 4"),
    ],
)
def test_bad_labels_are_rejected_with_the_reason(y, error, message):
    with pytest.raises(error, match=message):
        check_semi_supervised_labels(y, 10)


def test_fewer_rows_than_a_batch_make_one_smaller_batch(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    _, history = vaekit.finetune(vae, x[:100], partly_labelled(y[:100], per_class=2),
                                 FinetuneConfig(epochs=3, batch_size=256))
    assert len(history["loss"]) == 1  # 3 steps of 100 rows, in one round


def test_finetune_rejects_a_model_that_is_not_a_vae(digits):
    x, y = digits
    autoencoder = vaekit.build_autoencoder((8, 8, 1), 4, hidden_units=(16,))
    with pytest.raises(TypeError, match="vaekit.VAE"):
        vaekit.finetune(autoencoder, x, partly_labelled(y), tiny_finetune())


# ---------------------------------------------------------------- fine-tuning
@pytest.mark.backends
def test_finetune_learns_the_digits_from_a_few_labels(pretrained, digits):
    vae, pretrain_history = pretrained
    x, y = digits
    x_train, y_train, x_test, y_test = x[:600], y[:600], x[1200:], y[1200:]
    before = vae.get_weights()
    classifier, history = vaekit.finetune(
        vae, x_train, partly_labelled(y_train, per_class=10), tiny_finetune(epochs=60),
        seed=0,
    )
    accuracy = np.mean(classifier.predict_classes(x_test) == y_test)
    assert accuracy > 0.5, accuracy  # chance is 0.1
    assert set(history) >= {"loss", "classification_loss", "vae_loss", "pseudo_label_loss",
                            "confident_fraction", "accuracy"}
    assert history["classification_loss"][-1] < history["classification_loss"][0]
    assert all(np.isfinite(history["vae_loss"]))
    # The pretrained VAE is left as it was: fine-tuning works on copies.
    for old, new in zip(before, vae.get_weights()):
        np.testing.assert_array_equal(old, new)
    probabilities = classifier.predict_proba(x_test[:5])
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert classifier.encode(x_test[:5]).shape == (5, vae.latent_dim)


def test_frozen_encoder_does_not_change_while_the_head_does(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    classifier, _ = vaekit.finetune(
        vae, x[:600], partly_labelled(y[:600]),
        tiny_finetune(epochs=2, freeze_encoder_epochs=2, ema_momentum=0.0), seed=0,
    )
    for old, new in zip(vae.encoder.get_weights(), classifier.encoder.get_weights()):
        np.testing.assert_allclose(old, new)
    from vaekit.builders.classifier_head import build_head

    head_init = build_head(vae.latent_dim, 10)
    assert classifier.head.get_weights()[0].shape == head_init.get_weights()[0].shape
    assert not np.allclose(classifier.head.get_weights()[1], 0.0)  # biases moved


def test_classifier_round_trips_through_a_keras_file(finetuned_once, digits, tmp_path):
    classifier = finetuned_once
    x, _ = digits
    path = tmp_path / "classifier.keras"
    classifier.save(path)
    np.save(tmp_path / "x.npy", x[:20])
    expected = classifier.predict_proba(x[:20])
    x_file, p_file = str(tmp_path / "x.npy"), str(tmp_path / "p.npy")
    code = (
        "import numpy as np, keras, vaekit\n"
        f"m = keras.models.load_model({str(path)!r})\n"
        f"np.save({p_file!r}, m.predict_proba(np.load({x_file!r})))\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    np.testing.assert_allclose(np.load(tmp_path / "p.npy"), expected, atol=1e-6)


def test_pretrain_then_finetune_runs_the_whole_job(digits):
    x, y = digits
    result = vaekit.pretrain_then_finetune(
        x[:600], partly_labelled(y[:600]), pretrain=TINY_PRETRAIN,
        finetune=tiny_finetune(epochs=2), seed=1,
    )
    assert isinstance(result.vae, vaekit.VAE)
    assert isinstance(result.classifier, vaekit.SemiSupervisedClassifier)
    assert len(result.pretrain_history["loss"]) == TINY_PRETRAIN.schedule(600).rounds
    assert len(result.finetune_history["loss"]) == tiny_finetune(epochs=2).schedule(600).rounds
    with pytest.raises(ValueError, match="no labelled rows"):
        vaekit.pretrain_then_finetune(x[:600], np.full(600, -1))


@pytest.mark.parametrize(("shape", "loss", "mixup", "propagation"), [
    ((64,), "bce", 0.5, 1.0),       # flat pixel rows in [0, 1]
    ((8, 8, 1), "mse", 0.5, 1.0),   # images, whatever the loss
    ((30,), "mse", 0.0, 0.0),       # a standardised table
])
def test_new_classifier_gets_the_recipe_of_its_data(shape, loss, mixup, propagation):
    vae = vaekit.build_vae(shape, 2, "dense", reconstruction=loss, seed=0, hidden_units=(8,))
    model = vaekit.SemiSupervisedClassifier(vae.encoder, vae.decoder, 3,
                                            reconstruction=loss)
    assert (model.recipe.mixup, model.recipe.label_propagation_weight) == (mixup, propagation)


# ---------------------------------------------------------------- batches and targets
def test_joint_batches_depend_on_the_step_not_on_the_round_size():
    x = np.arange(40, dtype="float32")[:, None]
    y = np.where(np.arange(40) < 10, np.arange(40) % 2, -1)
    small = JointBatches(x, y, np.arange(10), 8, 4, seed=3, steps_per_round=2)
    large = JointBatches(x, y, np.arange(10), 8, 4, seed=3, steps_per_round=5)
    first = []
    for _ in range(5):  # 5 rounds of 2 steps
        first += [small.rows_of_step(small.round * 2 + i) for i in range(2)]
        small.on_epoch_end()
    second = []
    for _ in range(2):  # 2 rounds of 5 steps
        second += [large.rows_of_step(large.round * 5 + i) for i in range(5)]
        large.on_epoch_end()
    for (lab_a, unl_a), (lab_b, unl_b) in zip(first, second):
        np.testing.assert_array_equal(lab_a, lab_b)
        np.testing.assert_array_equal(unl_a, unl_b)
    one_pass = np.concatenate([unl for _, unl in first[:5]])  # 5 steps of 8 = 40 rows
    np.testing.assert_array_equal(np.sort(one_pass), np.arange(40))
    assert all(len(set(lab)) == len(lab) for lab, _ in first)  # no repeats within a step


def test_label_propagation_follows_the_graph_and_marks_unreached_rows():
    # Two tight clusters with one label each, and a far pair that no label reaches.
    z = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2], [100.0], [100.1]])
    y = np.array([0, -1, -1, 1, -1, -1, -1, -1])
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the expected warnings are filtered inside
        targets, weights = propagate_labels(z, y, n_classes=2, neighbors=2)
    assert targets[:3].argmax(1).tolist() == [0, 0, 0]
    assert targets[3:6].argmax(1).tolist() == [1, 1, 1]
    np.testing.assert_allclose(targets[6:], 0.5)
    np.testing.assert_array_equal(weights[6:], 0.0)
    assert (weights[:6] > 0.5).all()


def test_soft_targets_blend_the_input_graph_and_weigh_by_confidence():
    from vaekit.semi_supervised.propagation import SoftTargets, confidence

    x = np.array([[0.0], [0.1], [0.2], [10.0], [10.1], [10.2]])
    y = np.array([0, -1, -1, 1, -1, -1])
    # Latent means that mix the classes up, and inputs that separate them.
    z = np.array([[0.0], [10.1], [0.1], [10.0], [0.2], [10.2]])
    latent_only = SoftTargets(x, y, 2, neighbors=2, input_share=0.0)
    assert latent_only.input_targets is None
    blended = SoftTargets(x, y, 2, neighbors=2, input_share=0.5)
    targets, weights = blended(z)
    z_targets, _ = latent_only(z)
    np.testing.assert_allclose(targets, 0.5 * z_targets + 0.5 * blended.input_targets,
                               atol=1e-6)
    np.testing.assert_allclose(weights, confidence(targets), atol=1e-6)
    assert confidence(np.array([[1.0, 0.0], [0.5, 0.5]])).tolist() == [1.0, 0.0]


# ---------------------------------------------------------------- schedule behaviour
def test_averaged_weights_survive_early_stopping(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    y_few = partly_labelled(y[:600], per_class=9)
    classifier, history = vaekit.finetune(
        vae, x[:600], y_few,
        tiny_finetune(steps=60, validation_fraction=0.34, ema_momentum=0.9,
                      early_stopping_patience=2), seed=0)
    assert classifier.optimizer.use_ema
    _, val_rows = validation_split(
        y_few, np.flatnonzero(y_few >= 0), 0.34, 0)
    kept = np.mean(classifier.predict_classes(x[val_rows]) == y_few[val_rows])
    # What is kept is what was validated best: the averaged weights of the best round.
    assert kept == pytest.approx(max(history["val_accuracy"]), abs=1e-6)


def test_early_stopping_stops_and_keeps_the_best_round(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    # A learning rate this small leaves the validation accuracy where it starts.
    _, history = vaekit.finetune(
        vae, x[:600], partly_labelled(y[:600], per_class=6),
        tiny_finetune(steps=200, learning_rate=1e-12, validation_fraction=0.34,
                      early_stopping_patience=2, ema_momentum=0.0), seed=0)
    rounds = FinetuneConfig(steps=200, batch_size=64).schedule(600).rounds
    assert rounds > 3
    assert len(history["loss"]) == 3  # the first round, then 2 without improvement


def test_class_weights_change_what_the_classifier_learns(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    y_few = partly_labelled(y[:600], per_class=10)
    shares = []
    for weights in (None, {0: 0.0}):
        recipe = FinetuneRecipe(class_weight=weights, pseudo_label_weight=0.0,
                                label_propagation_weight=0.0)
        classifier, _ = vaekit.finetune(vae, x[:600], y_few, tiny_finetune(epochs=40),
                                        recipe=recipe, seed=0)
        shares.append(np.mean(classifier.predict_classes(x[1200:]) == 0))
    # Without weight, class 0 is learned from nothing but the other classes' rows.
    assert shares[0] > 0.05 and shares[1] < shares[0] / 2, shares


def test_free_bits_of_the_vae_apply_in_fine_tuning(digits):
    x, y = digits
    vae, _ = vaekit.pretrain_vae(x[:300], PretrainConfig(
        latent_dim=4, epochs=1, batch_size=64, free_bits=0.25,
        architecture_options={"hidden_units": (16,)}), seed=0)
    classifier, _ = vaekit.finetune(vae, x[:300], partly_labelled(y[:300], per_class=3),
                                    tiny_finetune(epochs=1), seed=0)
    assert classifier.free_bits == 0.25


@pytest.mark.backends
def test_augmentation_draws_advance_every_step(finetuned_once):
    classifier = finetuned_once
    state = keras.ops.convert_to_numpy(classifier.augment_seed.state)
    fresh = vaekit.SemiSupervisedClassifier(classifier.encoder, classifier.decoder, 10, seed=0)
    assert not np.array_equal(state, keras.ops.convert_to_numpy(fresh.augment_seed.state))


# ---------------------------------------------------------------- warm start
@pytest.mark.backends  # on JAX the end of the first fit once left weights sharing buffers
def test_warm_start_applies_a_changed_recipe_and_learning_rate(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    y_few = partly_labelled(y[:600])
    classifier, _ = vaekit.finetune(vae, x[:600], y_few, tiny_finetune(epochs=1), seed=0)
    steps = int(classifier.optimizer.iterations)
    vaekit.finetune(vae, x[:600], y_few, tiny_finetune(epochs=1, learning_rate=5e-4),
                    recipe=FinetuneRecipe(alpha=0.5, confidence=0.8), classifier=classifier)
    assert (classifier.recipe.alpha, classifier.recipe.confidence) == (0.5, 0.8)
    assert float(classifier.optimizer.learning_rate) == pytest.approx(5e-4)
    assert int(classifier.optimizer.iterations) > steps  # the optimizer state went on
    with pytest.raises(ValueError, match="cannot change head_units from"):
        vaekit.finetune(vae, x[:600], y_few, tiny_finetune(epochs=1),
                        recipe=FinetuneRecipe(head_units=(8,)), classifier=classifier)
    with pytest.raises(ValueError, match="averaging cannot be switched"):
        vaekit.finetune(vae, x[:600], y_few, tiny_finetune(epochs=1, ema_momentum=0.0),
                        classifier=classifier)


# ---------------------------------------------------------------- the central claim
@pytest.mark.slow
def test_finetune_beats_a_probe_on_the_frozen_latent_means(digits):
    from sklearn.linear_model import LogisticRegression

    x, y = digits
    x_train, y_train, x_test, y_test = x[:1257], y[:1257], x[1257:], y[1257:]
    y_few = partly_labelled(y_train, per_class=10, seed=0)
    vae, _ = vaekit.pretrain_vae(x_train, PretrainConfig(
        latent_dim=16, epochs=40, architecture_options={"hidden_units": (128,)}), seed=0)
    labelled = y_few >= 0
    probe = LogisticRegression(max_iter=2000).fit(vae.encode(x_train[labelled]),
                                                  y_train[labelled])
    probe_accuracy = probe.score(vae.encode(x_test), y_test)
    classifier, _ = vaekit.finetune(vae, x_train, y_few, FinetuneConfig(epochs=100), seed=0)
    finetune_accuracy = np.mean(classifier.predict_classes(x_test) == y_test)
    assert finetune_accuracy > probe_accuracy + 0.03, (finetune_accuracy, probe_accuracy)
