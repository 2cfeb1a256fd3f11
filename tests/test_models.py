"""VAE and AutoEncoder: training on real data, the loss terms, inference helpers, bad input."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import vaekit

pytestmark = pytest.mark.backends

LATENT_DIM = 4


def numpy_kl(mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """KL(N(mean, exp(log_var)) || N(0, I)) of each row."""
    return 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


def numpy_bce(x: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Binary cross-entropy of each row, summed over features (Keras clips at 1e-7)."""
    p = np.clip(p, 1e-7, 1 - 1e-7).reshape(len(p), -1)
    x = x.reshape(len(x), -1)
    return -np.sum(x * np.log(p) + (1 - x) * np.log(1 - p), axis=1)


def second_moment(codes: np.ndarray) -> float:
    """``E ||z||^2 / latent_dim``: 1 for codes distributed as N(0, I)."""
    return float(np.mean(np.sum(codes**2, axis=1)) / codes.shape[1])


def all_finite(weights) -> bool:
    return all(np.all(np.isfinite(w)) for w in weights)


def same_weights(first, second) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first, second))


def assert_loss_is_the_sum_of_its_terms(history: dict) -> None:
    np.testing.assert_allclose(
        history["loss"],
        np.add(history["reconstruction_loss"], history["kl_loss"]),
        rtol=1e-4,
    )


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def trained(digits_flat):
    """A dense VAE and AutoEncoder trained 15 epochs on the flat digits (same sizes)."""
    x, _ = digits_flat
    keras.utils.set_random_seed(0)
    untrained = vaekit.build_vae((64,), LATENT_DIM, hidden_units=(64,), seed=0)
    keras.utils.set_random_seed(0)
    vae = vaekit.build_vae((64,), LATENT_DIM, hidden_units=(64,), seed=0)
    vae_history = vae.fit(x, epochs=15, batch_size=64, verbose=0).history
    keras.utils.set_random_seed(0)
    ae = vaekit.build_autoencoder((64,), LATENT_DIM, hidden_units=(64,))
    ae_history = ae.fit(x, epochs=15, batch_size=64, verbose=0).history
    return {"vae": vae, "vae_history": vae_history, "ae": ae, "ae_history": ae_history,
            "untrained": untrained, "x": x}


# --------------------------------------------------------------------------- training

REAL_DATA_CASES = {
    "dense-digits-flat64": ("digits_flat", "dense", {}),
    "dense-digits-8x8x1": ("digits", "dense", {}),
    "conv-mnist-28x28x1": ("mnist_slice", "conv", {}),
    "lstm-digit-rows-8x8": ("digits_sequences", "recurrent", {"cell": "lstm"}),
    "gru-digit-rows-8x8": ("digits_sequences", "recurrent", {"cell": "gru"}),
}


@pytest.mark.parametrize(
    ("dataset", "architecture", "options"), list(REAL_DATA_CASES.values()),
    ids=list(REAL_DATA_CASES),
)
def test_vae_trains_on_real_data_and_reports_its_loss_terms(
    request, dataset, architecture, options, tiny_options
):
    x, _ = request.getfixturevalue(dataset)
    vae = vaekit.build_vae(
        x.shape[1:], latent_dim=LATENT_DIM, architecture=architecture, seed=0,
        learning_rate=3e-3, **{**tiny_options[architecture], **options},
    )

    history = vae.fit(x, epochs=3, batch_size=128, verbose=0).history

    assert set(history) == {"loss", "reconstruction_loss", "kl_loss"}
    assert all(np.isfinite(history["loss"]))
    assert history["loss"][-1] < history["loss"][0]
    assert_loss_is_the_sum_of_its_terms(history)
    assert history["kl_loss"][-1] > 0
    assert history["loss"][-1] > history["reconstruction_loss"][-1]


