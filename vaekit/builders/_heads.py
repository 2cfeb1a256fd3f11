"""Pieces shared by every encoder builder."""

from __future__ import annotations

from vaekit._lazy_keras import keras


def gaussian_head(features, latent_dim: int) -> list:
    """Project encoder features to the posterior's ``[z_mean, z_log_var]``.

    Parameters
    ----------
    features : KerasTensor
        Output of the encoder body, shape ``(batch, n)``.
    latent_dim : int
        Size of the latent space.

    Returns
    -------
    list of KerasTensor
        ``[z_mean, z_log_var]``, each ``(batch, latent_dim)``.
    """
    z_mean = keras.layers.Dense(latent_dim, name="z_mean")(features)
    z_log_var = keras.layers.Dense(latent_dim, name="z_log_var")(features)
    return [z_mean, z_log_var]
