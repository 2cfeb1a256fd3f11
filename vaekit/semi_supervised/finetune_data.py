"""The training rows of a fine-tune: arrays in memory, or a stream beside labelled rows.

:func:`vaekit.finetune` takes either all rows as an array (labels ``-1`` where
unlabeled) or a ``tf.data.Dataset`` of unlabeled rows with the labelled rows in
memory; :class:`InMemory` and :class:`Streamed` give both the same face.
:func:`with_measured_epsilon` measures the recipe's automatic adversarial
perturbation size from those rows.
"""

from __future__ import annotations

import dataclasses
import logging

import numpy as np

from vaekit.config import FinetuneRecipe
from vaekit.losses.adversarial import AUTO_EPSILON_SAMPLE, AUTO_EPSILON_SHARE, epsilon_from_rows
from vaekit.models.vae import VAE
from vaekit.semi_supervised.labels import UNLABELED, check_semi_supervised_labels
from vaekit.semi_supervised.pretrain import check_first_batch
from vaekit.streaming.rows import as_row_stream, sample_rows

__all__ = ["InMemory", "Streamed", "sample_rows_per_step", "streamed", "with_measured_epsilon"]

logger = logging.getLogger(__name__)


def with_measured_epsilon(recipe: FinetuneRecipe, data, seed: int) -> FinetuneRecipe:
    """``recipe`` with ``adversarial_epsilon=None`` measured from the training rows."""
    if recipe.adversarial_weight <= 0 or recipe.adversarial_epsilon is not None:
        return recipe
    rows = data.x if isinstance(data, InMemory) else sample_rows(
        data.stream, AUTO_EPSILON_SAMPLE, seed)[0]
    epsilon = epsilon_from_rows(rows, seed)
    if epsilon is None:
        logger.info("adversarial training is off: the training rows hold fewer than two "
                    "distinct rows, so there is no spacing to scale the perturbation by.")
        return dataclasses.replace(recipe, adversarial_weight=0.0)
    logger.info("adversarial_epsilon=None: %.3g (%.2f x the median nearest-neighbour "
                "distance of the rows).", epsilon, AUTO_EPSILON_SHARE)
    return dataclasses.replace(recipe, adversarial_epsilon=epsilon)


class InMemory:
    """Array training data: every row, labels with -1 where unlabeled."""

    def __init__(self, x: np.ndarray, y: np.ndarray) -> None:
        self.x, self.y, self.n_rows = x, y, len(x)

    def labelled_x(self, rows: np.ndarray) -> np.ndarray:
        return self.x[rows]


class Streamed:
    """A stream of unlabeled rows beside labelled rows in memory (``y`` indexes those)."""

    def __init__(self, stream, x_labelled: np.ndarray, y_labelled: np.ndarray) -> None:
        self.stream, self.x, self.y = stream, x_labelled, y_labelled
        self.n_rows = stream.n_rows

    def labelled_x(self, rows: np.ndarray) -> np.ndarray:
        return self.x[rows]


def streamed(vae: VAE, x, y, labelled, n_rows) -> Streamed:
    if y is not None:
        raise ValueError("x is a dataset of unlabeled rows: give the labelled rows as "
                         "labelled=(x_labelled, y_labelled), not y.")
    if labelled is None or len(labelled) != 2:
        raise ValueError("x is a dataset of unlabeled rows; fine-tuning needs the labelled "
                         "rows in memory as labelled=(x_labelled, y_labelled).")
    stream = as_row_stream(x, n_rows)
    if stream.sample_shape != vae.sample_shape:
        raise ValueError(f"x's rows have shape {stream.sample_shape}, but the VAE takes "
                         f"{vae.sample_shape}.")
    check_first_batch(stream, vae.reconstruction)
    x_labelled = vae.check_input(labelled[0], name="labelled[0]")
    y_labelled = check_semi_supervised_labels(labelled[1], len(x_labelled))
    if np.any(y_labelled == UNLABELED):
        raise ValueError("labelled[1] holds -1 (unlabeled) entries; the labelled rows must "
                         "all have a class (unlabeled rows belong in the stream x).")
    return Streamed(stream, x_labelled, y_labelled)


def sample_rows_per_step(batch_size: int, n_sample: int, n_rows: int) -> int:
    """The sample's share of a step's unlabeled rows: its share of the data, at least 1."""
    return max(1, min(batch_size, round(batch_size * n_sample / max(n_rows, 1))))
