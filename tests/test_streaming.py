"""Streaming: TFRecord shards, lazy image folders, Parquet; training on streams; bad records."""

from __future__ import annotations

import json
import logging
import tracemalloc

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

import vaekit  # noqa: E402
from vaekit.config import FinetuneConfig, PretrainConfig  # noqa: E402
from vaekit.streaming import (  # noqa: E402
    BadRecordError,
    image_folder_dataset,
    parquet_dataset,
    skipped_records,
    tfrecord_dataset,
    write_tfrecords,
)

TINY = PretrainConfig(latent_dim=2, epochs=1, batch_size=64,
                      architecture_options={"hidden_units": (32,)})


@pytest.fixture(scope="module")
def shards(digits, tmp_path_factory):
    """The digits in 4 float32 shards and 4 uint8 shards."""
    x, _ = digits
    root = tmp_path_factory.mktemp("shards")
    write_tfrecords(x, root / "float", shard_rows=500)
    write_tfrecords(x, root / "uint8", shard_rows=500, encoding="uint8")
    return x, root


def _corrupt(path, position: int) -> None:
    data = bytearray(path.read_bytes())
    data[position] ^= 0xFF
    path.write_bytes(bytes(data))


# ---------------------------------------------------------------- TFRecord shards
def test_tfrecord_shards_give_back_the_rows_in_order_with_a_known_length(shards):
    x, root = shards
    exact = tfrecord_dataset(root / "float")
    assert int(exact.cardinality()) == len(x)
    np.testing.assert_array_equal(np.concatenate(list(exact.batch(700).as_numpy_iterator())), x)
    quantised = np.concatenate(list(tfrecord_dataset(root / "uint8").batch(700)
                                    .as_numpy_iterator()))
    np.testing.assert_allclose(quantised, x, atol=0.5 / 255 + 1e-6)
    some = tfrecord_dataset(str(root / "float" / "rows-0000[13].tfrecord"))
    assert int(some.cardinality()) == 500 + (len(x) - 1500)


def test_shards_are_written_atomically_and_the_manifest_last(shards):
    _, root = shards
    names = sorted(p.name for p in (root / "float").iterdir())
    assert names == ["rows-00000.tfrecord", "rows-00001.tfrecord", "rows-00002.tfrecord",
                     "rows-00003.tfrecord", "vaekit-tfrecords.json"]


def test_truncated_shard_is_named_before_training_or_its_tail_skipped(shards, tmp_path):
    x, _ = shards
    write_tfrecords(x[:300], tmp_path, shard_rows=100)
    shard = tmp_path / "rows-00001.tfrecord"
    shard.write_bytes(shard.read_bytes()[:-1000])  # 1000 bytes < 4 records of 272 bytes
    with pytest.raises(BadRecordError, match=r"rows-00001\.tfrecord: truncated shard: record 96"):
        tfrecord_dataset(tmp_path)
    skipping = tfrecord_dataset(tmp_path, skip_bad_records=True)
    assert skipped_records(skipping) == 4
    assert sum(1 for _ in skipping) == int(skipping.cardinality()) == 296


def test_corrupt_record_mid_stream_is_named_by_training(shards, tmp_path):
    x, _ = shards
    write_tfrecords(x[:256], tmp_path, shard_rows=128)
    record = 16 + 64 * 4  # framing + one float32 row of 64 pixels
    _corrupt(tmp_path / "rows-00001.tfrecord", 70 * record + 40)
    with pytest.raises(BadRecordError, match=r"rows-00001\.tfrecord: record 70 .*at byte 19040"):
        vaekit.pretrain_vae(tfrecord_dataset(tmp_path), TINY)
    skipping = tfrecord_dataset(tmp_path, skip_bad_records=True)
    assert skipped_records(skipping) == 128 - 70  # a checksum error ends the shard
    vae, history = vaekit.pretrain_vae(skipping, TINY)
    assert np.isfinite(history["loss"]).all()


# ---------------------------------------------------------------- training on streams
def test_pretrain_and_keras_fit_train_on_a_stream_of_rows(shards):
    x, root = shards
    vae, history = vaekit.pretrain_vae(tfrecord_dataset(root / "uint8"), TINY, seed=0)
    assert vae.sample_shape == (8, 8, 1)
    assert len(history["loss"]) == 1 and np.isfinite(history["loss"][0])
    before = vae.get_weights()[0].copy()
    # Keras' own fit on a dataset of x only: the VAE's step reconstructs x.
    vae.fit(tf.data.Dataset.from_tensor_slices(x).batch(64), epochs=1, verbose=0)
    assert not np.allclose(before, vae.get_weights()[0])


def test_a_stream_of_unknown_length_needs_n_rows(shards):
    _, root = shards
    unknown = tfrecord_dataset(root / "float").filter(lambda row: True)
    with pytest.raises(ValueError, match="pass n_rows=<rows in one pass>"):
        vaekit.pretrain_vae(unknown, TINY)
    _, history = vaekit.pretrain_vae(unknown, TINY, n_rows=640)
    assert len(history["loss"]) == 1  # 640 // 64 = 10 steps, one round


