"""provenance.json: versions, backend, date, git commit, host and stage times of every run."""

from __future__ import annotations

import datetime
import json
import os
import subprocess

import keras
import numpy
import pytest
import sklearn

import vaekit
from vaekit.runner import Runner, load_pipeline
from vaekit.runner import provenance as provenance_module
from vaekit.runner.provenance import git_state, host

TINY = {"data": {"kind": "digits"}, "model": {"latent_dim": 2, "hidden_units": [8]},
        "pretrain": {"epochs": 1, "batch_size": 64},
        "outputs": {"plots": [], "report": False, "tensorboard": False}}


def _git(repo, *args) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True, env=env).stdout.strip()


@pytest.fixture
def project(tmp_path):
    """A git work tree with one commit holding a tiny pipeline file and a notes file."""
    repo = tmp_path / "project"
    (repo / "pipelines").mkdir(parents=True)
    (repo / "pipelines" / "tiny.yaml").write_text(json.dumps(TINY))
    (repo / "notes.txt").write_text("first\n")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "tiny pipeline")
    return repo


def _run(pipeline_file, output, fresh):
    runner = Runner(load_pipeline(pipeline_file), output, verbose=0)
    runner.open(fresh=fresh)
    runner.run(["generate"])  # no figures, no report: the quickest stage there is
    return json.loads((output / "provenance.json").read_text())


def test_a_run_records_versions_backend_date_commit_host_and_stage_times(project, tmp_path):
    before = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    record = _run(project / "pipelines" / "tiny.yaml", tmp_path / "run", fresh=True)
    backend = keras.backend.backend()
    assert record["backend"] == backend
    versions = record["versions"]
    assert versions["vaekit"] == vaekit.__version__ and versions["keras"] == keras.__version__
    assert versions["numpy"] == numpy.__version__
    assert versions["scikit-learn"] == sklearn.__version__
    assert versions[backend] == __import__(backend).__version__
    assert versions["python"].count(".") == 2
    date = datetime.datetime.fromisoformat(record["date"])
    assert date.utcoffset() == datetime.timedelta(0) and before <= date
    assert record["git"] == {"commit": _git(project, "rev-parse", "HEAD"), "dirty": False,
                             "work_tree": str(project.resolve())}
    assert record["host"]["cpu_count"] == os.cpu_count() and record["host"]["cpu"]
    assert isinstance(record["host"]["gpus"], list)
    assert set(record["stage_seconds"]) == {"data", "generate"}
    assert all(seconds >= 0 for seconds in record["stage_seconds"].values())
    for name in record["settings"].values():  # the settings are referenced, and there
        assert (tmp_path / "run" / name).is_file()
    assert len(record["invocations"]) == 1
    assert record["invocations"][0]["stage_seconds"] == record["stage_seconds"]


def test_each_resume_adds_an_invocation_and_uncommitted_changes_are_flagged(project,
                                                                           tmp_path):
    pipeline_file, output = project / "pipelines" / "tiny.yaml", tmp_path / "run"
    first = _run(pipeline_file, output, fresh=True)
    (project / "notes.txt").write_text("changed\n")  # a tracked file, not committed
    second = _run(pipeline_file, output, fresh=False)
    assert second["git"]["dirty"] is True and first["git"]["dirty"] is False
    assert len(second["invocations"]) == 2 and second["date"] == first["date"]
    per_run = [inv["stage_seconds"]["generate"] for inv in second["invocations"]]
    assert second["stage_seconds"]["generate"] == pytest.approx(sum(per_run), abs=2e-3)


def test_no_commit_is_recorded_outside_a_work_tree_or_without_git(tmp_path, monkeypatch):
    assert git_state(tmp_path) == {
        "commit": None, "reason": f"{tmp_path} is not in a git work tree with a commit"}
    assert git_state(None)["reason"] == "the pipeline was not read from a file"

    def no_git(*args, **kwargs):
        raise FileNotFoundError("git")

    monkeypatch.setattr(provenance_module.subprocess, "run", no_git)
    assert git_state(tmp_path) == {"commit": None, "reason": "git is not installed"}

    def slow_git(*args, **kwargs):
        raise subprocess.TimeoutExpired("git", provenance_module.GIT_TIMEOUT_S)

    monkeypatch.setattr(provenance_module.subprocess, "run", slow_git)
    assert git_state(tmp_path)["reason"] == "git took over 5 s"


def test_the_gpus_come_from_the_backend_s_device_list(monkeypatch):
    backend = keras.backend.backend()
    monkeypatch.setitem(provenance_module.GPU_LISTERS, backend, lambda: ["NVIDIA Test 80GB"])
    assert host(backend)["gpus"] == ["NVIDIA Test 80GB"]
    unknown = host("numpy")
    assert unknown["gpus"] is None and "numpy" in unknown["gpus_note"]
