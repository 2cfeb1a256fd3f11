"""What neighbour reconstruction buys ``VAETransformer``'s features, here and on other data.

For each data set, ``VAETransformer(n_neighbors=k, random_state=seed)`` for
``k`` in ``--neighbors`` (0 is a plain VAE; "auto", the default, is one per
200 training rows, from 1 to 10) against raw
input and PCA of the same width, each under ``StandardScaler`` +
``LogisticRegression`` trained on a few labels per class, accuracy on a
stratified 30 % test split (``random_state=0``); mean ± sample std over
``--seeds`` (each seed draws the labels and seeds the VAE).

Data sets: ``digits`` and ``mnist5k`` (the flat rows of ``bench/flat_rows.py``,
on which ``n_neighbors=10`` was chosen), and three it was not chosen on:
``olivetti`` (400 faces, 40 people, 4,096 pixels in [0, 1], 3 labels per
person; read from ``../shared/data`` or ``$VAEKIT_DATA_DIR``, skipped with a
message when absent), ``breast_cancer`` and ``wine`` (scikit-learn's tables,
standardised, real-valued: MSE reconstruction; 10 labels per class).

Run: ``KERAS_BACKEND=jax python bench/neighbour_features.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(__file__))

from _machine import print_machine  # noqa: E402  (bench/ is on sys.path)

DATASETS = ("digits", "mnist5k", "olivetti", "breast_cancer", "wine")
LABELS_PER_CLASS = {"olivetti": 3}
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def load(name: str):
    """``(X_train, X_test, y_train, y_test)`` or None when the data are not on this machine."""
    import numpy as np
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name in ("digits", "mnist5k"):
        from flat_rows import load_flat

        return load_flat(name)
    if name == "olivetti":
        from vaekit.data import load_olivetti_faces

        root = os.environ.get("VAEKIT_DATA_DIR", str(SHARED_DATA))
        path = Path(root) / "olivetti_faces" / "olivettifaces.mat"
        if not path.exists():
            print(f"olivetti: {path} not found; set VAEKIT_DATA_DIR (skipped)")
            return None
        faces = load_olivetti_faces(path).train
        X, y = faces.x.reshape(len(faces.x), -1), faces.y
    else:
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(
        np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.int64), test_size=0.3,
        stratify=y, random_state=0)
    if name in ("breast_cancer", "wine"):
        scaler = StandardScaler().fit(X_train)
        X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    return X_train, X_test, y_train, y_test


def run(name: str, neighbors: list[int], seeds: list[int]) -> None:
    """Print one data set's table (the probe is ``bench/flat_rows.py``'s ``linear_probe``)."""
    import numpy as np
    from sklearn.decomposition import PCA

    from flat_rows import linear_probe as probe
    from flat_rows import mean_std
    from vaekit.data import labelled_subset
    from vaekit.estimators import VAETransformer
    from vaekit.training.neighbour_targets import auto_neighbours

    data = load(name)
    if data is None:
        return
    X_train, X_test, y_train, y_test = data
    per_class = LABELS_PER_CLASS.get(name, 10)
    scores: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    for seed in seeds:
        keep = labelled_subset(y_train, per_class=per_class, seed=seed)
        for k in neighbors:
            label = f"VAETransformer(n_neighbors={k!r})"
            if k == "auto":
                label += f" = {auto_neighbours(len(X_train))}"
            started = time.perf_counter()
            vae = VAETransformer(n_neighbors=k, random_state=seed).fit(X_train)
            seconds.setdefault(label, []).append(time.perf_counter() - started)
            scores.setdefault(label, []).append(
                probe(vae.transform(X_train), vae.transform(X_test), y_train, y_test, keep))
        width = min(vae.latent_dim, *X_train.shape)
        pca = PCA(n_components=width, random_state=seed).fit(X_train)
        scores.setdefault(f"PCA({width})", []).append(
            probe(pca.transform(X_train), pca.transform(X_test), y_train, y_test, keep))
        scores.setdefault("raw input", []).append(probe(X_train, X_test, y_train, y_test, keep))
    title = (f"{name}: {len(X_train)} train / {len(X_test)} test rows, {X_train.shape[1]} "
             f"features, {per_class} labels per class, seeds {seeds}")
    print(f"\n{title}\n" + "-" * len(title))
    width = max(len(label) for label in scores)
    print(f"{'features':<{width}}  accuracy %    " + " ".join(f"s{s:<4}" for s in seeds)
          + "  time/fit")
    for label, values in scores.items():
        took = seconds.get(label)
        took = f"{np.mean(took):7.1f}s" if took else ""
        per_seed = " ".join(f"{100 * v:5.1f}" for v in values)
        print(f"{label:<{width}}  {mean_std(values)}  {per_seed}  {took}", flush=True)


def _neighbours(text: str):
    return text if text == "auto" else int(text)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", default=list(DATASETS), choices=DATASETS)
    parser.add_argument("--neighbors", nargs="+", type=_neighbours, default=[0, "auto", 5, 10])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    args = parser.parse_args(argv)
    print_machine("vaekit neighbour-reconstruction features benchmark")
    for name in args.datasets:
        run(name, args.neighbors, args.seeds)


if __name__ == "__main__":
    main()