@pytest.mark.parametrize(
    ("dataset", "architecture"), [("digits_flat", "dense"), ("digits", "conv")]
)
def test_autoencoder_trains_on_real_data_without_a_kl_term(
    request, dataset, architecture, tiny_options
):
    x, _ = request.getfixturevalue(dataset)
    ae = vaekit.build_autoencoder(
        x.shape[1:], latent_dim=LATENT_DIM, architecture=architecture,
        learning_rate=3e-3, **tiny_options[architecture],
    )

    history = ae.fit(x, epochs=3, batch_size=128, verbose=0).history

    assert set(history) == {"loss", "reconstruction_loss"}
    assert history["loss"][-1] < history["loss"][0]
    np.testing.assert_allclose(history["loss"], history["reconstruction_loss"], rtol=1e-5)
    ae(x[:4])
    assert not ae.losses


def test_trained_vae_has_positive_kl_and_the_loss_includes_it(trained):
    vae, x = trained["vae"], trained["x"]
    history = trained["vae_history"]

    assert min(history["kl_loss"]) > 0
    assert history["loss"][-1] < history["loss"][0]
    # 1,797 rows in batches of 64 leave a last batch of 5: the terms must be
    # averaged with the same batch-size weights as Keras' own "loss".
    assert len(x) % 64 == 5
    assert_loss_is_the_sum_of_its_terms(history)
    vae(x[:8])
    assert len(vae.losses) == 1
    assert float(keras.ops.convert_to_numpy(vae.losses[0])) > 0


def test_reported_kl_is_the_batch_mean_of_the_closed_form(trained):
    vae, x = trained["vae"], trained["x"]
    mean, log_var = vae.encode_distribution(x)

    evaluated = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)

    assert evaluated["kl_loss"] == pytest.approx(numpy_kl(mean, log_var).mean(), rel=1e-4)
    assert evaluated["loss"] == pytest.approx(
        evaluated["reconstruction_loss"] + evaluated["kl_loss"], rel=1e-4
    )
    per_dim = vae.kl_per_dimension(x)
    assert per_dim.shape == (LATENT_DIM,)
    assert np.all(per_dim >= 0)
    assert per_dim.sum() == pytest.approx(evaluated["kl_loss"], rel=1e-4)


def test_autoencoder_latent_space_is_not_regularised_like_the_vae(trained):
    x = trained["x"]
    mean, log_var = trained["vae"].encode_distribution(x)
    # The VAE's aggregate posterior (a draw from q(z|x) for every x) approaches N(0, I).
    z = mean + np.exp(0.5 * log_var) * np.random.default_rng(0).standard_normal(mean.shape)
    ae_codes = trained["ae"].encode(x)

    assert 0.6 < second_moment(z) < 1.6
    assert np.all(np.abs(z.mean(axis=0)) < 0.75)
    # Nothing pulls the AutoEncoder's codes towards the prior: they spread far wider.
    assert second_moment(ae_codes) > 4.0
    assert second_moment(ae_codes) > 3 * second_moment(z)


def test_elbo_is_per_sample_and_improves_with_training(trained):
    x = trained["x"]

    trained_elbo = trained["vae"].elbo(x)
    untrained_elbo = trained["untrained"].elbo(x)

    assert trained_elbo.shape == untrained_elbo.shape == (len(x),)
    assert np.all(np.isfinite(trained_elbo))
    assert np.all(trained_elbo < 0)
    assert trained_elbo.mean() > untrained_elbo.mean() + 5.0


def test_elbo_is_minus_reconstruction_of_the_mean_code_minus_kl(trained):
    vae, x = trained["vae"], trained["x"][:100]
    mean, log_var = vae.encode_distribution(x)

    expected = -(numpy_bce(x, vae.decode(mean)) + numpy_kl(mean, log_var))

    np.testing.assert_allclose(vae.elbo(x), expected, rtol=1e-3)


# --------------------------------------------------------------------------- beta


def test_beta_variable_changes_the_compiled_loss_after_training(trained):
    vae, x = trained["vae"], trained["x"]
    at_one = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)
    try:
        vae.kl_divergence.beta.assign(0.0)
        at_zero = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)
        vae.kl_divergence.beta.assign(2.5)
        at_two_and_a_half = vae.evaluate(x, batch_size=256, verbose=0, return_dict=True)
        assert vae.beta == pytest.approx(2.5)
    finally:
        vae.kl_divergence.beta.assign(1.0)

    assert at_one["kl_loss"] > 0
    assert at_zero["kl_loss"] == 0.0
    assert at_two_and_a_half["kl_loss"] == pytest.approx(2.5 * at_one["kl_loss"], rel=1e-4)


