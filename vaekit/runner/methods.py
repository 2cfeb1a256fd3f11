"""Names of the scored methods: the columns of ``metrics.json`` and how they are shown.

The evaluate stage writes these columns; the figures and the report read them.
"""

from __future__ import annotations

__all__ = ["METHOD_LABELS", "OWN_COLUMNS", "method_columns", "score"]

#: Display name of each scored method (baselines keep their own names).
METHOD_LABELS = {
    "accuracy": "vaekit (fine-tuned)",
    "vae_probe": "VAE latent + probe (M1)",
    "autoencoder_probe": "AutoEncoder latent + probe",
    "logistic_regression": "logistic regression",
    "pca_logistic": "PCA(32) + logistic regression",
    "label_spreading": "label spreading (k-NN)",
    "self_training": "self-training (SVC)",
}
#: Columns that are vaekit's own scores; the others are baselines.
OWN_COLUMNS = ("accuracy", "vae_probe", "autoencoder_probe")


def method_columns(rows: list[dict]) -> list[str]:
    """Score columns present in the experiment rows, vaekit first, baselines last."""
    columns = [c for c in OWN_COLUMNS if any(c in row for row in rows)]
    baselines = list(dict.fromkeys(name for row in rows for name in row.get("baselines", {})))
    return columns + baselines


def score(row: dict, column: str) -> float | None:
    """The score of method ``column`` in one experiment row, None if it was not run."""
    if column in row:
        return row[column]
    return row.get("baselines", {}).get(column)
