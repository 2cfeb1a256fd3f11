"""The ``vaekit`` command: run pipeline files, whole or one stage at a time.

Thin by design: it parses the command line, picks the Keras backend, calls
:mod:`vaekit.runner`, prints progress and a summary table, and maps errors to
exit codes (0 done, 1 failed, 2 a mistake in the pipeline, the data or the
command line, or a problem of the environment such as a full disk or a folder
that cannot be written, 130 interrupted). ``--help``, ``--version`` and
``validate`` import neither Keras nor a backend; the other commands set
``KERAS_BACKEND`` (``--backend``) and quiet the backend's logs (unless
``--debug``) before Keras is first imported.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import logging
import os
import sys
import tempfile
import traceback
from pathlib import Path

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USER_ERROR, EXIT_INTERRUPTED = 0, 1, 2, 130
BACKENDS = ("tensorflow", "jax")
#: Data kinds whose loader needs TensorFlow (so ``validate`` does not count their rows).
TENSORFLOW_DATA_KINDS = frozenset({"tfds"})
#: Loggers of the backends, quieted to errors unless ``--debug``.
BACKEND_LOGGERS = ("absl", "tensorflow", "jax", "h5py")

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

exit status: 0 done, 1 failed, 2 invalid pipeline/data/arguments or a problem of the
environment (disk full, folder not writable, file missing), 130 interrupted.
Add --debug to see the full traceback of any error and the backend's own logs."""

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
        command.add_argument("--debug", action="store_true",
                             help="show full tracebacks, debug logs and the backend's logs")
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
    from vaekit.streaming.commands import add_commands  # tfrecords, encode (no TensorFlow)

    add_commands(commands)
    return parser


def _version() -> str:
    from vaekit._version import __version__

    return __version__


def _choose_backend(name: str | None) -> None:
    """Make Keras use backend ``name`` (None: ``$KERAS_BACKEND`` or Keras' default).

    Keras reads ``KERAS_BACKEND`` once, when it is first imported, and nothing
    on the command's path imports it before this runs. Called in a process
    that already runs Keras on another backend (``main`` from Python), it
    refuses rather than run on the wrong one.

    Raises
    ------
    ValueError
        If Keras is already loaded with another backend.
    """
    if name is None:
        return
    if "keras" in sys.modules:
        loaded = sys.modules["keras"].backend.backend()
        if loaded != name:
            raise ValueError(
                f"--backend {name}: this Python process already runs Keras on the {loaded} "
                f"backend, and Keras picks its backend once; run the vaekit command in a new "
                f"process (or set KERAS_BACKEND={name} before importing Keras)"
            )
        return
    os.environ["KERAS_BACKEND"] = name


def _quiet_backend_logs() -> None:
    """Keep the backends' start-up and retracing logs from the user (not with --debug)."""
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # read by TensorFlow's C++ side at import
    for name in BACKEND_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)


