"""Run folders: one run at a time (an OS lock), stale locks taken over, writes probed."""

from __future__ import annotations

import errno
import json
import multiprocessing
import os
import signal
import socket
import sys

import pytest

from vaekit.runner import RunFolderError, Runner, parse_pipeline
from vaekit.runner.lock import LOCK_NAME, RunFolderLock, RunFolderLockedError, probe_writable

#: Tests that start their contenders with fork (POSIX only); the others run on Windows too,
#: where the lock is msvcrt.locking.
forks = pytest.mark.skipif(sys.platform == "win32", reason="starts processes with fork")

TINY = {"data": {"kind": "digits"}, "model": {"latent_dim": 2, "hidden_units": [8]},
        "pretrain": {"epochs": 1, "batch_size": 64},
        "outputs": {"plots": [], "report": False, "tensorboard": False}}


def _fork():
    # fork: the children start at once, without importing Keras again.
    return multiprocessing.get_context("fork")


def _race(folder, barrier, results, release):
    barrier.wait()
    try:
        lock = RunFolderLock(folder).acquire()
    except RunFolderLockedError as err:
        results.put(("refused", os.getpid(), str(err)))
        return
    results.put(("won", os.getpid(), ""))
    release.wait(30)  # hold the folder until every contender has tried
    lock.release()


@forks
def test_processes_racing_into_one_folder_exactly_one_wins_and_the_rest_name_it(tmp_path):
    ctx, n = _fork(), 4
    folder = tmp_path / "run"  # made by the contenders: the race includes creating it
    barrier, results, release = ctx.Barrier(n), ctx.Queue(), ctx.Event()
    workers = [ctx.Process(target=_race, args=(folder, barrier, results, release))
               for _ in range(n)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in range(n)]
    release.set()
    for worker in workers:
        worker.join(30)
    winners = [pid for outcome, pid, _ in outcomes if outcome == "won"]
    assert len(winners) == 1, outcomes
    for outcome, _, message in outcomes:
        if outcome == "refused":
            assert f"process {winners[0]} on host {socket.gethostname()}" in message
            assert message.startswith(f"{folder}: in use by another vaekit run")
            assert "\n" not in message
    assert not (folder / LOCK_NAME).exists()  # released: the lock file is gone
    assert RunFolderLock(folder).acquire().taken_over is None


def _lock_and_die(folder):
    RunFolderLock(folder).acquire()
    os.kill(os.getpid(), signal.SIGKILL)


@forks
def test_a_lock_left_by_a_killed_run_is_taken_over(tmp_path):
    victim = _fork().Process(target=_lock_and_die, args=(tmp_path,))
    victim.start()
    victim.join(30)
    assert victim.exitcode == -signal.SIGKILL
    left = json.loads((tmp_path / LOCK_NAME).read_text())
    assert left["pid"] == victim.pid and left["host"] == socket.gethostname()
    lock = RunFolderLock(tmp_path).acquire()
    try:
        assert lock.taken_over["pid"] == victim.pid
        assert json.loads((tmp_path / LOCK_NAME).read_text())["pid"] == os.getpid()
    finally:
        lock.release()
    assert not (tmp_path / LOCK_NAME).exists()


def test_a_lock_is_exclusive_within_one_process_and_free_again_once_released(tmp_path):
    first = RunFolderLock(tmp_path).acquire()
    with pytest.raises(RunFolderLockedError, match=rf"process {os.getpid()} on host") as info:
        RunFolderLock(tmp_path).acquire()
    assert info.value.holder["pid"] == os.getpid()
    first.release()
    with RunFolderLock(tmp_path) as second:
        assert second.held and second.taken_over is None


def _hold(folder, ready, release):
    lock = RunFolderLock(folder).acquire()
    ready.set()
    release.wait(60)
    lock.release()


@pytest.fixture
def folder_held_by_another_process(tmp_path):
    """A run folder locked by a live child process: (folder, the child's pid)."""
    ctx = _fork()
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold, args=(tmp_path / "run", ready, release))
    holder.start()
    assert ready.wait(30)
    yield tmp_path / "run", holder.pid
    release.set()
    holder.join(30)


