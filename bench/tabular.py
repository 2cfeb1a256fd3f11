"""Issue 4's tabular benchmark: ``VAEClassifier`` defaults on standardised tables.

Each data set ships with scikit-learn (works offline): breast cancer (569 rows,
30 features, 2 classes), wine (178 rows, 13 features, 3 classes) and the
digits read as a table (1,797 rows of 64 standardised pixels, 10 classes; the
flat rows are not treated as images). Protocol: 70/30 stratified split
(``random_state=0``), ``StandardScaler`` fitted on the training part, 10 labels
per class drawn from the training part with each seed, the rest unlabeled
(``y == -1``). ``VAEClassifier(random_state=seed)`` runs with its defaults;
logistic regression on the labelled rows and ``LabelSpreading(kernel="knn")``
on all training rows are computed in the same run on the same split.

Run from the repository root::

    python bench/tabular.py                 # seeds 0-2
    python bench/tabular.py --seeds 0 --datasets wine
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _machine import print_machine  # noqa: E402  (bench/ is on sys.path)

DATASETS = ("breast_cancer", "wine", "digits")


def _load(name: str):
    from sklearn import datasets

    loader = {"breast_cancer": datasets.load_breast_cancer, "wine": datasets.load_wine,
              "digits": datasets.load_digits}[name]
    return loader(return_X_y=True)


def run_dataset(name: str, seeds: list[int]) -> None:
    """Print one table: vaekit defaults and the two baselines, mean ± std over seeds."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler
    from sklearn.semi_supervised import LabelSpreading

    from vaekit.data import labelled_subset
    from vaekit.estimators import VAEClassifier

    X, y = _load(name)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    scores = {"VAEClassifier (defaults)": [], "logistic regression (labelled rows)": [],
              "LabelSpreading (k-NN 7)": []}
    seconds = []
    for seed in seeds:
        keep = labelled_subset(y_train, per_class=10, seed=seed)
        y_few = np.full_like(y_train, -1)
        y_few[keep] = y_train[keep]
        start = time.perf_counter()
        model = VAEClassifier(random_state=seed).fit(X_train, y_few)
        seconds.append(time.perf_counter() - start)
        scores["VAEClassifier (defaults)"].append(model.score(X_test, y_test))
        scores["logistic regression (labelled rows)"].append(
            LogisticRegression(max_iter=1000).fit(X_train[keep], y_train[keep])
            .score(X_test, y_test))
        scores["LabelSpreading (k-NN 7)"].append(
            LabelSpreading(kernel="knn", n_neighbors=7).fit(X_train, y_few)
            .score(X_test, y_test))

    title = (f"{name}: {X.shape[0]} rows x {X.shape[1]} features, 10 labels per class, "
             f"{len(y_test)} test rows; accuracy %, seeds {seeds}")
    print(f"\n{title}\n" + "-" * len(title))
    width = max(map(len, scores))
    for label, values in scores.items():
        values = 100 * np.asarray(values)
        per_seed = " ".join(f"{v:5.1f}" for v in values)
        print(f"{label:<{width}}  {values.mean():5.1f} ± {values.std():3.1f}   {per_seed}")
    print(f"VAEClassifier fit time: {np.mean(seconds):.0f} s per seed", flush=True)


def main(argv: list[str] | None = None) -> int:
    """Parse the options, print the machine header and one table per data set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    print_machine("vaekit tabular benchmark (issue 4)")
    import keras

    print(f"Keras {keras.__version__} on {keras.backend.backend()}")
    for name in args.datasets:
        run_dataset(name, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
