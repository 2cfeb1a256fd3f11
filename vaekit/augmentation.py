"""Random augmentations applied inside the training step with ``keras.ops``.

Images are warped with a bank of precomputed random affine maps: each map is
stored as four source pixels and bilinear weights per output pixel, and each
image in a batch picks one map at random. Other data (tables, sequences) gets
Gaussian noise, or, on request, feature corruption (Bahri et al. 2022,
"SCARF"): each value is replaced, with some probability, by the same feature
of another row of the batch, so the row stays within each feature's own
distribution.
Everything stays in the compiled graph (no Python per sample), on TensorFlow
and JAX alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from vaekit.config import AUGMENTATIONS, is_image_shape

#: Share of the values that the strong ``"corrupt"`` view replaces.
CORRUPTION_RATE = 0.3


@dataclass(frozen=True)
class WarpStrength:
    """Ranges of a random affine warp (uniform in each range).

    Attributes
    ----------
    rotation_degrees, scale, shear, shift_pixels : float
        Maximum rotation, relative scale change, shear factor and translation.
    """

    rotation_degrees: float = 0.0
    scale: float = 0.0
    shear: float = 0.0
    shift_pixels: float = 0.0


WEAK_SHIFT = WarpStrength(shift_pixels=1.0)
STRONG_SHIFT = WarpStrength(shift_pixels=2.0)
STRONG_AFFINE = WarpStrength(rotation_degrees=12.0, scale=0.1, shear=0.15, shift_pixels=1.5)


def random_affine_matrices(n: int, strength: WarpStrength, rng: np.random.Generator):
    """Draw ``n`` 2x3 affine maps (output pixel -> source pixel, image-centred).

    Parameters
    ----------
    n : int
        Number of maps.
    strength : WarpStrength
        Ranges to draw from.
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 2, 3)``.
    """
    angle = np.deg2rad(rng.uniform(-1, 1, n) * strength.rotation_degrees)
    scale = 1.0 + rng.uniform(-1, 1, n) * strength.scale
    shear = rng.uniform(-1, 1, n) * strength.shear
    shift = rng.uniform(-1, 1, (n, 2)) * strength.shift_pixels
    cos, sin = np.cos(angle) / scale, np.sin(angle) / scale
    matrices = np.zeros((n, 2, 3))
    matrices[:, 0, 0] = cos
    matrices[:, 0, 1] = -sin + shear * cos
    matrices[:, 1, 0] = sin
    matrices[:, 1, 1] = cos + shear * sin
    matrices[:, :, 2] = shift
    return matrices


def warp_bank(height: int, width: int, matrices: np.ndarray):
    """Bilinear sampling tables of each affine map, for ``height x width`` images.

    Parameters
    ----------
    height, width : int
        Image size.
    matrices : numpy.ndarray
        ``(n, 2, 3)`` maps from output to source coordinates (centred).

    Returns
    -------
    indices : numpy.ndarray
        int32, ``(n, height * width * 4)``: flat source pixel of each corner.
    weights : numpy.ndarray
        float32, ``(n, height * width, 4)``; zero where the source falls
        outside the image (the border is filled with 0, the background).
    """
    rows, cols = np.meshgrid(np.arange(height), np.arange(width), indexing="ij")
    cy, cx = (height - 1) / 2.0, (width - 1) / 2.0
    coords = np.stack([cols.ravel() - cx, rows.ravel() - cy], axis=0)  # (2, P)
    n = len(matrices)
    src = np.einsum("nij,jp->nip", matrices[:, :, :2], coords) + matrices[:, :, 2:]
    src_x, src_y = src[:, 0] + cx, src[:, 1] + cy
    x0, y0 = np.floor(src_x), np.floor(src_y)
    fx, fy = src_x - x0, src_y - y0
    corners = [(x0, y0, (1 - fx) * (1 - fy)), (x0 + 1, y0, fx * (1 - fy)),
               (x0, y0 + 1, (1 - fx) * fy), (x0 + 1, y0 + 1, fx * fy)]
    indices = np.zeros((n, height * width, 4), dtype="int32")
    weights = np.zeros((n, height * width, 4), dtype="float32")
    for k, (xs, ys, w) in enumerate(corners):
        inside = (xs >= 0) & (xs < width) & (ys >= 0) & (ys < height)
        indices[:, :, k] = np.where(inside, ys * width + xs, 0).astype("int32")
        weights[:, :, k] = np.where(inside, w, 0.0)
    return indices.reshape(n, -1), weights


class Augmenter:
    """Draws augmented views of a batch inside the training step.

    Parameters
    ----------
    sample_shape : tuple of int
        Shape of one sample.
    kind : {"auto", "affine", "shift", "corrupt", "noise", "none"}
        ``"auto"`` is ``"affine"`` for images ``(H, W, C)`` at least 8 pixels
        on a side and ``"noise"`` otherwise (on small tables, corruption
        measured 1-5 points below plain noise).
    seed : int
        Seed of the warp bank and of the per-step draws.
    bank_size : int, default=256
        Number of precomputed warps of each strength.
    noise_std : float, default=0.05
        Standard deviation of the Gaussian noise added to strong image views;
        for ``"noise"``, weak views get half and strong views twice this (in
        the data's units, so standardise tabular data first); ``"corrupt"``
        adds half of it to both views.
    corruption_rate : float, default=0.3
        For ``"corrupt"``: probability that the strong view replaces a value.
    """

    def __init__(self, sample_shape, kind: str = "auto", seed: int = 0,
                 bank_size: int = 256, noise_std: float = 0.05,
                 corruption_rate: float = CORRUPTION_RATE) -> None:
        if kind not in AUGMENTATIONS:
            raise ValueError(f"augment must be one of {AUGMENTATIONS}, got {kind!r}.")
        self.sample_shape = tuple(sample_shape)
        is_image = is_image_shape(self.sample_shape)
        if kind == "auto":
            kind = "affine" if is_image else "noise"
        if kind in ("affine", "shift") and not is_image:
            raise ValueError(
                f"augment={kind!r} needs images of shape (height, width, channels) of at "
                f"least 8x8 pixels, got samples of shape {self.sample_shape}. Use "
                "augment='noise' or 'none'."
            )
        self.kind = kind
        self.noise_std = float(noise_std)
        self.corruption_rate = float(corruption_rate)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self._banks = {}
        if kind in ("affine", "shift"):
            rng = np.random.default_rng(seed)
            height, width = self.sample_shape[:2]
            strong = STRONG_AFFINE if kind == "affine" else STRONG_SHIFT
            for name, strength in (("weak", WEAK_SHIFT), ("strong", strong)):
                self._banks[name] = warp_bank(
                    height, width, random_affine_matrices(bank_size, strength, rng)
                )

    def _warp(self, x, bank: str):
        indices, weights = self._banks[bank]
        height, width, channels = self.sample_shape
        batch = ops.shape(x)[0]
        pick = keras.random.randint((batch,), 0, len(indices), seed=self.seed_generator)
        idx = ops.take(ops.convert_to_tensor(indices), pick, axis=0)  # (B, P*4)
        wts = ops.take(ops.convert_to_tensor(weights), pick, axis=0)  # (B, P, 4)
        flat = ops.reshape(x, (batch, height * width, channels))
        gathered = ops.take_along_axis(flat, ops.expand_dims(idx, -1), axis=1)
        gathered = ops.reshape(gathered, (batch, height * width, 4, channels))
        warped = ops.sum(gathered * ops.expand_dims(wts, -1), axis=2)
        return ops.reshape(warped, (batch, height, width, channels))

    def _noise(self, x, std: float):
        noise = keras.random.normal(ops.shape(x), stddev=std, seed=self.seed_generator)
        return x + ops.cast(noise, x.dtype)

    def _corrupt(self, x, rate: float):
        """Replace each value with probability ``rate`` by its feature in a random row."""
        batch = ops.shape(x)[0]
        flat = ops.reshape(x, (batch, -1))
        donors = keras.random.randint(ops.shape(flat), 0, batch, seed=self.seed_generator)
        replaced = ops.take_along_axis(flat, donors, axis=0)
        chosen = keras.random.uniform(ops.shape(flat), seed=self.seed_generator) < rate
        return ops.reshape(ops.where(chosen, replaced, flat), ops.shape(x))

    def weak(self, x):
        """A weakly augmented view (small shifts, or light noise)."""
        if self.kind in ("affine", "shift"):
            return self._warp(x, "weak")
        if self.kind in ("noise", "corrupt"):
            return self._noise(x, self.noise_std / 2)
        return x

    def strong(self, x):
        """A strongly augmented view (a warp plus noise, feature corruption, or noise)."""
        if self.kind in ("affine", "shift"):
            return self._noise(self._warp(x, "strong"), self.noise_std)
        if self.kind == "noise":
            return self._noise(x, self.noise_std * 2)
        if self.kind == "corrupt":
            return self._noise(self._corrupt(x, self.corruption_rate), self.noise_std / 2)
        return x
