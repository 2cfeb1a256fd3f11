"""``.keras`` round trips: models saved here load in a fresh Python with plain Keras.

The models are trained and saved once per module; a single fresh subprocess
(``KERAS_BACKEND`` set to the backend under test) then runs
``import vaekit, keras; keras.models.load_model(path)`` for each file, with no
``custom_objects`` and the default ``safe_mode``, and writes what the loaded
models compute to ``.npy`` files that the tests compare with the originals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

import vaekit

pytestmark = pytest.mark.backends

LATENT_DIM = 3
SAVED_BETA = 0.25

# Runs in the fresh interpreter. Every job is independent: a failure is recorded
# (with its traceback) for the test that owns the job, and the others still run.
LOADER = textwrap.dedent(
    """
    import json, sys, traceback
    import numpy as np
    import vaekit, keras

    work = sys.argv[1]
    x = {name: np.load(f"{work}/{name}.npy") for name in ("flat", "images", "sequences")}
    labels = np.load(f"{work}/labels.npy")

    def vae_job(name, data, full=False):
        model = keras.models.load_model(f"{work}/{name}.keras")
        np.save(f"{work}/{name}.loaded.npy", model.encode(x[data]))
        out = {"class": type(model).__name__, "compiled": model.optimizer is not None}
        if isinstance(model, vaekit.AutoEncoder):
            np.save(f"{work}/{name}.reconstruct.npy", model.reconstruct(x[data]))
        if full:
            np.save(f"{work}/{name}.elbo.npy", model.elbo(x[data]))
            np.save(f"{work}/{name}.sample.npy", model.sample(4, seed=3))
            out["beta"] = model.beta
            history = model.fit(x[data], epochs=1, batch_size=256, verbose=0).history
            out["continued_loss"] = history["loss"][0]
        return out

    def encoder_job(name, data):
        encoder = keras.models.load_model(f"{work}/{name}.keras")
        z_mean, _ = encoder.predict(x[data], verbose=0)
        np.save(f"{work}/{name}.loaded.npy", z_mean)
        # The loaded encoder as a layer of a new functional model, trained further.
        inputs = keras.Input(shape=x[data].shape[1:])
        features, _ = encoder(inputs)
        outputs = keras.layers.Dense(10, activation="softmax")(features)
        classifier = keras.Model(inputs, outputs)
        classifier.compile(optimizer=keras.optimizers.Adam(1e-2),
                           loss="sparse_categorical_crossentropy")
        before = [w.copy() for w in encoder.get_weights()]
        history = classifier.fit(x[data], labels, epochs=5, batch_size=128, verbose=0)
        change = max(float(np.max(np.abs(a - b)))
                     for a, b in zip(before, encoder.get_weights()))
        return {"class": type(encoder).__name__, "losses": history.history["loss"],
                "encoder_weight_change": change, "encoder_trainable": encoder.trainable}

    jobs = {
        "vae_dense": lambda: vae_job("vae_dense", "flat", full=True),
        "ae_dense": lambda: vae_job("ae_dense", "flat"),
        "vae_conv": lambda: vae_job("vae_conv", "images"),
        "vae_recurrent": lambda: vae_job("vae_recurrent", "sequences"),
        "encoder": lambda: encoder_job("encoder", "flat"),
    }
    results = {"backend": keras.backend.backend()}
    for name, job in jobs.items():
        try:
            results[name] = {"error": None, **job()}
        except Exception:
            results[name] = {"error": traceback.format_exc()}
    with open(f"{work}/results.json", "w") as handle:
        json.dump(results, handle)
    """
)


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory, digits, digits_flat, digits_sequences, tiny_options):
    """Train and save the models, load them all in one fresh subprocess, return results."""
    work = tmp_path_factory.mktemp("saving")
    x = {"flat": digits_flat[0][:512], "images": digits[0][:512],
         "sequences": digits_sequences[0][:512]}
    for name, data in x.items():
        np.save(work / f"{name}.npy", data)
    np.save(work / "labels.npy", digits[1][:512])

    keras.utils.set_random_seed(0)
    models = {
        "vae_dense": (vaekit.build_vae((64,), LATENT_DIM, seed=1, **tiny_options["dense"]),
                      "flat"),
        "ae_dense": (vaekit.build_autoencoder((64,), LATENT_DIM, **tiny_options["dense"]),
                     "flat"),
        "vae_conv": (vaekit.build_vae((8, 8, 1), LATENT_DIM, "conv", seed=1,
                                      **tiny_options["conv"]), "images"),
        "vae_recurrent": (vaekit.build_vae((8, 8), LATENT_DIM, "recurrent", seed=1,
                                           units=(8,), cell="gru"), "sequences"),
    }
    expected = {}
    # Only the dense VAE is trained (its optimizer state is saved too); the others
    # keep their initial weights, which is enough to compare what the copies compute.
    models["vae_dense"][0].fit(x["flat"], epochs=1, batch_size=128, verbose=0)
    for name, (model, data) in models.items():
        model(x[data][:2])  # builds the subclassed model, so it saves without a warning
        if name == "vae_dense":
            model.kl_divergence.beta.assign(SAVED_BETA)  # a changed variable must persist
            expected[f"{name}.elbo"] = model.elbo(x[data])
            expected[f"{name}.sample"] = model.sample(4, seed=3)
        expected[name] = model.encode(x[data])
        model.save(work / f"{name}.keras")
    expected["ae_dense.reconstruct"] = models["ae_dense"][0].reconstruct(x["flat"])
    encoder = models["vae_dense"][0].encoder
    encoder.save(work / "encoder.keras")
    expected["encoder"] = np.asarray(encoder.predict(x["flat"], verbose=0)[0])

    env = {**os.environ, "KERAS_BACKEND": keras.backend.backend(),
           "TF_CPP_MIN_LOG_LEVEL": "2"}
    process = subprocess.run(
        [sys.executable, "-c", LOADER, str(work)],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert process.returncode == 0, process.stderr[-3000:]
    results = json.loads((work / "results.json").read_text())
    return {"work": work, "results": results, "expected": expected, "models": models}


def job(round_trip, name) -> dict:
    """The fresh process's result for ``name``; fail with its traceback if it raised."""
    result = round_trip["results"][name]
    if result["error"]:
        pytest.fail(f"loading {name} in a fresh process failed:\n{result['error']}")
    return result