def kl_added_by_a_forward_pass(vae, x) -> float:
    vae(x)
    assert len(vae.losses) == 1
    return float(keras.ops.convert_to_numpy(vae.losses[0]))


def test_beta_argument_scales_the_kl_term_of_the_model(digits_flat):
    x = digits_flat[0][:64]
    vae = vaekit.build_vae((64,), LATENT_DIM, beta=0.3, hidden_units=(32,), seed=0)
    mean, log_var = vae.encode_distribution(x)

    added = kl_added_by_a_forward_pass(vae, x)

    assert vae.beta == pytest.approx(0.3)
    assert added == pytest.approx(0.3 * numpy_kl(mean, log_var).mean(), rel=1e-4)


def test_beta_warmup_raises_beta_during_fit(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), LATENT_DIM, hidden_units=(32,), seed=0)
    warmup = vaekit.BetaWarmup(vae.kl_divergence, epochs=2, start=0.0, stop=1.0)

    history = vae.fit(x, epochs=3, batch_size=256, verbose=0, callbacks=[warmup]).history

    assert history["beta"] == [0.0, 0.5, 1.0]
    assert history["kl_loss"][0] == 0.0
    assert history["kl_loss"][1] > 0
    assert vae.beta == pytest.approx(1.0)
    assert_loss_is_the_sum_of_its_terms(history)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"epochs": 0}, ValueError, "epochs"), ({"epochs": 2.5}, TypeError, "epochs"),
     ({"epochs": 2, "stop": -1.0}, ValueError, "stop")],
)
def test_beta_warmup_rejects_bad_arguments(kwargs, error, name):
    with pytest.raises(error, match=name):
        vaekit.BetaWarmup(vaekit.KLDivergence(), **kwargs)


def test_free_bits_floor_each_dimension_of_the_model_kl_term(digits_flat):
    x = digits_flat[0][:64]
    vae = vaekit.build_vae((64,), LATENT_DIM, free_bits=0.5, hidden_units=(32,), seed=0)
    mean, log_var = vae.encode_distribution(x)
    per_dim = 0.5 * (np.exp(log_var) + mean**2 - 1 - log_var)

    added = kl_added_by_a_forward_pass(vae, x)

    assert added >= LATENT_DIM * 0.5 - 1e-5
    assert added == pytest.approx(np.maximum(per_dim.mean(axis=0), 0.5).sum(), rel=1e-4)


# --------------------------------------------------------------------------- mse / bce


def test_mse_reconstruction_trains_on_unbounded_data(digits_flat):
    x, _ = digits_flat
    standardised = (x - x.mean(axis=0)) / (x.std(axis=0) + 1e-3)
    vae = vaekit.build_vae((64,), LATENT_DIM, reconstruction="mse", hidden_units=(32,),
                           seed=0, learning_rate=3e-3)

    history = vae.fit(standardised, epochs=3, batch_size=128, verbose=0).history

    assert history["loss"][-1] < history["loss"][0]
    assert_loss_is_the_sum_of_its_terms(history)
    assert vae.reconstruct(standardised[:200]).min() < 0, "mse decoder output is linear"


def test_bce_decoder_outputs_probabilities(trained):
    reconstruction = trained["vae"].reconstruct(trained["x"][:50])

    assert reconstruction.min() >= 0.0 and reconstruction.max() <= 1.0


def test_bce_rejects_data_outside_the_unit_interval(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), LATENT_DIM, hidden_units=(8,))

    with pytest.raises(ValueError, match="bce") as info:
        vae.fit(x * 16.0, epochs=1, verbose=0)
    assert "[0, 1]" in str(info.value)
    with pytest.raises(ValueError, match="bce"):
        vae.fit(x - 0.5, epochs=1, verbose=0)
    assert int(keras.ops.convert_to_numpy(vae.optimizer.iterations)) == 0


# --------------------------------------------------------------------------- inference


