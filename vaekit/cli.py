"""The ``vaekit`` command: run pipeline files, whole or one stage at a time.

Thin by design: it parses the command line, picks the Keras backend, calls
:mod:`vaekit.runner`, prints progress and a summary table, and maps errors to
exit codes (0 done, 1 failed, 2 a mistake in the pipeline, the data or the
command line, 130 interrupted). Nothing from Keras is imported at module level.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import traceback
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
BACKENDS = ("tensorflow", "jax")
_REEXEC_FLAG = "VAEKIT_CLI_BACKEND_SWITCHED"

DESCRIPTION = """\
Turn unlabeled data into features with a variational autoencoder, fine-tune on a few
labels, and get models, numbers and pictures. A pipeline file (YAML, see pipelines/)
declares the data, the model, pretraining, fine-tuning, evaluation and outputs."""

EPILOG = """\
stages (each writes into the output folder; `run` does all four):
  pretrain   train the VAE (and the autoencoder, if model.autoencoder) on all rows
  finetune   fine-tune one classifier per label count and seed
  evaluate   score classifiers, latent probes and baselines; write metrics.json/.csv
  generate   draw the figures (plots/*.png) and write report.html

A single stage works in the output folder of the same pipeline and reuses what the
earlier stages wrote there; `run --resume` continues a stopped run the same way.

examples:
  vaekit run pipelines/digits.yaml
  vaekit run pipelines/mnist.yaml --set finetune.seeds=[0,1,2] --output runs/mnist3
  vaekit run pipelines/digits.yaml --resume          # continue a killed run
  vaekit validate pipelines/tabular_csv.yaml          # check a file, print it resolved

exit status: 0 done, 1 failed, 2 invalid pipeline/data/arguments, 130 interrupted.
Add --debug to see the full traceback of any error."""

COMMANDS = {
    "run": "run every stage: pretrain, finetune, evaluate, generate",
    "pretrain": "pretrain the VAE (and autoencoder) only",
    "finetune": "fine-tune a classifier per label count and seed (needs pretrain)",
    "evaluate": "score classifiers, probes and baselines; write metrics (needs finetune)",
    "generate": "draw the figures and write report.html (needs pretrain)",
    "validate": "check a pipeline file and print it with defaults filled; runs nothing",
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vaekit", description=DESCRIPTION, epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, summary in COMMANDS.items():
        command = commands.add_parser(name, help=summary, description=summary[0].upper()
                                      + summary[1:] + ".", epilog=EPILOG,
                                      formatter_class=argparse.RawDescriptionHelpFormatter)
        command.add_argument("pipeline", metavar="PIPELINE", help="pipeline file (YAML)")
        command.add_argument(
            "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
            help="override a setting, e.g. --set finetune.epochs=3 (value read as YAML; "
                 "repeatable)")
        if name == "validate":
            continue
        command.add_argument(
            "--output", "-o", metavar="DIR",
            help="output folder (default: runs/<pipeline name>)")
        command.add_argument(
            "--resume", action="store_true",
            help="continue the run in the output folder: finished work is kept and "
                 "pretraining restarts from its last epoch checkpoint")
        command.add_argument("--backend", choices=BACKENDS,
                             help="Keras backend (default: $KERAS_BACKEND or tensorflow)")
        command.add_argument("--quiet", "-q", action="store_true",
                             help="no progress output; only the summary table and errors")
        command.add_argument("--debug", action="store_true",
                             help="show full tracebacks and debug logs")
    from vaekit.streaming.commands import add_commands  # tfrecords, encode (no TensorFlow)

    add_commands(commands)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vaekit")
    except PackageNotFoundError:  # running from a source tree
        return "unknown"


def _switch_backend(name: str | None, argv: list[str]) -> None:
    """Make Keras use ``name``; re-runs the command if Keras already runs another backend.

    ``import vaekit.cli`` imports the vaekit package, which imports Keras, and
    Keras picks its backend once, at import. So when the loaded backend is not
    the one asked for, the process replaces itself with the same command under
    ``KERAS_BACKEND=name``.
    """
    if name is None:
        return
    os.environ["KERAS_BACKEND"] = name
    if "keras" not in sys.modules:
        return
    import keras

    if keras.backend.backend() == name:
        return
    if os.environ.get(_REEXEC_FLAG):
        raise RuntimeError(f"could not switch Keras to the {name} backend")
    os.environ[_REEXEC_FLAG] = "1"
    os.execv(sys.executable, [sys.executable, "-m", "vaekit.cli", *argv])


def _echo(quiet: bool):
    if quiet:
        return lambda message: None
    return lambda message: print(f"vaekit: {message}", file=sys.stderr, flush=True)


#: Column headings of the summary table (short, so the table fits a terminal).
SHORT_LABELS = {
    "accuracy": "vaekit", "vae_probe": "VAE+probe", "autoencoder_probe": "AE+probe",
    "logistic_regression": "logreg", "pca_logistic": "PCA+logreg",
    "label_spreading": "label spreading", "self_training": "self-training",
}


def _summary_table(metrics: dict) -> str:
    summary = metrics.get("summary") or []
    if not summary:
        return ""
    methods = list(dict.fromkeys(m for row in summary for m in row["methods"]))
    header = ["labels", "seeds"] + [SHORT_LABELS.get(m, m) for m in methods]
    lines = []
    for row in summary:
        cells = [str(row["n_labels"]), str(len(row["seeds"]))]
        for method in methods:
            entry = row["methods"].get(method)
            if entry is None:
                cells.append("")
            elif entry["n"] > 1:
                cells.append(f"{100 * entry['mean']:.2f} ± {100 * entry['std']:.2f}")
            else:
                cells.append(f"{100 * entry['mean']:.2f}")
        lines.append(cells)
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]
    render = lambda cells: "  ".join(c.rjust(w) for c, w in zip(cells, widths))  # noqa: E731
    rule = "  ".join("-" * w for w in widths)
    title = (f"Test accuracy (%) of {metrics['pipeline']}, mean ± std over seeds "
             "(vaekit = fine-tuned VAE; probe = logistic regression on frozen latent means; "
             "the rest are baselines on the raw features)")
    return "\n".join([title, render(header), rule, *map(render, lines)])


def _schedule_comment(pipeline) -> str:
    """What ``epochs``/``steps`` resolve to, as YAML comments (the data is loaded to count rows)."""
    from vaekit.data import DataError
    from vaekit.runner.inputs import prepare_data
    from vaekit.runner.schedules import resolved_schedules

    try:
        n_rows = prepare_data(pipeline).summary()["n_train"]
    except (DataError, OSError) as err:
        return f"# schedule: resolved when the data loads ({err})\n"
    lines = [f"# {stage}: {schedule.describe()}"
             for stage, schedule in resolved_schedules(pipeline, n_rows).items()]
    return f"# schedule for {n_rows:,} training rows:\n" + "\n".join(lines) + "\n"


def _command(args: argparse.Namespace) -> int:
    if getattr(args, "streaming_command", None):
        return args.streaming_command(args)
    from vaekit.runner import STAGES, Runner, load_pipeline

    if args.command != "validate":
        import keras

        _echo(args.quiet)(f"Keras {keras.__version__}, {keras.backend.backend()} backend")
    pipeline = load_pipeline(args.pipeline, args.overrides)
    if args.command == "validate":
        from vaekit.file_formats import dump_yaml

        print(dump_yaml(pipeline.to_dict()), end="")
        print(_schedule_comment(pipeline), end="")
        return EXIT_OK
    echo = _echo(args.quiet)
    output = Path(args.output) if args.output else Path("runs") / pipeline.name
    verbose = 0 if args.quiet else (1 if sys.stdout.isatty() else 2)
    runner = Runner(pipeline, output, verbose=verbose, echo=echo)
    runner.open(fresh=args.command == "run" and not args.resume)
    runner.run(STAGES if args.command == "run" else (args.command,))
    if runner.layout.metrics_json.is_file() and args.command in ("run", "evaluate"):
        table = _summary_table(json.loads(runner.layout.metrics_json.read_text()))
        if table:
            print(table)
    echo(f"outputs in {output}"
         + (f"; open {runner.layout.report}" if runner.layout.report.is_file() else ""))
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vaekit`` console script.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not debug:
        # TensorFlow's retracing notices are about its internals, not the user's run.
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
    try:
        _switch_backend(getattr(args, "backend", None), argv)
        return _command(args)
    except KeyboardInterrupt:
        print("vaekit: interrupted; continue with --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - mapped to exit codes below
        return _report_error(error, debug)


def _report_error(error: Exception, debug: bool) -> int:
    from vaekit.training import TrainingDivergedError

    user_error = isinstance(error, (ValueError, TypeError, FileNotFoundError,
                                    NotADirectoryError, ImportError))
    if debug or not (user_error or isinstance(error, TrainingDivergedError)):
        traceback.print_exception(error)
    message = str(error) or type(error).__name__
    print(f"vaekit: error: {message}", file=sys.stderr)
    if not debug and (user_error or isinstance(error, TrainingDivergedError)):
        print("vaekit: (add --debug for the traceback)", file=sys.stderr)
    if isinstance(error, TrainingDivergedError):
        return EXIT_FAILED
    return EXIT_USER_ERROR if user_error else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