def loaded(round_trip, name) -> np.ndarray:
    return np.load(round_trip["work"] / f"{name}.npy")


def test_fresh_process_uses_the_backend_under_test(round_trip):
    assert round_trip["results"]["backend"] == keras.backend.backend()


@pytest.mark.parametrize(
    ("name", "cls"),
    [("vae_dense", "VAE"), ("vae_conv", "VAE"), ("vae_recurrent", "VAE"),
     ("ae_dense", "AutoEncoder")],
)
def test_saved_model_loads_with_plain_keras_and_encodes_identically(round_trip, name, cls):
    result = job(round_trip, name)
    expected = round_trip["expected"]

    assert result["class"] == cls
    assert result["compiled"]
    np.testing.assert_allclose(loaded(round_trip, f"{name}.loaded"), expected[name],
                               rtol=1e-5, atol=1e-6)


def test_loaded_autoencoder_reconstructs_identically(round_trip):
    job(round_trip, "ae_dense")

    np.testing.assert_allclose(loaded(round_trip, "ae_dense.reconstruct"),
                               round_trip["expected"]["ae_dense.reconstruct"],
                               rtol=1e-5, atol=1e-6)


def test_loaded_vae_gives_the_same_elbo_and_samples(round_trip):
    job(round_trip, "vae_dense")
    expected = round_trip["expected"]

    np.testing.assert_allclose(loaded(round_trip, "vae_dense.elbo"),
                               expected["vae_dense.elbo"], rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(loaded(round_trip, "vae_dense.sample"),
                               expected["vae_dense.sample"], rtol=1e-5, atol=1e-6)


def test_loaded_vae_keeps_the_current_beta_and_keeps_training(round_trip):
    result = job(round_trip, "vae_dense")

    assert result["beta"] == pytest.approx(SAVED_BETA)
    assert np.isfinite(result["continued_loss"])


def test_saved_encoder_alone_loads_and_encodes_identically(round_trip):
    job(round_trip, "encoder")

    np.testing.assert_allclose(loaded(round_trip, "encoder.loaded"),
                               round_trip["expected"]["encoder"], rtol=1e-5, atol=1e-6)


def test_loaded_encoder_trains_further_inside_a_new_classifier(round_trip):
    result = job(round_trip, "encoder")

    assert result["encoder_trainable"]
    assert result["encoder_weight_change"] > 0, "the encoder's weights did not change"
    losses = result["losses"]
    assert all(np.isfinite(losses))
    assert losses[-1] < 0.8 * losses[0]


def test_vae_config_round_trip_rebuilds_the_same_structure(round_trip):
    vae = round_trip["models"]["vae_dense"][0]

    clone = vaekit.VAE.from_config(vae.get_config())

    assert isinstance(clone, vaekit.VAE)
    assert clone.sample_shape == vae.sample_shape
    assert clone.latent_dim == vae.latent_dim
    assert clone.reconstruction == vae.reconstruction
    assert clone.seed == vae.seed == 1
    assert [layer.name for layer in clone.encoder.layers] == [
        layer.name for layer in vae.encoder.layers
    ]
    assert clone.encoder.count_params() == vae.encoder.count_params()
    assert clone.decoder.count_params() == vae.decoder.count_params()


# --------------------------------------------------------------------- file errors
@pytest.fixture(scope="module")
def small_vae():
    """A built, compiled and once-trained 16-8-2 VAE (so its optimizer has state)."""
    vae = vaekit.build_vae((16,), 2, hidden_units=(8,), seed=0)
    vae.fit(np.full((32, 16), 0.5, "float32"), epochs=1, batch_size=32, verbose=0)
    return vae


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [("vae.h5", ValueError, r"must end in \.keras \(\.h5 is Keras 2's format"),
     ("vae.txt", ValueError, r"save to '.*vae\.keras' instead"),
     ("missing/vae.keras", FileNotFoundError, r"folder .*missing' does not exist; create it")],
)
def test_saving_to_a_wrong_name_or_a_missing_folder_names_the_path_and_the_fix(
        small_vae, tmp_path, name, error, message):
    path = tmp_path / name
    for save in (small_vae.save, lambda p: vaekit.save_model(small_vae, p)):
        with pytest.raises(error, match=message) as caught:
            save(path)
        assert str(path) in str(caught.value)
    assert not path.exists()


