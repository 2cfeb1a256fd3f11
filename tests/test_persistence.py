"""Fitted estimators saved as a zip of ``.keras`` models and JSON, and loaded without pickle.

One tiny transformer (fitted on a DataFrame, so it has feature names) and one
tiny classifier (string labels) are fitted per module; every test saves or
loads them.
"""

from __future__ import annotations

import json
import pickle
import zipfile

import keras
import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_digits

from vaekit.estimators import VAEClassifier, VAETransformer, load_estimator

QUICK_FINETUNE = {"augment": "none", "mixup": 0.0, "pseudo_label_weight": 0.0,
                  "label_propagation_weight": 0.0, "ema_momentum": 0.0}


@pytest.fixture(scope="module")
def data():
    X, y = load_digits(return_X_y=True)
    X = (X[:300] / 16.0).astype(np.float32)
    frame = pd.DataFrame(X, columns=[f"pixel_{i}" for i in range(X.shape[1])])
    labels = np.array([f"digit {d}" for d in y[:300]], dtype=object)
    labels[np.arange(300) % 3 != 0] = -1  # a third of the rows labelled
    return frame, labels


@pytest.fixture(scope="module")
def transformer(data):
    frame, _ = data
    return VAETransformer(latent_dim=2, hidden_units=(16,), epochs=2, batch_size=64,
                          random_state=0).fit(frame)


@pytest.fixture(scope="module")
def classifier(data):
    frame, labels = data
    return VAEClassifier(latent_dim=3, hidden_units=(16,), pretrain_epochs=1,
                         finetune_epochs=2, batch_size=64,
                         finetune_options=QUICK_FINETUNE, random_state=0).fit(frame, labels)


def test_saved_transformer_loads_with_the_same_state_and_identical_features(
        transformer, data, tmp_path):
    frame, _ = data
    path = transformer.save(tmp_path / "transformer.zip")

    loaded = VAETransformer.load(path)

    assert loaded.get_params() == transformer.get_params()
    assert loaded.get_params()["hidden_units"] == (16,)  # tuples stay tuples
    np.testing.assert_array_equal(loaded.feature_names_in_, transformer.feature_names_in_)
    assert loaded.n_features_in_ == transformer.n_features_in_ == 64
    assert loaded.history_ == transformer.history_
    np.testing.assert_array_equal(loaded.kl_per_dimension_, transformer.kl_per_dimension_)
    assert loaded.encoder_ is loaded.vae_.encoder and loaded.decoder_ is loaded.vae_.decoder
    np.testing.assert_array_equal(loaded.transform(frame), transformer.transform(frame))
    np.testing.assert_array_equal(loaded.inverse_transform([[0.5, -0.5]]),
                                  transformer.inverse_transform([[0.5, -0.5]]))


def test_saved_classifier_predicts_identically_with_its_string_classes(
        classifier, data, tmp_path):
    frame, _ = data
    loaded = load_estimator(classifier.save(tmp_path / "classifier.zip"))

    assert isinstance(loaded, VAEClassifier)
    assert loaded.classes_.dtype == classifier.classes_.dtype
    np.testing.assert_array_equal(loaded.classes_, classifier.classes_)
    np.testing.assert_array_equal(loaded.predict_proba(frame), classifier.predict_proba(frame))
    np.testing.assert_array_equal(loaded.predict(frame), classifier.predict(frame))
    assert loaded.encoder_ is loaded.model_.encoder


def test_file_holds_json_and_keras_archives_only(classifier, tmp_path):
    path = classifier.save(tmp_path / "classifier.zip")

    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == ["estimator.json", "model_.keras", "vae_.keras"]
        state = json.loads(archive.read("estimator.json"))
    assert state["class"] == "VAEClassifier"
    assert state["params"]["latent_dim"] == 3
    assert "classes_" in state["attributes"] and "n_features_in_" in state["attributes"]


