"""Your own network: custom_architecture in build_vae, the estimators and pipeline files."""

from __future__ import annotations

import pickle
import sys
import textwrap

import keras
import numpy as np
import pytest
from sklearn.base import clone

from vaekit import VAETransformer, build_vae
from vaekit.builders import Architecture, custom_architecture, load_builder
from vaekit.config import PretrainConfig

N_FEATURES = 64


def build_encoder(input_shape, latent_dim, width: int = 16):
    x = keras.Input(input_shape)
    h = keras.layers.Dense(width, activation="relu", name="my_hidden")(x)
    return keras.Model(x, [keras.layers.Dense(latent_dim)(h), keras.layers.Dense(latent_dim)(h)],
                       name="my_encoder")


def build_decoder(output_shape, latent_dim, output_activation="sigmoid", width: int = 16):
    z = keras.Input((latent_dim,))
    h = keras.layers.Dense(width, activation="relu")(z)
    out = keras.layers.Dense(output_shape[0], activation=output_activation)(h)
    return keras.Model(z, out, name="my_decoder")


@pytest.fixture(scope="module")
def rows(digits_flat):
    return digits_flat[0][:200]


def test_builders_make_a_vae_that_trains(rows):
    arch = custom_architecture(build_encoder, build_decoder, name="small")
    vae = build_vae((N_FEATURES,), latent_dim=3, architecture=arch, width=8)
    assert vae.encoder.name == "my_encoder"
    assert vae.encoder.get_layer("my_hidden").units == 8  # the option reached the builder
    history = vae.fit(rows, epochs=2, batch_size=64, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert vae.encode(rows[:5]).shape == (5, 3)


def test_unknown_option_is_refused():
    arch = custom_architecture(build_encoder, build_decoder)
    with pytest.raises(TypeError, match="unknown option.*depth"):
        build_vae((N_FEATURES,), latent_dim=3, architecture=arch, depth=3)


def test_keras_models_are_copied_with_fresh_weights():
    encoder, decoder = build_encoder((N_FEATURES,), 2), build_decoder((N_FEATURES,), 2)
    encoder.set_weights([np.zeros_like(w) for w in encoder.get_weights()])
    arch = custom_architecture(encoder, decoder)
    first = build_vae((N_FEATURES,), latent_dim=2, architecture=arch)
    second = build_vae((N_FEATURES,), latent_dim=2, architecture=arch)
    assert first.encoder is not encoder and first.encoder is not second.encoder
    assert first.encoder.count_params() == encoder.count_params()
    # Freshly initialised, not the given model's (zeroed) weights, and not shared.
    kernel = first.encoder.get_layer("my_hidden").get_weights()[0]
    assert np.abs(kernel).sum() > 0
    first.encoder.get_layer("my_hidden").set_weights(
        [np.ones_like(w) for w in first.encoder.get_layer("my_hidden").get_weights()])
    assert not np.array_equal(second.encoder.get_layer("my_hidden").get_weights()[0],
                              first.encoder.get_layer("my_hidden").get_weights()[0])


@pytest.mark.parametrize(
    ("latent_dim", "shape", "match"),
    [
        (5, (N_FEATURES,), r"encoder of architecture 'custom' must return \[z_mean, z_log_var\]"),
        (2, (32,), r"encoder of architecture 'custom' takes samples of shape \(64,\)"),
    ],
)
def test_models_that_do_not_fit_the_data_are_refused(latent_dim, shape, match):
    arch = custom_architecture(build_encoder((N_FEATURES,), 2), build_decoder((N_FEATURES,), 2))
    with pytest.raises(ValueError, match=match):
        build_vae(shape, latent_dim=latent_dim, architecture=arch)


def test_decoder_with_wrong_output_is_refused():
    arch = custom_architecture(build_encoder, lambda shape, d: build_decoder((10,), d))
    with pytest.raises(ValueError, match=r"decoder of architecture 'custom' returns samples "
                                         r"of shape \(10,\)"):
        build_vae((N_FEATURES,), latent_dim=2, architecture=arch)


def test_wrong_kinds_are_refused():
    with pytest.raises(TypeError, match="encoder must be a keras.Model, a function"):
        custom_architecture(42, build_decoder)
    with pytest.raises(TypeError, match="must be a keras.Model, got int"):
        custom_architecture(lambda s, d: 1, build_decoder).build((4,), 2, "sigmoid")


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """A module of the user's builders, importable as ``my_models``."""
    (tmp_path / "my_models.py").write_text(textwrap.dedent("""
        import keras

        def build_encoder(input_shape, latent_dim, width: int = 16):
            x = keras.Input(input_shape)
            h = keras.layers.Dense(width, activation="relu")(x)
            return keras.Model(x, [keras.layers.Dense(latent_dim)(h),
                                   keras.layers.Dense(latent_dim)(h)])

        def build_decoder(output_shape, latent_dim, output_activation="sigmoid",
                          width: int = 16):
            z = keras.Input((latent_dim,))
            h = keras.layers.Dense(width, activation="relu")(z)
            return keras.Model(z, keras.layers.Dense(output_shape[0],
                                                     activation=output_activation)(h))

        NOT_A_FUNCTION = 3
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_models"
    sys.modules.pop("my_models", None)


def test_import_paths_load_builders(user_package):
    assert callable(load_builder(f"{user_package}:build_encoder"))
    config = PretrainConfig(architecture={"encoder": f"{user_package}:build_encoder",
                                          "decoder": f"{user_package}:build_decoder"})
    arch = config.builders()
    assert isinstance(arch, Architecture)
    assert arch.option_names() == {"width"}


@pytest.mark.parametrize(
    ("path", "error", "match"),
    [
        ("my_models.build_encoder", ValueError, "must be an import path 'package.module:function'"),
        ("no_such_module_xyz:f", ValueError, "cannot import module 'no_such_module_xyz'"),
        ("my_models:missing", ValueError, "has no attribute 'missing'"),
        ("my_models:NOT_A_FUNCTION", TypeError, "names a int, not a function"),
    ],
)
def test_bad_import_paths_are_named(user_package, path, error, match):
    with pytest.raises(error, match=match):
        load_builder(path, "encoder")


def test_config_checks_the_mapping_form_without_importing():
    with pytest.raises(ValueError, match="exactly the keys 'encoder' and 'decoder'"):
        PretrainConfig(architecture={"encoder": "a.b:c"})
    with pytest.raises(ValueError, match=r"pretrain.architecture.decoder must be an import path"):
        PretrainConfig(architecture={"encoder": "a.b:c", "decoder": "not a path"})


def test_pipeline_file_names_builders_by_import_path(user_package):
    from vaekit.runner import parse_pipeline

    pipeline = parse_pipeline({
        "name": "custom",
        "data": {"kind": "digits"},
        "model": {"architecture": {"encoder": f"{user_package}:build_encoder",
                                   "decoder": f"{user_package}:build_decoder"},
                  "latent_dim": 2, "width": 8},
        "pretrain": {"epochs": 1},
    })
    assert pipeline.pretrain.architecture_options == {"width": 8}
    resolved = pipeline.to_dict()["model"]
    assert resolved["architecture"]["encoder"] == f"{user_package}:build_encoder"
    vae = build_vae((N_FEATURES,), 2, pipeline.pretrain.builders(),
                    **pipeline.pretrain.resolved_architecture_options())
    assert vae.encoder.layers[1].units == 8


def test_pipeline_file_reports_a_bad_builder_path(user_package):
    from vaekit.runner import parse_pipeline

    with pytest.raises(ValueError, match="model.architecture.*has no attribute 'nope'"):
        parse_pipeline({
            "name": "custom",
            "data": {"kind": "digits"},
            "model": {"architecture": {"encoder": f"{user_package}:nope",
                                       "decoder": f"{user_package}:build_decoder"}},
        })


@pytest.fixture(scope="module")
def fitted_transformer(rows):
    arch = custom_architecture(build_encoder, build_decoder, name="small")
    return VAETransformer(architecture=arch, latent_dim=2, epochs=2, batch_size=64,
                          random_state=0).fit(rows)


def test_estimator_takes_your_network(fitted_transformer, rows):
    assert fitted_transformer.encoder_.name == "my_encoder"
    assert fitted_transformer.transform(rows).shape == (len(rows), 2)


def test_estimator_with_your_network_clones_and_pickles(fitted_transformer, rows):
    cloned = clone(fitted_transformer)
    assert cloned.architecture == fitted_transformer.architecture
    assert not hasattr(cloned, "vae_")
    restored = pickle.loads(pickle.dumps(fitted_transformer))
    np.testing.assert_array_equal(restored.transform(rows), fitted_transformer.transform(rows))


def test_hidden_units_do_not_apply_to_your_network(rows):
    arch = custom_architecture(build_encoder, build_decoder, name="small")
    with pytest.raises(ValueError, match="your own architecture 'small' takes its options"):
        VAETransformer(architecture=arch, hidden_units=(8,), epochs=1).fit(rows)