def test_encode_decode_reconstruct_shapes(trained):
    vae, ae, x = trained["vae"], trained["ae"], trained["x"][:10]

    for model in (vae, ae):
        codes = model.encode(x)
        assert isinstance(codes, np.ndarray)
        assert codes.shape == (10, LATENT_DIM)
        assert model.decode(codes).shape == (10, 64)
        assert model.reconstruct(x).shape == (10, 64)
        assert model.sample_shape == (64,)
        assert model.latent_dim == LATENT_DIM
    mean, log_var = vae.encode_distribution(x)
    assert mean.shape == log_var.shape == (10, LATENT_DIM)
    np.testing.assert_allclose(vae.encode(x), mean, rtol=1e-6)


def test_encode_is_deterministic_and_reconstruct_decodes_the_mean(trained):
    vae, x = trained["vae"], trained["x"][:10]

    np.testing.assert_array_equal(vae.encode(x), vae.encode(x))
    np.testing.assert_allclose(vae.reconstruct(x), vae.decode(vae.encode(x)), atol=1e-6)


def test_reconstructions_beat_the_mean_image_after_training(trained):
    vae, x = trained["vae"], trained["x"]

    error = np.mean((vae.reconstruct(x) - x) ** 2)

    assert error < 0.8 * np.mean((x.mean(axis=0) - x) ** 2)


def test_sample_shape_range_and_seed_reproducibility(trained):
    vae = trained["vae"]

    first, again, other = vae.sample(6, seed=1), vae.sample(6, seed=1), vae.sample(6, seed=2)

    assert first.shape == (6, 64)
    assert first.min() >= 0 and first.max() <= 1
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (2.0, TypeError), ("3", TypeError)])
def test_sample_rejects_a_bad_count(trained, n, error):
    with pytest.raises(error, match="n must be"):
        trained["vae"].sample(n)


def test_autoencoder_cannot_sample(trained):
    with pytest.raises(TypeError, match="prior"):
        trained["ae"].sample(3)


@pytest.mark.parametrize("model_key", ["vae", "ae"])
def test_interpolate_endpoints_decode_the_end_codes(trained, model_key):
    model, x = trained[model_key], trained["x"]
    x_a, x_b = x[0], x[1][None, :]  # one bare sample, one with a batch axis

    path = model.interpolate(x_a, x_b, steps=5)

    assert path.shape == (5, 64)
    np.testing.assert_allclose(path[0], model.decode(model.encode(x_a[None]))[0], atol=1e-5)
    np.testing.assert_allclose(path[-1], model.decode(model.encode(x_b))[0], atol=1e-5)
    assert not np.allclose(path[1], path[0])


def test_interpolate_needs_at_least_two_steps(trained):
    x = trained["x"]

    with pytest.raises(ValueError, match="steps"):
        trained["vae"].interpolate(x[0], x[1], steps=1)


@pytest.mark.parametrize(("x_a", "message"), [
    (np.zeros(63), r"x_a must be one sample of shape \(64,\)"),
    (np.zeros((2, 64)), r"got shape \(2, 64\)"),
    (np.full(64, np.nan), "NaN"),
])
def test_interpolate_rejects_a_bad_sample_by_name(trained, x_a, message):
    with pytest.raises(ValueError, match=message):
        trained["vae"].interpolate(x_a, trained["x"][1])


def test_conv_and_recurrent_models_keep_sample_shapes(digits, digits_sequences, tiny_options):
    images, _ = digits
    sequences, _ = digits_sequences
    conv = vaekit.build_vae((8, 8, 1), 2, "conv", seed=0, **tiny_options["conv"])
    recurrent = vaekit.build_vae((8, 8), 2, "recurrent", seed=0, **tiny_options["recurrent"])

    for model, x in ((conv, images[:3]), (recurrent, sequences[:3])):
        assert model.encode(x).shape == (3, 2)
        assert model.reconstruct(x).shape == x.shape
        assert model.sample(3, seed=0).shape == x.shape
        assert model.interpolate(x[0], x[1], steps=3).shape == (3, *x.shape[1:])
        assert model.elbo(x).shape == (3,)


# --------------------------------------------------------------------------- bad input

