"""vaekit encode / encode_to_parquet: features of a whole source, as Parquet shards."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")

import vaekit  # noqa: E402


@pytest.fixture(scope="module")
def transformer(digits_flat):
    x, _ = digits_flat
    return vaekit.VAETransformer(latent_dim=3, hidden_units=(32,), epochs=1,
                                 random_state=0).fit(x[:400])


def test_encoded_features_equal_transform_on_the_same_rows(transformer, digits_flat, tmp_path):
    import pyarrow.parquet as pq

    x, _ = digits_flat
    rows = x[:1500]
    np.save(tmp_path / "rows.npy", rows)
    shards = vaekit.encode_to_parquet(transformer, tmp_path / "rows.npy", tmp_path / "features",
                                      shard_rows=600)
    assert [p.name for p in shards] == ["part-00000.parquet", "part-00001.parquet",
                                        "part-00002.parquet"]
    table = pd.read_parquet(tmp_path / "features")
    assert list(table.columns) == ["row_id", "z_0", "z_1", "z_2"]
    np.testing.assert_array_equal(table["row_id"], np.arange(1500))
    np.testing.assert_array_equal(table[["z_0", "z_1", "z_2"]].to_numpy(),
                                  transformer.transform(rows))
    assert pq.read_table(tmp_path / "features").num_rows == 1500  # pyarrow reads the folder


def test_cli_encode_streams_tfrecord_shards_through_a_saved_vae(transformer, digits_flat,
                                                                 tmp_path):
    from vaekit.cli import main
    from vaekit.streaming import write_tfrecords

    x, _ = digits_flat
    write_tfrecords(x[:700], tmp_path / "shards", shard_rows=256)
    transformer.vae_.save(tmp_path / "vae.keras")
    assert main(["encode", str(tmp_path / "vae.keras"), str(tmp_path / "shards"),
                 "--output", str(tmp_path / "features"), "--log-var"]) == 0
    table = pd.read_parquet(tmp_path / "features").sort_values("row_id")
    z_mean, z_log_var = transformer.vae_.encode_distribution(x[:700].reshape(700, 64))
    np.testing.assert_allclose(table[[f"z_{j}" for j in range(3)]].to_numpy(), z_mean,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(table[[f"log_var_{j}" for j in range(3)]].to_numpy(),
                               z_log_var, rtol=1e-5, atol=1e-6)
