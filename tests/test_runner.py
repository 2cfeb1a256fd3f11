"""The runner: checks before training, run folders, checkpoints, atomic writes, resume."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

import vaekit
from vaekit.data import DataError, hide_labels, labelled_subset, load_digits
from vaekit.file_formats import write_csv, write_json, write_yaml
from vaekit.files import atomic_path, remove_stale_temporaries, save_keras_model
from vaekit.runner import RunFolderError, Runner, parse_pipeline, run_baselines
from vaekit.runner.checkpoints import EpochCheckpoint, epoch_seed, fit_resumable
from vaekit.runner.context import load_saved_model

ROOT = Path(__file__).resolve().parents[1]
QUIET_OUTPUTS = {"plots": [], "report": False, "tensorboard": False}


def digits_pipeline(**sections) -> dict:
    raw = {"data": {"kind": "digits"},
           "model": {"latent_dim": 4, "hidden_units": [32]},
           "pretrain": {"epochs": 1, "batch_size": 64},
           "outputs": dict(QUIET_OUTPUTS)}
    raw.update(sections)
    return raw


# --------------------------------------------------------------------- before training
def test_more_labels_per_class_than_exist_fails_before_training(tmp_path):
    pipeline = parse_pipeline(digits_pipeline(finetune={"labels_per_class": [5, 500]}))
    runner = Runner(pipeline, tmp_path / "run", verbose=0)
    with pytest.raises(DataError) as info:
        runner.open(fresh=True)
    message = str(info.value)
    assert message.startswith("finetune.labels_per_class[1]: 500 per class needs 500 labelled "
                              "training examples of class ")
    assert "scikit-learn load_digits()" in message and "the most this data allows is" in message
    assert not (tmp_path / "run").exists()  # nothing claimed: fix the file and run again


def test_total_labels_below_the_number_of_classes_fails_before_training(tmp_path):
    pipeline = parse_pipeline(digits_pipeline(finetune={"labels": [5]}))
    with pytest.raises(DataError, match=r"finetune.labels\[0\]: 5 labels cannot cover the 10"):
        Runner(pipeline, tmp_path, verbose=0).open(fresh=True)


def test_bernoulli_loss_on_unscaled_table_fails_before_training(tmp_path):
    table = tmp_path / "t.csv"
    table.write_text("a,b,label\n" + "".join(f"{i},{2 * i},{i % 2}\n" for i in range(40)))
    pipeline = parse_pipeline(digits_pipeline(data={"kind": "table", "path": str(table),
                                                    "label_column": "label"}))
    with pytest.raises(DataError, match=r"model.reconstruction: 'bce' needs data in \[0, 1\]"):
        Runner(pipeline, tmp_path / "run", verbose=0).open(fresh=True)
    scaled = parse_pipeline(digits_pipeline(
        data={"kind": "table", "path": str(table), "label_column": "label", "scale": "minmax"},
        finetune={"labels_per_class": [3], "batch_size": 8}))
    runner = Runner(scaled, tmp_path / "scaled", verbose=0)
    runner.open(fresh=True)
    assert runner.data.x_train.min() >= 0.0 and runner.data.x_train.max() <= 1.0
    assert len(runner.data.x_test) == 12  # 30 % of the 40 labelled rows held out


def test_a_table_without_test_split_holds_out_labelled_rows(tmp_path):
    table = tmp_path / "t.csv"
    labels = ["", "x", "y", "", "x", "y", "x", "y"] * 5
    table.write_text("a,label\n" + "".join(f"{i / 40},{v}\n" for i, v in enumerate(labels)))
    pipeline = parse_pipeline(digits_pipeline(
        data={"kind": "table", "path": str(table), "label_column": "label"},
        finetune={"labels_per_class": [2], "batch_size": 8}, evaluate={"test_size": 0.25}))
    runner = Runner(pipeline, tmp_path / "run", verbose=0)
    runner.open(fresh=True)
    assert len(runner.data.y_test) == 8 and np.all(runner.data.y_test >= 0)
    assert len(runner.data.x_train) == 32 and np.sum(runner.data.y_train == -1) == 10


# --------------------------------------------------------------------- run folders
def test_a_taken_folder_needs_resume_and_the_same_pipeline(tmp_path):
    raw = digits_pipeline()
    Runner(parse_pipeline(raw), tmp_path, verbose=0).open(fresh=True)
    saved = yaml.safe_load((tmp_path / "pipeline.yaml").read_text())
    assert saved == parse_pipeline(raw).to_dict()
    with pytest.raises(RunFolderError, match="already holds a run; pass --resume"):
        Runner(parse_pipeline(raw), tmp_path, verbose=0).open(fresh=True)
    Runner(parse_pipeline(raw), tmp_path, verbose=0).open(fresh=False)
    other = digits_pipeline(model={"latent_dim": 8, "hidden_units": [32]})
    with pytest.raises(RunFolderError, match=r"differs in model.latent_dim \(4 in the folder, "
                                             r"now 8\)"):
        Runner(parse_pipeline(other), tmp_path, verbose=0).open(fresh=False)


def test_later_stages_name_the_missing_earlier_output(tmp_path):
    raw = digits_pipeline(finetune={"labels_per_class": [2]})
    runner = Runner(parse_pipeline(raw), tmp_path, verbose=0)
    runner.open(fresh=True)
    with pytest.raises(RunFolderError, match=r"models/vae.keras: not found; run `vaekit "
                                             r"pretrain`"):
        runner.finetune()
    with pytest.raises(RunFolderError, match=r"2_per_class_seed0.json: not found; run `vaekit "
                                             r"finetune`"):
        runner.evaluate()


# --------------------------------------------------------------------- checkpoints
@pytest.fixture
def tiny_vae_trainer():
    x = load_digits().train.x[:256]

    def make():
        vaekit.training.seeding.seed_everything(0)
        vae = vaekit.build_vae(x.shape[1:], latent_dim=2, hidden_units=(16,), seed=0)

        def train_epoch(epoch):  # as the runner trains the autoencoder
            order = np.random.permutation(len(x))
            return vae.fit(x[order], epochs=epoch + 1, initial_epoch=epoch, batch_size=32,
                           shuffle=False, verbose=0).history
        return vae, train_epoch
    return make


@pytest.mark.backends
def test_resuming_from_a_checkpoint_gives_the_same_weights(tmp_path, tiny_vae_trainer):
    straight, train = tiny_vae_trainer()
    history = fit_resumable(straight, train, 3, EpochCheckpoint(tmp_path / "a.npz"), seed=1)
    first, train = tiny_vae_trainer()
    checkpoint = EpochCheckpoint(tmp_path / "b.npz")
    fit_resumable(first, train, 1, checkpoint, seed=1)
    resumed, train = tiny_vae_trainer()  # a fresh model, as in a new process
    resumed_history = fit_resumable(resumed, train, 3, checkpoint, seed=1)
    assert resumed_history == history and len(history["loss"]) == 3
    for a, b in zip(straight.variables, resumed.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    for a, b in zip(straight.optimizer.variables, resumed.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_a_checkpoint_of_another_model_is_refused(tmp_path, tiny_vae_trainer):
    vae, train = tiny_vae_trainer()
    checkpoint = EpochCheckpoint(tmp_path / "c.npz")
    fit_resumable(vae, train, 1, checkpoint, seed=0)
    other = vaekit.build_vae((8, 8, 1), latent_dim=3, hidden_units=(16,))
    with pytest.raises(ValueError, match="written by a different pipeline"):
        checkpoint.restore(other)


def test_epoch_seeds_differ_by_epoch_and_seed():
    seeds = {epoch_seed(s, e) for s in range(3) for e in range(50)}
    assert len(seeds) == 150 and all(0 <= s < 2**31 for s in seeds)


# --------------------------------------------------------------------- atomic writes
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = write_json(tmp_path / "m.json", {"a": 1})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask  # not mkstemp's private 0600
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_text('{"a": 2, "trunc')
        raise RuntimeError("killed while writing")
    assert json.loads(path.read_text()) == {"a": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]


def test_writers_round_trip_and_stale_temporaries_are_removed(tmp_path):
    write_csv(tmp_path / "t.csv", [{"a": 1, "b": None}, {"a": 2, "c": 0.5}])
    assert (tmp_path / "t.csv").read_text() == "a,b,c\n1,,\n2,,0.5\n"
    write_yaml(tmp_path / "p.yaml", {"x": [1, 2], "y": {"z": None}}, header="made by a test")
    assert yaml.safe_load((tmp_path / "p.yaml").read_text()) == {"x": [1, 2], "y": {"z": None}}
    assert (tmp_path / "p.yaml").read_text().startswith("# made by a test\nx: [1, 2]\n")
    write_json(tmp_path / "n.json", {"v": np.float32(0.5), "w": np.arange(2)})
    assert json.loads((tmp_path / "n.json").read_text()) == {"v": 0.5, "w": [0, 1]}
    stale = tmp_path / "sub" / ".vae.npz.tmp-abc.npz"
    stale.parent.mkdir()
    stale.write_bytes(b"half")
    staging = tmp_path / "tensorboard" / ".pretrain_vae.tmp-staging"
    (staging / "train").mkdir(parents=True)
    (staging / "train" / "events.out.tfevents.1").write_bytes(b"half")
    assert remove_stale_temporaries(tmp_path) == [stale, staging]
    assert not stale.exists() and not staging.exists() and (tmp_path / "t.csv").exists()


def test_keras_models_are_saved_atomically_under_a_keras_name(tmp_path):
    vae = vaekit.build_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    vae.fit(np.full((8, 8, 8, 1), 0.5, "float32"), epochs=1, verbose=0)  # weights and optimizer
    path = save_keras_model(vae, tmp_path / "models" / "vae.keras")
    import keras

    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, vaekit.VAE)
    assert [p.name for p in path.parent.iterdir()] == ["vae.keras"]
    with pytest.raises(ValueError, match="must end in .keras"):
        save_keras_model(vae, tmp_path / "vae.h5")


# --------------------------------------------------------------------- damaged files, full disk
FINETUNED = {"finetune": {"labels_per_class": [2], "seeds": [0], "epochs": 1},
             "evaluate": {"baselines": [], "probe": None}}


@pytest.fixture(scope="module")
def pretrained_folder(tmp_path_factory):
    """A run folder of a tiny pipeline with fine-tuning, pretrained only (copy before use)."""
    folder = tmp_path_factory.mktemp("pretrained") / "run"
    runner = Runner(parse_pipeline(digits_pipeline(**FINETUNED)), folder, verbose=0)
    runner.open(fresh=True)
    runner.run(["pretrain"])
    return folder


def _resume(folder: Path, stages=("pretrain", "finetune", "evaluate", "generate")) -> list:
    said: list[str] = []
    runner = Runner(parse_pipeline(digits_pipeline(**FINETUNED)), folder, verbose=0,
                    echo=said.append)
    runner.open(fresh=False)
    runner.run(stages)
    return said


def test_a_full_disk_mid_run_leaves_no_half_written_file_and_resume_completes(
        tmp_path, monkeypatch):
    import errno

    import vaekit.files

    folder = tmp_path / "run"
    real_fsync = vaekit.files._fsync

    def disk_fills_at_the_model(path):  # every atomic write flushes through here
        if path.name.startswith(".vae.keras"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(path)

    monkeypatch.setattr(vaekit.files, "_fsync", disk_fills_at_the_model)
    runner = Runner(parse_pipeline(digits_pipeline(**FINETUNED)), folder, verbose=0)
    runner.open(fresh=True)
    with pytest.raises(RunFolderError) as info:
        runner.run()  # pretrain trains, then cannot save its model
    message = str(info.value)
    assert message.startswith(f"{folder}: No space left on device") and "\n" not in message
    assert "continue with --resume" in message
    assert not [p for p in folder.rglob("*") if ".tmp-" in p.name]  # no half-written file
    assert not list((folder / "models").glob("*"))
    assert (folder / "checkpoints" / "vae.npz").is_file()  # the last round, whole
    assert not (folder / ".vaekit-run.lock").exists()  # the failed run let the folder go
    with np.load(folder / "checkpoints" / "vae.npz") as saved:
        trained = [saved[f"model_{i}"] for i in range(len(saved.files)) if f"model_{i}" in saved]
    monkeypatch.undo()  # space is back
    said = _resume(folder, ["pretrain"])
    assert any(line.startswith("pretrain vae: resuming from") for line in said)
    vae = load_saved_model(folder / "models" / "vae.keras")
    assert isinstance(vae, vaekit.VAE) and len(vae.variables) == len(trained)
    for variable, value in zip(vae.variables, trained):  # the trained weights, not new ones
        if "seed_generator" not in variable.path:  # a .keras file does not keep seed states
            np.testing.assert_array_equal(np.asarray(variable), value, err_msg=variable.path)
    assert not (folder / "checkpoints").exists()


def test_resume_with_a_truncated_model_names_the_file_and_what_to_do(pretrained_folder,
                                                                       tmp_path):
    folder = tmp_path / "run"
    shutil.copytree(pretrained_folder, folder)
    model = folder / "models" / "vae.keras"
    data = model.read_bytes()
    model.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunFolderError) as info:
        _resume(folder, ["finetune"])
    message = str(info.value)
    assert message.startswith(f"{model}: damaged (not a zip archive")
    assert "delete it and continue with --resume" in message
    assert "another --output" in message and "zip file" not in message.lower().replace(
        "zip archive", "")
    model.unlink()  # as the message says
    said = _resume(folder, ["pretrain"])
    assert "pretrain vae: done already, kept" not in said  # trained again
    assert isinstance(load_saved_model(model), vaekit.VAE)


def test_a_truncated_epoch_checkpoint_names_the_file_and_what_to_do(tmp_path):
    vae = vaekit.build_vae((8, 8, 1), latent_dim=2, hidden_units=(8,))
    vae.optimizer.build(vae.trainable_variables)
    checkpoint = EpochCheckpoint(tmp_path / "vae.npz")
    checkpoint.save(vae, 1, {"loss": [1.0]})
    data = checkpoint.path.read_bytes()
    checkpoint.path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RunFolderError, match=r"vae.npz: damaged checkpoint \(.*\); delete it "
                                             r"and continue with --resume"):
        checkpoint.restore(vae)


def test_means_over_seeds_come_with_the_sample_standard_deviation_and_their_number():
    from vaekit.runner.scoring import _summary

    rows = [{"label_count": "2_per_class", "labels_per_class": 2, "n_labels": 20, "seed": s,
             "accuracy": a, "baselines": {"logistic_regression": b}}
            for s, a, b in [(0, 0.80, 0.6), (1, 0.90, 0.7), (2, 0.85, 0.8)]]
    rows.append({"label_count": "5_per_class", "labels_per_class": 5, "n_labels": 50,
                 "seed": 0, "accuracy": 0.9})
    three, one = _summary(rows)
    assert three["methods"]["accuracy"] == {
        "mean": pytest.approx(0.85), "std": pytest.approx(np.std([0.8, 0.9, 0.85], ddof=1)),
        "n": 3}
    assert three["methods"]["logistic_regression"]["std"] == pytest.approx(0.1)
    assert one["methods"]["accuracy"] == {"mean": 0.9, "std": None, "n": 1}  # no spread


def test_pretraining_in_several_rounds_writes_one_tensorboard_event_file_per_model(tmp_path):
    raw = digits_pipeline(pretrain={"epochs": 20, "batch_size": 256},
                          outputs={**QUIET_OUTPUTS, "tensorboard": True})
    runner = Runner(parse_pipeline(raw), tmp_path, verbose=0)
    runner.open(fresh=True)
    assert json.loads((tmp_path / "schedule.json").read_text())["pretrain"]["rounds"] == 2
    runner.run(["pretrain"])
    events = sorted(p.relative_to(tmp_path / "tensorboard").parent.as_posix()
                    for p in (tmp_path / "tensorboard").rglob("events.out.tfevents.*"))
    assert events == ["pretrain_vae/train"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    log = EventAccumulator(str(tmp_path / "tensorboard" / "pretrain_vae" / "train"))
    log.Reload()
    assert [event.step for event in log.Tensors("epoch_loss")] == [0, 1]  # both rounds
    assert not [p for p in tmp_path.rglob("*") if ".tmp-" in p.name]


def test_schedules_are_described_in_words_that_agree_with_their_numbers():
    from vaekit.config import PretrainConfig

    assert PretrainConfig(epochs=1, batch_size=64).schedule(64).describe() == (
        "1 step = 1 epoch (pass) of 1 step, in 1 round of 1 step")
    assert PretrainConfig(epochs=2, batch_size=64).schedule(128).describe().startswith(
        "4 steps = 2 epochs (passes) of 2 steps, in ")


# --------------------------------------------------------------------- baselines
def test_baselines_score_on_the_same_labelled_rows():
    from sklearn.linear_model import LogisticRegression

    data = load_digits()
    keep = labelled_subset(data.train.y, per_class=5, seed=0)
    y = hide_labels(data.train.y, keep)
    scores = run_baselines(data.train.x, y, data.test.x, data.test.y,
                           names=["logistic_regression", "label_spreading"], seed=0)
    direct = LogisticRegression(max_iter=1000, random_state=0).fit(
        data.train.x[keep].reshape(len(keep), -1), data.train.y[keep])
    assert scores["logistic_regression"] == pytest.approx(
        direct.score(data.test.x.reshape(len(data.test.x), -1), data.test.y))
    assert list(scores) == ["logistic_regression", "label_spreading"]
    assert scores["label_spreading"] > scores["logistic_regression"]  # unlabeled rows help


def test_baselines_reject_unknown_names_and_unlabelled_data():
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="unknown baseline"):
        run_baselines(x, [0, 1, 0, 1], x, [0, 1, 0, 1], names=["svm"])
    with pytest.raises(ValueError, match="no labelled rows"):
        run_baselines(x, [-1] * 4, x, [0, 1, 0, 1])


# --------------------------------------------------------------------- kill and resume
RESUME_SETTINGS = [
    "--set", "pretrain.epochs=6", "--set", "pretrain.batch_size=16",
    "--set", "model.autoencoder=false",
    "--set", "model.hidden_units=[64, 32]", "--set", "finetune.labels_per_class=[3]",
    "--set", "finetune.seeds=[0]", "--set", "finetune.epochs=1",
    "--set", "evaluate.baselines=[logistic_regression]", "--set", "outputs.plots=[samples]",
    "--set", "outputs.tensorboard=false", "--quiet",
]


def vaekit_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "vaekit.cli", *args]


def subprocess_env() -> dict:
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}


def checkpoint_epochs(path: Path) -> int:
    with np.load(path) as saved:
        return json.loads(bytes(saved["meta"]).decode())["epochs_done"]


@pytest.mark.slow
def test_a_run_killed_mid_pretraining_resumes_to_the_same_outputs(tmp_path):
    pipeline = str(ROOT / "pipelines" / "digits.yaml")
    reference, killed = tmp_path / "reference", tmp_path / "killed"
    uninterrupted = subprocess.Popen(
        vaekit_command("run", pipeline, "--output", str(reference), *RESUME_SETTINGS),
        env=subprocess_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    process = subprocess.Popen(vaekit_command("run", pipeline, "--output", str(killed),
                                              *RESUME_SETTINGS),
                               env=subprocess_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    checkpoint = killed / "checkpoints" / "vae.npz"
    deadline = time.monotonic() + 300
    while not checkpoint.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # into the next epoch
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL
    done = checkpoint_epochs(checkpoint)
    assert 1 <= done < 6, f"killed after {done} epochs: not in the middle of pretraining"
    assert not (killed / "metrics.json").exists()
    for path in killed.rglob("*"):  # everything there is whole, or a temporary name
        if path.is_file() and ".tmp-" not in path.name:
            assert path.suffix in (".yaml", ".npz") or path.name in (
                "schedule.json", "provenance.json", ".vaekit-run.lock"), path
    assert json.loads((killed / ".vaekit-run.lock").read_text())["pid"] == process.pid

    result = subprocess.run(vaekit_command("run", pipeline, "--output", str(killed),
                                           *RESUME_SETTINGS, "--resume"),
                            env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    _, errors = uninterrupted.communicate(timeout=600)
    assert uninterrupted.returncode == 0, errors[-3000:]
    assert json.loads((killed / "metrics.json").read_text()) == json.loads(
        (reference / "metrics.json").read_text())
    assert (killed / "histories" / "vae.json").read_text() == (
        reference / "histories" / "vae.json").read_text()
    assert (killed / "metrics.csv").read_text() == (reference / "metrics.csv").read_text()
    assert not list(killed.rglob("*.tmp-*")) and not checkpoint.exists()
