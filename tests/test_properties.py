"""Property-based tests (hypothesis) of the estimators on random valid and invalid arrays.

One tiny fitted ``VAETransformer`` and ``VAEClassifier`` per module; hypothesis
draws the arrays given to ``transform``/``predict``/``inverse_transform``:
valid ones must give finite outputs of the right shape (predictions among the
classes), invalid ones (NaN or inf anywhere, values beyond float32's range,
the wrong number of columns) a ``ValueError`` that names the problem. Fitting
on random data runs a few examples only, one epoch each.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from vaekit import VAEClassifier, VAETransformer

N_FEATURES, LATENT = 5, 2
TINY = {"latent_dim": LATENT, "hidden_units": (8,), "batch_size": 16, "random_state": 0}
#: Fine-tuning with the cross-entropy and VAE terms only: the fastest fit.
LEAN_FINETUNE = {"pseudo_label_weight": 0.0, "label_propagation_weight": 0.0,
                 "consistency_weight": 0.0, "augment": "none", "mixup": 0.0}

#: Drawing arrays and calling a fitted model: cheap, many examples.
CHEAP = settings(max_examples=25, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow])
#: Fitting a new model per example (a few seconds each): a handful.
COSTLY = settings(max_examples=4, deadline=None, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture(scope="module")
def fitted():
    rng = np.random.default_rng(0)
    x = rng.random((40, N_FEATURES))
    y = np.r_[["cat", "dog"] * 10, ["-1"] * 20]
    transformer = VAETransformer(epochs=1, **TINY).fit(x)
    classifier = VAEClassifier(pretrain_epochs=1, finetune_epochs=1,
                               finetune_options=LEAN_FINETUNE, **TINY).fit(x, y)
    return transformer, classifier


def rows(n_features=N_FEATURES, low=-100.0, high=100.0, dtype=np.float64, max_rows=30):
    """Arrays of 1..max_rows rows of finite values in [low, high]."""
    return hnp.arrays(
        dtype, st.tuples(st.integers(1, max_rows), st.just(n_features)),
        elements=st.floats(low, high, allow_nan=False, width=np.dtype(dtype).itemsize * 8),
    )


@st.composite
def with_bad_value(draw, n_features=N_FEATURES):
    """A valid array with one NaN, +inf or -inf at a random position."""
    x = draw(rows(n_features))
    row, col = draw(st.integers(0, len(x) - 1)), draw(st.integers(0, n_features - 1))
    x[row, col] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
    return x


# ---------------------------------------------------------------- valid arrays
@CHEAP
@given(x=st.one_of(rows(), rows(dtype=np.float32), rows(low=0.0, high=1.0)))
def test_transform_gives_finite_latent_means_in_the_input_dtype(fitted, x):
    for estimator in fitted:
        z = estimator.transform(x)
        assert z.shape == (len(x), LATENT)
        assert z.dtype == x.dtype
        assert np.isfinite(z).all()


@CHEAP
@given(x=rows(), data=st.data())
def test_a_rows_latent_code_does_not_depend_on_the_other_rows(fitted, x, data):
    transformer, _ = fitted
    keep = data.draw(st.lists(st.integers(0, len(x) - 1), min_size=1, unique=True))
    np.testing.assert_array_equal(transformer.transform(x)[keep], transformer.transform(x[keep]))


@CHEAP
@given(x=rows())
def test_predictions_are_among_the_classes_and_probabilities_sum_to_one(fitted, x):
    _, classifier = fitted
    proba = classifier.predict_proba(x)
    assert proba.shape == (len(x), 2)
    assert np.isfinite(proba).all() and (proba >= 0).all()
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    predicted = classifier.predict(x)
    assert set(predicted) <= {"cat", "dog"}
    np.testing.assert_array_equal(predicted, classifier.classes_[proba.argmax(axis=1)])


@CHEAP
@given(z=rows(n_features=LATENT, low=-10.0, high=10.0))
def test_inverse_transform_decodes_finite_rows_of_the_input_width(fitted, z):
    transformer, _ = fitted
    x = transformer.inverse_transform(z)
    assert x.shape == (len(z), N_FEATURES)
    assert np.isfinite(x).all()


# ---------------------------------------------------------------- invalid arrays
@CHEAP
@given(x=with_bad_value())
def test_nan_or_inf_anywhere_is_refused_by_every_method(fitted, x):
    transformer, classifier = fitted
    for method in (transformer.transform, transformer.score, classifier.transform,
                   classifier.predict, classifier.predict_proba):
        with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
            method(x)


@CHEAP
@given(z=with_bad_value(n_features=LATENT))
def test_nan_or_inf_codes_are_refused_by_inverse_transform(fitted, z):
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        fitted[0].inverse_transform(z)


@CHEAP
@given(x=rows(), data=st.data())
def test_values_beyond_float32_are_refused_naming_the_range(fitted, x, data):
    row, col = data.draw(st.integers(0, len(x) - 1)), data.draw(st.integers(0, N_FEATURES - 1))
    x[row, col] = data.draw(st.sampled_from([1e39, -1e39, 1e300]))
    for method in (fitted[0].transform, fitted[1].predict):
        with pytest.raises(ValueError, match=r"beyond float32's range \(max 3\.4e38\)"):
            method(x)


@CHEAP
@given(x=st.integers(1, 12).filter(lambda n: n != N_FEATURES).flatmap(rows))
def test_a_wrong_column_count_is_refused_naming_both_counts(fitted, x):
    for estimator in fitted:
        name = type(estimator).__name__
        pattern = rf"X has {x.shape[1]} features, but {name} is expecting {N_FEATURES}"
        for method in (estimator.transform, getattr(estimator, "predict", estimator.score)):
            with pytest.raises(ValueError, match=pattern):
                method(x)


@CHEAP
@given(x=with_bad_value(n_features=3))
def test_fit_refuses_nan_or_inf_before_training(x):
    with pytest.raises(ValueError, match=r"Input X contains (NaN|infinity)"):
        VAETransformer(epochs=1, **TINY).fit(x)


# ---------------------------------------------------------------- fitting on random data
@COSTLY
@given(x=st.one_of(rows(n_features=3, low=0.0, high=1.0, max_rows=24),
                   rows(n_features=4, low=-5.0, high=5.0, max_rows=24)))
def test_transformer_fits_random_valid_data_and_transforms_it(x):
    transformer = VAETransformer(epochs=1, **TINY).fit(x)
    expected = "bce" if x.min() >= 0 and x.max() <= 1 else "mse"
    assert transformer.reconstruction_ == expected
    z = transformer.transform(x)
    assert z.shape == (len(x), LATENT) and np.isfinite(z).all()


@st.composite
def partly_labelled(draw):
    """Rows in [0, 1] with 2-3 classes (ints or strings), >= 2 labelled rows each, some -1."""
    n_classes = draw(st.integers(2, 3))
    names = draw(st.sampled_from([[0, 1, 2], ["a", "b", "c"], [7, 3, 5]]))[:n_classes]
    labels = [name for name in names for _ in range(draw(st.integers(2, 4)))]
    labels += [-1 if isinstance(names[0], int) else "-1"] * draw(st.integers(0, 8))
    y = np.array(draw(st.permutations(labels)))
    x = draw(hnp.arrays(np.float64, (len(y), 3), elements=st.floats(0.0, 1.0)))
    return x, y, sorted(names)


@settings(COSTLY, max_examples=2)
@given(data=partly_labelled())
def test_classifier_fits_random_partly_labelled_data_and_predicts_its_classes(data):
    x, y, classes = data
    classifier = VAEClassifier(pretrain_epochs=1, finetune_epochs=1,
                               finetune_options=LEAN_FINETUNE, **TINY).fit(x, y)
    assert classifier.classes_.tolist() == classes
    assert set(classifier.predict(x).tolist()) <= set(classes)
    assert np.isfinite(classifier.transform(x)).all()