def test_saved_files_and_pickles_leave_out_the_optimizer_state(classifier, tmp_path):
    lean = classifier.save(tmp_path / "lean.zip")
    full = classifier.save(tmp_path / "full.zip", include_optimizer=True)

    assert _weight_groups(lean, "model_.keras") == ["decoder", "encoder", "head", "layers",
                                                    "vars"]
    assert "optimizer" in _weight_groups(full, "model_.keras")
    # Adam's two moments per weight are most of the full file even for this tiny
    # model (a 64-16-3 VAE, whose configuration weighs as much as its weights).
    assert lean.stat().st_size < 0.7 * full.stat().st_size
    assert len(pickle.dumps(classifier)) < 0.7 * full.stat().st_size
    restored = pickle.loads(pickle.dumps(classifier))
    assert getattr(restored.model_, "optimizer", None) is None
    assert VAEClassifier.load(full).model_.optimizer is not None


def test_warm_start_after_a_lean_load_says_how_to_keep_the_optimizer(
        transformer, data, tmp_path):
    frame, _ = data
    lean = VAETransformer.load(transformer.save(tmp_path / "lean.zip"))
    with pytest.raises(ValueError, match="include_optimizer=True"):
        lean.set_params(warm_start=True, epochs=1).fit(frame)

    full = VAETransformer.load(transformer.save(tmp_path / "full.zip", include_optimizer=True))
    steps = int(keras.ops.convert_to_numpy(full.vae_.optimizer.iterations))
    full.set_params(warm_start=True, epochs=1).fit(frame)
    assert int(keras.ops.convert_to_numpy(full.vae_.optimizer.iterations)) > steps > 0
    assert len(full.history_["loss"]) == 3


def test_a_model_holding_python_code_is_refused_unless_trusted(transformer, tmp_path):
    path = transformer.save(tmp_path / "transformer.zip")
    inputs = keras.Input((64,))
    outputs = keras.layers.Lambda(lambda t: t * 2, name="runs_code")(inputs)
    keras.Model(inputs, outputs).save(tmp_path / "lambda.keras")
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(tampered, "w") as target:
        target.writestr("estimator.json", source.read("estimator.json"))
        target.writestr("vae_.keras", (tmp_path / "lambda.keras").read_bytes())

    with pytest.raises(ValueError, match=r"runs_code.*safe_mode=False"):
        VAETransformer.load(tampered)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda p, good: p, FileNotFoundError, "no such file"),
        (lambda p, good: p.write_bytes(good.read_bytes()[:300]) and p, ValueError, "cut short"),
        (lambda p, good: p.write_text("not a zip") and p, ValueError, "not a zip archive"),
        (lambda p, good: _zip(p, {"other.txt": b"x"}), ValueError, "no estimator.json"),
        (lambda p, good: _zip(p, {"estimator.json": b'{"format": "vaekit-estimator", '
                                                     b'"format_version": 99}'}),
         ValueError, "format version 99"),
        (lambda p, good: _zip(p, {"estimator.json": b'{"format": "vaekit-estimator", '
                                                     b'"format_version": 1, "class": "os"}'}),
         ValueError, "holds a 'os'"),
    ],
    ids=["missing", "truncated", "not-zip", "foreign-zip", "newer-format", "unknown-class"],
)
def test_bad_estimator_files_are_clear_errors_naming_the_file(
        transformer, tmp_path, make, error, message):
    good = transformer.save(tmp_path / "good.zip")
    path = make(tmp_path / "bad.zip", good)

    with pytest.raises(error, match=message) as caught:
        VAETransformer.load(path)
    assert "bad.zip" in str(caught.value)


def test_loading_the_wrong_class_and_saving_badly_are_clear_errors(
        transformer, classifier, tmp_path):
    path = classifier.save(tmp_path / "classifier.zip")
    with pytest.raises(ValueError, match="holds a VAEClassifier, not a VAETransformer"):
        VAETransformer.load(path)
    with pytest.raises(ValueError, match=r"must end in \.zip"):
        transformer.save(tmp_path / "transformer.keras")
    with pytest.raises(FileNotFoundError, match="create it first"):
        transformer.save(tmp_path / "missing" / "transformer.zip")


def _zip(path, members: dict):
    with zipfile.ZipFile(path, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def _weight_groups(path, member: str) -> list[str]:
    """Top-level groups of the weights file inside ``member`` of the estimator file."""
    import io

    import h5py

    with zipfile.ZipFile(path) as archive, zipfile.ZipFile(
            io.BytesIO(archive.read(member))) as model:
        with h5py.File(io.BytesIO(model.read("model.weights.h5")), "r") as weights:
            return sorted(weights)