def test_lean_file_leaves_out_the_optimizer_and_loads_uncompiled(small_vae, tmp_path):
    lean = vaekit.save_model(small_vae, tmp_path / "lean.keras")
    full = vaekit.save_model(small_vae, tmp_path / "full.keras", include_optimizer=True)
    x = np.linspace(0, 1, 16 * 4, dtype="float32").reshape(4, 16)

    lean_model, full_model = vaekit.load_model(lean), vaekit.load_model(full)

    assert lean.stat().st_size < full.stat().st_size
    assert getattr(lean_model, "optimizer", None) is None
    assert full_model.optimizer is not None
    assert int(keras.ops.convert_to_numpy(full_model.optimizer.iterations)) == 1
    np.testing.assert_array_equal(lean_model.encode(x), small_vae.encode(x))
    lean_model.compile(optimizer="adam")  # a lean model trains again once compiled
    assert np.isfinite(lean_model.fit(x, epochs=1, verbose=0).history["loss"][0])


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [(None, FileNotFoundError, "no such file"),
     (lambda good: good[:400], ValueError, "not a zip archive, so it was cut short"),
     (lambda good: b"hello", ValueError, "not a zip archive"),
     ("zip", ValueError, "not a Keras model file")],
    ids=["missing", "truncated", "text", "other-zip"],
)
def test_loading_a_missing_truncated_or_foreign_file_is_one_clear_error(
        small_vae, tmp_path, content, error, message):
    import zipfile

    good = vaekit.save_model(small_vae, tmp_path / "good.keras").read_bytes()
    path = tmp_path / "bad.keras"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("notes.txt", "not a model")
    elif content is not None:
        path.write_bytes(content(good))

    with pytest.raises(error, match=message) as caught:
        vaekit.load_model(path)
    assert "bad.keras" in str(caught.value)


def test_load_weights_of_a_model_of_another_size_names_both_shapes(small_vae, tmp_path):
    path = tmp_path / "small.weights.h5"
    small_vae.save_weights(path)
    other = vaekit.build_vae((16,), 3, hidden_units=(8,))
    other(np.zeros((1, 16), "float32"))

    with pytest.raises(ValueError, match=r"another size.*\(8, 2\).*\(8, 3\)") as caught:
        other.load_weights(path)
    assert str(path) in str(caught.value)
    before = [w.copy() for w in other.get_weights()]
    with pytest.raises(ValueError, match="another size"):
        other.load_weights(vaekit.save_model(small_vae, tmp_path / "small.keras"))
    assert all(np.array_equal(a, b) for a, b in zip(before, other.get_weights()))
    twin = vaekit.build_vae((16,), 2, hidden_units=(8,))
    twin(np.zeros((1, 16), "float32"))
    twin.load_weights(path)  # the same size loads
    x = np.full((2, 16), 0.25, "float32")
    np.testing.assert_array_equal(twin.encode(x), small_vae.encode(x))


def test_python_code_in_a_file_is_refused_unless_trusted(tmp_path):
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda t: t * 2, name="doubles")(inputs)
    path = tmp_path / "lambda.keras"
    keras.Model(inputs, outputs).save(path)

    with pytest.raises(ValueError, match=r"'doubles'.*safe_mode=True.*pass safe_mode=False"):
        vaekit.load_model(path)
    trusted = vaekit.load_model(path, safe_mode=False)
    np.testing.assert_allclose(trusted(np.ones((1, 4), "float32")), 2.0)


def test_an_unregistered_class_is_named_with_what_to_do(tmp_path):
    @keras.saving.register_keras_serializable(package="test_saving_only")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    inputs = keras.Input((4,))
    path = tmp_path / "custom.keras"
    keras.Model(inputs, Twice()(inputs)).save(path)
    keras.saving.get_custom_objects().pop("test_saving_only>Twice")

    with pytest.raises(TypeError, match=r"not registered with Keras: \S*Twice\. "
                                        r"Import the package") as caught:
        vaekit.load_model(path)
    assert len(str(caught.value)) < 400  # no configuration dump
    assert vaekit.load_model(path, custom_objects={"test_saving_only>Twice": Twice})
