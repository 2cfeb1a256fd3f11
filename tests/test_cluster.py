"""Encoding on a dask cluster gives VAETransformer.transform's features."""

from __future__ import annotations

import numpy as np
import pytest

# The 'cluster' extra (in 'dev' too): skipped only where it is not installed.
dask = pytest.importorskip("dask")
distributed = pytest.importorskip("dask.distributed")

import dask.array as da  # noqa: E402
import dask.dataframe as dd  # noqa: E402
import pandas as pd  # noqa: E402

from vaekit.cluster import encode_with_dask  # noqa: E402


@pytest.fixture(scope="module")
def fitted():
    from vaekit.estimators import VAETransformer

    X = np.random.default_rng(0).random((300, 12)).astype(np.float32)
    return VAETransformer(latent_dim=3, hidden_units=(16,), epochs=1, random_state=0).fit(X), X


@pytest.fixture(scope="module")
def client():
    # Two workers, threads in this process: the same scheduler, graph and transfers
    # as a cluster, without starting two more Python processes with Keras in each
    # (bench/encode.py measures separate worker processes).
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_features_from_a_local_cluster_equal_transform(fitted, client):
    estimator, X = fitted
    rows = da.from_array(X, chunks=(70, 12))  # 5 partitions, the last one short
    features = encode_with_dask(estimator, rows, log_var=True)
    assert features.npartitions == 5
    with distributed.get_task_stream(client) as tasks:
        frame = features.compute()
    np.testing.assert_array_equal(frame.index.to_numpy(), np.arange(300))
    np.testing.assert_allclose(frame[[f"z_{j}" for j in range(3)]].to_numpy(),
                               estimator.transform(X), rtol=0, atol=1e-6)
    _, log_var = estimator.vae_.encode_distribution(X)
    np.testing.assert_allclose(frame[["log_var_0", "log_var_1", "log_var_2"]].to_numpy(),
                               log_var, rtol=0, atol=1e-6)
    # The partitions were encoded on both workers.
    assert len({t["worker"] for t in tasks.data if "_encode_part" in t["key"]}) == 2


def test_a_saved_model_encodes_a_dataframe_on_the_cluster(fitted, client, tmp_path):
    estimator, X = fitted
    path = tmp_path / "vae.keras"
    estimator.vae_.save(path)
    table = pd.DataFrame(X, columns=[f"f{i}" for i in range(12)], index=np.arange(300) * 10)
    table["label"] = "x"
    rows = dd.from_pandas(table, npartitions=3)
    features = encode_with_dask(path, rows, columns=[f"f{i}" for i in range(12)])
    features.to_parquet(tmp_path / "features")
    written = pd.read_parquet(tmp_path / "features").sort_index()
    np.testing.assert_array_equal(written.index.to_numpy(), table.index.to_numpy())
    np.testing.assert_allclose(written.to_numpy(), estimator.transform(X), rtol=0, atol=1e-6)


def test_bad_input_is_named(fitted):
    estimator, X = fitted
    with pytest.raises(TypeError, match="dask.array.from_array"):
        encode_with_dask(estimator, X)
    with pytest.raises(ValueError, match="rows have shape \\(5,\\)"):
        encode_with_dask(estimator, da.from_array(X[:, :5], chunks=(100, 5))).compute(
            scheduler="sync")
