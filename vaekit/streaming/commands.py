"""The ``vaekit tfrecords`` and ``vaekit encode`` subcommands (parsing and calling only).

:mod:`vaekit.cli` adds them with :func:`add_commands`; nothing here imports
TensorFlow or Keras until a command runs, so ``vaekit --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["add_commands"]


def _size(text: str) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected HEIGHTxWIDTH, e.g. 64x64, got {text!r}") from None
    return height, width


def _common(command: argparse.ArgumentParser) -> None:
    command.add_argument("--image-size", type=_size, metavar="HxW",
                         help="resize images to HEIGHTxWIDTH (image folders)")
    command.add_argument("--rgb", action="store_true",
                         help="read images with three channels (default: grayscale)")
    command.add_argument("--debug", action="store_true",
                         help="show full tracebacks and debug logs")


def add_commands(commands) -> None:
    """Add ``tfrecords`` and ``encode`` to the ``vaekit`` command's subparsers.

    Parameters
    ----------
    commands : argparse._SubParsersAction
        What ``parser.add_subparsers()`` returned.
    """
    tfrecords = commands.add_parser(
        "tfrecords", help="write an array, a table or an image folder to TFRecord shards",
        description="Write rows to sharded TFRecord files (with vaekit-tfrecords.json) that "
                    "training streams with vaekit.streaming.tfrecord_dataset.")
    tfrecords.add_argument("data", metavar="DATA",
                           help="a .npy array, a .csv/.parquet table (numeric columns) or an "
                                "image folder")
    tfrecords.add_argument("--output", "-o", required=True, metavar="DIR",
                           help="folder of the shards")
    tfrecords.add_argument("--shard-rows", type=int, default=10_000, metavar="N",
                           help="rows per shard (default: 10000)")
    tfrecords.add_argument("--encoding", choices=("float32", "uint8"),
                           help="uint8 stores [0, 1] values as value*255 (default: uint8 for "
                                "images, float32 otherwise)")
    _common(tfrecords)
    tfrecords.set_defaults(streaming_command=_write_tfrecords)

    encode = commands.add_parser(
        "encode", help="stream a data source through a saved encoder into Parquet features",
        description="Encode every row of DATA with the encoder of MODEL and write the latent "
                    "means (row_id, z_0, z_1, ...) as Parquet shards.")
    encode.add_argument("model", metavar="MODEL",
                        help="a saved .keras model (VAE, classifier or encoder) or a pickled "
                             "estimator (.pkl)")
    encode.add_argument("data", metavar="DATA",
                        help="TFRecord shards (folder or *.tfrecord), Parquet, .npy, or an "
                             "image folder")
    encode.add_argument("--output", "-o", required=True, metavar="DIR",
                        help="folder of the Parquet shards")
    encode.add_argument("--log-var", action="store_true",
                        help="also write the posterior log-variances (log_var_0, ...)")
    encode.add_argument("--shard-rows", type=int, default=100_000, metavar="N",
                        help="rows per Parquet shard (default: 100000)")
    encode.add_argument("--skip-bad-records", action="store_true",
                        help="skip records that cannot be read, and say how many")
    encode.add_argument("--columns", nargs="+", metavar="COLUMN",
                        help="feature columns of a Parquet source")
    _common(encode)
    encode.set_defaults(streaming_command=_encode)


def _echo(message: str) -> None:
    print(f"vaekit: {message}", file=sys.stderr, flush=True)


def _read_rows(path: str):
    """An array, a table or an image folder path, as :func:`write_tfrecords` takes it."""
    from pathlib import Path

    import numpy as np

    source = Path(path)
    if source.is_dir():
        return source
    if not source.is_file():
        raise FileNotFoundError(f"{source}: no such file or folder")
    if source.suffix == ".npy":
        return np.load(source, mmap_mode="r")
    if source.suffix in (".csv", ".parquet"):
        import pandas as pd

        return pd.read_csv(source) if source.suffix == ".csv" else pd.read_parquet(source)
    raise ValueError(f"{source}: expected a .npy, .csv or .parquet file, or an image folder")


def _write_tfrecords(args: argparse.Namespace) -> int:
    from vaekit.streaming.tfrecords import read_manifest, write_tfrecords

    write_tfrecords(_read_rows(args.data), args.output, shard_rows=args.shard_rows,
                    encoding=args.encoding, image_size=args.image_size,
                    color_mode="rgb" if args.rgb else "grayscale")
    manifest = read_manifest(args.output)
    _echo(f"wrote {manifest['rows']:,} rows of shape {tuple(manifest['sample_shape'])} in "
          f"{len(manifest['shards'])} shards ({manifest['encoding']}) to {args.output}")
    return 0


def _encode(args: argparse.Namespace) -> int:
    from vaekit.encoding import encode_to_parquet

    shards = encode_to_parquet(
        args.model, args.data, args.output, log_var=args.log_var, shard_rows=args.shard_rows,
        skip_bad_records=args.skip_bad_records, image_size=args.image_size,
        color_mode="rgb" if args.rgb else "grayscale", columns=args.columns)
    _echo(f"wrote {len(shards)} Parquet shards to {args.output}")
    return 0
