"""Encoding throughput on a dask cluster: 1 and 2 workers, and vaekit encode, in one run.

Run from the repository root (needs the ``cluster`` extra)::

    python bench/encode.py                 # 60,000 rows, 2 timed repeats
    python bench/encode.py --rows 400000   # more rows (the data is written first)
    python bench/encode.py --quick         # smoke test

It saves a VAE (vaekit's default dense 784-512-256-16, untrained: speed does
not depend on the weights), writes ``--rows`` random MNIST-sized rows as
Parquet shards, then encodes them three ways, each reading the shards and
writing the features as Parquet:

* ``vaekit encode`` (:func:`vaekit.encode_to_parquet`), one process;
* :func:`vaekit.cluster.encode_with_dask` on a ``LocalCluster`` of 1 worker;
* the same on 2 workers.

Every dask worker is its own process with one thread, and TensorFlow in it
is limited to one thread, so the 2-worker row shows what a second worker adds.
Worker start-up and the first load of the encoder are left out of the timing
(a warm-up pass on a few rows); the best of ``--repeats`` passes is reported.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from _machine import print_machine

FEATURES = 784
SHARD_ROWS = 10_000


def _one_thread() -> None:
    """Dask worker set-up: TensorFlow on one thread (before its runtime starts)."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        try:
            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
        except RuntimeError:  # already initialised in this worker
            pass


def write_rows(folder: Path, rows: int) -> Path:
    """``rows`` random rows in [0, 1] as Parquet shards: at least 8, at most SHARD_ROWS rows.

    Each shard is one dask partition, so there are enough for two workers to share.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    names = [f"p{i}" for i in range(FEATURES)]
    shard = max(1, min(SHARD_ROWS, rows // 8))
    for part, start in enumerate(range(0, rows, shard)):
        block = rng.random((min(shard, rows - start), FEATURES), dtype=np.float32)
        table = pa.table({name: block[:, i] for i, name in enumerate(names)})
        pq.write_table(table, folder / f"part-{part:05d}.parquet")
    return folder


def time_vaekit_encode(model: Path, data: Path, out: Path, repeats: int) -> float:
    import vaekit

    vaekit.encode_to_parquet(model, data, out / "warm", shard_rows=SHARD_ROWS)
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        vaekit.encode_to_parquet(model, data, out / "features", shard_rows=SHARD_ROWS)
        best = min(best, time.perf_counter() - began)
    return best


def time_dask(model: Path, data: Path, out: Path, workers: int, repeats: int) -> float:
    import dask.dataframe as dd
    from dask.distributed import Client, LocalCluster

    from vaekit.cluster import encode_with_dask

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        client.run(_one_thread)
        warm = dd.read_parquet(str(data)).partitions[:workers]
        encode_with_dask(model, warm).to_parquet(out / f"warm{workers}")
        best = float("inf")
        for _ in range(repeats):
            began = time.perf_counter()
            encode_with_dask(model, dd.read_parquet(str(data))).to_parquet(
                out / f"features{workers}", overwrite=True)
            best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="20,000 rows, 1 repeat")
    args = parser.parse_args()
    rows, repeats = (20_000, 1) if args.quick else (args.rows, args.repeats)
    print_machine("bench/encode.py: encoding rows/s, vaekit encode and dask (1, 2 workers)")
    import dask
    import distributed

    import vaekit

    print(f"engine  : dask {dask.__version__}, distributed {distributed.__version__}")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        model = tmp / "vae.keras"
        vae = vaekit.build_vae((FEATURES,), 16, hidden_units=(512, 256))
        vae(np.zeros((1, FEATURES), np.float32))  # built, so every weight is saved
        vae.save(model)
        data = write_rows(tmp / "rows", rows)
        print(f"data    : {rows} rows x {FEATURES} float32 features in "
              f"{len(list(data.glob('*.parquet')))} Parquet shards; dense 784-512-256-16 VAE")
        results = [("vaekit encode (one process)", "-",
                    time_vaekit_encode(model, data, tmp / "single", repeats))]
        for workers in (1, 2):
            results.append((f"dask LocalCluster, {workers} worker(s)", str(workers),
                            time_dask(model, data, tmp / "dask", workers, repeats)))
    one_worker = results[1][2]
    print()
    print(f"{'engine':<30} {'workers':>7} {'seconds':>8} {'rows/s':>9} {'vs 1 worker':>11}")
    for name, workers, seconds in results:
        print(f"{name:<30} {workers:>7} {seconds:>8.2f} {rows / seconds:>9.0f} "
              f"{one_worker / seconds:>10.2f}x")
    print(f"\n(best of {repeats}; TF on one thread per dask worker; "
          f"KERAS_BACKEND={os.environ.get('KERAS_BACKEND', 'tensorflow')})")


if __name__ == "__main__":
    main()