@pytest.fixture(scope="module")
def tiny_vae(digits):
    x, _ = digits
    return vaekit.pretrain_vae(x[:512], TINY, seed=0)[0]


def test_finetune_pairs_labelled_rows_with_the_stream_and_samples_propagation(
        shards, digits, tiny_vae, caplog):
    x, y = digits
    _, root = shards
    vae = tiny_vae
    keep = np.concatenate([np.flatnonzero(y == c)[:4] for c in range(10)])
    config = FinetuneConfig(steps=20, batch_size=64, labelled_batch_size=16,
                            label_propagation_max_rows=300)
    with caplog.at_level(logging.INFO, logger="vaekit.semi_supervised.finetune"):
        classifier, history = vaekit.finetune(vae, tfrecord_dataset(root / "float"), None,
                                              config, labelled=(x[keep], y[keep]))
    assert "uniform sample of 300 of 1,837 rows" in caplog.text
    assert len(history["loss"]) == 1 and history["propagation_loss"][0] > 0
    assert classifier.predict_proba(x[:5]).shape == (5, 10)
    with pytest.raises(ValueError, match="labelled=\\(x_labelled, y_labelled\\)"):
        vaekit.finetune(vae, tfrecord_dataset(root / "float"), None, config)


def test_array_label_propagation_uses_a_sample_above_max_rows(digits, tiny_vae, caplog):
    x, y = digits
    from vaekit.data import hide_labels, labelled_subset

    vae = tiny_vae
    y_hidden = hide_labels(y, labelled_subset(y, per_class=3, seed=0))
    config = FinetuneConfig(steps=10, batch_size=64, labelled_batch_size=16,
                            label_propagation_max_rows=400)
    with caplog.at_level(logging.INFO, logger="vaekit.semi_supervised.finetune"):
        _, history = vaekit.finetune(vae, x, y_hidden, config)
    assert f"uniform sample of 400 of {len(x):,} rows" in caplog.text
    assert history["propagation_loss"][0] > 0  # on, not switched off


# ---------------------------------------------------------------- image folders
def _image_folder(root, n: int, size: int = 24, bad_at: int | None = None):
    from PIL import Image

    rng = np.random.default_rng(0)
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        path = root / f"img{i:04d}.png"
        if i == bad_at:
            path.write_bytes(b"\x89PNG\r\n\x1a\n not really a png")
            continue
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(path)
    return root


