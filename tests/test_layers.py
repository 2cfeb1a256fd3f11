"""The KL-divergence and sampling layers, on their own (no model around them)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import ops

from vaekit.layers import KLDivergence, Sampling

pytestmark = pytest.mark.backends


def numpy_kl(mean: np.ndarray, log_var: np.ndarray) -> np.ndarray:
    """Reference KL(N(mean, exp(log_var)) || N(0, I)) of each row, summed over dims."""
    return 0.5 * np.sum(np.exp(log_var) + mean**2 - 1.0 - log_var, axis=-1)


def kl_loss(layer: KLDivergence, mean, log_var) -> float:
    """Call ``layer`` on ``[mean, log_var]`` and return the loss it added."""
    layer([np.asarray(mean, "float32"), np.asarray(log_var, "float32")])
    assert len(layer.losses) == 1, "the KL layer must add exactly one loss term"
    return float(ops.convert_to_numpy(layer.losses[0]))


def to_numpy(tensor) -> np.ndarray:
    return np.asarray(ops.convert_to_numpy(tensor))


# --------------------------------------------------------------------------- KL value


def test_kl_matches_numpy_closed_form_averaged_over_batch():
    rng = np.random.default_rng(1)
    mean = rng.normal(0, 1.5, (16, 5)).astype("float32")
    log_var = rng.normal(0, 1.0, (16, 5)).astype("float32")

    loss = kl_loss(KLDivergence(), mean, log_var)

    assert loss == pytest.approx(numpy_kl(mean, log_var).mean(), rel=1e-5)


def test_kl_per_dimension_matches_numpy_formula():
    rng = np.random.default_rng(2)
    mean = rng.normal(size=(4, 3)).astype("float32")
    log_var = rng.normal(size=(4, 3)).astype("float32")

    per_dim = to_numpy(KLDivergence.kl_per_dimension(mean, log_var))

    expected = 0.5 * (np.exp(log_var) + mean**2 - 1.0 - log_var)
    np.testing.assert_allclose(per_dim, expected, rtol=1e-5, atol=1e-6)


def test_kl_matches_monte_carlo_estimate():
    mean = np.array([[0.8, -1.5, 0.0]], "float32")
    log_var = np.array([[-1.0, 0.5, 1.2]], "float32")
    std = np.exp(0.5 * log_var)
    z = mean + std * np.random.default_rng(3).standard_normal((400_000, 3))
    # log q(z) - log p(z), summed over dims; the 2*pi terms cancel.
    log_ratio = -0.5 * (((z - mean) / std) ** 2 + log_var) + 0.5 * z**2
    monte_carlo = log_ratio.sum(axis=1).mean()

    loss = kl_loss(KLDivergence(), mean, log_var)

    assert loss == pytest.approx(monte_carlo, abs=0.02)


def test_kl_is_zero_for_standard_normal_posterior():
    assert kl_loss(KLDivergence(), np.zeros((8, 4)), np.zeros((8, 4))) == 0.0


def test_kl_is_positive_and_grows_with_distance_of_mean_from_zero():
    layer_losses = [
        kl_loss(KLDivergence(), np.full((2, 3), m), np.zeros((2, 3)))
        for m in (0.0, 0.5, -1.0, 2.0, -4.0)
    ]
    assert layer_losses[0] == 0.0
    assert all(b > a > -1e-7 for a, b in zip(layer_losses, layer_losses[1:]))
    # KL is symmetric in the sign of the mean: 0.5 * 3 dims * m**2.
    assert layer_losses[2] == pytest.approx(1.5 * 1.0, rel=1e-5)


@pytest.mark.parametrize("direction", [1.0, -1.0], ids=["wider", "narrower"])
def test_kl_is_positive_and_grows_as_log_var_moves_away_from_zero(direction):
    values = [
        kl_loss(KLDivergence(), np.zeros((2, 3)), np.full((2, 3), direction * lv))
        for lv in (0.0, 0.25, 1.0, 3.0)
    ]
    assert values[0] == 0.0
    assert all(b > a for a, b in zip(values, values[1:]))
    assert min(values) >= 0.0


def test_kl_of_identical_rows_equals_kl_of_one_row():
    row_mean = np.array([[1.0, -0.5, 2.0]], "float32")
    row_log_var = np.array([[0.3, -1.0, 0.0]], "float32")
    one = kl_loss(KLDivergence(), row_mean, row_log_var)

    many = kl_loss(
        KLDivergence(), np.repeat(row_mean, 50, axis=0), np.repeat(row_log_var, 50, axis=0)
    )

    assert many == pytest.approx(one, rel=1e-5)
    assert one == pytest.approx(float(numpy_kl(row_mean, row_log_var)[0]), rel=1e-5)


# --------------------------------------------------------------------------- beta


def test_beta_scales_the_kl_term():
    rng = np.random.default_rng(4)
    mean, log_var = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))

    full = kl_loss(KLDivergence(beta=1.0), mean, log_var)
    quarter = kl_loss(KLDivergence(beta=0.25), mean, log_var)
    off = kl_loss(KLDivergence(beta=0.0), mean, log_var)

    assert full > 0
    assert quarter == pytest.approx(0.25 * full, rel=1e-5)
    assert off == 0.0


def test_beta_is_a_non_trainable_variable_that_can_be_changed_after_building():
    layer = KLDivergence(beta=1.0)
    mean, log_var = np.ones((3, 2)), np.zeros((3, 2))
    before = kl_loss(layer, mean, log_var)

    layer.beta.assign(3.0)
    after = kl_loss(layer, mean, log_var)

    assert after == pytest.approx(3.0 * before, rel=1e-5)
    assert layer.beta in layer.non_trainable_weights
    assert not layer.trainable_weights


# --------------------------------------------------------------------------- free bits


def test_free_bits_floor_replaces_small_per_dimension_kl():
    # Each dimension's KL is 0.5 * 0.1**2 = 0.005 nats, under the 0.2 floor.
    loss = kl_loss(KLDivergence(free_bits=0.2), np.full((5, 4), 0.1), np.zeros((5, 4)))

    assert loss == pytest.approx(4 * 0.2, rel=1e-5)


def test_free_bits_leaves_dimensions_above_the_floor_alone():
    mean = np.array([[3.0, 0.0], [1.0, 0.0]], "float32")  # dim 0: KL 2.5 on average
    log_var = np.zeros((2, 2), "float32")

    loss = kl_loss(KLDivergence(free_bits=0.5), mean, log_var)

    # Dim 0 keeps its batch-mean KL (0.5 * (9 + 1) / 2 = 2.5); dim 1 is floored at 0.5.
    assert loss == pytest.approx(2.5 + 0.5, rel=1e-5)
    big = kl_loss(KLDivergence(free_bits=0.5), np.full((3, 2), 4.0), np.zeros((3, 2)))
    assert big == pytest.approx(numpy_kl(np.full((3, 2), 4.0), np.zeros((3, 2))).mean())


def test_free_bits_floor_is_scaled_by_beta():
    loss = kl_loss(KLDivergence(beta=0.5, free_bits=0.2), np.zeros((2, 3)), np.zeros((2, 3)))

    assert loss == pytest.approx(0.5 * 3 * 0.2, rel=1e-5)


# --------------------------------------------------------------------------- contract


def test_kl_layer_returns_its_inputs_unchanged():
    rng = np.random.default_rng(5)
    mean = rng.normal(size=(4, 3)).astype("float32")
    log_var = rng.normal(size=(4, 3)).astype("float32")

    out_mean, out_log_var = KLDivergence(beta=2.0)([mean, log_var])

    np.testing.assert_array_equal(to_numpy(out_mean), mean)
    np.testing.assert_array_equal(to_numpy(out_log_var), log_var)


def test_kl_layer_in_a_functional_model_adds_a_loss_and_passes_shapes_through():
    inputs = [keras.Input((3,)), keras.Input((3,))]
    outputs = KLDivergence()(inputs)
    model = keras.Model(inputs, outputs)

    results = model([np.ones((2, 3), "float32"), np.zeros((2, 3), "float32")])

    assert [tuple(t.shape) for t in outputs] == [(None, 3), (None, 3)]
    assert [tuple(r.shape) for r in results] == [(2, 3), (2, 3)]
    assert len(model.losses) == 1
    assert float(ops.convert_to_numpy(model.losses[0])) == pytest.approx(1.5)


def test_kl_layer_config_round_trip():
    layer = KLDivergence(beta=0.3, free_bits=0.1, name="my_kl")

    config = layer.get_config()
    clone = KLDivergence.from_config(config)

    assert config["beta"] == pytest.approx(0.3)
    assert config["free_bits"] == pytest.approx(0.1)
    assert clone.name == "my_kl"
    assert float(ops.convert_to_numpy(clone.beta)) == pytest.approx(0.3)
    assert clone.free_bits == pytest.approx(0.1)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, KLDivergence)
    assert restored.get_config() == config


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"beta": -0.1}, ValueError, "beta"),
        ({"beta": float("nan")}, ValueError, "beta"),
        ({"beta": float("inf")}, ValueError, "beta"),
        ({"beta": "high"}, TypeError, "beta"),
        ({"beta": None}, TypeError, "beta"),
        ({"free_bits": -1.0}, ValueError, "free_bits"),
        ({"free_bits": float("nan")}, ValueError, "free_bits"),
        ({"free_bits": "0.5"}, TypeError, "free_bits"),
    ],
)
def test_bad_beta_or_free_bits_raise_naming_the_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        KLDivergence(**kwargs)


# --------------------------------------------------------------------------- sampling


def test_sampling_matches_mean_and_standard_deviation_on_a_large_batch():
    n = 20_000
    mean = np.tile(np.array([[1.0, -2.0, 0.0]], "float32"), (n, 1))
    log_var = np.tile(np.log(np.array([[1.0, 4.0, 0.25]], "float32")), (n, 1))

    z = to_numpy(Sampling(seed=0)([mean, log_var], training=True))

    assert z.shape == (n, 3)
    np.testing.assert_allclose(z.mean(axis=0), [1.0, -2.0, 0.0], atol=0.05)
    np.testing.assert_allclose(z.std(axis=0), [1.0, 2.0, 0.5], rtol=0.03)


def test_sampling_with_the_same_seed_draws_the_same_values_on_a_fresh_layer():
    mean, log_var = np.zeros((64, 4), "float32"), np.zeros((64, 4), "float32")
    first_layer, second_layer = Sampling(seed=7), Sampling(seed=7)

    first = [to_numpy(first_layer([mean, log_var])) for _ in range(2)]
    second = [to_numpy(second_layer([mean, log_var])) for _ in range(2)]
    other = to_numpy(Sampling(seed=8)([mean, log_var]))

    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.allclose(first[0], first[1]), "successive calls must draw new noise"
    assert not np.allclose(first[0], other), "a different seed must give different draws"


def test_deterministic_inference_returns_the_mean_when_not_training():
    rng = np.random.default_rng(6)
    mean = rng.normal(size=(32, 3)).astype("float32")
    log_var = np.zeros((32, 3), "float32")
    layer = Sampling(seed=0, deterministic_inference=True)

    np.testing.assert_array_equal(to_numpy(layer([mean, log_var], training=False)), mean)
    assert not np.allclose(to_numpy(layer([mean, log_var], training=True)), mean)
    default = Sampling(seed=0)
    assert not np.allclose(to_numpy(default([mean, log_var], training=False)), mean)


def test_sampling_zero_variance_returns_the_mean():
    mean = np.arange(6, dtype="float32").reshape(2, 3)
    z = to_numpy(Sampling(seed=0)([mean, np.full((2, 3), -60.0, "float32")]))

    np.testing.assert_allclose(z, mean, atol=1e-6)


def test_gradients_flow_through_sampling_to_mean_and_log_var():
    x = keras.Input((1,))
    z_mean = keras.layers.Dense(2, name="mean")(x)
    z_log_var = keras.layers.Dense(2, name="log_var")(x)
    model = keras.Model(x, Sampling(seed=0)([z_mean, z_log_var]))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    before = {name: model.get_layer(name).get_weights()[0].copy() for name in ("mean", "log_var")}

    model.fit(np.ones((16, 1), "float32"), np.full((16, 2), 3.0, "float32"),
              epochs=1, batch_size=16, verbose=0)

    for name, kernel in before.items():
        assert not np.allclose(model.get_layer(name).get_weights()[0], kernel), (
            f"no gradient reached the {name} branch"
        )


def test_sampling_config_round_trip():
    layer = Sampling(seed=11, deterministic_inference=True, name="z")

    clone = Sampling.from_config(layer.get_config())

    assert clone.seed == 11
    assert clone.deterministic_inference is True
    assert clone.name == "z"
    mean, log_var = np.zeros((8, 2), "float32"), np.zeros((8, 2), "float32")
    np.testing.assert_array_equal(
        to_numpy(Sampling.from_config(Sampling(seed=11).get_config())([mean, log_var])),
        to_numpy(Sampling(seed=11)([mean, log_var])),
    )
