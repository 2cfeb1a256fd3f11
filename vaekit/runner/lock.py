"""Claiming a run folder: one run at a time (an OS lock), and a folder that can be written.

The lock is ``fcntl.flock`` (``msvcrt.locking`` on Windows) on the file
``.vaekit-run.lock`` inside the run's folder. The kernel decides who holds it, so
two runs started at the same moment cannot both win, and it is let go when its
process ends however it ends (``SIGKILL`` included). The holder writes its pid,
host, start time and command into the file; that text only feeds the messages:
who holds the folder, and whose lock a new run takes over after a killed one.

A clean release deletes the file; a killed run leaves it behind, with the dead
process's details, and the next run takes it over (and says so). File locks are
only as good as the file system's: local disks honour them; some network file
systems do not.

:func:`probe_writable` writes and removes a small file before training, so a
read-only folder or a full disk is found at once; :func:`storage_error` turns a
full disk met later into one line that says how to continue.
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import json
import logging
import os
import socket
import sys
import time
from pathlib import Path

from vaekit.runner.layout import RunFolderError

__all__ = ["LOCK_NAME", "PROBE_BYTES", "RunFolderLock", "RunFolderLockedError",
           "probe_writable", "storage_error"]

logger = logging.getLogger(__name__)

#: Name of the lock file inside a run folder.
LOCK_NAME = ".vaekit-run.lock"

#: Size of the file :func:`probe_writable` writes (and removes).
PROBE_BYTES = 1 << 20

_ATTEMPTS = 5  # the file can be swapped under us by a releasing holder; retry that often
_DETAILS_WAIT_S = 2.0  # a holder that has just won writes its details within this

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    # msvcrt locks bytes from the file position; a byte far past the holder's
    # details leaves them readable by the process that is refused.
    _LOCK_OFFSET = 1 << 30

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, _LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class RunFolderLockedError(RunFolderError):
    """Another process holds the run folder (its details are in :attr:`holder`)."""

    def __init__(self, message: str, holder: dict) -> None:
        super().__init__(message)
        self.holder = holder


def _describe(holder: dict) -> str:
    if not holder:
        return "a process whose details are not written yet"
    return (f"process {holder.get('pid', '?')} on host {holder.get('host', '?')}, "
            f"started {holder.get('started', '?')}")


def _pid_alive(pid: int) -> bool:
    """True when a process ``pid`` exists on this host."""
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)
        if handle:
            ctypes.windll.kernel32.CloseHandle(handle)
        return bool(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


class RunFolderLock:
    """The exclusive lock of one run folder.

    Parameters
    ----------
    folder : str or path-like
        The run's folder; created (with its parents) by :meth:`acquire` when missing.

    Attributes
    ----------
    taken_over : dict or None
        After :meth:`acquire`: the details of a killed run whose lock file was
        left behind and taken over, else None.
    created_folder : bool
        After :meth:`acquire`: True when the folder did not exist before.

    Examples
    --------
    >>> with RunFolderLock("runs/digits"):                 # doctest: +SKIP
    ...     ...  # no other run can use runs/digits here
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_NAME
        self.taken_over: dict | None = None
        self.created_folder = False
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._fd is not None

    def acquire(self) -> RunFolderLock:
        """Take the lock at once, or raise naming the process that holds it.

        Returns
        -------
        RunFolderLock
            ``self``.

        Raises
        ------
        RunFolderLockedError
            If another process (or another :class:`RunFolderLock` in this one)
            holds the folder.
        RunFolderError
            If the folder cannot be created or written (read-only, no permission,
            disk full): the message names the folder.
        """
        if self.held:
            return self
        try:
            self.created_folder = not self.folder.exists()
            self.folder.mkdir(parents=True, exist_ok=True)
            for _ in range(_ATTEMPTS):
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
                if not _try_lock(fd):
                    holder = _read_holder(fd)
                    os.close(fd)
                    raise self._locked_error(holder)
                if self._is_current(fd):
                    break
                # A holder released and deleted the file between our open and lock:
                # we locked a file nobody else can find; start again on the new one.
                _unlock(fd)
                os.close(fd)
            else:
                raise RunFolderError(f"{self.path}: kept changing while being locked; "
                                     "another run is starting in this folder")
            self._fd = fd
            previous = _read(fd)
            self._write_holder(fd)
        except RunFolderError:
            self._cleanup_folder()
            raise
        except OSError as err:
            self.release()
            self._cleanup_folder()
            raise RunFolderError(
                f"{self.folder}: cannot write to the output folder ({err.strerror or err}); "
                "pick another --output, or fix its permissions or free space"
            ) from err
        if previous and previous.get("pid") != os.getpid():
            self.taken_over = previous
            logger.info("%s: taking over the lock of %s, which ended without releasing "
                        "it (killed?)", self.folder, _describe(previous))
        return self

    def _is_current(self, fd: int) -> bool:
        try:
            on_disk = os.stat(self.path)
        except FileNotFoundError:
            return False
        held = os.fstat(fd)
        return (on_disk.st_dev, on_disk.st_ino) == (held.st_dev, held.st_ino)

    def _locked_error(self, holder: dict) -> RunFolderLockedError:
        note = ""
        if holder.get("host") == socket.gethostname() and isinstance(holder.get("pid"), int) \
                and not _pid_alive(holder["pid"]):
            note = " (that process has ended, but a process it started still holds the lock)"
        return RunFolderLockedError(
            f"{self.folder}: in use by another vaekit run, {_describe(holder)}{note}; wait "
            "for it to finish (or stop it), or pick another --output", holder)

    @staticmethod
    def _write_holder(fd: int) -> None:
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"),
            "command": sys.argv,
        }
        data = json.dumps(holder).encode("utf-8")
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, data)
        os.fsync(fd)

    def _cleanup_folder(self) -> None:
        """After a failed acquire: leave no folder behind that this call created."""
        if self.created_folder:
            with contextlib.suppress(OSError):  # not empty: another run's lock is in it
                self.folder.rmdir()

    def release(self, remove_folder_if_empty: bool = False) -> None:
        """Let the lock go and delete the lock file; nothing happens when not held.

        Parameters
        ----------
        remove_folder_if_empty : bool, default=False
            Also remove the folder when this lock created it and nothing else is
            in it (a run that failed its checks leaves no folder behind).
        """
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            if sys.platform != "win32":  # Windows cannot delete an open file
                with contextlib.suppress(FileNotFoundError):
                    self.path.unlink()
            _unlock(fd)
        finally:
            os.close(fd)
        if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
            with contextlib.suppress(OSError):
                self.path.unlink()
        if remove_folder_if_empty and self.created_folder:
            with contextlib.suppress(OSError):
                self.folder.rmdir()

    def __enter__(self) -> RunFolderLock:
        return self.acquire()

    def __exit__(self, *exc_info) -> None:
        self.release()

    def __del__(self) -> None:
        # Closing the descriptor is what frees an OS lock; do it when forgotten.
        if getattr(self, "_fd", None) is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)


