"""The bad-input corpus (issue 12): every case gives one clear error naming the problem.

Each row of :data:`CASES` is a call across the public API (Keras models and
builders, the estimators, the loaders, the configs, the semi-supervised
helpers) with one bad input, the exception type it must raise and a pattern
its message must match: the pattern names the argument (or file) and the
problem, so a case fails both when the call stops raising and when it raises
something vaguer (a message from deep inside Keras, TensorFlow or NumPy).

Calls receive :class:`Ctx`: small data, one untrained VAE and one tiny
fitted estimator of each kind, made once for the module. Nearly every case
raises before any training.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from vaekit import (
    FinetuneConfig,
    FinetuneRecipe,
    PretrainConfig,
    VAEClassifier,
    VAETransformer,
    build_autoencoder,
    build_vae,
    pretrain_then_finetune,
    pretrain_vae,
)
from vaekit.builders import (
    build_conv_decoder,
    build_conv_encoder,
    build_dense_encoder,
    build_recurrent_encoder,
)
from vaekit.builders.classifier_head import build_head
from vaekit.data import (
    DataError,
    hide_labels,
    labelled_subset,
    load,
    load_image_folder,
    load_numpy,
    load_table,
)

N_ROWS, N_FEATURES, LATENT = 40, 6, 2
TINY = {"latent_dim": LATENT, "hidden_units": (8,), "batch_size": 16, "random_state": 0}
#: Fine-tuning with the cross-entropy and VAE terms only: the fastest fit to check inputs of.
LEAN_FINETUNE = {"pseudo_label_weight": 0.0, "label_propagation_weight": 0.0,
                 "consistency_weight": 0.0, "augment": "none", "mixup": 0.0}


@dataclasses.dataclass
class Ctx:
    """What the calls of the corpus work on."""

    x: np.ndarray
    y: np.ndarray
    vae: object
    transformer: VAETransformer
    classifier: VAEClassifier
    folder: Path


@pytest.fixture(scope="module")
def ctx(tmp_path_factory) -> Ctx:
    rng = np.random.default_rng(0)
    x = rng.random((N_ROWS, N_FEATURES)).astype("float32")
    y = np.r_[[0, 1] * 10, [-1] * 20]
    folder = tmp_path_factory.mktemp("bad_inputs")
    (folder / "patients.csv").write_text(
        "age,weight,diagnosis\n" + "".join(f"{i},{60 + i},{'ab'[i % 2]}\n" for i in range(8)))
    np.save(folder / "huge.npy", np.full((4, 3), 1e39))
    (folder / "truncated.npy").write_bytes((folder / "huge.npy").read_bytes()[:60])
    return Ctx(
        x=x, y=y,
        vae=build_vae((N_FEATURES,), latent_dim=LATENT, hidden_units=(8,)),
        transformer=VAETransformer(epochs=1, **TINY).fit(x),
        classifier=VAEClassifier(pretrain_epochs=1, finetune_epochs=1,
                                 finetune_options=LEAN_FINETUNE, **TINY).fit(x, y),
        folder=folder,
    )


def _with(x, row, col, value):
    x = np.array(x, dtype="float64")
    x[row, col] = value
    return x


def _ragged(x):
    rows = x.tolist()
    rows[1] = rows[1][:-1]
    return rows


def _fit(c, **kwargs):
    return c.vae.fit(kwargs.pop("x", c.x), verbose=0, **{"epochs": 1, **kwargs})


def case(name, call, error, match):
    """One row of the corpus: ``call(ctx)`` must raise ``error`` matching ``match``."""
    return pytest.param(call, error, match, id=name)


CASES = [
    # ---------------------------------------------------------------- VAE.fit and friends
    case("fit-epochs-negative", lambda c: _fit(c, epochs=-1),
         ValueError, r"^epochs must be >= 0, got -1"),
    case("fit-epochs-float", lambda c: _fit(c, epochs=1.5),
         TypeError, r"^epochs must be an integer"),
    case("fit-epochs-below-initial", lambda c: _fit(c, epochs=2, initial_epoch=5),
         ValueError, r"epochs=2 is below initial_epoch=5"),
    case("fit-batch-size-negative", lambda c: _fit(c, batch_size=-5),
         ValueError, r"^batch_size must be >= 1, got -5"),
    case("fit-batch-size-string", lambda c: _fit(c, batch_size="32"),
         TypeError, r"^batch_size must be an integer"),
    case("fit-steps-zero", lambda c: _fit(c, steps_per_epoch=0),
         ValueError, r"^steps_per_epoch must be >= 1"),
    case("fit-validation-split", lambda c: _fit(c, validation_split=1.5),
         ValueError, r"^validation_split must lie in \[0, 1\)"),
    case("fit-sample-weight-length", lambda c: _fit(c, sample_weight=np.ones(3)),
         ValueError, r"sample_weight must hold one weight per row of x \(40\)"),
    case("fit-sample-weight-negative", lambda c: _fit(c, sample_weight=-np.ones(N_ROWS)),
         ValueError, r"sample_weight must be finite and >= 0"),
    case("fit-sample-weight-nan", lambda c: _fit(c, sample_weight=np.full(N_ROWS, np.nan)),
         ValueError, r"sample_weight must be finite.*NaN"),
    case("fit-sample-weight-strings", lambda c: _fit(c, sample_weight=["a"] * N_ROWS),
         TypeError, r"sample_weight must be numeric"),
    case("evaluate-sample-weight-length",
         lambda c: c.vae.evaluate(c.x, sample_weight=np.ones(3), verbose=0),
         ValueError, r"sample_weight must hold one weight per row of x \(40\)"),
    case("fit-class-weight", lambda c: _fit(c, class_weight={0: 1.0}),
         ValueError, r"class_weight has no meaning for a VAE"),
    case("fit-ragged-rows", lambda c: _fit(c, x=_ragged(c.x)),
         ValueError, r"^x is ragged: its rows have different lengths \(row lengths 5, 6\)"),
    case("fit-beyond-float32", lambda c: _fit(c, x=_with(c.x, 0, 0, 1e39)),
         ValueError, r"^x has 1 values beyond float32's range \(max 3\.4e38\)"),
    case("fit-nan", lambda c: _fit(c, x=_with(c.x, 3, 2, np.nan)),
         ValueError, r"^x contains 1 NaN or infinite values \(the first at index \(3, 2\)\)"),
    case("fit-inf", lambda c: _fit(c, x=_with(c.x, 1, 1, -np.inf)),
         ValueError, r"^x contains 1 NaN or infinite"),
    case("fit-strings", lambda c: _fit(c, x=np.full((4, N_FEATURES), "a")),
         TypeError, r"^x must be numeric, got dtype <U1"),
    case("fit-feature-count", lambda c: _fit(c, x=c.x[:, :5]),
         ValueError, r"^x has samples of shape \(5,\), but the model expects \(6,\)"),
    case("fit-one-dimensional", lambda c: _fit(c, x=c.x[0]),
         ValueError, r"^x must have a leading sample axis"),
    case("fit-empty", lambda c: _fit(c, x=c.x[:0]),
         ValueError, r"^x is empty"),
    case("fit-uint8-pixels-bce", lambda c: _fit(c, x=(c.x * 255).astype("uint8")),
         ValueError, r"^x has values in \[0, 25\d\].*divide by 255.*reconstruction='bce'"),
    case("fit-target-shape", lambda c: c.vae.fit(c.x, c.x[:, :3], verbose=0),
         ValueError, r"^y has samples of shape \(3,\)"),
    case("encode-batch-size-negative", lambda c: c.vae.encode(c.x, batch_size=-5),
         ValueError, r"^batch_size must be >= 1, got -5"),
    case("encode-ragged-rows", lambda c: c.vae.encode(_ragged(c.x)),
         ValueError, r"^x is ragged"),
    case("encode-beyond-float32", lambda c: c.vae.encode(_with(c.x, 2, 0, -1e300)),
         ValueError,
         r"^x has 1 values beyond float32's range \(max 3\.4e38\), "
         r"the first -1e\+300 at index \(2, 0\)"),
    case("predict-batch-size-negative", lambda c: c.vae.predict(c.x, batch_size=-5),
         ValueError, r"^batch_size must be >= 1, got -5"),
    case("predict-nan", lambda c: c.vae.predict(_with(c.x, 0, 0, np.nan)),
         ValueError, r"^x contains 1 NaN"),
    case("decode-latent-size", lambda c: c.vae.decode(np.zeros((2, 3)), batch_size=0),
         ValueError, r"^z has samples of shape \(3,\), but the model expects \(2,\)"),
    case("decode-batch-size-zero", lambda c: c.vae.decode(np.zeros((2, LATENT)), batch_size=0),
         ValueError, r"^batch_size must be >= 1, got 0"),
    case("interpolate-steps", lambda c: c.vae.interpolate(c.x[0], c.x[1], steps=1),
         ValueError, r"^steps must be >= 2"),
    case("interpolate-two-samples", lambda c: c.vae.interpolate(c.x[:2], c.x[1]),
         ValueError, r"^x_a must be one sample of shape \(6,\)"),
    case("sample-zero", lambda c: c.vae.sample(0),
         ValueError, r"^n must be >= 1, got 0"),
    case("elbo-outside-unit-interval", lambda c: c.vae.elbo(c.x * 3),
         ValueError, r"^x has values in .* outside \[0, 1\]"),
    # ---------------------------------------------------------------- build_vae and the builders
    case("build-hidden-units-zero", lambda c: build_vae((6,), hidden_units=(0,)),
         ValueError,
         r"^hidden_units must hold positive integers \(layer widths >= 1\), got \(0,\)"),
    case("build-hidden-units-negative", lambda c: build_vae((6,), hidden_units=(64, -1)),
         ValueError, r"^hidden_units must hold positive integers.*\(64, -1\)"),
    case("build-hidden-units-int", lambda c: build_vae((6,), hidden_units=8),
         TypeError, r"^hidden_units must be a sequence.*write \(8,\) for one layer"),
    case("build-hidden-units-string", lambda c: build_vae((6,), hidden_units=("wide",)),
         ValueError, r"^hidden_units must hold positive integers"),
    case("build-latent-dim-absurd", lambda c: build_vae((6,), latent_dim=10**9),
         ValueError,
         r"^latent_dim=1000000000 would give the layers around the latent space "
         r"about [\d.e+]+ weights \([\d.e+]+ GB"),
    case("build-conv-latent-dim-absurd",
         lambda c: build_vae((28, 28, 1), latent_dim=10**8, architecture="conv"),
         ValueError, r"^latent_dim=100000000 would give"),
    case("build-latent-dim-zero", lambda c: build_vae((6,), latent_dim=0),
         ValueError, r"^latent_dim must be >= 1, got 0"),
    case("build-latent-dim-float", lambda c: build_vae((6,), latent_dim=2.5),
         TypeError, r"^latent_dim must be an integer"),
    case("build-input-shape-zero", lambda c: build_vae((0,)),
         ValueError, r"^input_shape must contain positive integers"),
    case("build-input-shape-string", lambda c: build_vae("28"),
         TypeError, r"^input_shape must be a non-empty tuple"),
    case("build-architecture-unknown", lambda c: build_vae((6,), architecture="mlp"),
         ValueError, r"^architecture must be one of \['conv', 'dense', 'recurrent'\]"),
    case("build-reconstruction-unknown", lambda c: build_vae((6,), reconstruction="l1"),
         ValueError, r"^reconstruction must be one of"),
    case("build-beta-negative", lambda c: build_vae((6,), beta=-1),
         ValueError, r"^beta must be a finite number >= 0"),
    case("build-learning-rate-zero", lambda c: build_vae((6,), learning_rate=0),
         ValueError, r"^learning_rate must be a finite number > 0"),
    case("build-unknown-option", lambda c: build_vae((6,), filters=(4,)),
         TypeError, r"architecture='dense' got unknown option\(s\) \['filters'\]"),
    case("build-conv-filters-zero",
         lambda c: build_vae((8, 8, 1), architecture="conv", filters=(0,)),
         ValueError, r"^filters must hold positive integers"),
    case("build-conv-flat-shape", lambda c: build_vae((6,), architecture="conv"),
         ValueError, r"architecture='conv' needs images of shape \(height, width, channels\)"),
    case("build-recurrent-units-zero",
         lambda c: build_vae((5, 2), architecture="recurrent", units=(0,)),
         ValueError, r"^units must hold positive integers"),
    case("build-autoencoder-hidden-zero", lambda c: build_autoencoder((6,), hidden_units=(4, 0)),
         ValueError, r"^hidden_units must hold positive integers"),
    case("dense-encoder-latent-zero", lambda c: build_dense_encoder((6,), 0),
         ValueError, r"^latent_dim must be >= 1"),
    case("conv-decoder-dense-units", lambda c: build_conv_decoder((8, 8, 1), 2, dense_units=-1),
         ValueError, r"^dense_units must be >= 0, got -1"),
    case("conv-encoder-kernel-size", lambda c: build_conv_encoder((8, 8, 1), 2, kernel_size=0),
         ValueError, r"^kernel_size must be >= 1"),
    case("recurrent-encoder-no-units", lambda c: build_recurrent_encoder((5, 2), 2, units=()),
         ValueError, r"^units must hold at least one width"),
    case("recurrent-encoder-cell", lambda c: build_recurrent_encoder((5, 2), 2, cell="rnn"),
         ValueError, r"^cell must be one of \['gru', 'lstm'\]"),
    case("classifier-head-one-class", lambda c: build_head(2, 1),
         ValueError, r"^n_classes must be >= 2"),
    case("classifier-head-units", lambda c: build_head(2, 3, head_units=(0,)),
         ValueError, r"^head_units must hold positive integers"),
    # ---------------------------------------------------------------- VAETransformer
    case("transformer-fit-nan", lambda c: VAETransformer(epochs=1).fit(_with(c.x, 0, 0, np.nan)),
         ValueError, r"Input X contains NaN"),
    case("transformer-fit-inf", lambda c: VAETransformer(epochs=1).fit(_with(c.x, 0, 0, np.inf)),
         ValueError, r"Input X contains infinity"),
    case("transformer-fit-beyond-float32",
         lambda c: VAETransformer(epochs=1).fit(_with(c.x, 5, 1, 1e39)),
         ValueError, r"^X has 1 values beyond float32's range \(max 3\.4e38\)"),
    case("transformer-fit-uint8-pixels-auto",
         lambda c: VAETransformer(epochs=1).fit((c.x * 255).astype("uint8")),
         ValueError,
         r"^X holds whole numbers from 0 to 25\d \(8-bit pixels\? unscaled\): "
         r"scale to \[0, 1\]"),
    case("transformer-hidden-units-zero",
         lambda c: VAETransformer(epochs=1, hidden_units=(0,)).fit(c.x),
         ValueError, r"^hidden_units must be a non-empty sequence of positive integers"),
    case("transformer-batch-size-negative", lambda c: VAETransformer(batch_size=-5).fit(c.x),
         ValueError,
         r"'batch_size' parameter of VAETransformer must be an int "
         r"in the range \[1, inf\)"),
    case("transformer-epochs-negative", lambda c: VAETransformer(epochs=-1).fit(c.x),
         ValueError, r"'epochs' parameter of VAETransformer"),
    case("transformer-latent-dim-absurd",
         lambda c: VAETransformer(latent_dim=10**9, epochs=1).fit(c.x),
         ValueError, r"^latent_dim=1000000000 would give"),
    case("transformer-latent-dim-string", lambda c: VAETransformer(latent_dim="2").fit(c.x),
         ValueError, r"'latent_dim' parameter of VAETransformer"),
    case("transformer-conv-without-input-shape",
         lambda c: VAETransformer(architecture="conv").fit(c.x),
         ValueError, r"architecture='conv' needs input_shape="),
    case("transformer-input-shape-mismatch",
         lambda c: VAETransformer(architecture="conv", input_shape=(2, 2, 1)).fit(c.x),
         ValueError, r"input_shape=\(2, 2, 1\) holds 4 values per sample, but X has 6 features"),
    case("transformer-bce-outside-unit-interval",
         lambda c: VAETransformer(reconstruction="bce", epochs=1).fit(c.x * 2),
         ValueError, r"reconstruction='bce' \(Bernoulli\) needs data in \[0, 1\]"),
    case("transformer-transform-unfitted", lambda c: VAETransformer().transform(c.x),
         NotFittedError, r"VAETransformer instance is not fitted yet"),
    case("transformer-transform-feature-count", lambda c: c.transformer.transform(c.x[:, :5]),
         ValueError, r"X has 5 features, but VAETransformer is expecting 6"),
    case("transformer-transform-one-dimensional", lambda c: c.transformer.transform(c.x[0]),
         ValueError, r"Expected 2D array, got 1D array"),
    case("transformer-transform-empty", lambda c: c.transformer.transform(c.x[:0]),
         ValueError, r"Found array with 0 sample\(s\)"),
    case("transformer-transform-strings",
         lambda c: c.transformer.transform(np.full((2, N_FEATURES), "a")),
         ValueError, r"^X must be numeric \(could not convert string to float"),
    case("transformer-transform-ragged", lambda c: c.transformer.transform(_ragged(c.x)),
         ValueError, r"^X is ragged"),
    case("transformer-transform-beyond-float32",
         lambda c: c.transformer.transform(_with(c.x, 0, 0, -1e39)),
         ValueError, r"^X has 1 values beyond float32's range \(max 3\.4e38\)"),
    case("transformer-inverse-latent-size",
         lambda c: c.transformer.inverse_transform(np.zeros((2, 3))),
         ValueError, r"X has 3 latent features, but VAETransformer has latent_dim=2"),
    case("transformer-inverse-nan",
         lambda c: c.transformer.inverse_transform(np.full((2, LATENT), np.nan)),
         ValueError, r"Input X contains NaN"),
    case("transformer-score-feature-count", lambda c: c.transformer.score(c.x[:, :4]),
         ValueError, r"X has 4 features, but VAETransformer is expecting 6"),
    # ---------------------------------------------------------------- VAEClassifier
    case("classifier-labels-none", lambda c: VAEClassifier().fit(c.x, [0, 1, None, 1] * 10),
         ValueError,
         r"^y holds 10 missing labels \(None or NaN, the first at index 2\): "
         r"use -1 for unlabeled rows"),
    case("classifier-labels-nan",
         lambda c: VAEClassifier().fit(c.x, np.r_[[0.0, 1.0] * 10, [np.nan] * 20]),
         ValueError, r"^y holds 20 missing labels.*use -1 for unlabeled rows"),
    case("classifier-labels-mixed-object-array",
         lambda c: VAEClassifier().fit(c.x, np.array([0, "cat"] * 20, dtype=object)),
         ValueError, r"^y mixes numbers and strings as labels \(e\.g\. 0 and 'cat'\)"),
    case("classifier-labels-mixed-list", lambda c: VAEClassifier().fit(c.x, [0, "cat"] * 20),
         ValueError, r"^y mixes numbers and strings as labels"),
    case("classifier-labels-continuous",
         lambda c: VAEClassifier().fit(c.x, np.linspace(0, 1, N_ROWS)),
         ValueError, r"^y holds continuous values.*VAEClassifier needs class labels"),
    case("classifier-labels-length", lambda c: VAEClassifier().fit(c.x, c.y[:10]),
         ValueError, r"inconsistent numbers of samples: \[40, 10\]"),
    case("classifier-labels-two-dimensional", lambda c: VAEClassifier().fit(c.x, np.c_[c.y, c.y]),
         ValueError, r"y should be a 1d array"),
    case("classifier-labels-one-class",
         lambda c: VAEClassifier().fit(c.x, np.r_[[0] * 20, [-1] * 20]),
         ValueError, r"VAEClassifier needs at least two classes among the labelled rows"),
    case("classifier-labels-all-unlabeled", lambda c: VAEClassifier().fit(c.x, np.full(N_ROWS, -1)),
         ValueError, r"^y has no labelled rows: all 40 labels are -1"),
    case("classifier-labels-singleton-class",
         lambda c: VAEClassifier().fit(c.x, np.r_[[0] * 10, [1], [-1] * 29]),
         ValueError, r"Class\(es\) \[1\] have a single labelled row"),
    case("classifier-alpha-negative", lambda c: VAEClassifier(alpha=-1).fit(c.x, c.y),
         ValueError, r"'alpha' parameter of VAEClassifier"),
    case("classifier-finetune-options-typo",
         lambda c: VAEClassifier(finetune_options={"confidance": 0.9}).fit(c.x, c.y),
         ValueError, r"^finetune_options has unknown key\(s\) \['confidance'\]"),
    case("classifier-finetune-options-value",
         lambda c: VAEClassifier(finetune_options={"confidence": 2}).fit(c.x, c.y),
         ValueError, r"^finetune\.confidence must lie in \[0, 1\)"),
    case("classifier-fit-beyond-float32",
         lambda c: VAEClassifier().fit(_with(c.x, 1, 1, 1e39), c.y),
         ValueError, r"^X has 1 values beyond float32's range \(max 3\.4e38\)"),
    case("classifier-fit-uint8-pixels-auto",
         lambda c: VAEClassifier().fit((c.x * 255).astype("uint8"), c.y),
         ValueError, r"scale to \[0, 1\]"),
    case("classifier-predict-feature-count", lambda c: c.classifier.predict(c.x[:, :4]),
         ValueError, r"X has 4 features, but VAEClassifier is expecting 6"),
    case("classifier-predict-nan", lambda c: c.classifier.predict(_with(c.x, 0, 0, np.nan)),
         ValueError, r"Input X contains NaN"),
    case("classifier-predict-proba-inf",
         lambda c: c.classifier.predict_proba(_with(c.x, 0, 0, np.inf)),
         ValueError, r"Input X contains infinity"),
    case("classifier-transform-beyond-float32",
         lambda c: c.classifier.transform(_with(c.x, 0, 0, 1e39)),
         ValueError, r"^X has 1 values beyond float32's range"),
    case("classifier-transform-strings",
         lambda c: c.classifier.transform(np.full((2, N_FEATURES), "b")),
         ValueError, r"^X must be numeric"),
    # ---------------------------------------------------------------- configs
    case("pretrain-config-latent-dim", lambda c: PretrainConfig(latent_dim=0),
         ValueError, r"^pretrain\.latent_dim must be >= 1"),
    case("pretrain-config-batch-size-string", lambda c: PretrainConfig(batch_size="64"),
         TypeError, r"^pretrain\.batch_size must be an integer"),
    case("pretrain-config-reconstruction", lambda c: PretrainConfig(reconstruction="l1"),
         ValueError, r"^pretrain\.reconstruction must be one of"),
    case("pretrain-config-beta-nan", lambda c: PretrainConfig(beta=float("nan")),
         ValueError, r"^pretrain\.beta must be a finite number"),
    case("pretrain-config-epochs-zero", lambda c: PretrainConfig(epochs=0),
         ValueError, r"^pretrain\.epochs must be >= 1"),
    case("pretrain-config-options-list", lambda c: PretrainConfig(architecture_options=[1]),
         TypeError, r"^pretrain\.architecture_options must be a dict"),
    case("finetune-config-epochs-negative", lambda c: FinetuneConfig(epochs=-1),
         ValueError, r"^finetune\.epochs must be >= 1"),
    case("finetune-config-batch-size-zero", lambda c: FinetuneConfig(batch_size=0),
         ValueError, r"^finetune\.batch_size must be >= 1"),
    case("finetune-config-validation-fraction", lambda c: FinetuneConfig(validation_fraction=1.5),
         ValueError, r"^finetune\.validation_fraction must lie in \[0, 1\)"),
    case("finetune-config-epochs-and-steps", lambda c: FinetuneConfig(epochs=2, steps=5),
         ValueError, r"finetune\.steps and finetune\.epochs both set the length"),
    case("recipe-alpha-negative", lambda c: FinetuneRecipe(alpha=-1),
         ValueError, r"^finetune\.alpha must be a finite number >= 0"),
    case("recipe-confidence", lambda c: FinetuneRecipe(confidence=1.5),
         ValueError, r"^finetune\.confidence must lie in \[0, 1\)"),
    case("recipe-augment-unknown", lambda c: FinetuneRecipe(augment="rotate"),
         ValueError, r"^finetune\.augment must be one of"),
    case("recipe-head-units-zero", lambda c: FinetuneRecipe(head_units=(0,)),
         ValueError, r"^finetune\.head_units\[\] must be >= 1"),
    case("recipe-class-weight", lambda c: FinetuneRecipe(class_weight="heavy"),
         ValueError, r"^finetune\.class_weight must be a dict, 'balanced' or None"),
    # ---------------------------------------------------------------- semi-supervised helpers
    case("subset-both-sizes",
         lambda c: labelled_subset(np.array([0, 1, 0, 1]), per_class=1, n_labels=2),
         ValueError, r"give exactly one of per_class and n_labels"),
    case("subset-per-class-zero", lambda c: labelled_subset(np.array([0, 1, 0, 1]), per_class=0),
         ValueError, r"^per_class must be >= 1, got 0"),
    case("subset-per-class-string",
         lambda c: labelled_subset(np.array([0, 1, 0, 1]), per_class="1"),
         TypeError, r"^per_class must be an integer"),
    case("subset-float-labels", lambda c: labelled_subset(np.array([0.0, 1.0]), per_class=1),
         ValueError, r"^y must hold integer class indices"),
    case("subset-too-few-examples", lambda c: labelled_subset(np.array([0, 1, 0, 1]), per_class=3),
         ValueError, r"per_class=3 needs 3 examples of class 0, which has only 2"),
    case("subset-two-dimensional", lambda c: labelled_subset(np.zeros((2, 2), int), per_class=1),
         ValueError, r"^y must be 1-D"),
    case("hide-labels-float-indices", lambda c: hide_labels(np.array([0, 1]), np.array([0.5])),
         ValueError, r"^keep_indices must be integer positions"),
    case("hide-labels-out-of-range", lambda c: hide_labels(np.array([0, 1]), np.array([5])),
         ValueError, r"^keep_indices must lie in \[0, 2\)"),
    case("pretrain-vae-nan",
         lambda c: pretrain_vae(_with(c.x, 0, 0, np.nan), PretrainConfig(latent_dim=2, epochs=1)),
         ValueError, r"^x contains 1 NaN"),
    case("pretrain-vae-beyond-float32",
         lambda c: pretrain_vae(_with(c.x, 0, 0, 1e39), PretrainConfig(latent_dim=2, epochs=1)),
         ValueError, r"^x has 1 values beyond float32's range \(max 3\.4e38\)"),
    case("pretrain-then-finetune-label-count", lambda c: pretrain_then_finetune(c.x, c.y[:5]),
         ValueError, r"x has 40 rows but y has 5 labels"),
    # ---------------------------------------------------------------- loaders
    case("table-misspelt-label-column",
         lambda c: load_table(c.folder / "patients.csv", label_column="label"),
         DataError,
         r"patients\.csv: no column 'label' \(label_column\); "
         r"columns are \['age', 'weight', 'diagnosis'\]"),
    case("table-label-column-case",
         lambda c: load_table(c.folder / "patients.csv", label_column="Diagnosis"),
         DataError, r"no column 'Diagnosis'.*did you mean 'diagnosis'\?"),
    case("table-text-feature", lambda c: load_table(c.folder / "patients.csv"),
         DataError, r"feature column 'diagnosis' is not numeric"),
    case("table-missing-file", lambda c: load_table(c.folder / "missing.csv"),
         DataError, r"missing\.csv: no such file"),
    case("table-unsupported-suffix", lambda c: load_table(c.folder / "patients.xlsx"),
         DataError, r"patients\.xlsx: unsupported file type"),
    case("numpy-beyond-float32", lambda c: load_numpy(c.folder / "huge.npy"),
         DataError, r"huge\.npy: features has 12 values beyond float32's range \(max 3\.4e38\)"),
    case("numpy-truncated", lambda c: load_numpy(c.folder / "truncated.npy"),
         DataError, r"truncated\.npy: cannot read as \.npy \(EOF"),
    case("numpy-missing-file", lambda c: load_numpy(c.folder / "missing.npy"),
         DataError, r"missing\.npy: no such file"),
    case("image-folder-missing", lambda c: load_image_folder(c.folder / "no_images"),
         DataError, r"no_images: no such directory"),
    case("load-unknown-kind", lambda c: load("nosuch"),
         ValueError, r"unknown data kind 'nosuch'; known kinds: digits"),
]


@pytest.mark.parametrize(("call", "error", "match"), CASES)
def test_bad_input_gives_one_clear_error(ctx, call, error, match):
    with pytest.raises(error, match=match):
        call(ctx)


def test_the_corpus_is_large_and_every_case_has_its_own_id():
    ids = [param.id for param in CASES]
    assert len(ids) >= 60
    assert len(set(ids)) == len(ids)
