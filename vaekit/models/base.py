"""What the VAE and the AutoEncoder share: encode, decode, reconstruct, interpolate, fit."""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vaekit._validation import (
    as_rectangular,
    check_array,
    check_fraction,
    check_positive_int,
    numeric_problem,
)
from vaekit.keras_weights import CheckedFilesMixin
from vaekit.losses import get_reconstruction_loss
from vaekit.models._fixed_batches import predict_batches
from vaekit.training.callbacks import StopOnNonFiniteLoss

PREDICT_BATCH_SIZE = 512


def is_array_like(x) -> bool:
    """True for in-memory data (NumPy, lists, pandas), False for datasets and generators."""
    return hasattr(x, "__array__") or isinstance(x, (list, tuple))


def _optional_positive_int(name: str, value) -> int | None:
    """``None``, or ``value`` checked as an integer >= 1."""
    return None if value is None else check_positive_int(name, value)


def check_sample_weight(sample_weight, n_rows: int) -> np.ndarray:
    """One finite, non-negative float32 weight per row; a scalar applies to every row.

    Parameters
    ----------
    sample_weight : float or array-like of shape (n_rows,)
        The weights given to ``fit``.
    n_rows : int
        Rows of ``x``.

    Returns
    -------
    numpy.ndarray
        Shape ``(n_rows,)``, float32.
    """
    weights = as_rectangular("sample_weight", sample_weight)
    problem = numeric_problem(weights)
    if problem:
        raise TypeError(f"sample_weight {problem}; pass one number per row of x.")
    if weights.ndim == 0:
        weights = np.full(n_rows, weights)
    if weights.ndim != 1 or len(weights) != n_rows:
        raise ValueError(
            f"sample_weight must hold one weight per row of x ({n_rows}), got shape "
            f"{weights.shape}."
        )
    weights = weights.astype("float64")
    if np.isnan(weights).any():
        raise ValueError(
            f"sample_weight must be finite and >= 0, got {int(np.isnan(weights).sum())} NaN "
            f"(the first at index {int(np.flatnonzero(np.isnan(weights))[0])}).")
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(
            "sample_weight must be finite and >= 0, got values in "
            f"[{weights.min():.4g}, {weights.max():.4g}].")
    return weights.astype("float32")