BAD_ARRAYS = {
    "wrong-width": (np.zeros((10, 63), "float32"), ValueError, r"\(63,\).*\(64,\)"),
    "image-for-flat-model": (np.zeros((10, 8, 8), "float32"), ValueError, "expects"),
    "one-sample-without-batch-axis": (np.zeros(64, "float32"), ValueError, "sample axis"),
    "empty": (np.zeros((0, 64), "float32"), ValueError, "empty"),
    "strings": (np.full((10, 64), "a"), TypeError, "numeric"),
    "objects": (np.array([[0.5] * 63 + [None]] * 10, dtype=object), TypeError, "numeric"),
    "nan": (np.where(np.eye(10, 64) > 0, np.nan, 0.5), ValueError, "NaN"),
    "inf": (np.where(np.eye(10, 64) > 0, np.inf, 0.5), ValueError, "infinite"),
}


@pytest.mark.parametrize(
    ("x", "error", "message"), list(BAD_ARRAYS.values()), ids=list(BAD_ARRAYS)
)
def test_fit_rejects_bad_data_before_training(x, error, message):
    vae = vaekit.build_vae((64,), 2, hidden_units=(8,))
    before = vae.get_weights()

    with pytest.raises(error, match=message) as info:
        vae.fit(x, epochs=1, verbose=0)

    assert str(info.value).startswith("x "), "the message must name the argument"
    assert same_weights(before, vae.get_weights())
    assert int(keras.ops.convert_to_numpy(vae.optimizer.iterations)) == 0


@pytest.mark.parametrize("method", ["encode", "reconstruct", "elbo", "kl_per_dimension"])
def test_inference_methods_reject_bad_data(trained, method):
    vae = trained["vae"]

    with pytest.raises(ValueError, match="expects"):
        getattr(vae, method)(np.zeros((3, 63), "float32"))
    with pytest.raises(ValueError, match="NaN"):
        getattr(vae, method)(np.full((3, 64), np.nan))
    with pytest.raises(TypeError, match="numeric"):
        getattr(vae, method)(np.full((3, 64), "x"))


def test_decode_rejects_codes_of_the_wrong_width(trained):
    with pytest.raises(ValueError, match="z has samples of shape"):
        trained["vae"].decode(np.zeros((2, LATENT_DIM + 1), "float32"))


def test_fit_rejects_bad_targets_naming_y(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), 2, hidden_units=(8,))

    with pytest.raises(ValueError, match="^y "):
        vae.fit(x[:10], np.zeros((10, 5), "float32"), epochs=1, verbose=0)


@pytest.mark.parametrize(
    ("latent_dim", "error"),
    [(0, ValueError), (-3, ValueError), (2.5, TypeError), ("8", TypeError),
     (True, TypeError), (None, TypeError)],
)
@pytest.mark.parametrize("build", [vaekit.build_vae, vaekit.build_autoencoder])
def test_bad_latent_dim_raises_naming_latent_dim(build, latent_dim, error):
    with pytest.raises(error, match="latent_dim"):
        build((8,), latent_dim=latent_dim)


@pytest.mark.parametrize("reconstruction", ["l1", "BCE", "", None, "gaussian"])
@pytest.mark.parametrize("build", [vaekit.build_vae, vaekit.build_autoencoder])
def test_unknown_reconstruction_raises_naming_reconstruction(build, reconstruction):
    with pytest.raises(ValueError, match="reconstruction must be one of") as info:
        build((8,), latent_dim=2, reconstruction=reconstruction)
    assert "'bce'" in str(info.value) and "'mse'" in str(info.value)


@pytest.mark.parametrize(
    ("learning_rate", "error"),
    [(0.0, ValueError), (-1e-3, ValueError), (float("nan"), ValueError), ("fast", TypeError)],
)
def test_bad_learning_rate_raises_naming_it(learning_rate, error):
    with pytest.raises(error, match="learning_rate"):
        vaekit.build_vae((8,), latent_dim=2, learning_rate=learning_rate)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [({"beta": -1.0}, ValueError, "beta"), ({"free_bits": -0.1}, ValueError, "free_bits")],
)
def test_bad_beta_or_free_bits_in_build_vae_raise(kwargs, error, name):
    with pytest.raises(error, match=name):
        vaekit.build_vae((8,), latent_dim=2, **kwargs)


