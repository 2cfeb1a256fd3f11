"""The semi-supervised classifier: a VAE encoder, a head, and the joint objective.

The objective is :meth:`SemiSupervisedClassifier.compute_loss`: one method per
term (``_classification_term``, ``_vae_term``, ``_pseudo_label_term``,
``_propagation_term``, ``_consistency_term``), each computed by a function of
:mod:`vaekit.losses.finetune_objective` and tracked as its own metric, summed
with the weights of the model's :class:`~vaekit.FinetuneRecipe`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from vaekit._validation import check_array
from vaekit.augmentation import Augmenter
from vaekit.builders.classifier_head import build_head
from vaekit.config.recipe import FinetuneRecipe
from vaekit.distribution import scale_loss
from vaekit.keras_weights import CheckedFilesMixin
from vaekit.layers import Sampling
from vaekit.losses import adversarial
from vaekit.losses import finetune_objective as objective
from vaekit.losses import get_reconstruction_loss
from vaekit.models._fixed_batches import predict_batches
from vaekit.models.base import PREDICT_BATCH_SIZE

#: The metrics of a training step, in the order Keras logs them.
TERM_METRICS = ("classification_loss", "vae_loss", "pseudo_label_loss", "propagation_loss",
                "consistency_loss", "adversarial_loss", "balance_loss", "entropy_loss",
                "confident_fraction", "accuracy")


@keras.saving.register_keras_serializable(package="vaekit")
class SemiSupervisedClassifier(CheckedFilesMixin, keras.Model):
    """A VAE encoder with a classifier head, fine-tuned jointly with the VAE objective.

    Called on a batch ``x`` it returns class probabilities from the latent
    mean. Trained (by :func:`vaekit.finetune`) on pairs ``(x_labelled,
    x_unlabeled)`` with labels for the first, each step minimises

    ``classification + alpha * vae + pseudo_label_weight * pseudo_label
    + label_propagation_weight * propagation``

    with the weights of its :class:`~vaekit.FinetuneRecipe` (see
    :meth:`compute_loss`, and the README's "How it works" for each term).

    Parameters
    ----------
    encoder : keras.Model
        ``x -> [z_mean, z_log_var]``, usually a pretrained VAE's.
    decoder : keras.Model
        ``z -> reconstruction``, the same VAE's decoder.
    n_classes : int
        Number of classes (labels are ``0 .. n_classes - 1``).
    recipe : FinetuneRecipe or dict, optional
        The objective; its automatic choices are resolved for the encoder's
        input (``class_weight="balanced"`` must be resolved beforehand, see
        :meth:`FinetuneRecipe.resolved`). Defaults when omitted.
    head : keras.Model, optional
        Classifier head; built from ``recipe.head_units`` when omitted.
    beta : float, default=1.0
        Weight of the KL term inside the VAE loss.
    free_bits : float, default=0.0
        Per-dimension KL floor of the VAE loss, as in pretraining.
    reconstruction : {"bce", "mse"}, default="bce"
        Reconstruction loss of the VAE.
    seed : int, default=0
        Seed of the augmentations, mix-up and sampling.
    **kwargs
        Passed to :class:`keras.Model`.
    """

    def __init__(self, encoder: keras.Model, decoder: keras.Model, n_classes: int,
                 recipe: FinetuneRecipe | dict | None = None, head: keras.Model | None = None,
                 beta: float = 1.0, free_bits: float = 0.0, reconstruction: str = "bce",
                 seed: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        if len(encoder.outputs) != 2:
            raise ValueError("The encoder must return [z_mean, z_log_var] (a VAE encoder), "
                             f"got {len(encoder.outputs)} output(s).")
        self.encoder = encoder
        self.decoder = decoder
        self.n_classes = int(n_classes)
        self.sample_shape = tuple(encoder.inputs[0].shape[1:])
        self.beta = float(beta)
        self.free_bits = float(free_bits)
        self.reconstruction = reconstruction
        self._reconstruction_loss = get_reconstruction_loss(reconstruction)
        self.recipe = self._resolve(recipe)
        latent_dim = int(encoder.outputs[0].shape[-1])
        self.head = head if head is not None else build_head(
            latent_dim, self.n_classes, self.recipe.head_units)
        self.seed = int(seed)
        self.augmenter = Augmenter(self.sample_shape, self.recipe.augment, seed=self.seed)
        # Tracked as the model's own state, so every backend advances it each step.
        self.augment_seed = self.augmenter.seed_generator
        self.sampling = Sampling(seed=self.seed + 1, name="sampling")
        self.mix_seed = keras.random.SeedGenerator(self.seed + 2)
        self.encoder_gate = self.add_weight(shape=(), initializer="ones", trainable=False,
                                            name="encoder_gate")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in TERM_METRICS}

    def _resolve(self, recipe) -> FinetuneRecipe:
        if recipe is None:
            recipe = FinetuneRecipe()
        elif isinstance(recipe, dict):
            recipe = FinetuneRecipe.from_dict(recipe)
        elif not isinstance(recipe, FinetuneRecipe):
            raise TypeError(f"recipe must be a FinetuneRecipe or a dict, got {type(recipe)}.")
        if recipe.class_weight == "balanced":
            raise ValueError(
                "recipe.class_weight='balanced' must be resolved from the labels before the "
                "model is built: pass recipe.resolved(..., y_labelled=..., n_classes=...).")
        return recipe.resolved(self.sample_shape, self.reconstruction, n_classes=self.n_classes)

    # ---------------------------------------------------------------- the objective
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The joint objective of a training step (or the cross-entropy when evaluating).

        ``classification + alpha * vae + pseudo_label_weight * pseudo_label
        + label_propagation_weight * propagation``, each term from its own
        method and metric; terms whose weight is 0 are not computed.
        """
        if not isinstance(y_pred, dict):  # evaluation on labelled rows
            return scale_loss(self._evaluation_loss(y, y_pred))
        labels, soft_targets = y if isinstance(y, (tuple, list)) else (y, None)
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        recipe = self.recipe
        total = self._classification_term(labels, y_pred)
        total = total + recipe.alpha * self._vae_term(y_pred)
        if recipe.pseudo_label_weight > 0:
            total = total + recipe.pseudo_label_weight * self._pseudo_label_term(y_pred)
        if soft_targets is not None and recipe.label_propagation_weight > 0:
            total = total + recipe.label_propagation_weight * self._propagation_term(
                soft_targets, y_pred)
        if recipe.consistency_weight > 0:
            total = total + recipe.consistency_weight * self._consistency_term(y_pred)
        if recipe.adversarial_weight > 0:
            total = total + recipe.adversarial_weight * self._adversarial_term(y_pred)
        if recipe.balance_weight > 0:
            total = total + recipe.balance_weight * self._balance_term(labels, y_pred)
        if recipe.entropy_weight > 0:
            total = total + recipe.entropy_weight * self._entropy_term(y_pred)
        return scale_loss(total)

    def _classification_term(self, labels, y_pred):
        one_hot = ops.one_hot(labels, self.n_classes)
        targets = objective.mixup_targets(one_hot, y_pred["lam"], y_pred["perm"])
        row_weights = None
        class_weights = self.recipe.class_weights(self.n_classes)
        if class_weights is not None:
            row_weights = objective.mixed_class_weights(
                ops.convert_to_tensor(class_weights, dtype=targets.dtype), labels,
                y_pred["lam"], y_pred["perm"])
        loss = objective.classification_loss(targets, y_pred["p_labelled"], row_weights)
        self.trackers["classification_loss"].update_state(loss)
        self._track_accuracy(labels, y_pred["p_labelled"])
        return loss

    def _vae_term(self, y_pred):
        loss = objective.vae_loss(y_pred["x_weak"], y_pred["x_hat"], y_pred["mean_weak"],
                                  y_pred["log_var_weak"], self._reconstruction_loss,
                                  self.beta, self.free_bits)
        self.trackers["vae_loss"].update_state(loss)
        return loss

    def _pseudo_label_term(self, y_pred):
        loss, confident = objective.pseudo_label_loss(
            y_pred["p_weak"], y_pred["p_strong"], self.recipe.confidence)
        self.trackers["pseudo_label_loss"].update_state(loss)
        self.trackers["confident_fraction"].update_state(confident)
        return loss

    def _propagation_term(self, soft_targets, y_pred):
        targets, weights = soft_targets
        loss = objective.soft_target_loss(targets, weights, y_pred["p_strong"])
        self.trackers["propagation_loss"].update_state(loss)
        return loss

    def _consistency_term(self, y_pred):
        targets = objective.mixup_targets(y_pred["p_weak"], y_pred["lam_unlabeled"],
                                          y_pred["perm_unlabeled"])
        loss = objective.consistency_loss(y_pred["p_mixed"], targets)
        self.trackers["consistency_loss"].update_state(loss)
        return loss

    def _adversarial_term(self, y_pred):
        loss = ops.mean(adversarial.kl_divergence(ops.stop_gradient(y_pred["p_weak"]),
                                                  y_pred["p_adversarial"]))
        self.trackers["adversarial_loss"].update_state(loss)
        return loss

    def _balance_term(self, labels, y_pred):
        prior = ops.mean(ops.one_hot(labels, self.n_classes), axis=0)
        loss = adversarial.kl_divergence(prior, ops.mean(y_pred["p_weak"], axis=0))
        self.trackers["balance_loss"].update_state(loss)
        return loss

    def _entropy_term(self, y_pred):
        p_weak = y_pred["p_weak"]
        loss = ops.mean(objective.cross_entropy(p_weak, p_weak))
        self.trackers["entropy_loss"].update_state(loss)
        return loss

    def _evaluation_loss(self, y, probabilities):
        labels = ops.cast(ops.reshape(y, (-1,)), "int32")
        loss = ops.mean(objective.cross_entropy(ops.one_hot(labels, self.n_classes),
                                                probabilities))
        self.trackers["classification_loss"].update_state(loss)
        self._track_accuracy(labels, probabilities)
        return loss

    def _track_accuracy(self, labels, probabilities):
        hits = ops.cast(ops.argmax(probabilities, axis=-1) == labels, "float32")
        self.trackers["accuracy"].update_state(ops.mean(hits))

    # ---------------------------------------------------------------- forward
    def call(self, inputs, training=None):
        if not isinstance(inputs, (tuple, list)):
            z_mean, _ = self.encoder(inputs, training=training)
            return self.head(z_mean, training=training)
        return self._views(*inputs, training=training)

    def _encode(self, x, training):
        """The encoder, with gradients stopped while ``encoder_gate`` is 0 (frozen)."""
        z_mean, z_log_var = self.encoder(x, training=training)
        gate = ops.cast(self.encoder_gate, z_mean.dtype)
        z_mean = gate * z_mean + (1.0 - gate) * ops.stop_gradient(z_mean)
        z_log_var = gate * z_log_var + (1.0 - gate) * ops.stop_gradient(z_log_var)
        return z_mean, z_log_var

    def _mixup_draw(self, n, dtype, alpha):
        """Mix-up weights ``lam >= 0.5`` and partners ``perm`` of ``n`` rows (Beta(alpha))."""
        if alpha <= 0:
            return ops.ones((n,), dtype=dtype), ops.arange(n)
        lam = keras.random.beta((n,), alpha, alpha, seed=self.mix_seed)
        lam = ops.cast(ops.maximum(lam, 1.0 - lam), dtype)
        return lam, keras.random.shuffle(ops.arange(n), seed=self.mix_seed)

    @staticmethod
    def _mix(x, lam, perm):
        shape = (-1,) + (1,) * (len(x.shape) - 1)
        return ops.reshape(lam, shape) * x + ops.reshape(1.0 - lam, shape) * ops.take(
            x, perm, axis=0)

    def _views(self, x_labelled, x_unlabeled, training=None):
        """Everything the objective's terms need, from one encoder pass over all views."""
        n_lab = ops.shape(x_labelled)[0]
        n_unl = ops.shape(x_unlabeled)[0]
        lam, perm = self._mixup_draw(n_lab, x_labelled.dtype, self.recipe.mixup)
        views = [self._mix(self.augmenter.strong(x_labelled), lam, perm),
                 self.augmenter.weak(x_unlabeled), self.augmenter.strong(x_unlabeled)]
        consistency = self.recipe.consistency_weight > 0
        if consistency:  # ICT: mixes of unlabeled rows, Beta(1, 1) as in Verma et al.
            lam_unl, perm_unl = self._mixup_draw(n_unl, x_unlabeled.dtype, 1.0)
            views.append(self._mix(x_unlabeled, lam_unl, perm_unl))
        adversarial_term = self.recipe.adversarial_weight > 0
        if adversarial_term:  # VAT: the weak view moved where the prediction changes most
            views.append(self._adversarial_view(views[1], training))
        z_mean, z_log_var = self._encode(ops.concatenate(views, axis=0), training)
        z = self.sampling([z_mean, z_log_var], training=training)
        features = z if self.recipe.classify_from == "sample" else z_mean
        probabilities = self.head(features, training=training)
        weak = slice(n_lab, n_lab + n_unl)
        end_strong = n_lab + 2 * n_unl
        out = {
            "p_labelled": probabilities[:n_lab], "p_weak": probabilities[weak],
            "p_strong": probabilities[n_lab + n_unl:end_strong], "x_weak": views[1],
            "x_hat": self.decoder(z[weak], training=training),
            "mean_weak": z_mean[weak], "log_var_weak": z_log_var[weak],
            "lam": lam, "perm": perm,
        }
        if consistency:
            out.update(p_mixed=probabilities[end_strong:end_strong + n_unl],
                       lam_unlabeled=lam_unl, perm_unlabeled=perm_unl)
        if adversarial_term:
            out["p_adversarial"] = probabilities[-n_unl:]
        return out

    def _adversarial_view(self, x, training):
        """``x`` plus its virtual adversarial perturbation (no gradient through the step)."""
        if self.recipe.adversarial_epsilon is None:
            raise ValueError(
                "recipe.adversarial_epsilon=None is measured from the training rows by "
                "vaekit.finetune; training the model yourself, give it as a number (the L2 "
                "norm of each row's perturbation) or set adversarial_weight=0.")

        def predict(rows):
            return self.head(self._encode(rows, training)[0], training=training)

        r_adv = adversarial.virtual_adversarial_perturbation(
            predict, x, predict(x), self.recipe.adversarial_epsilon, self.mix_seed)
        return x + ops.cast(r_adv, x.dtype)

    def set_recipe(self, recipe: FinetuneRecipe) -> None:
        """Replace the objective (warm start: see :mod:`vaekit.semi_supervised.warm_start`).

        The recipe's numbers are constants of the compiled step, so it is traced again.
        """
        self.recipe = self._resolve(recipe)
        self.train_function = self.test_function = self.predict_function = None

    # ---------------------------------------------------------------- inference
    def predict_proba(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Class probabilities of ``x`` (samples of the encoder's input shape), ``(n, K)``."""
        x = check_array("x", x, sample_shape=self.sample_shape)
        return predict_batches(self, x, batch_size=batch_size)

    def predict_classes(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Most probable class index of each sample, shape ``(n,)``."""
        return self.predict_proba(x, batch_size).argmax(axis=1)

    def encode(self, x, batch_size: int = PREDICT_BATCH_SIZE) -> np.ndarray:
        """Latent means of ``x`` from the fine-tuned encoder, shape ``(n, latent_dim)``."""
        x = check_array("x", x, sample_shape=self.sample_shape)
        return predict_batches(self.encoder, x, output=0, batch_size=batch_size)

    # ---------------------------------------------------------------- saving
    def get_config(self) -> dict:
        config = super().get_config()
        config.update({
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "head": keras.saving.serialize_keras_object(self.head),
            "n_classes": self.n_classes, "recipe": self.recipe.as_dict(),
            "beta": self.beta, "free_bits": self.free_bits,
            "reconstruction": self.reconstruction, "seed": self.seed,
        })
        return config

    @classmethod
    def from_config(cls, config: dict) -> SemiSupervisedClassifier:
        config = dict(config)
        for key in ("encoder", "decoder", "head"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)
