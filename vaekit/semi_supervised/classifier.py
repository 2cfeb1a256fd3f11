"""The semi-supervised classifier: a pretrained VAE encoder, a head, and a joint loss."""

from __future__ import annotations

import numpy as np
import keras
from keras import ops

from vaekit._validation import check_array
from vaekit.layers import KLDivergence, Sampling
from vaekit.losses import get_reconstruction_loss
from vaekit.models.base import PREDICT_BATCH_SIZE
from vaekit.semi_supervised.augment import Augmenter


def build_head(latent_dim: int, n_classes: int, head_units=()) -> keras.Model:
    """Classifier head ``z -> class probabilities``: optional ReLU layers, then softmax.

    Parameters
    ----------
    latent_dim : int
        Size of the latent space.
    n_classes : int
        Number of classes.
    head_units : sequence of int, default=()
        Hidden widths; ``()`` gives a linear softmax classifier.

    Returns
    -------
    keras.Model
        Named ``"classifier_head"``.
    """
    inputs = keras.Input(shape=(latent_dim,), name="z")
    h = inputs
    for i, units in enumerate(head_units):
        h = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(h)
    outputs = keras.layers.Dense(n_classes, activation="softmax", name="probabilities")(h)
    return keras.Model(inputs, outputs, name="classifier_head")


