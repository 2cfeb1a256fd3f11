"""Neighbour reconstruction: the k-NN search, the (row, neighbour) batches, the transformer."""

from __future__ import annotations

import numpy as np
import pytest

from vaekit.training.neighbour_targets import (
    NeighbourTargets,
    auto_neighbours,
    nearest_neighbours,
)


def line_rows(n: int = 10) -> np.ndarray:
    """Rows at 0, 1, 2, ... on a line (as 2-D rows), so the neighbours are known."""
    return np.stack([np.arange(n, dtype=float), np.zeros(n)], axis=1)


def test_nearest_neighbours_are_the_closest_other_rows_nearest_first():
    found = nearest_neighbours(line_rows(), 2)
    assert found.shape == (10, 2)
    assert list(found[0]) == [1, 2]
    assert list(found[9]) == [8, 7]
    assert set(found[5]) == {4, 6}
    assert not np.any(found == np.arange(10)[:, None])


def test_a_duplicate_row_is_a_neighbour_but_a_row_is_never_its_own():
    x = np.array([[0.0], [0.0], [5.0], [9.0]])
    found = nearest_neighbours(x, 1)
    assert list(found[:, 0]) == [1, 0, 3, 2]


def test_neighbours_are_cut_to_the_rows_there_are():
    assert nearest_neighbours(line_rows(3), 10).shape == (3, 2)


def test_above_the_search_limit_neighbours_come_from_a_seeded_sample():
    x = np.random.default_rng(0).normal(size=(50, 3))
    found = nearest_neighbours(x, 3, max_search_rows=20, seed=1)
    assert found.shape == (50, 3)
    assert len(np.unique(found)) <= 20
    assert not np.any(found == np.arange(50)[:, None])
    np.testing.assert_array_equal(found, nearest_neighbours(x, 3, max_search_rows=20, seed=1))


@pytest.mark.parametrize("rows, k, message", [(1, 3, "at least 2 rows"),
                                              (5, 0, "n_neighbors must be at least 1")])
def test_nearest_neighbours_refuses_what_it_cannot_do(rows, k, message):
    with pytest.raises(ValueError, match=message):
        nearest_neighbours(line_rows(rows), k)


def test_each_batch_pairs_rows_with_one_of_their_neighbours_and_an_epoch_visits_every_row():
    x = line_rows(10)
    neighbours = nearest_neighbours(x, 2)
    batches = NeighbourTargets(x, neighbours, batch_size=4, seed=0)
    assert len(batches) == 3
    seen = []
    for index in range(len(batches)):
        rows, targets = batches[index]
        for row, target in zip(rows[:, 0].astype(int), targets[:, 0].astype(int)):
            assert target in neighbours[row]
            seen.append(row)
    assert sorted(seen) == list(range(10))


def test_the_draws_are_seeded_and_change_from_epoch_to_epoch():
    x = np.random.default_rng(0).normal(size=(64, 4))
    neighbours = nearest_neighbours(x, 5)

    def epoch_batches(seed, epochs):
        batches = NeighbourTargets(x, neighbours, batch_size=64, seed=seed)
        for _ in range(epochs):
            batches.on_epoch_end()
        return batches[0]

    first, again = epoch_batches(0, 0), epoch_batches(0, 0)
    np.testing.assert_array_equal(first[1], again[1])
    assert not np.array_equal(first[0], epoch_batches(0, 1)[0])
    assert not np.array_equal(first[1], epoch_batches(1, 0)[1])
    continued = NeighbourTargets(x, neighbours, batch_size=64, seed=0, first_epoch=1)[0]
    np.testing.assert_array_equal(continued[1], epoch_batches(0, 1)[1])


def test_neighbour_batches_refuse_a_neighbour_table_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"neighbours must have shape \(10, k\)"):
        NeighbourTargets(line_rows(10), np.zeros((9, 2), dtype=int), batch_size=4, seed=0)


@pytest.mark.parametrize("rows, expected", [(2, 1), (280, 1), (1257, 6), (2000, 10),
                                             (60_000, 10)])
def test_auto_neighbours_grow_with_the_rows_from_1_to_10(rows, expected):
    assert auto_neighbours(rows) == expected


def test_the_transformer_trains_on_neighbour_targets_and_n_neighbors_0_turns_them_off(
        monkeypatch):
    import keras

    from vaekit.estimators import VAETransformer

    x = np.random.default_rng(0).uniform(size=(40, 6))
    fed = []
    fit = keras.Model.fit

    def spy(model, data=None, *args, **kwargs):
        fed.append(data)
        return fit(model, data, *args, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    VAETransformer(latent_dim=2, hidden_units=(8,), epochs=1, n_neighbors=3,
                   random_state=0).fit(x)
    assert isinstance(fed[-1], NeighbourTargets)
    assert fed[-1].neighbours.shape == (40, 3)
    auto = VAETransformer(latent_dim=2, hidden_units=(8,), epochs=1, random_state=0).fit(x)
    assert auto.n_neighbors_ == 1 and fed[-1].neighbours.shape == (40, 1)
    VAETransformer(latent_dim=2, hidden_units=(8,), epochs=1, n_neighbors=0,
                   random_state=0).fit(x)
    assert isinstance(fed[-1], np.ndarray)


def test_a_single_training_row_is_reconstructed_itself_and_says_so(caplog):
    from vaekit.estimators import VAETransformer

    with caplog.at_level("INFO", logger="vaekit"):
        fitted = VAETransformer(latent_dim=2, hidden_units=(8,), epochs=1,
                                random_state=0).fit(np.full((1, 4), 0.5))
    assert fitted.n_neighbors_ == 0
    assert "has no neighbour" in caplog.text


def test_the_transformer_refuses_a_negative_n_neighbors_by_name():
    from vaekit.estimators import VAETransformer

    for bad in (-1, "many"):
        with pytest.raises(ValueError, match="n_neighbors"):
            VAETransformer(n_neighbors=bad).fit(np.random.default_rng(0).uniform(size=(10, 3)))
