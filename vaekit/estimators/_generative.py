"""Decoding, sampling and ELBO scoring: what a fitted VAE offers beyond ``transform``."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted

from vaekit._validation import check_positive_int
from vaekit.models._fixed_batches import predict_batches
from vaekit.estimators._seeding import quiet_retracing


class VAEGenerativeMixin:
    """``inverse_transform``, ``sample``, ``score_samples`` and ``score`` of a fitted VAE.

    For estimators whose ``vae_`` and ``decoder_`` are the fitted
    :class:`vaekit.VAE` and its decoder, and that validate rows with
    ``_validate_X`` (:class:`~vaekit.estimators._base.BaseVAEEstimator`).
    """

    # ------------------------------------------------------------------ decode
    def inverse_transform(self, X):
        """Decode latent codes into rows: the decoder's mean output.

        Parameters
        ----------
        X : array-like of shape (n_samples, latent_dim)
            Latent codes, such as the output of :meth:`transform`.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_)
            Reconstructed rows (Bernoulli means for ``"bce"``), in the codes' dtype.
        """
        check_is_fitted(self)
        Z = check_array(X, dtype=[np.float64, np.float32], input_name="X")
        if Z.shape[1] != self.vae_.latent_dim:
            raise ValueError(
                f"X has {Z.shape[1]} latent features, but {type(self).__name__} has "
                f"latent_dim={self.vae_.latent_dim}."
            )
        return self._decode(Z.astype(np.float32, copy=False)).astype(Z.dtype, copy=False)

    def sample(self, n_samples=1, random_state=None):
        """Draw new rows: decode ``z ~ N(0, I)``.

        Parameters
        ----------
        n_samples : int, default=1
            Number of rows.
        random_state : int, RandomState instance or None, default=None
            Seed of the latent draw; the same int gives the same rows.

        Returns
        -------
        ndarray of shape (n_samples, n_features_in_), dtype float32
        """
        check_is_fitted(self)
        n_samples = check_positive_int("n_samples", n_samples)
        rng = check_random_state(random_state)
        z = rng.standard_normal((n_samples, self.vae_.latent_dim)).astype(np.float32)
        return self._decode(z)

    def _decode(self, z: np.ndarray) -> np.ndarray:
        return predict_batches(self.decoder_, z).reshape(len(z), -1)

    # ------------------------------------------------------------------ score
    def score_samples(self, X):
        """Evidence lower bound of each row (higher is better), with ``beta = 1``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``.

        Returns
        -------
        ndarray of shape (n_samples,)
            Low values flag rows the model finds unlikely.
        """
        check_is_fitted(self)
        _, x = self._validate_X(X, reset=False)
        with quiet_retracing():
            return self.vae_.elbo(x).astype(np.float64)

    def score(self, X, y=None):
        """Mean evidence lower bound of the rows of ``X`` (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Rows with the features seen in ``fit``.
        y : None
            Ignored.

        Returns
        -------
        float
            Mean ELBO in nats per row; usable as the score of ``GridSearchCV``.
        """
        return float(np.mean(self.score_samples(X)))