@forks
@pytest.mark.parametrize("fresh", [True, False], ids=["run", "resume"])
def test_a_run_into_a_folder_in_use_is_refused_before_it_reads_or_writes_anything(
        folder_held_by_another_process, fresh, monkeypatch):
    folder, pid = folder_held_by_another_process
    import vaekit.runner.run as run_module

    def must_not_load(pipeline):
        raise AssertionError("the data was loaded before the folder was locked")

    monkeypatch.setattr(run_module, "prepare_data", must_not_load)
    with pytest.raises(RunFolderLockedError, match=rf"in use by another vaekit run, process "
                                                   rf"{pid} on host"):
        Runner(parse_pipeline(TINY), folder, verbose=0).open(fresh=fresh)
    assert sorted(p.name for p in folder.iterdir()) == [LOCK_NAME]  # nothing written


@forks
def test_the_cli_refuses_a_folder_in_use_in_one_line_with_exit_status_2(
        folder_held_by_another_process, tmp_path, capsys):
    from vaekit.cli import main

    folder, pid = folder_held_by_another_process
    pipeline = tmp_path / "tiny.yaml"
    pipeline.write_text(json.dumps(TINY))  # JSON is YAML
    status = main(["pretrain", str(pipeline), "--output", str(folder), "--quiet"])
    errors = capsys.readouterr().err
    assert status == 2
    assert f"vaekit: error: {folder}: in use by another vaekit run, process {pid}" in errors
    assert "Traceback" not in errors


def test_a_run_holds_the_lock_while_it_runs_and_lets_go_at_the_end(tmp_path, monkeypatch):
    runner = Runner(parse_pipeline(TINY), tmp_path, verbose=0)
    runner.open(fresh=True)
    seen = {}

    def pretrain():  # stands in for training: is the folder locked meanwhile?
        lock_file = json.loads((tmp_path / LOCK_NAME).read_text())
        seen["holder"] = lock_file["pid"]
        with pytest.raises(RunFolderLockedError):
            RunFolderLock(tmp_path).acquire()

    monkeypatch.setattr(runner, "pretrain", pretrain)
    runner.run(["pretrain"])
    assert seen["holder"] == os.getpid()
    assert not (tmp_path / LOCK_NAME).exists()
    RunFolderLock(tmp_path).acquire().release()  # free again


def test_a_failed_check_releases_the_lock_and_leaves_no_folder(tmp_path):
    from vaekit.data import DataError

    bad = parse_pipeline({**TINY, "finetune": {"labels_per_class": [500]}})
    with pytest.raises(DataError):
        Runner(bad, tmp_path / "run", verbose=0).open(fresh=True)
    assert not (tmp_path / "run").exists()


# --------------------------------------------------------------------- write probe
def _refuse_writes(monkeypatch, code: int, text: str) -> None:
    """Make every atomic write of vaekit.files fail with ``OSError(code)``."""
    import vaekit.files

    def fail(*args, **kwargs):
        raise OSError(code, text)

    monkeypatch.setattr(vaekit.files, "write_bytes", fail)


def test_a_read_only_output_folder_is_refused_before_training(tmp_path, monkeypatch):
    folder = tmp_path / "run"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        pass  # a normal user: the folder really is read-only
    else:  # root writes anywhere: make the writes fail instead
        (folder / "probe").unlink()
        _refuse_writes(monkeypatch, errno.EROFS, "Read-only file system")
    try:
        with pytest.raises(RunFolderError) as info:
            Runner(parse_pipeline(TINY), folder, verbose=0).open(fresh=False)
    finally:
        folder.chmod(0o755)
    message = str(info.value)
    assert message.startswith(f"{folder}: cannot write to the output folder (")
    assert "\n" not in message and "pick another --output" in message
    assert not (folder / "pipeline.yaml").exists()


def test_the_probe_finds_a_full_disk_and_leaves_nothing_behind(tmp_path, monkeypatch):
    _refuse_writes(monkeypatch, errno.ENOSPC, "No space left on device")
    with pytest.raises(RunFolderError, match=r"cannot write to the output folder \(No space "
                                             r"left on device\)"):
        probe_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []
    monkeypatch.undo()
    probe_writable(tmp_path)
    assert list(tmp_path.iterdir()) == []