def test_vae_needs_an_encoder_with_mean_and_log_var_outputs():
    inputs = keras.Input((8,))
    one_output = keras.Model(inputs, keras.layers.Dense(2)(inputs))
    z = keras.Input((2,))
    decoder = keras.Model(z, keras.layers.Dense(8)(z))

    with pytest.raises(ValueError, match="z_mean, z_log_var"):
        vaekit.VAE(one_output, decoder)
    with pytest.raises(TypeError, match="encoder must be a keras.Model"):
        vaekit.VAE("encoder", decoder)
    with pytest.raises(TypeError, match="decoder must be a keras.Model"):
        vaekit.AutoEncoder(one_output, lambda z: z)


# --------------------------------------------------------------------------- divergence


def test_huge_learning_rate_stops_with_training_diverged_error(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), 2, hidden_units=(16,), learning_rate=1e30, seed=0)
    before = vae.get_weights()

    with pytest.raises(vaekit.TrainingDivergedError, match="learning rate"):
        vae.fit(x[:512], epochs=3, batch_size=64, verbose=0)

    assert all_finite(vae.get_weights())
    assert same_weights(before, vae.get_weights())
    assert np.all(np.isfinite(vae.encode(x[:10])))


def test_huge_values_under_mse_stop_training_with_finite_weights(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), 2, reconstruction="mse", hidden_units=(16,), seed=0)
    vae.fit(x[:256], epochs=1, batch_size=64, verbose=0)
    good = vae.get_weights()

    with pytest.raises(vaekit.TrainingDivergedError) as info:
        vae.fit(x[:256] * 1e30, epochs=2, batch_size=64, verbose=0)

    assert isinstance(info.value, FloatingPointError)
    assert all_finite(vae.get_weights())
    assert same_weights(good, vae.get_weights())


# --------------------------------------------------------------------------- sample weights


def weighted_loss(vae, x, sample_weight=None) -> float:
    """The training objective of one forward pass (noise-free), as ``fit`` computes it."""
    y_pred = vae(x, training=False)
    weight = None if sample_weight is None else keras.ops.convert_to_tensor(sample_weight)
    return float(keras.ops.convert_to_numpy(vae.compute_loss(x, x, y_pred, weight)))


@pytest.mark.parametrize("free_bits", [0.0, 0.3])
def test_a_sample_weight_of_two_counts_a_row_twice_in_reconstruction_and_kl(
        digits_flat, free_bits):
    x, _ = digits_flat
    x = x[:48]
    vae = vaekit.build_vae((64,), 2, hidden_units=(16,), free_bits=free_bits, seed=0)
    vae.sampling.deterministic_inference = True  # the same code for a row and its copy
    weights = np.r_[np.full(16, 2.0), np.ones(32)].astype("float32")

    weighted = weighted_loss(vae, x, weights)
    duplicated = weighted_loss(vae, np.concatenate([x[:16], x]))
    unweighted = weighted_loss(vae, x)

    assert weighted == pytest.approx(duplicated, rel=1e-5)
    assert abs(weighted - unweighted) > 1e-5 * abs(unweighted)  # float32 noise: ~1e-7


def test_fit_honours_sample_weight_without_a_target(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), 2, hidden_units=(16,), seed=0)
    before = vae.get_weights()

    history = vae.fit(x[:64], sample_weight=np.zeros(64), epochs=2, batch_size=32, verbose=0)

    assert history.history["loss"] == [0.0, 0.0]  # all rows weigh nothing
    assert same_weights(before, vae.get_weights())
    vae.fit(x[:64], sample_weight=np.ones(64), epochs=1, batch_size=32, verbose=0)
    assert not same_weights(before, vae.get_weights())


def test_zero_epochs_trains_nothing_as_in_keras(digits_flat):
    x, _ = digits_flat
    vae = vaekit.build_vae((64,), 2, hidden_units=(16,), seed=0)
    before = vae.get_weights()

    history = vae.fit(x[:64], epochs=0, verbose=0)

    assert history.history == {}
    assert same_weights(before, vae.get_weights())