@keras.saving.register_keras_serializable(package="vaekit")
class SemiSupervisedClassifier(keras.Model):
    """A VAE encoder with a classifier head, fine-tuned jointly with the VAE objective.

    Called on a batch ``x`` it returns class probabilities from the latent
    mean. Trained (by :func:`vaekit.finetune`) on pairs ``(x_labelled,
    x_unlabeled)`` with labels for the first, each step minimises

    * the cross-entropy on an augmented, mixed-up labelled batch,
    * ``alpha`` x the VAE loss (reconstruction + ``beta`` x KL) on a weakly
      augmented view of the unlabeled batch, which keeps what pretraining
      learned while the encoder adapts to the labels,
    * ``pseudo_label_weight`` x the cross-entropy between the confident
      (>= ``confidence``) predictions on the weak view and the predictions on
      a strongly augmented view of the same rows,
    * ``label_propagation_weight`` x the confidence-weighted cross-entropy
      between soft targets from label propagation on the latent means and the
      predictions on the strongly augmented view (when the batches carry
      such targets, see :class:`vaekit.semi_supervised.JointBatches`).

    Parameters
    ----------
    encoder : keras.Model
        ``x -> [z_mean, z_log_var]``, usually a pretrained VAE's.
    decoder : keras.Model
        ``z -> reconstruction``, the same VAE's decoder.
    n_classes : int
        Number of classes (labels are ``0 .. n_classes - 1``).
    head : keras.Model, optional
        Classifier head; built by :func:`build_head` when omitted.
    head_units : tuple of int, default=()
        Hidden layers of the head built when ``head`` is omitted.
    beta : float, default=1.0
        Weight of the KL term inside the VAE loss.
    reconstruction : {"bce", "mse"}, default="bce"
        Reconstruction loss of the VAE.
    alpha, pseudo_label_weight, confidence, augment, mixup, classify_from
        See :class:`vaekit.config.FinetuneConfig`.
    label_propagation_weight : float, default=1.0
        Weight of the label-propagation loss (used only with soft targets).
    class_weights : list of float, optional
        Weight of each class in the labelled loss.
    seed : int, default=0
        Seed of the augmentations, mix-up and sampling.
    **kwargs
        Passed to :class:`keras.Model`.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, n_classes: int,
                 head: keras.Model | None = None, head_units=(), beta: float = 1.0,
                 reconstruction: str = "bce", alpha: float = 1e-3,
                 pseudo_label_weight: float = 1.0, confidence: float = 0.95,
                 augment: str = "auto", mixup: float = 0.5, classify_from: str = "mean",
                 class_weights=None, label_propagation_weight: float = 1.0,
                 seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if len(encoder.outputs) != 2:
            raise ValueError(
                "The encoder must return [z_mean, z_log_var] (a VAE encoder), got "
                f"{len(encoder.outputs)} output(s)."
            )
        self.encoder = encoder
        self.decoder = decoder
        self.n_classes = int(n_classes)
        latent_dim = int(encoder.outputs[0].shape[-1])
        self.head_units = tuple(head_units)
        self.head = head if head is not None else build_head(
            latent_dim, self.n_classes, self.head_units
        )
        self.beta = float(beta)
        self.reconstruction = reconstruction
        self._reconstruction_loss = get_reconstruction_loss(reconstruction)
        self.alpha = float(alpha)
        self.pseudo_label_weight = float(pseudo_label_weight)
        self.confidence = float(confidence)
        self.augment = augment
        self.mixup = float(mixup)
        self.classify_from = classify_from
        self.class_weights = None if class_weights is None else [float(w) for w in class_weights]
        if self.class_weights is not None and len(self.class_weights) != self.n_classes:
            raise ValueError(
                f"class_weights has {len(self.class_weights)} entries for "
                f"{self.n_classes} classes."
            )
        self.label_propagation_weight = float(label_propagation_weight)
        self.seed = int(seed)
        self.sample_shape = tuple(encoder.inputs[0].shape[1:])
        self.augmenter = Augmenter(self.sample_shape, augment, seed=self.seed)
        self.sampling = Sampling(seed=self.seed + 1, name="sampling")
        self.mix_seed = keras.random.SeedGenerator(self.seed + 2)
        self.encoder_gate = self.add_weight(
            shape=(), initializer="ones", trainable=False, name="encoder_gate"
        )
        self.trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("classification_loss", "vae_loss", "pseudo_label_loss",
                         "propagation_loss", "confident_fraction", "accuracy")
        }

    # ---------------------------------------------------------------- forward
    def _encode(self, x, training):
        z_mean, z_log_var = self.encoder(x, training=training)
        gate = ops.cast(self.encoder_gate, z_mean.dtype)
        z_mean = gate * z_mean + (1.0 - gate) * ops.stop_gradient(z_mean)
        z_log_var = gate * z_log_var + (1.0 - gate) * ops.stop_gradient(z_log_var)
        return z_mean, z_log_var

    def call(self, inputs, training=None):
        if not isinstance(inputs, (tuple, list)):
            z_mean, _ = self.encoder(inputs, training=training)
            return self.head(z_mean, training=training)
        return self._joint_forward(*inputs, training=training)

    def _joint_forward(self, x_labelled, x_unlabeled, training=None):
        n_lab = ops.shape(x_labelled)[0]
        n_unl = ops.shape(x_unlabeled)[0]
        if self.mixup > 0:
            lam = keras.random.beta((n_lab,), self.mixup, self.mixup, seed=self.mix_seed)
            lam = ops.maximum(lam, 1.0 - lam)
            perm = keras.random.shuffle(ops.arange(n_lab), seed=self.mix_seed)
        else:
            lam = ops.ones((n_lab,))
            perm = ops.arange(n_lab)
        lam = ops.cast(lam, x_labelled.dtype)
        x_lab = self.augmenter.strong(x_labelled)
        shape = (-1,) + (1,) * (len(self.sample_shape))
        x_lab = ops.reshape(lam, shape) * x_lab + ops.reshape(1.0 - lam, shape) * ops.take(
            x_lab, perm, axis=0
        )
        weak = self.augmenter.weak(x_unlabeled)
        strong = self.augmenter.strong(x_unlabeled)
        z_mean, z_log_var = self._encode(
            ops.concatenate([x_lab, weak, strong], axis=0), training
        )
        z = self.sampling([z_mean, z_log_var], training=training)
        features = z if self.classify_from == "sample" else z_mean
        probabilities = self.head(features, training=training)
        end_weak = n_lab + n_unl
        p_lab, p_weak, p_strong = (probabilities[:n_lab], probabilities[n_lab:end_weak],
                                   probabilities[end_weak:])
        z_weak = z[n_lab:end_weak]
        mean_weak, log_var_weak = z_mean[n_lab:end_weak], z_log_var[n_lab:end_weak]
        return {
            "p_labelled": p_lab, "p_weak": p_weak, "p_strong": p_strong,
            "x_weak": weak, "x_hat": self.decoder(z_weak, training=training),
            "kl": ops.sum(KLDivergence.kl_per_dimension(mean_weak, log_var_weak), axis=-1),
            "lam": lam, "perm": perm,
        }

    # ---------------------------------------------------------------- loss
    def _cross_entropy(self, targets, probabilities):
        return -ops.sum(targets * ops.log(ops.clip(probabilities, 1e-7, 1.0)), axis=-1)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        soft_targets = None
        if isinstance(y, (tuple, list)):
            y, soft_targets, soft_weights = y
        y = ops.cast(ops.reshape(y, (-1,)), "int32")
        one_hot = ops.one_hot(y, self.n_classes)
        if not isinstance(y_pred, dict):  # evaluation on labelled data
            loss = ops.mean(self._cross_entropy(one_hot, y_pred))
            self._track_accuracy(y, y_pred)
            self.trackers["classification_loss"].update_state(loss)
            return loss
        lam = ops.expand_dims(ops.cast(y_pred["lam"], one_hot.dtype), -1)
        targets = lam * one_hot + (1.0 - lam) * ops.take(one_hot, y_pred["perm"], axis=0)
        per_row = self._cross_entropy(targets, y_pred["p_labelled"])
        if self.class_weights is not None:
            per_row = per_row * ops.take(ops.convert_to_tensor(self.class_weights), y)
        classification = ops.mean(per_row)

        reconstruction = self._reconstruction_loss(y_pred["x_weak"], y_pred["x_hat"])
        vae = ops.mean(reconstruction + self.beta * y_pred["kl"])

        weak = ops.stop_gradient(y_pred["p_weak"])
        confident = ops.cast(ops.max(weak, axis=-1) >= self.confidence, weak.dtype)
        pseudo = ops.one_hot(ops.argmax(weak, axis=-1), self.n_classes)
        pseudo_loss = ops.mean(confident * self._cross_entropy(pseudo, y_pred["p_strong"]))

        total = classification + self.alpha * vae + self.pseudo_label_weight * pseudo_loss
        if soft_targets is not None:
            soft_targets = ops.cast(soft_targets, weak.dtype)
            soft_weights = ops.cast(ops.reshape(soft_weights, (-1,)), weak.dtype)
            propagation = ops.mean(
                soft_weights * self._cross_entropy(soft_targets, y_pred["p_strong"]))
            total = total + self.label_propagation_weight * propagation
            self.trackers["propagation_loss"].update_state(propagation)
        self.trackers["classification_loss"].update_state(classification)
        self.trackers["vae_loss"].update_state(vae)
        self.trackers["pseudo_label_loss"].update_state(pseudo_loss)
        self.trackers["confident_fraction"].update_state(ops.mean(confident))
        self._track_accuracy(y, y_pred["p_labelled"])
        return total

    def _track_accuracy(self, y, probabilities):
        hits = ops.cast(ops.argmax(probabilities, axis=-1) == y, "float32")
        self.trackers["accuracy"].update_state(ops.mean(hits))

    # ---------------------------------------------------------------- inference
    def predict_proba(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Class probabilities of ``x``, shape ``(n, n_classes)``.

        Parameters
        ----------
        x : array-like
            Samples of the encoder's input shape.
        batch_size : int, default=512
            Samples per forward pass.

        Returns
        -------
        numpy.ndarray
        """
        x = check_array("x", x, sample_shape=self.sample_shape)
        return np.asarray(self.predict(x, batch_size=batch_size, verbose=0))

    def predict_classes(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Most probable class index of each sample, shape ``(n,)``."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def encode(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Latent means of ``x`` from the fine-tuned encoder, shape ``(n, latent_dim)``."""
        x = check_array("x", x, sample_shape=self.sample_shape)
        z_mean, _ = self.encoder.predict(x, batch_size=batch_size, verbose=0)
        return np.asarray(z_mean)

    # ---------------------------------------------------------------- saving
    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "head": keras.saving.serialize_keras_object(self.head),
            "n_classes": self.n_classes, "head_units": list(self.head_units),
            "beta": self.beta, "reconstruction": self.reconstruction,
            "alpha": self.alpha, "pseudo_label_weight": self.pseudo_label_weight,
            "confidence": self.confidence, "augment": self.augment, "mixup": self.mixup,
            "classify_from": self.classify_from, "class_weights": self.class_weights,
            "label_propagation_weight": self.label_propagation_weight, "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config: dict) -> "SemiSupervisedClassifier":
        config = dict(config)
        for key in ("encoder", "decoder", "head"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
