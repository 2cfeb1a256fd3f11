"""Where vaekit looks for data on disk when no path is given."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DATA_DIR_ENV", "default_data_dir"]

#: Environment variable naming the folder that holds vaekit's offline data sets.
DATA_DIR_ENV = "VAEKIT_DATA_DIR"


def default_data_dir() -> Path | None:
    """Return the data folder named by ``$VAEKIT_DATA_DIR``, or None when unset.

    No folder is assumed to exist: callers decide what to do with None and report
    a missing folder themselves.

    Returns
    -------
    pathlib.Path or None
        The expanded path from the environment variable, or None if it is unset or
        empty.
    """
    value = os.environ.get(DATA_DIR_ENV, "").strip()
    return Path(value).expanduser() if value else None