def _read_holder(fd: int) -> dict:
    """The details of a holder that may have won a moment ago: wait briefly for them."""
    deadline = time.monotonic() + _DETAILS_WAIT_S
    while not (holder := _read(fd)) and time.monotonic() < deadline:
        time.sleep(0.02)
    return holder


def _read(fd: int) -> dict:
    """The holder details written in the lock file, or {} when empty or half-written."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    try:
        holder = json.loads(b"".join(chunks).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {}
    return holder if isinstance(holder, dict) else {}


def probe_writable(folder: str | os.PathLike[str]) -> None:
    """Write, flush and remove a small file in ``folder``, or raise naming the folder.

    Run before training so that a read-only folder, a missing permission or a
    full disk stops the run at once, not after hours of training.

    Parameters
    ----------
    folder : str or path-like
        An existing folder.

    Raises
    ------
    RunFolderError
        One line naming the folder and the reason (``No space left on device``,
        ``Permission denied``, ``Read-only file system``).
    """
    from vaekit.files import write_bytes

    probe = Path(folder) / ".vaekit-write-probe"
    try:
        write_bytes(probe, bytes(PROBE_BYTES))
        probe.unlink()
    except OSError as err:
        with contextlib.suppress(OSError):
            probe.unlink(missing_ok=True)
        raise RunFolderError(
            f"{folder}: cannot write to the output folder ({err.strerror or err}); "
            "pick another --output, or fix its permissions or free space"
        ) from err


#: ``errno`` values that mean the storage, not the program, stopped a write.
STORAGE_ERRNOS = frozenset(
    getattr(errno, name) for name in ("ENOSPC", "EDQUOT", "EROFS") if hasattr(errno, name))


def storage_error(folder: str | os.PathLike[str], err: OSError) -> RunFolderError | None:
    """A one-line :class:`RunFolderError` for a full disk or a read-only file system.

    Parameters
    ----------
    folder : str or path-like
        The run's folder.
    err : OSError
        The error a write raised.

    Returns
    -------
    RunFolderError or None
        None when ``err`` is not a storage problem (re-raise it as it is).
    """
    if err.errno not in STORAGE_ERRNOS:
        return None
    where = f" while writing {err.filename}" if err.filename else ""
    return RunFolderError(
        f"{folder}: {err.strerror or err}{where}; no half-written file is left. Free space "
        "(or make the folder writable) and continue with --resume"
    )
