"""Semi-supervised fine-tuning: label checks, augmentation, the joint step, saving."""

from __future__ import annotations

import subprocess
import sys

import keras
import numpy as np
import pytest

import vaekit
from vaekit.config import FinetuneConfig, PretrainConfig
from vaekit.semi_supervised import Augmenter, check_semi_supervised_labels
from vaekit.semi_supervised.augment import warp_bank

TINY_PRETRAIN = PretrainConfig(latent_dim=8, epochs=3, batch_size=64,
                               architecture_options={"hidden_units": (64,)})


def tiny_finetune(**overrides) -> FinetuneConfig:
    settings = dict(epochs=3, batch_size=64, labelled_batch_size=32)
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


def test_fewer_rows_than_a_batch_is_rejected(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    with pytest.raises(ValueError, match="batch_size=256"):
        vaekit.finetune(vae, x[:100], partly_labelled(y[:100], per_class=2),
                        FinetuneConfig(epochs=1, batch_size=256))


def test_finetune_rejects_a_model_that_is_not_a_vae(digits):
    x, y = digits
    autoencoder = vaekit.build_autoencoder((8, 8, 1), 4, hidden_units=(16,))
    with pytest.raises(TypeError, match="vaekit.VAE"):
        vaekit.finetune(autoencoder, x, partly_labelled(y), tiny_finetune())


# ---------------------------------------------------------------- augmentation
@pytest.mark.backends
def test_identity_warp_returns_the_image_and_a_shift_moves_it(digits):
    x, _ = digits
    image = x[:1]
    identity = np.array([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
    shift = np.array([[[1.0, 0.0, -1.0], [0.0, 1.0, 0.0]]])  # source x = output x - 1
    for matrix, expected in ((identity, image[0, :, :, 0]),
                             (shift, np.pad(image[0, :, :-1, 0], ((0, 0), (1, 0))))):
        indices, weights = warp_bank(8, 8, matrix)
        flat = image.reshape(1, 64)[0]
        warped = (flat[indices[0].reshape(64, 4)] * weights[0]).sum(-1).reshape(8, 8)
        np.testing.assert_allclose(warped, expected, atol=1e-6)


@pytest.mark.backends
def test_augmenter_views_keep_the_shape_and_differ_from_the_input(digits):
    x, _ = digits
    augmenter = Augmenter((8, 8, 1), "auto", seed=0)
    assert augmenter.kind == "affine"
    batch = keras.ops.convert_to_tensor(x[:32])
    weak = keras.ops.convert_to_numpy(augmenter.weak(batch))
    strong = keras.ops.convert_to_numpy(augmenter.strong(batch))
    assert weak.shape == strong.shape == x[:32].shape
    assert np.abs(strong - x[:32]).mean() > np.abs(weak - x[:32]).mean() > 0
    assert Augmenter((64,), "auto").kind == "noise"
    assert Augmenter((8, 8), "auto").kind == "noise"  # sequences are not images
    with pytest.raises(ValueError, match="needs images"):
        Augmenter((64,), "affine")


@pytest.mark.backends
def test_corrupt_view_draws_each_value_from_its_own_column():
    rng = np.random.default_rng(0)
    # Column j holds values in [100 j, 100 j + 1): a donor from another column shows.
    x = (rng.random((256, 6)) + 100 * np.arange(6)).astype("float32")
    augmenter = Augmenter((6,), "corrupt", seed=0, noise_std=0.0, corruption_rate=0.3)

    strong = keras.ops.convert_to_numpy(augmenter.strong(keras.ops.convert_to_tensor(x)))
    weak = keras.ops.convert_to_numpy(augmenter.weak(keras.ops.convert_to_tensor(x)))

    assert strong.shape == x.shape
    np.testing.assert_array_equal(np.floor(strong / 100), np.floor(x / 100))
    for column in range(6):  # every value is one of its column's own values
        assert np.isin(strong[:, column], x[:, column]).all()
    changed = (strong != x).mean()
    assert 0.2 < changed < 0.35  # 30 % replaced, minus donors that are the row itself
    np.testing.assert_array_equal(weak, x)  # noise_std=0: the weak view is the row


# ---------------------------------------------------------------- fine-tuning
@pytest.mark.backends
def test_finetune_learns_the_digits_from_a_few_labels(pretrained, digits):
    vae, pretrain_history = pretrained
    x, y = digits
    x_train, y_train, x_test, y_test = x[:600], y[:600], x[1200:], y[1200:]
    before = vae.get_weights()
    classifier, history = vaekit.finetune(
        vae, x_train, partly_labelled(y_train, per_class=10), tiny_finetune(epochs=12),
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
    head_init = vaekit.semi_supervised.build_head(vae.latent_dim, 10)
    assert classifier.head.get_weights()[0].shape == head_init.get_weights()[0].shape
    assert not np.allclose(classifier.head.get_weights()[1], 0.0)  # biases moved


def test_validation_split_reports_validation_accuracy(pretrained, digits):
    vae, _ = pretrained
    x, y = digits
    _, history = vaekit.finetune(
        vae, x[:600], partly_labelled(y[:600], per_class=6),
        tiny_finetune(epochs=2, validation_fraction=0.34, class_weight="balanced"), seed=0,
    )
    assert "val_accuracy" in history and len(history["val_accuracy"]) >= 1


def test_classifier_round_trips_through_a_keras_file(pretrained, digits, tmp_path):
    vae, _ = pretrained
    x, y = digits
    classifier, _ = vaekit.finetune(vae, x[:600], partly_labelled(y[:600]),
                                    tiny_finetune(epochs=1), seed=0)
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
    assert len(result.pretrain_history["loss"]) == 3
    assert len(result.finetune_history["loss"]) == 2
    with pytest.raises(ValueError, match="no labelled rows"):
        vaekit.pretrain_then_finetune(x[:600], np.full(600, -1))


@pytest.mark.parametrize(("shape", "loss", "mixup", "propagation"), [
    ((64,), "bce", 0.5, 1.0),       # flat pixel rows in [0, 1]
    ((8, 8, 1), "mse", 0.5, 1.0),   # images, whatever the loss
    ((30,), "mse", 0.0, 0.0),       # a standardised table
])
def test_new_classifier_gets_the_recipe_of_its_data(shape, loss, mixup, propagation):
    from vaekit.semi_supervised.training import _new_classifier

    vae = vaekit.build_vae(shape, 2, "dense", reconstruction=loss, seed=0, hidden_units=(8,))
    model = _new_classifier(vae, 3, FinetuneConfig(), np.array([0, 1, 2]), seed=0)
    assert (model.mixup, model.label_propagation_weight) == (mixup, propagation)
