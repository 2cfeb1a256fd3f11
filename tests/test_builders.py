"""Encoder/decoder builders: shapes for every architecture, and errors for bad options."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import vaekit
from vaekit.builders import (
    ARCHITECTURES,
    build_conv_decoder,
    build_conv_encoder,
    build_dense_decoder,
    build_dense_encoder,
    build_recurrent_decoder,
    build_recurrent_encoder,
    get_architecture,
)
from vaekit.builders.registry import MAX_LATENT_WEIGHTS

pytestmark = pytest.mark.backends

LATENT_DIM = 3

IMAGE_SHAPES = [(8, 8, 1), (28, 28, 1), (64, 64, 1), (64, 64, 3), (13, 17, 2), (1, 1, 1)]
SEQUENCE_SHAPES = [(8, 8), (20, 1), (1, 2)]


def shape_id(shape) -> str:
    return "x".join(map(str, shape))


def forward(model, x):
    """Run ``model`` on ``x``: eagerly on TensorFlow, compiled once on JAX.

    Eager JAX compiles every op separately for every new shape, which makes a
    grid of shapes slow; ``predict`` compiles the whole model once.
    """
    if keras.backend.backend() == "jax":
        return model.predict(x, verbose=0)
    return keras.tree.map_structure(keras.ops.convert_to_numpy, model(x))


def build_pair(architecture, shape, tiny_options, **extra):
    options = {**tiny_options[architecture], **extra}
    return get_architecture(architecture).build(shape, LATENT_DIM, "sigmoid", **options)


def check_round_trip_shapes(encoder, decoder, shape, n=2):
    """Static and run-time shapes of ``decoder(encoder(x)[0])`` equal ``(n, *shape)``."""
    assert [tuple(t.shape) for t in encoder.outputs] == [(None, LATENT_DIM)] * 2
    assert tuple(decoder.inputs[0].shape) == (None, LATENT_DIM)
    assert tuple(decoder.outputs[0].shape) == (None, *shape)
    x = np.random.default_rng(0).random((n, *shape)).astype("float32")
    z_mean, z_log_var = forward(encoder, x)
    assert tuple(z_mean.shape) == tuple(z_log_var.shape) == (n, LATENT_DIM)
    x_hat = forward(decoder, z_mean)
    assert x_hat.shape == (n, *shape)
    assert np.all((x_hat >= 0) & (x_hat <= 1)), "a sigmoid decoder must output in [0, 1]"


# --------------------------------------------------------------------------- shapes


@pytest.mark.parametrize("shape", [(64,), (8, 8, 1), (13, 17, 2), (10, 3)], ids=shape_id)
def test_dense_builds_for_any_sample_shape(shape, tiny_options):
    encoder, decoder = build_pair("dense", shape, tiny_options)

    check_round_trip_shapes(encoder, decoder, shape)


@pytest.mark.parametrize("shape", IMAGE_SHAPES, ids=shape_id)
def test_conv_decoder_output_shape_equals_input_shape(shape, tiny_options):
    encoder, decoder = build_pair("conv", shape, tiny_options, upsampling="resize")

    check_round_trip_shapes(encoder, decoder, shape)


@pytest.mark.parametrize("shape", [(28, 28, 1), (13, 17, 2), (1, 1, 1)], ids=shape_id)
def test_conv_transpose_upsampling_matches_shapes_too(shape, tiny_options):
    encoder, decoder = build_pair("conv", shape, tiny_options, upsampling="transpose")

    check_round_trip_shapes(encoder, decoder, shape)
    assert any(isinstance(layer, keras.layers.Conv2DTranspose) for layer in decoder.layers)


@pytest.mark.parametrize("filters", [(4,), (4, 4, 8)], ids=str)
def test_conv_crops_odd_sizes_for_any_number_of_strided_layers(filters, tiny_options):
    shape = (13, 17, 2)

    encoder, decoder = build_pair("conv", shape, tiny_options, filters=filters)

    check_round_trip_shapes(encoder, decoder, shape)
    strided = [layer for layer in encoder.layers if isinstance(layer, keras.layers.Conv2D)]
    assert len(strided) == len(filters)


def test_conv_without_dense_layer_still_matches_shapes(tiny_options):
    encoder, decoder = build_pair("conv", (28, 28, 1), tiny_options, dense_units=0)

    check_round_trip_shapes(encoder, decoder, (28, 28, 1))
    assert not [layer for layer in encoder.layers if layer.name == "dense"]


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("shape", SEQUENCE_SHAPES, ids=shape_id)
def test_recurrent_builds_for_sequences(shape, cell, tiny_options):
    encoder, decoder = build_pair("recurrent", shape, tiny_options, cell=cell)

    check_round_trip_shapes(encoder, decoder, shape)
    expected = keras.layers.LSTM if cell == "lstm" else keras.layers.GRU
    assert any(isinstance(layer, expected) for layer in encoder.layers)
    assert any(isinstance(layer, expected) for layer in decoder.layers)


def test_recurrent_stacks_layers_in_mirror_order():
    encoder = build_recurrent_encoder((6, 2), LATENT_DIM, units=(12, 4), cell="gru")
    decoder = build_recurrent_decoder((6, 2), LATENT_DIM, units=(12, 4), cell="gru")

    enc_units = [layer.units for layer in encoder.layers if isinstance(layer, keras.layers.GRU)]
    dec_units = [layer.units for layer in decoder.layers if isinstance(layer, keras.layers.GRU)]
    assert enc_units == [12, 4]
    assert dec_units == [4, 12]
    check_round_trip_shapes(encoder, decoder, (6, 2))


def test_dense_hidden_units_are_mirrored_in_the_decoder():
    encoder = build_dense_encoder((10,), LATENT_DIM, hidden_units=(16, 8))
    decoder = build_dense_decoder((10,), LATENT_DIM, hidden_units=(16, 8))

    hidden = [layer.units for layer in encoder.layers if layer.name.startswith("dense_")]
    assert hidden == [16, 8]
    hidden = [layer.units for layer in decoder.layers if layer.name.startswith("dense_")]
    assert hidden == [8, 16]


@pytest.mark.parametrize(
    ("activation", "check"),
    [("sigmoid", lambda y: np.all((y >= 0) & (y <= 1))), ("linear", lambda y: y.min() < 0)],
)
@pytest.mark.parametrize("architecture", sorted(ARCHITECTURES))
def test_output_activation_reaches_the_decoder(architecture, activation, check, tiny_options):
    shape = {"dense": (6,), "conv": (8, 8, 1), "recurrent": (4, 3)}[architecture]
    _, decoder = get_architecture(architecture).build(
        shape, LATENT_DIM, activation, **tiny_options[architecture]
    )

    z = np.random.default_rng(0).normal(0, 5, (64, LATENT_DIM)).astype("float32")
    assert check(forward(decoder, z))


def test_builders_return_new_models_on_every_call():
    first = build_conv_encoder((8, 8, 1), LATENT_DIM, filters=(4,), dense_units=8)
    second = build_conv_encoder((8, 8, 1), LATENT_DIM, filters=(4,), dense_units=8)

    assert first is not second
    assert not set(map(id, first.weights)) & set(map(id, second.weights))


def test_registry_lists_every_architecture_and_its_options():
    assert set(ARCHITECTURES) == {"dense", "conv", "recurrent"}
    assert get_architecture("conv").option_names() >= {"filters", "dense_units", "upsampling"}
    assert get_architecture("dense").option_names() >= {"hidden_units", "activation"}
    assert get_architecture("recurrent").option_names() >= {"units", "cell"}
    for arch in ARCHITECTURES.values():
        assert "output_activation" not in arch.option_names()


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("name", ["transformer", "Dense", "", None, 3])
def test_unknown_architecture_raises_listing_the_known_ones(name):
    with pytest.raises(ValueError, match="architecture must be one of") as info:
        get_architecture(name)
    assert "conv" in str(info.value) and "recurrent" in str(info.value)


def test_unknown_architecture_in_build_vae_raises_value_error():
    with pytest.raises(ValueError, match="architecture"):
        vaekit.build_vae((8,), architecture="mlp")


@pytest.mark.parametrize(
    ("architecture", "option"),
    [("dense", "filters"), ("conv", "hidden_units"), ("recurrent", "hiden_units")],
)
def test_unknown_option_raises_type_error_naming_it(architecture, option):
    shape = {"dense": (6,), "conv": (8, 8, 1), "recurrent": (4, 3)}[architecture]

    with pytest.raises(TypeError, match=option) as info:
        vaekit.build_vae(shape, latent_dim=2, architecture=architecture, **{option: (4,)})
    assert architecture in str(info.value)


@pytest.mark.parametrize("shape", [(64,), (8, 8), (2, 8, 8, 1)])
def test_conv_rejects_shapes_that_are_not_images(shape):
    with pytest.raises(ValueError, match="input_shape") as info:
        vaekit.build_vae(shape, latent_dim=2, architecture="conv")
    assert "(height, width, channels)" in str(info.value)


@pytest.mark.parametrize("shape", [(64,), (8, 8, 1)])
def test_recurrent_rejects_shapes_that_are_not_sequences(shape):
    with pytest.raises(ValueError, match="input_shape") as info:
        vaekit.build_vae(shape, latent_dim=2, architecture="recurrent")
    assert "(timesteps, features)" in str(info.value)


def test_unknown_cell_raises_naming_cell():
    with pytest.raises(ValueError, match="cell"):
        build_recurrent_encoder((4, 2), LATENT_DIM, cell="rnn")
    with pytest.raises(ValueError, match="cell"):
        vaekit.build_vae((4, 2), latent_dim=2, architecture="recurrent", cell="LSTM")


def test_unknown_upsampling_raises_naming_upsampling():
    with pytest.raises(ValueError, match="upsampling"):
        build_conv_decoder((8, 8, 1), LATENT_DIM, upsampling="bilinear")


@pytest.mark.parametrize(
    ("shape", "error"),
    [
        ((), TypeError),
        ("28x28", TypeError),
        (None, TypeError),
        ((0, 3), ValueError),
        ((28, -1, 1), ValueError),
        ((2.5,), ValueError),
        ((True, 3), ValueError),
    ],
)
def test_bad_input_shape_raises_naming_input_shape(shape, error):
    with pytest.raises(error, match="input_shape"):
        vaekit.build_vae(shape)
    with pytest.raises(error, match="input_shape"):
        vaekit.build_autoencoder(shape)


def test_integer_input_shape_means_flat_vectors():
    vae = vaekit.build_vae(12, latent_dim=2, hidden_units=(4,))

    assert vae.sample_shape == (12,)


# --------------------------------------------------------------------------- size check


@pytest.mark.parametrize(("architecture", "shape", "options"), [
    ("dense", (12,), {"hidden_units": (16, 8)}),
    ("dense", (3, 4), {"hidden_units": ()}),
    ("conv", (8, 8, 1), {"filters": (4, 8), "dense_units": 16}),
    ("conv", (9, 7, 2), {"filters": (4,), "dense_units": 0}),
    ("recurrent", (5, 2), {"units": (6, 4), "cell": "lstm"}),
    ("recurrent", (5, 2), {"units": (4,), "cell": "gru"}),
])
def test_weights_per_latent_unit_is_what_one_more_latent_unit_adds(architecture, shape,
                                                                   options):
    arch = get_architecture(architecture)

    def n_weights(latent_dim):
        encoder, decoder = arch.build(shape, latent_dim, "sigmoid", **options)
        return encoder.count_params() + decoder.count_params()

    assert n_weights(4) - n_weights(3) == arch.weights_per_latent_unit(shape, options)


def test_latent_dim_beyond_the_memory_limit_is_refused_before_any_weight_exists():
    per_unit = get_architecture("dense").weights_per_latent_unit((6,), {"hidden_units": (8,)})
    too_large = MAX_LATENT_WEIGHTS // per_unit + 1

    with pytest.raises(ValueError, match=rf"^latent_dim={too_large} would give .* about "):
        vaekit.build_vae((6,), latent_dim=too_large, hidden_units=(8,))
