"""Augmented views drawn inside the training step: warps, noise, feature corruption."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from vaekit.augmentation import Augmenter, warp_bank


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