class LatentModel(CheckedFilesMixin, keras.Model):
    """Base class of models with an encoder, a latent space and a decoder.

    Subclasses set ``self.encoder`` and ``self.decoder`` and implement
    :meth:`_latent_means`. Not meant to be used directly.

    Parameters
    ----------
    encoder : keras.Model
        Maps a batch of samples to latent codes.
    decoder : keras.Model
        Maps latent codes to reconstructions.
    reconstruction : {"bce", "mse"}
        Reconstruction loss, summed over features and averaged over the batch.
    **kwargs
        Passed to :class:`keras.Model`.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, reconstruction: str,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        for name, model in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(model, keras.Model):
                raise TypeError(
                    f"{name} must be a keras.Model, got {type(model).__name__}."
                )
        self.reconstruction = reconstruction
        self._reconstruction_loss = get_reconstruction_loss(reconstruction)
        self.encoder = encoder
        self.decoder = decoder
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction_loss")

    # ------------------------------------------------------------------ shapes
    @property
    def sample_shape(self) -> tuple[int, ...]:
        """Shape of one input sample, e.g. ``(28, 28, 1)``."""
        return tuple(self.encoder.inputs[0].shape[1:])

    @property
    def latent_dim(self) -> int:
        """Size of the latent space."""
        return int(self.decoder.inputs[0].shape[-1])

    # ------------------------------------------------------------------ losses
    def reconstruction_loss(self, x, x_hat):
        """Per-sample reconstruction loss (summed over features), shape ``(batch,)``."""
        return self._reconstruction_loss(x, x_hat)

    def _mean_reconstruction(self, x, y, y_pred, sample_weight):
        target = x if y is None else y
        per_sample = self.reconstruction_loss(ops.cast(target, y_pred.dtype), y_pred)
        if sample_weight is not None:
            weight = ops.cast(ops.reshape(sample_weight, (-1,)), per_sample.dtype)
            return ops.sum(per_sample * weight) / ops.maximum(ops.sum(weight), 1e-7)
        return ops.mean(per_sample)

    def _added_losses(self, dtype):
        """Sum of the :meth:`add_loss` terms of this forward pass (zero if none)."""
        # A plain list of tensors: JAX cannot convert Keras' TrackedList to an array.
        losses = [ops.cast(loss, dtype) for loss in self.losses]
        if not losses:
            return ops.zeros((), dtype)
        if len(losses) == 1:
            # The usual case (the KL term alone), as Keras' own compute_loss does it:
            # skipping stack + sum saves ~1% of a step in eager (jit_compile=False) mode.
            return losses[0]
        return ops.sum(ops.stack(losses))

    @staticmethod
    def _track(tracker, value, y_pred) -> None:
        """Update a ``Mean`` metric with a batch mean, weighted by the batch size.

        Keras weights its ``loss`` metric by batch size, so the parts must be
        weighted the same way for ``loss == reconstruction_loss + kl_loss`` to
        hold when the last batch of an epoch is smaller.
        """
        # What ``tracker.update_state(value, sample_weight=batch)`` computes, minus
        # its generic broadcasting: 6 fewer ops a step, ~1.5% of an eager JAX step.
        batch = ops.cast(ops.shape(y_pred)[0], tracker.dtype)
        tracker.total.assign_add(ops.cast(value, tracker.dtype) * batch)
        tracker.count.assign_add(batch)

    # ------------------------------------------------------------------ saving
    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "reconstruction": self.reconstruction,
        })
        return config

    @classmethod
    def from_config(cls, config: dict):
        config = dict(config)
        config["encoder"] = keras.saving.deserialize_keras_object(config["encoder"])
        config["decoder"] = keras.saving.deserialize_keras_object(config["decoder"])
        return cls(**config)

    # ------------------------------------------------------------------ training
    def check_input(self, x, name: str = "x") -> np.ndarray:
        """Validate in-memory data against the model: shape, numeric, finite, range.

        Parameters
        ----------
        x : array-like
            Samples of shape ``(n, *sample_shape)``.
        name : str, default="x"
            Name used in error messages.

        Returns
        -------
        numpy.ndarray
            ``x`` as float32.
        """
        return check_array(
            name, x, sample_shape=self.sample_shape,
            unit_interval=self.reconstruction == "bce",
        )

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, **kwargs):
        """Train the model; same arguments as :meth:`keras.Model.fit`.

        In-memory ``x`` is validated first (shape, dtype, NaN/inf, and the
        [0, 1] range for ``reconstruction="bce"``), as are ``batch_size``,
        ``epochs`` (0 trains nothing, as in Keras; a negative value is refused),
        ``initial_epoch`` and ``sample_weight``, and a
        :class:`~vaekit.training.StopOnNonFiniteLoss` guard is added: if the
        loss becomes NaN the last good weights are restored and
        :class:`~vaekit.training.TrainingDivergedError` is raised.

        ``sample_weight`` (one non-negative weight per row of ``x``) weights
        each row's reconstruction loss and KL term: a batch's loss is the
        weighted mean over its rows. ``class_weight`` is refused: an
        autoencoder has no classes.
        """
        batch_size = _optional_positive_int("batch_size", batch_size)
        steps_per_epoch = _optional_positive_int("steps_per_epoch", steps_per_epoch)
        epochs = check_positive_int("epochs", epochs, minimum=0)
        initial_epoch = check_positive_int("initial_epoch", initial_epoch, minimum=0)
        if epochs < initial_epoch:
            raise ValueError(
                f"epochs={epochs} is below initial_epoch={initial_epoch}, so fit would "
                "train nothing: epochs is the index of the last epoch, not a count. Pass "
                f"epochs >= {initial_epoch}."
            )
        if validation_split != 0.0:
            check_fraction("validation_split", validation_split)
        if class_weight is not None:
            raise ValueError(
                f"class_weight has no meaning for a {type(self).__name__}, which has no "
                "classes; weight rows with sample_weight=... instead."
            )
        in_memory = x is not None and is_array_like(x)
        if in_memory:
            x = self.check_input(x)
        if y is not None and is_array_like(y):
            y = self.check_input(y, name="y")
        if sample_weight is not None and in_memory:
            sample_weight = check_sample_weight(sample_weight, len(x))
            if y is None:
                # Keras drops sample_weight when y is None: the target is x itself.
                y = x
        callbacks = list(callbacks or [])
        if not any(isinstance(c, StopOnNonFiniteLoss) for c in callbacks):
            callbacks.append(StopOnNonFiniteLoss())
        return super().fit(
            x, y, batch_size=batch_size, epochs=epochs, verbose=verbose, callbacks=callbacks,
            validation_split=validation_split, validation_data=validation_data,
            shuffle=shuffle, sample_weight=sample_weight, initial_epoch=initial_epoch,
            steps_per_epoch=steps_per_epoch, **kwargs,
        )

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Reconstructions of ``x``; same arguments as :meth:`keras.Model.predict`.

        In-memory ``x`` and ``batch_size`` are validated first; :meth:`reconstruct`
        gives the deterministic reconstruction (the posterior mean, no sampling).
        """
        batch_size = _optional_positive_int("batch_size", batch_size)
        if x is not None and is_array_like(x):
            x = check_array("x", x, sample_shape=self.sample_shape)
        return super().predict(x, batch_size=batch_size, verbose=verbose, steps=steps,
                               callbacks=callbacks)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 **kwargs):
        """The loss of ``x``; same arguments as :meth:`keras.Model.evaluate`.

        In-memory ``x``, ``batch_size`` and ``sample_weight`` are validated first;
        weights count as in :meth:`fit`.
        """
        batch_size = _optional_positive_int("batch_size", batch_size)
        if x is not None and is_array_like(x):
            x = self.check_input(x)
            if sample_weight is not None:
                sample_weight = check_sample_weight(sample_weight, len(x))
                y = x if y is None else y
        return super().evaluate(x, y, batch_size=batch_size, verbose=verbose,
                                sample_weight=sample_weight, **kwargs)

    # ------------------------------------------------------------------ inference
    def _latent_means(self, x, batch_size: int) -> np.ndarray:
        raise NotImplementedError

    def encode(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Latent means of ``x`` as a NumPy array of shape ``(n, latent_dim)``.

        Parameters
        ----------
        x : array-like
            Samples of shape ``(n, *sample_shape)``.
        batch_size : int, default=512
            Samples per forward pass.

        Returns
        -------
        numpy.ndarray
        """
        x = check_array("x", x, sample_shape=self.sample_shape)
        return self._latent_means(x, batch_size)

    def decode(self, z, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Decode latent codes ``z`` of shape ``(n, latent_dim)`` into samples.

        Parameters
        ----------
        z : array-like
            Latent codes.
        batch_size : int, default=512
            Codes per forward pass.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, *sample_shape)``; Bernoulli means for ``"bce"``.
        """
        z = check_array("z", z, sample_shape=(self.latent_dim,))
        return predict_batches(self.decoder, z, batch_size=batch_size)

    def reconstruct(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Decode the latent means of ``x``: the model's deterministic reconstruction."""
        return self.decode(self.encode(x, batch_size), batch_size)

    def interpolate(self, x_a, x_b, steps: int = 8) -> np.ndarray:
        """Decode evenly spaced points on the line between the codes of two samples.

        Parameters
        ----------
        x_a, x_b : array-like
            Two samples of shape ``sample_shape`` (or ``(1, *sample_shape)``).
        steps : int, default=8
            Number of points, both ends included.

        Returns
        -------
        numpy.ndarray
            Shape ``(steps, *sample_shape)``; the first row decodes ``x_a``'s
            code, the last ``x_b``'s.
        """
        steps = check_positive_int("steps", steps, minimum=2)
        pair = np.concatenate([self._one_sample(name, x)
                               for name, x in (("x_a", x_a), ("x_b", x_b))])
        z_a, z_b = self.encode(pair)
        weights = np.linspace(0.0, 1.0, steps, dtype="float32")[:, None]
        return self.decode((1.0 - weights) * z_a + weights * z_b)

    def _one_sample(self, name: str, x) -> np.ndarray:
        """``x`` (one sample, with or without a leading axis of 1) as ``(1, *sample_shape)``."""
        shape = np.shape(x)
        if tuple(shape) == self.sample_shape:
            x = np.expand_dims(np.asarray(x), 0)
        elif len(shape) != len(self.sample_shape) + 1 or shape[0] != 1:
            raise ValueError(
                f"{name} must be one sample of shape {self.sample_shape} (or "
                f"(1, *{self.sample_shape})), got shape {tuple(shape)}."
            )
        return check_array(name, x, sample_shape=self.sample_shape)
