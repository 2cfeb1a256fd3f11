"""vaekit.evaluation: classification scores, latent probes and active units."""

import numpy as np
import pytest

from vaekit.evaluation import active_units, classification_report, latent_probe


def test_classification_report_counts_by_hand():
    report = classification_report([0, 0, 1, 1, 2], [0, 1, 1, 1, 2])

    assert report["accuracy"] == pytest.approx(0.8)
    # F1 per class: 2/3, 0.8, 1 -> macro mean 0.8222...
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 1.0) / 3)
    assert report["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [0, 0, 1]]


def test_classification_report_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match="differ in shape"):
        classification_report([0, 1, 1], [0, 1])


def _clusters(seed: int, n: int = 200):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centres = np.array([[4.0, 0.0], [-4.0, 0.0], [0.0, 4.0]])
    # Two informative dimensions, then an inactive one with tiny values.
    z = np.hstack([centres[y] + rng.normal(0, 0.5, (n, 2)), rng.normal(0, 1e-3, (n, 1))])
    return z, y


@pytest.mark.parametrize("kind", ["logistic", "knn"])
def test_latent_probe_separates_clusters_from_the_labelled_rows_only(kind):
    z_train, y_train = _clusters(0)
    z_test, y_test = _clusters(1)
    y_few = np.full_like(y_train, -1)
    y_few[:12] = y_train[:12]
    assert len(np.unique(y_few[:12])) == 3

    assert latent_probe(z_train, y_few, z_test, y_test, kind=kind) > 0.95
    # Wrong labels on the labelled rows must show: the probe really fits them.
    flipped = np.where(y_few == -1, -1, (y_few + 1) % 3)
    assert latent_probe(z_train, flipped, z_test, y_test, kind=kind) < 0.1


def test_latent_probe_rejects_an_unknown_kind():
    z, y = _clusters(0, 20)
    with pytest.raises(ValueError, match="kind must be one of"):
        latent_probe(z, y, z, y, kind="svm")


class _FixedKL:
    """Stands in for a VAE: ``kl_per_dimension`` returns fixed values."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def kl_per_dimension(self, x):
        return self.values


def test_active_units_counts_dimensions_above_the_threshold():
    vae = _FixedKL([0.0, 0.005, 0.02, 1.3])
    assert active_units(vae, None) == 2
    assert active_units(vae, None, threshold=1.0) == 1