def test_image_folder_streams_without_loading_the_folder(tmp_path):
    from vaekit.streaming.rows import as_row_stream, training_batches

    folder = _image_folder(tmp_path / "faces", 400, size=64)
    whole_bytes = 400 * 64 * 64 * 3 * 4  # the folder as float32: 19.7 MB (uint8: 4.9 MB)
    dataset = image_folder_dataset(folder, color_mode="rgb")
    assert int(dataset.cardinality()) == 400
    batches = training_batches(as_row_stream(dataset), 32, seed=0, shuffle_buffer=32)
    tracemalloc.start()
    try:  # one pass of the batches training reads: memory holds a few images, not the folder
        seen = sum(len(batch) for batch in batches.take(400 // 32))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == 384
    assert peak < whole_bytes / 8, f"peak {peak} bytes vs the folder's {whole_bytes}"
    vae, history = vaekit.pretrain_vae(dataset, TINY, shuffle_buffer=32)
    assert vae.sample_shape == (64, 64, 3) and np.isfinite(history["loss"]).all()


def test_an_image_that_does_not_decode_is_named_with_its_position_or_skipped(tmp_path):
    folder = _image_folder(tmp_path / "faces", 150, size=8, bad_at=97)
    with pytest.raises(BadRecordError, match=r"img0097\.png: cannot read as an image.*image 97 "
                                             r"of 150 in the stream"):
        vaekit.pretrain_vae(image_folder_dataset(folder), TINY)
    skipping = image_folder_dataset(folder, skip_bad_records=True)
    assert sum(1 for _ in skipping) == 149
    assert skipped_records(skipping) == 1


# ---------------------------------------------------------------- Parquet and the CLI
def test_parquet_files_stream_their_numeric_columns(tmp_path, digits):
    pd = pytest.importorskip("pandas")
    x, y = digits
    flat = x[:300].reshape(300, 64)
    table = pd.DataFrame(flat, columns=[f"p{i}" for i in range(64)]).assign(label=y[:300])
    table.iloc[:200].to_parquet(tmp_path / "a.parquet")
    table.iloc[200:].to_parquet(tmp_path / "b.parquet")
    dataset = parquet_dataset(tmp_path, columns=[f"p{i}" for i in range(64)], batch_rows=64)
    assert int(dataset.cardinality()) == 300
    np.testing.assert_array_equal(np.stack(list(dataset.as_numpy_iterator())), flat)


def test_cli_tfrecords_writes_shards_of_an_array(tmp_path, digits, capsys):
    from vaekit.cli import main

    x, _ = digits
    np.save(tmp_path / "x.npy", x[:250])
    assert main(["tfrecords", str(tmp_path / "x.npy"), "-o", str(tmp_path / "out"),
                 "--shard-rows", "100"]) == 0
    assert "wrote 250 rows of shape (8, 8, 1) in 3 shards" in capsys.readouterr().err
    assert int(tfrecord_dataset(tmp_path / "out").cardinality()) == 250


# ---------------------------------------------------------------- pipeline files
def test_celeb_a_pipeline_pretrains_from_a_stream_of_mock_faces(tmp_path):
    from pathlib import Path

    tfds = pytest.importorskip("tensorflow_datasets")
    from vaekit.runner import Runner, load_pipeline

    pipeline = load_pipeline(Path(__file__).parents[1] / "pipelines" / "celeb_a.yaml", [
        "data.image_size=[16, 16]", "model.filters=[8, 16]", "model.dense_units=16",
        "model.latent_dim=4", "pretrain.epochs=2", "pretrain.batch_size=16",
        "outputs.plots=[reconstructions]", "outputs.report=false",
        "outputs.tensorboard=false", f"data.data_dir={tmp_path / 'tfds'}"])
    assert pipeline.data.streaming is True
    with tfds.testing.mock_data(num_examples=48):
        runner = Runner(pipeline, tmp_path / "run", verbose=0)
        runner.open(fresh=True)
        runner.run(("pretrain", "generate"))
    data = runner.data
    assert data.train_stream is not None and data.n_train == 48
    history = json.loads((tmp_path / "run" / "histories" / "vae.json").read_text())
    assert len(history["loss"]) >= 1 and np.isfinite(history["loss"]).all()
    assert (tmp_path / "run" / "models" / "vae.keras").is_file()
    assert (tmp_path / "run" / "plots" / "reconstructions.png").is_file()


def _streamed_mnist(tmp_path, **finetune) -> dict:
    """A pipeline that streams (mock) MNIST, shrunk to 8x8, and fine-tunes a tiny model."""
    return {
        "name": "mnist_streamed", "seed": 0,
        "data": {"kind": "tfds", "name": "mnist", "split_train": "train", "split_test": "test",
                 "image_size": [8, 8], "streaming": True, "data_dir": str(tmp_path / "tfds")},
        "model": {"latent_dim": 2, "hidden_units": [16]},
        "pretrain": {"epochs": 1, "batch_size": 32},
        "finetune": {"seeds": [0], "epochs": 1, "batch_size": 32, **finetune},
        "evaluate": {"probe": "logistic", "baselines": ["logistic_regression"]},
        "outputs": {"plots": [], "report": False, "tensorboard": False},
    }


def test_a_streamed_pipeline_fine_tunes_at_two_label_counts_and_scores_every_test_row(
        tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    from vaekit.runner import Runner, parse_pipeline

    pipeline = parse_pipeline(_streamed_mnist(tmp_path, labels_per_class=[2, 3]))
    with tfds.testing.mock_data(num_examples=100):
        runner = Runner(pipeline, tmp_path / "run", verbose=0)
        runner.open(fresh=True)
        runner.run()
    data = runner.data
    assert data.train_stream is not None and data.n_train == 100 and data.n_test == 100
    # In memory: the 3 rows per class the largest count needs, then the unlabeled sample.
    assert np.bincount(data.y_train[data.y_train >= 0]).tolist() == [3] * 10
    run = tmp_path / "run"
    for key in ("2_per_class", "3_per_class"):
        assert (run / "models" / f"classifier_{key}_seed0.keras").is_file(), key
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["data"]["n_test"] == 100
    rows = {row["label_count"]: row for row in metrics["experiments"]}
    assert [rows[k]["n_labels"] for k in ("2_per_class", "3_per_class")] == [20, 30]
    for row in rows.values():
        assert 0.0 <= row["accuracy"] <= 1.0 and 0.0 <= row["vae_probe"] <= 1.0
        # Every test row was scored, streamed: the confusion matrix counts all 100.
        assert np.sum(row["confusion_matrix"]) == 100
        assert row["baselines_sample"]["test_rows"] == 100
        assert "kept in memory" in row["baselines_sample"]["note"]
    assert (run / "metrics.csv").is_file()


def test_a_streamed_scan_that_runs_out_of_a_class_says_how_many_the_data_allows(tmp_path):
    tfds = pytest.importorskip("tensorflow_datasets")
    from vaekit.data import DataError
    from vaekit.runner import Runner, parse_pipeline

    pipeline = parse_pipeline(_streamed_mnist(tmp_path, labels_per_class=[60]))
    with tfds.testing.mock_data(num_examples=100), pytest.raises(
            DataError, match=r"needs 60 labelled training rows of every class, but all 100 "
                             r"rows of TFDS mnist.*the most this data allows is \d+ per class"):
        Runner(pipeline, tmp_path / "run", verbose=0).open(fresh=True)
    assert not (tmp_path / "run").exists()
