"""The variational autoencoder."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vaekit._validation import check_array, check_positive_int
from vaekit.distribution import scale_loss
from vaekit.layers import KLDivergence, Sampling
from vaekit.losses.kl import kl_loss, kl_per_dimension
from vaekit.models._fixed_batches import predict_batches
from vaekit.models.base import PREDICT_BATCH_SIZE, LatentModel


@keras.saving.register_keras_serializable(package="vaekit")
class VAE(LatentModel):
    """Variational autoencoder (Kingma and Welling, 2014).

    The encoder gives the mean and log-variance of a diagonal Gaussian
    posterior ``q(z|x)``; the :class:`~vaekit.layers.KLDivergence` layer adds
    ``beta * KL(q(z|x) || N(0, I))`` to the model's losses, the
    :class:`~vaekit.layers.Sampling` layer draws ``z``, and the decoder
    reconstructs ``x``. Training minimises the negative ELBO: the
    reconstruction loss (summed over features, averaged over the batch) plus
    the KL term. ``fit`` reports ``loss``, ``reconstruction_loss`` and
    ``kl_loss`` (the ``beta``-weighted term, so that
    ``loss = reconstruction_loss + kl_loss``).

    Parameters
    ----------
    encoder : keras.Model
        ``x -> [z_mean, z_log_var]``.
    decoder : keras.Model
        ``z -> reconstruction``; its output activation must suit the loss
        (sigmoid for ``"bce"``, linear for ``"mse"``).
    beta : float, default=1.0
        Weight of the KL term (``beta``-VAE, Higgins et al. 2017).
    reconstruction : {"bce", "mse"}, default="bce"
        Bernoulli (binary cross-entropy, for data in [0, 1]) or L2 loss.
    free_bits : float, default=0.0
        Per-dimension KL floor in nats; see :class:`~vaekit.layers.KLDivergence`.
    seed : int or None, default=None
        Seed of the sampling layer.
    **kwargs
        Passed to :class:`keras.Model`.

    See Also
    --------
    vaekit.build_vae : build encoder, decoder and VAE in one call.
    vaekit.AutoEncoder : the deterministic counterpart, without KL term.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, beta: float = 1.0,
                 reconstruction: str = "bce", free_bits: float = 0.0,
                 seed: int | None = None, **kwargs) -> None:
        super().__init__(encoder, decoder, reconstruction, **kwargs)
        if len(encoder.outputs) != 2:
            raise ValueError(
                "A VAE encoder must return [z_mean, z_log_var] (two outputs), got "
                f"{len(encoder.outputs)} output(s)."
            )
        self.seed = seed
        self.kl_divergence = KLDivergence(beta=beta, free_bits=free_bits, name="kl")
        self.sampling = Sampling(seed=seed, name="sampling")
        self.kl_tracker = keras.metrics.Mean(name="kl_loss")

    @property
    def beta(self) -> float:
        """Current weight of the KL term."""
        return float(keras.ops.convert_to_numpy(self.kl_divergence.beta))

    def call(self, x, training=None):
        z_mean, z_log_var = self.encoder(x, training=training)
        z_mean, z_log_var = self.kl_divergence([z_mean, z_log_var])
        # compute_loss weights each row's KL by sample_weight: it needs this pass's
        # posterior, as Keras' own compute_loss needs this pass's add_loss terms.
        self._posterior_of_call = (z_mean, z_log_var)
        z = self.sampling([z_mean, z_log_var], training=training)
        return self.decoder(z, training=training)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        reconstruction = self._mean_reconstruction(x, y, y_pred, sample_weight)
        if sample_weight is None:
            kl = self._added_losses(reconstruction.dtype)
        else:
            kl = self._weighted_kl(sample_weight, reconstruction.dtype)
        self._track(self.reconstruction_tracker, reconstruction, y_pred)
        self._track(self.kl_tracker, kl, y_pred)
        return scale_loss(reconstruction + kl)

    def _weighted_kl(self, sample_weight, dtype):
        """The KL term with each row weighted by ``sample_weight``, replacing the layer's.

        The KL layer adds ``beta * kl_loss`` (a plain mean over rows); with
        weights, the term is instead the weighted mean of the rows' KL (with
        ``free_bits``, of each dimension's KL, then floored), normalised like
        the reconstruction term. Other ``add_loss`` terms (regularisers of a
        custom encoder) are kept as they are.
        """
        z_mean, z_log_var = self._posterior_of_call
        weight = ops.cast(ops.reshape(sample_weight, (-1, 1)), z_mean.dtype)
        per_dimension = kl_per_dimension(z_mean, z_log_var)
        mean = ops.sum(per_dimension * weight, axis=0) / ops.maximum(ops.sum(weight), 1e-7)
        free_bits = self.kl_divergence.free_bits
        weighted = ops.sum(ops.maximum(mean, free_bits) if free_bits > 0 else mean)
        beta = ops.cast(self.kl_divergence.beta, weighted.dtype)
        term = ops.cast(beta * weighted, dtype)
        if len(self.losses) == 1:  # the KL layer's own term, which this one replaces
            return term
        plain = ops.cast(beta * kl_loss(z_mean, z_log_var, free_bits), dtype)
        return term + self._added_losses(dtype) - plain

    def _latent_means(self, x, batch_size: int) -> np.ndarray:
        return self._posterior(x, batch_size)[0]

    def encode_distribution(self, x, batch_size: int = PREDICT_BATCH_SIZE):
        """Posterior parameters of ``x``: ``(z_mean, z_log_var)`` as NumPy arrays."""
        return self._posterior(check_array("x", x, sample_shape=self.sample_shape),
                               batch_size)

    def _posterior(self, x: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
        return predict_batches(self.encoder, x, batch_size=batch_size)

    def sample(self, n: int, seed: int | None = None) -> np.ndarray:
        """Draw ``n`` new samples: decode ``z ~ N(0, I)``.

        Parameters
        ----------
        n : int
            Number of samples.
        seed : int or None, default=None
            Seed of the latent draw; the same seed gives the same samples.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, *sample_shape)``.
        """
        n = check_positive_int("n", n)
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim))
        return self.decode(z.astype("float32"))

    def elbo(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Evidence lower bound of each sample (higher is better), with ``beta = 1``.

        Uses the posterior mean as the decoder input (a one-sample, noise-free
        estimate of the expected log-likelihood), so it is deterministic.

        Parameters
        ----------
        x : array-like
            Samples of shape ``(n, *sample_shape)``.
        batch_size : int, default=512
            Samples per forward pass.

        Returns
        -------
        numpy.ndarray
            Shape ``(n,)``.
        """
        x = self.check_input(x)
        z_mean, z_log_var = self._posterior(x, batch_size)
        x_hat = predict_batches(self.decoder, z_mean, batch_size=batch_size)
        reconstruction = ops.convert_to_numpy(self.reconstruction_loss(x, x_hat))
        kl = KLDivergence.kl_per_dimension(z_mean, z_log_var)
        kl = np.asarray(ops.convert_to_numpy(kl)).sum(axis=-1)
        return -(np.asarray(reconstruction) + kl)

    def kl_per_dimension(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Mean KL of each latent dimension over ``x``, shape ``(latent_dim,)``.

        Dimensions with a KL near zero are inactive (their posterior equals the
        prior): many of them is the sign of posterior collapse.
        """
        z_mean, z_log_var = self._posterior(self.check_input(x), batch_size)
        per_dim = KLDivergence.kl_per_dimension(z_mean, z_log_var)
        return np.asarray(ops.convert_to_numpy(per_dim)).mean(axis=0)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "beta": self.kl_divergence._initial_beta,
            "free_bits": self.kl_divergence.free_bits,
            "seed": self.seed,
        })
        return config