@contextlib.contextmanager
def _native_stderr_hidden():
    """Hide what native code writes to file descriptor 2 (TensorFlow's and CUDA's start-up
    lines, which ``TF_CPP_MIN_LOG_LEVEL`` does not stop); replay it if the block fails
    other than by a user mistake (``ValueError``/``TypeError``, reported in one line)."""
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no file descriptor 2 to redirect: nothing to hide
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        except (ValueError, TypeError):
            raise
        except BaseException:
            os.dup2(saved, 2)
            sink.seek(0)
            sys.stderr.write(sink.read().decode(errors="replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _import_backend(debug: bool, tensorflow: bool = False) -> None:
    """Import Keras (and TensorFlow when ``tensorflow``) with their start-up logs hidden."""
    import importlib.util

    modules = ["keras"]
    if tensorflow and importlib.util.find_spec("tensorflow") is not None:
        modules.append("tensorflow")
    with contextlib.nullcontext() if debug else _native_stderr_hidden():
        for module in modules:
            __import__(module)


def _echo(quiet: bool):
    """``echo(message)`` printing ``vaekit: message`` to stderr, above a progress bar."""
    if quiet:
        return lambda message: None
    from tqdm import tqdm

    return lambda message: tqdm.write(f"vaekit: {message}", file=sys.stderr)


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
    """What ``epochs``/``steps`` resolve to, as YAML comments.

    The data is loaded (without Keras or a backend) to count its training rows;
    for data kinds that only TensorFlow reads, the comment says so instead.
    """
    from vaekit.data import DataError
    from vaekit.runner.inputs import prepare_data
    from vaekit.runner.schedules import resolved_schedules

    if pipeline.data.kind in TENSORFLOW_DATA_KINDS:
        return (f"# schedule: resolved when the data loads (data.kind {pipeline.data.kind!r} "
                "is read through TensorFlow, which validate does not import; `vaekit run` "
                "prints the schedule and writes it to schedule.json)\n")
    try:
        n_rows = prepare_data(pipeline).summary()["n_train"]
    except (DataError, OSError) as err:
        return f"# schedule: resolved when the data loads ({err})\n"
    lines = [f"# {stage}: {schedule.describe()}"
             for stage, schedule in resolved_schedules(pipeline, n_rows).items()]
    return f"# schedule for {n_rows:,} training rows:\n" + "\n".join(lines) + "\n"


def _validate(args: argparse.Namespace) -> int:
    from vaekit.file_formats import dump_yaml
    from vaekit.runner.schema import load_pipeline

    # Hidden in case checking the model options imports a backend (the builders).
    with contextlib.nullcontext() if args.debug else _native_stderr_hidden():
        pipeline = load_pipeline(args.pipeline, args.overrides)
    print(dump_yaml(pipeline.to_dict()), end="")
    print(_schedule_comment(pipeline), end="")
    return EXIT_OK


def _command(args: argparse.Namespace) -> int:
    if args.command == "validate":
        return _validate(args)
    _choose_backend(getattr(args, "backend", None))
    if getattr(args, "streaming_command", None):
        _import_backend(args.debug, tensorflow=True)  # every streaming command reads tf.data
        return args.streaming_command(args)
    _import_backend(args.debug)  # first: checking a pipeline imports the builders, and Keras
    import keras

    from vaekit.runner import STAGES, Runner, load_pipeline

    pipeline = load_pipeline(args.pipeline, args.overrides)
    if pipeline.data.kind in TENSORFLOW_DATA_KINDS:
        _import_backend(args.debug, tensorflow=True)

    echo = _echo(args.quiet)
    echo(f"Keras {keras.__version__}, {keras.backend.backend()} backend")
    output = Path(args.output) if args.output else Path("runs") / pipeline.name
    # One progress bar on a terminal; one line per stage in a log (see Runner).
    verbose = 0 if args.quiet else (1 if sys.stderr.isatty() else 2)
    runner = Runner(pipeline, output, verbose=verbose, echo=echo)
    runner.open(fresh=args.command == "run" and not args.resume)
    runner.run(STAGES if args.command == "run" else (args.command,))
    if not runner.is_chief:
        echo(f"process {runner.process.process_id} done; the chief (process 0) writes "
             f"{output}")
        return EXIT_OK
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
        The exit status: 0 done, 1 failed, 2 a user mistake or a problem of the
        environment (reported in one line; ``--debug`` adds the traceback), 130
        interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not debug:
        _quiet_backend_logs()
    try:
        return _command(args)
    except KeyboardInterrupt:
        print("vaekit: interrupted; continue with --resume", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as error:  # noqa: BLE001 - mapped to exit codes below
        return _report_error(error, debug)


_FULL = "free some space (or pick another --output), then continue with --resume"
_DENIED = "pick a folder you may write to (--output), or change its permissions"
#: What to do about an ``OSError`` of the environment, by ``errno``.
ENVIRONMENT_ADVICE = {
    getattr(errno, name): advice
    for name, advice in [("ENOSPC", _FULL), ("EDQUOT", _FULL), ("EACCES", _DENIED),
                         ("EPERM", _DENIED), ("ENOENT", "check the path"),
                         ("EROFS", "the file system is read-only; pick another --output")]
    if hasattr(errno, name)
}


def _describe_os_error(error: OSError) -> str:
    """One line for an ``OSError``: the file, the reason and what to do."""
    if error.strerror is None:  # raised with a message of its own, e.g. OSError("...")
        return str(error) or type(error).__name__
    where = f"{error.filename}: " if error.filename is not None else ""
    advice = ENVIRONMENT_ADVICE.get(error.errno)
    return f"{where}{error.strerror}" + (f"; {advice}" if advice else "")


def _report_error(error: Exception, debug: bool) -> int:
    """Print ``error`` and return the exit status.

    A user mistake (``ValueError``, ``TypeError``, ``ImportError``) or a problem
    of the environment (any ``OSError``: a missing file, a full disk, a folder
    that cannot be written; ``MemoryError``) is one line and exit status 2; a
    diverged training is one line and 1; anything else is a bug, shown with its
    traceback, and 1. ``--debug`` shows the traceback of every error.
    """
    training = sys.modules.get("vaekit.training")  # loaded if training ran
    diverged = training is not None and isinstance(error, training.TrainingDivergedError)
    if isinstance(error, OSError):
        message = _describe_os_error(error)
    elif isinstance(error, MemoryError):
        message = (f"out of memory ({str(error) or 'MemoryError'}); use a smaller "
                   "model (model.latent_dim, model.hidden_units) or batch_size")
    else:
        message = str(error) or type(error).__name__
    expected = isinstance(error, (ValueError, TypeError, ImportError, OSError, MemoryError))
    if debug or not (expected or diverged):
        traceback.print_exception(error)
    print(f"vaekit: error: {message}", file=sys.stderr)
    return EXIT_USER_ERROR if expected else EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
