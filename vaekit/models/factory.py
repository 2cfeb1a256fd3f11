"""One-line constructors: ``build_vae`` and ``build_autoencoder``."""

from __future__ import annotations

import keras

from vaekit._validation import check_non_negative_float, check_positive_int, check_shape
from vaekit.builders.registry import Architecture, get_architecture
from vaekit.losses import OUTPUT_ACTIVATIONS, get_reconstruction_loss
from vaekit.models.autoencoder import AutoEncoder
from vaekit.models.vae import VAE

DEFAULT_LEARNING_RATE = 1e-3


def _build_parts(input_shape, latent_dim, architecture, reconstruction, options):
    input_shape = check_shape("input_shape", input_shape)
    latent_dim = check_positive_int("latent_dim", latent_dim)
    get_reconstruction_loss(reconstruction)
    arch = get_architecture(architecture)
    return arch.build(
        input_shape, latent_dim, output_activation=OUTPUT_ACTIVATIONS[reconstruction],
        **options,
    )


def _compile(model: keras.Model, learning_rate: float, jit_compile) -> keras.Model:
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        jit_compile=jit_compile,
    )
    return model


def build_vae(
    input_shape,
    latent_dim: int = 16,
    architecture: str | Architecture = "dense",
    reconstruction: str = "bce",
    beta: float = 1.0,
    *,
    free_bits: float = 0.0,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    seed: int | None = None,
    jit_compile="auto",
    **architecture_options,
) -> VAE:
    """Build and compile a VAE in one line.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample: ``(features,)`` for tables, ``(H, W, C)`` for
        images, ``(timesteps, features)`` for sequences.
    latent_dim : int, default=16
        Size of the latent space.
    architecture : {"dense", "conv", "recurrent"} or Architecture, default="dense"
        Encoder/decoder family; see :data:`vaekit.builders.ARCHITECTURES`. Your own
        network: an :class:`~vaekit.builders.Architecture` from
        :func:`vaekit.builders.custom_architecture`.
    reconstruction : {"bce", "mse"}, default="bce"
        Bernoulli loss (data in [0, 1]) or L2 loss (any real data).
    beta : float, default=1.0
        Weight of the KL term.
    free_bits : float, default=0.0
        Per-dimension KL floor in nats (0 disables it).
    learning_rate : float, default=1e-3
        Adam learning rate.
    seed : int or None, default=None
        Seed of the sampling layer. Weight initialisation follows Keras' global
        seed (:func:`keras.utils.set_random_seed`).
    jit_compile : bool or "auto", default="auto"
        Passed to :meth:`keras.Model.compile`.
    **architecture_options
        Options of the chosen builders, e.g. ``hidden_units=(512, 256)`` for
        ``"dense"``, ``filters=(32, 64)`` for ``"conv"``,
        ``units=(64,), cell="gru"`` for ``"recurrent"``.

    Returns
    -------
    VAE
        Compiled with Adam, ready for ``fit(x, epochs=...)``.

    Examples
    --------
    >>> from vaekit import build_vae
    >>> vae = build_vae((28, 28, 1), latent_dim=8, architecture="conv")
    >>> vae.latent_dim
    8
    """
    # Scalar settings are checked before any layer is built, so a typo fails at once.
    learning_rate = check_non_negative_float("learning_rate", learning_rate, strict=True)
    check_non_negative_float("beta", beta)
    check_non_negative_float("free_bits", free_bits)
    encoder, decoder = _build_parts(
        input_shape, latent_dim, architecture, reconstruction, architecture_options
    )
    vae = VAE(encoder, decoder, beta=beta, reconstruction=reconstruction,
              free_bits=free_bits, seed=seed)
    return _compile(vae, learning_rate, jit_compile)


def build_autoencoder(
    input_shape,
    latent_dim: int = 16,
    architecture: str | Architecture = "dense",
    reconstruction: str = "bce",
    *,
    learning_rate: float = DEFAULT_LEARNING_RATE,
    jit_compile="auto",
    **architecture_options,
) -> AutoEncoder:
    """Build and compile a plain autoencoder with the same builders as :func:`build_vae`.

    Parameters
    ----------
    input_shape : tuple of int
        Shape of one sample.
    latent_dim : int, default=16
        Size of the code.
    architecture : {"dense", "conv", "recurrent"} or Architecture, default="dense"
        Encoder/decoder family, or your own
        (:func:`vaekit.builders.custom_architecture`).
    reconstruction : {"bce", "mse"}, default="bce"
        Reconstruction loss.
    learning_rate : float, default=1e-3
        Adam learning rate.
    jit_compile : bool or "auto", default="auto"
        Passed to :meth:`keras.Model.compile`.
    **architecture_options
        Options of the chosen builders.

    Returns
    -------
    AutoEncoder
        Compiled with Adam.
    """
    learning_rate = check_non_negative_float("learning_rate", learning_rate, strict=True)
    encoder, decoder = _build_parts(
        input_shape, latent_dim, architecture, reconstruction, architecture_options
    )
    return _compile(AutoEncoder(encoder, decoder, reconstruction=reconstruction),
                    learning_rate, jit_compile)
