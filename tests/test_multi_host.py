"""Several machines: two worker processes on 127.0.0.1, the way two hosts would run.

The documented path is the JAX backend (``distribution="multi_worker"``: Keras'
``DataParallel`` across processes joined by :func:`jax.distributed.initialize`,
CPU collectives over gloo). TensorFlow's ``MultiWorkerMirroredStrategy`` is
refused at start-up; :func:`test_tensorflow_multi_worker_strategy_still_fails`
shows why, and fails the day the pinned versions fix it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import keras
import pytest

from vaekit.distribution import cluster_from_environment, get_distribution

#: Seconds a worker may take from start to finish before the test gives up.
WORKER_DEADLINE = 240

WORKER = '''
import faulthandler, json, os, signal, sys
faulthandler.dump_traceback_later(float(os.environ["WORKER_DEADLINE"]), exit=True)
import keras
import numpy as np
import vaekit
from vaekit.config import PretrainConfig
from vaekit.distribution import ChiefBackupAndRestore, get_distribution
from vaekit.files import save_keras_model

out = sys.argv[1]
kill_after = int(os.environ.get("KILL_AFTER_ROUND", "-1"))
plan = get_distribution("multi_worker")


class Record(keras.callbacks.Callback):
    """Rounds this process trained; kills the process after ``kill_after``."""

    rounds = []

    def on_epoch_end(self, epoch, logs=None):
        self.rounds.append(epoch)
        if epoch == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)


x = np.random.default_rng(0).random((800, 16)).astype("float32")
# 800 rows in batches of 16: 50 steps a pass, one pass a round, 3 rounds.
config = PretrainConfig(latent_dim=2, architecture_options={"hidden_units": (32,)},
                        epochs=3, batch_size=16, learning_rate=1e-2)
vae, history = vaekit.pretrain_vae(
    x, config, seed=0, distribution=plan,
    callbacks=[ChiefBackupAndRestore(os.path.join(out, "backup"), plan), Record()])
if plan.is_chief:
    save_keras_model(vae, os.path.join(out, "vae.keras"))
print("RESULT " + json.dumps({
    "process": plan.process_id, "processes": plan.num_processes,
    "replicas": plan.num_replicas, "rounds": Record.rounds, "loss": history["loss"],
    "weights": [float(np.abs(w).sum()) for w in vae.get_weights()],
}), flush=True)
'''


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _cluster_env(process_id: int, ports: list[int], **extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env.update({
        "KERAS_BACKEND": "jax",
        "KERAS_DISTRIBUTION_JOB_ADDRESSES": ",".join(f"127.0.0.1:{p}" for p in ports),
        "KERAS_DISTRIBUTION_NUM_PROCESSES": str(len(ports)),
        "KERAS_DISTRIBUTION_PROCESS_ID": str(process_id),
        "VAEKIT_DISTRIBUTION_TIMEOUT": "120",
        "WORKER_DEADLINE": str(WORKER_DEADLINE),
        "XLA_FLAGS": "",
        **extra,
    })
    return env


def _start_job(tmp_path: Path, envs: list[dict]) -> list[subprocess.Popen]:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    return [subprocess.Popen([sys.executable, "-u", str(script), str(tmp_path)], env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for env in envs]


def _finish(processes: list[subprocess.Popen]) -> list[tuple[int, str, str]]:
    """Wait for every process (killing all on the deadline); (returncode, out, err) each."""
    deadline = time.monotonic() + WORKER_DEADLINE + 30
    results = []
    for process in processes:
        try:
            out, err = process.communicate(timeout=max(1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            for other in processes:
                other.kill()
            pytest.fail(f"a worker did not finish within {WORKER_DEADLINE + 30} s")
        results.append((process.returncode, out, err))
    return results


def _result(returncode: int, out: str, err: str) -> dict:
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert returncode == 0 and lines, err[-4000:]
    return json.loads(lines[-1][len("RESULT "):])


# ----------------------------------------------------------------------------- the JAX path


@pytest.mark.slow
def test_two_workers_train_one_vae_to_completion(tmp_path):
    ports = _free_ports(2)
    results = [_result(*r) for r in _finish(_start_job(
        tmp_path, [_cluster_env(i, ports) for i in range(2)]))]
    chief, worker = results
    assert (chief["process"], worker["process"]) == (0, 1)
    assert chief["processes"] == 2 and chief["replicas"] == 2
    assert chief["rounds"] == worker["rounds"] == [0, 1, 2]
    # One model: every step's gradient was averaged over both processes.
    assert chief["weights"] == worker["weights"]
    assert chief["loss"] == worker["loss"]
    assert chief["loss"][-1] < chief["loss"][0]
    # The chief wrote the model; the backups are gone once training finished.
    assert (tmp_path / "vae.keras").is_file()
    assert not (tmp_path / "backup").exists()


@pytest.mark.slow
def test_a_killed_worker_is_recovered_by_restarting_from_the_last_backup(tmp_path):
    ports = _free_ports(2)
    # The chief finds the lost peer through JAX's heartbeats, which vaekit bounds
    # by the distribution time-out: 20 s here (JAX's own default is 100 s).
    quick = {"VAEKIT_DISTRIBUTION_TIMEOUT": "20"}
    envs = [_cluster_env(0, ports, **quick), _cluster_env(1, ports, KILL_AFTER_ROUND="0", **quick)]
    began = time.monotonic()
    (chief_rc, _, chief_err), (worker_rc, _, _) = _finish(_start_job(tmp_path, envs))
    assert worker_rc == -9  # SIGKILL after its first round
    # The chief notices the lost peer by itself (its next collective fails): no hang.
    assert chief_rc != 0 and "Traceback" in chief_err
    assert time.monotonic() - began < WORKER_DEADLINE
    backup = json.loads((tmp_path / "backup" / "training_metadata.json").read_text())
    assert backup["epoch"] == 1
    assert not (tmp_path / "vae.keras").exists()

    ports = _free_ports(2)  # the job is restarted, as a scheduler would
    results = [_result(*r) for r in _finish(_start_job(
        tmp_path, [_cluster_env(i, ports) for i in range(2)]))]
    for result in results:
        assert result["rounds"] == [1, 2]  # resumed after the backed-up round
    assert results[0]["weights"] == results[1]["weights"]
    assert (tmp_path / "vae.keras").is_file()
    import vaekit

    assert vaekit.load_model(tmp_path / "vae.keras").latent_dim == 2


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize("text, message", [
    ("{not json", "TF_CONFIG is not valid JSON"),
    ('{"cluster": {"ps": ["a:1"]}, "task": {"type": "ps", "index": 0}}',
     "'worker' \\(or 'chief'\\) list"),
    ('{"cluster": {"worker": ["a:1", "b:2"]}, "task": {"type": "worker", "index": 2}}',
     "names no process"),
    ('{"cluster": {"worker": ["a:1", "b"]}, "task": {"type": "worker", "index": 0}}',
     "'b' is not a host:port"),
])
def test_a_tf_config_that_does_not_parse_is_refused(text, message):
    with pytest.raises(ValueError, match=message):
        cluster_from_environment({"TF_CONFIG": text})


def test_tf_config_and_keras_variables_give_the_same_cluster():
    tf_config = json.dumps({"cluster": {"chief": ["h0:1"], "worker": ["h1:2", "h2:3"]},
                            "task": {"type": "worker", "index": 1}})
    assert cluster_from_environment({"TF_CONFIG": tf_config})[:3] == (
        ["h0:1", "h1:2", "h2:3"], 3, 2)
    keras_vars = {"KERAS_DISTRIBUTION_JOB_ADDRESSES": "h0:1,h1:2,h2:3",
                  "KERAS_DISTRIBUTION_NUM_PROCESSES": "3",
                  "KERAS_DISTRIBUTION_PROCESS_ID": "2"}
    assert cluster_from_environment(keras_vars)[:3] == (["h0:1", "h1:2", "h2:3"], 3, 2)


@pytest.mark.parametrize("variables, message", [
    ({}, "needs the cluster"),
    ({"KERAS_DISTRIBUTION_JOB_ADDRESSES": "h0:1,h1:2"}, "PROCESS_ID not set"),
    ({"KERAS_DISTRIBUTION_JOB_ADDRESSES": "h0:1,h1:2", "KERAS_DISTRIBUTION_NUM_PROCESSES": "3",
      "KERAS_DISTRIBUTION_PROCESS_ID": "0"}, "names 2 processes"),
    ({"KERAS_DISTRIBUTION_JOB_ADDRESSES": "h0:1", "KERAS_DISTRIBUTION_NUM_PROCESSES": "2",
      "KERAS_DISTRIBUTION_PROCESS_ID": "2"}, "must be below"),
])
def test_keras_cluster_variables_are_checked(variables, message):
    with pytest.raises(ValueError, match=message):
        cluster_from_environment(variables)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's refusal")
def test_multi_worker_on_tensorflow_is_refused_at_start_up_pointing_at_jax():
    with pytest.raises(ValueError, match="JAX backend only.*keras#20585.*KERAS_BACKEND=jax"):
        get_distribution("multi_worker")


def test_an_unreachable_coordinator_or_worker_times_out_with_the_address(tmp_path):
    """A worker whose coordinator never answers, and a coordinator whose worker never
    comes, each stop within the configured time-out, naming the address."""
    ports = _free_ports(4)
    code = ("from vaekit.distribution import get_distribution\n"
            "get_distribution('multi_worker')\n")
    # Two jobs of two processes, each started with one process only: a worker whose
    # coordinator is not there, and a coordinator whose worker never comes.
    processes = [subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=_cluster_env(i, job, VAEKIT_DISTRIBUTION_TIMEOUT="3"))
        for i, job in ((1, ports[:2]), (0, ports[2:]))]
    (worker_rc, _, worker_err), (chief_rc, _, chief_err) = _finish(processes)
    assert worker_rc != 0 and "TimeoutError" in worker_err
    assert f"coordinator 127.0.0.1:{ports[0]}" in worker_err and "within 3 s" in worker_err
    # The coordinator's JAX client ends the process itself when the time-out passes
    # (no Python exception to catch); vaekit's start-up line names what it waited for.
    assert chief_rc != 0 and "DEADLINE_EXCEEDED" in chief_err
    assert (f"process 0 of 2 joining the cluster at 127.0.0.1:{ports[2]}" in chief_err
            and "at most 3 s" in chief_err)


# ----------------------------------------------------------------------------- the TF path

MWMS_WORKER = '''
import json, os, sys
import tensorflow as tf
strategy = tf.distribute.MultiWorkerMirroredStrategy()
import numpy as np, vaekit
x = np.random.default_rng(0).random((64, 4)).astype("float32")
with strategy.scope():
    vae = vaekit.build_vae((4,), 2, hidden_units=(8,))
try:
    vae.fit(x, epochs=1, batch_size=16, verbose=0)
    print("RESULT trained")
except Exception as err:
    print("RESULT failed " + type(err).__name__ + ": " + str(err).splitlines()[0])
'''


@pytest.mark.slow
def test_tensorflow_multi_worker_strategy_still_fails():
    """Keras 3.15 / TF 2.21: MWMS builds, then fit fails in its first step
    (keras-team/keras#20585). If this test fails, the engine works now: lift the
    refusal in vaekit.distribution.get_distribution."""
    ports = _free_ports(2)
    envs = []
    for index in range(2):
        env = {k: v for k, v in os.environ.items() if not k.startswith("KERAS_DISTRIB")}
        env.update(KERAS_BACKEND="tensorflow", TF_CONFIG=json.dumps({
            "cluster": {"worker": [f"127.0.0.1:{p}" for p in ports]},
            "task": {"type": "worker", "index": index}}))
        envs.append(env)
    processes = [subprocess.Popen([sys.executable, "-c", MWMS_WORKER], env=env, text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                 for env in envs]
    for _returncode, out, err in _finish(processes):
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        assert lines, err[-3000:]
        assert lines[-1].startswith("RESULT failed ValueError"), lines[-1]
        assert "Invalid reduction dimension" in lines[-1]


# ----------------------------------------------------------------------------- pipeline files

PIPELINE = """\
name: two_machines
data: {kind: digits}
model: {latent_dim: 2, hidden_units: [16]}
pretrain: {epochs: 1, batch_size: 64}
training: {distribution: multi_worker}
outputs: {plots: [], report: false, tensorboard: false}
"""


@pytest.mark.slow
def test_one_pipeline_file_on_two_workers_writes_one_run_folder(tmp_path):
    """Both processes run the same ``vaekit run``; each is given its own --output, as on
    two machines with their own disks: the chief's is written, the other's never made."""
    (tmp_path / "pipeline.yaml").write_text(PIPELINE)
    ports = _free_ports(2)
    private = [tmp_path / f"tmp{i}" for i in range(2)]
    for folder in private:
        folder.mkdir()
    processes = [subprocess.Popen(
        [sys.executable, "-m", "vaekit.cli", "run", str(tmp_path / "pipeline.yaml"),
         "--output", str(tmp_path / f"run{i}")],
        env=_cluster_env(i, ports, TMPDIR=str(private[i])), text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE) for i in range(2)]
    results = _finish(processes)
    for returncode, _out, err in results:
        assert returncode == 0, err[-4000:]
    chief = tmp_path / "run0"
    assert (chief / "models" / "vae.keras").is_file()
    assert json.loads((chief / "histories" / "vae.json").read_text())["loss"]
    assert (chief / "metrics.json").is_file() and not (chief / ".vaekit-run.lock").exists()
    assert not (tmp_path / "run1").exists()  # process 1 wrote nothing there ...
    assert list(private[1].iterdir()) == []  # ... and removed its private folder
