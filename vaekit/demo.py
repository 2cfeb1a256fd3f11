"""``make demo``: the whole semi-supervised job on scikit-learn's digits, in one table.

Pretrains a VAE on the training part of the digits (70 %, stratified), fine-tunes
it with 10 labels per class, and prints its test accuracy beside scikit-learn
baselines trained on the same labelled split. Run ``python -m vaekit.demo``.
"""

from __future__ import annotations

import argparse
import time


def main(argv: list[str] | None = None) -> int:
    """Run the demo and print the table.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments (``--seed``, ``--per-class``).

    Returns
    -------
    int
        Exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m vaekit.demo",
        description="Semi-supervised digits: vaekit against scikit-learn baselines.",
    )
    parser.add_argument("--seed", type=int, default=0,
                        help="seed of the labelled draw and of training")
    parser.add_argument("--per-class", type=int, default=10, help="labels per class (default 10)")
    args = parser.parse_args(argv)

    import keras

    import vaekit
    from vaekit.data import hide_labels, labelled_subset, load_digits
    from vaekit.evaluation import active_units, classification_report, latent_probe
    from vaekit.runner.baselines import run_baselines

    data = load_digits(test_size=0.3, random_state=0)
    train, test = data.train, data.test
    keep = labelled_subset(train.y, per_class=args.per_class, seed=args.seed)
    y = hide_labels(train.y, keep)
    print(f"digits: {len(train)} training images ({len(keep)} labelled, "
          f"{args.per_class} per class), {len(test)} test images; "
          f"Keras {keras.__version__} on {keras.backend.backend()}")

    start = time.perf_counter()
    vae, pretrain_history = vaekit.pretrain_vae(train.x, seed=args.seed)
    pretrain_seconds = time.perf_counter() - start
    probe = latent_probe(vae.encode(train.x), y, vae.encode(test.x), test.y)
    print(f"pretrained VAE in {pretrain_seconds:.0f} s: reconstruction "
          f"{pretrain_history['reconstruction_loss'][-1]:.2f}, KL "
          f"{pretrain_history['kl_loss'][-1]:.2f} nats, "
          f"{active_units(vae, train.x)}/{vae.latent_dim} active units")

    start = time.perf_counter()
    classifier, _ = vaekit.finetune(vae, train.x, y, seed=args.seed)
    finetune_seconds = time.perf_counter() - start
    report = classification_report(test.y, classifier.predict_classes(test.x))
    print(f"fine-tuned in {finetune_seconds:.0f} s")

    start = time.perf_counter()
    baselines = run_baselines(train.x, y, test.x, test.y, seed=args.seed)
    baseline_seconds = time.perf_counter() - start

    rows = [("vaekit (pretrain + joint fine-tune)", report["accuracy"])]
    rows.append(("frozen VAE means + logistic regression", probe))
    labels = {
        "logistic_regression": "logistic regression on labelled pixels",
        "pca_logistic": "PCA(32) + logistic regression",
        "label_spreading": "LabelSpreading (k-NN)",
        "self_training": "SelfTrainingClassifier (SVC)",
    }
    rows.extend((labels.get(name, name), score) for name, score in baselines.items())
    width = max(len(name) for name, _ in rows)
    print()
    print(f"{'method':<{width}}  test accuracy")
    print(f"{'-' * width}  -------------")
    for name, score in rows:
        print(f"{name:<{width}}  {100 * score:12.1f}%")
    best_name, best_score = max(baselines.items(), key=lambda item: item[1])
    verdict = "beats" if report["accuracy"] > best_score else "does NOT beat"
    print(f"\nvaekit {verdict} the best baseline ({labels.get(best_name, best_name)}, "
          f"{100 * best_score:.1f}%); macro-F1 {report['macro_f1']:.3f}; "
          f"baselines took {baseline_seconds:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
