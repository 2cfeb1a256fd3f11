"""scikit-learn's own estimator checks (``check_estimator``) on both wrappers.

The instances are tiny (a few units, a few epochs) because the checks fit
about a hundred times on 1 to 300 rows; what they test is the API, not the
model. For the same reason the training steps run eagerly here: tracing them
into a graph costs about 1.5 s a fit, four times what the eager fit takes on
such data, and gives the same numbers. Graph-mode training, as users run it,
is what test_estimators.py exercises.
"""

from __future__ import annotations

import keras
import pytest
from sklearn.base import clone
from sklearn.utils.estimator_checks import (
    check_methods_sample_order_invariance,
    check_methods_subset_invariance,
    parametrize_with_checks,
)

from vaekit.estimators import VAEClassifier, VAETransformer

# One pass: no check of a transformer depends on how well it learned.
TRANSFORMER = VAETransformer(latent_dim=2, hidden_units=(8,), epochs=1, batch_size=32)

# Enough training for check_classifiers_train's accuracy > 0.83 on three
# Gaussian blobs (0.89 to 0.97 over random_state 0-2, binary and multiclass);
# no augmentation, mix-up, pseudo-labels, label propagation or weight averaging,
# which need longer runs than these checks allow. Nor the adversarial and
# entropy terms that rows in [0, 1] (most checks' data) turn on: each adds
# encoder passes to every eager step, and test_adversarial.py tests them.
CLASSIFIER = VAEClassifier(
    latent_dim=2, hidden_units=(8,), pretrain_epochs=1, finetune_epochs=2,
    batch_size=64, learning_rate=0.05,
    finetune_options={"augment": "none", "mixup": 0.0, "pseudo_label_weight": 0.0,
                      "label_propagation_weight": 0.0, "ema_momentum": 0.0,
                      "adversarial_weight": 0.0, "entropy_weight": 0.0},
)


@pytest.fixture(autouse=True, scope="module")
def eager_training():
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf

    tf.config.run_functions_eagerly(True)
    yield
    tf.config.run_functions_eagerly(False)


def expected_failed_checks(estimator) -> dict[str, str]:
    """Checks expected to fail, each with the reason.

    scikit-learn's own semi-supervised classifiers (SelfTrainingClassifier,
    LabelSpreading, LabelPropagation) are exempted by name from the part of
    ``check_classifiers_classes`` that fits ``y`` in ``{-1, 1}`` and expects
    ``-1`` to be a class (``_choose_check_classifiers_labels``): ``-1`` marks
    an unlabeled row. VAEClassifier follows the same convention, so the
    check fails on that part; the string-label parts it also covers are
    tested in test_estimators.py.
    """
    if isinstance(estimator, VAEClassifier):
        return {
            "check_classifiers_classes": (
                "-1 marks unlabeled rows (scikit-learn's semi-supervised convention); "
                "scikit-learn exempts its own semi-supervised classifiers from fitting "
                "y in {-1, 1} by name."
            ),
        }
    return {}


# tf.data notes that eager mode does not reach its input pipeline; true and harmless.
@pytest.mark.filterwarnings("ignore:Even though the `tf.config.experimental_run_functions_eagerly`")
@parametrize_with_checks(
    [TRANSFORMER, CLASSIFIER], expected_failed_checks=expected_failed_checks,
    xfail_strict=True,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# The same short training the issue found rounding differences with (2 + 2 epochs,
# default architecture): every row is scored in a fixed-size padded batch, so a
# row's output does not depend on the rows beside it.
SHORT_TRAINING = [
    VAETransformer(epochs=2),
    VAEClassifier(pretrain_epochs=2, finetune_epochs=2),
]


@pytest.mark.parametrize("estimator", SHORT_TRAINING, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("check", [check_methods_subset_invariance,
                                   check_methods_sample_order_invariance])
def test_rows_do_not_depend_on_their_batch_after_short_training(estimator, check):
    check(type(estimator).__name__, clone(estimator))
