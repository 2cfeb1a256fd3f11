"""The deterministic autoencoder, for comparing latent spaces with the VAE."""

from __future__ import annotations

import keras
import numpy as np

from vaekit.distribution import scale_loss
from vaekit.models._fixed_batches import predict_batches
from vaekit.models.base import LatentModel


@keras.saving.register_keras_serializable(package="vaekit")
class AutoEncoder(LatentModel):
    """Plain autoencoder: the VAE's interface without the KL term or sampling.

    Its latent space is not regularised towards a prior, so codes of different
    classes can sit far apart with empty space between them and decoding a
    random point rarely gives a realistic sample; compare with
    :class:`~vaekit.VAE` to see what the KL term does.

    Parameters
    ----------
    encoder : keras.Model
        ``x -> z`` (one output), or ``x -> [z_mean, z_log_var]`` as built for a
        VAE, in which case only the ``z_mean`` branch is kept.
    decoder : keras.Model
        ``z -> reconstruction``.
    reconstruction : {"bce", "mse"}, default="bce"
        Reconstruction loss.
    **kwargs
        Passed to :class:`keras.Model`.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model,
                 reconstruction: str = "bce", **kwargs) -> None:
        if isinstance(encoder, keras.Model) and len(encoder.outputs) == 2:
            encoder = keras.Model(encoder.input, encoder.outputs[0], name=encoder.name)
        super().__init__(encoder, decoder, reconstruction, **kwargs)

    def call(self, x, training=None):
        return self.decoder(self.encoder(x, training=training), training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = self._mean_reconstruction(x, y, y_pred, sample_weight)
        self._track(self.reconstruction_tracker, reconstruction, y_pred)
        return scale_loss(reconstruction + self._added_losses(reconstruction.dtype))

    def _latent_means(self, x, batch_size: int) -> np.ndarray:
        return predict_batches(self.encoder, x, batch_size=batch_size)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Not available: an autoencoder has no prior to sample from.

        Raises
        ------
        TypeError
            Always; use :class:`~vaekit.VAE` to generate new samples.
        """
        raise TypeError(
            "An AutoEncoder has no prior distribution to sample from; train a vaekit.VAE "
            "to generate new samples, or decode chosen codes with .decode(z)."
        )
