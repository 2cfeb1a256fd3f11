"""The `vaekit` command: a whole run end to end, help, and exit status 2 for user mistakes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from vaekit import cli

ROOT = Path(__file__).resolve().parents[1]
DIGITS = str(ROOT / "pipelines" / "digits.yaml")
CONSOLE_SCRIPT = Path(sys.executable).parent / "vaekit"
TINY = [
    "--set", "pretrain.epochs=2", "--set", "pretrain.batch_size=16",
    "--set", "model.hidden_units=[32]", "--set", "model.latent_dim=4",
    "--set", "finetune.labels_per_class=[2, 5]", "--set", "finetune.seeds=[0]",
    "--set", "finetune.epochs=25",
    "--set", "evaluate.baselines=[logistic_regression, label_spreading]",
]
FIGURES = ["latent_space", "reconstructions", "samples", "interpolation", "learning_curves",
           "accuracy_vs_labels"]


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


@pytest.mark.slow
def test_run_digits_end_to_end_writes_every_output(tmp_path):
    assert CONSOLE_SCRIPT.exists(), "the vaekit console script is not installed (pip install -e .)"
    output = tmp_path / "run"
    result = subprocess.run([str(CONSOLE_SCRIPT), "run", DIGITS, "--output", str(output), *TINY],
                            capture_output=True, text=True, timeout=600,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    # progress for each stage and round (78 steps a pass: a round a pass), then the table
    for line in ("== stage 1/4: pretrain ==", "pretrain vae: round 2/2",
                 "pretrain autoencoder: round 1/2", "finetune 2/2 (5 per class, seed 0)",
                 "== stage 4/4: generate =="):
        assert line in result.stdout + result.stderr
    table = result.stdout[result.stdout.index("Test accuracy (%) of digits"):].splitlines()
    assert table[1].split() == ["labels", "seeds", "vaekit", "VAE+probe", "AE+probe", "logreg",
                                "label", "spreading"]
    assert [row.split()[0] for row in table[3:5]] == ["20", "50"]

    assert (output / "pipeline.yaml").read_text().count("labels_per_class: [2, 5]") == 1
    for model in ("vae", "autoencoder", "classifier_2_per_class_seed0",
                  "classifier_5_per_class_seed0"):
        assert (output / "models" / f"{model}.keras").stat().st_size > 0
    metrics = json.loads((output / "metrics.json").read_text())
    assert [(r["n_labels"], r["seed"]) for r in metrics["experiments"]] == [(20, 0), (50, 0)]
    row = metrics["experiments"][1]
    confusion = np.asarray(row["confusion_matrix"])
    assert row["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert row["accuracy"] > 0.2 and set(row["baselines"]) == {
        "logistic_regression", "label_spreading"}
    assert {"vae_probe", "autoencoder_probe", "macro_f1", "confusion_matrix"} <= set(row)
    assert metrics["pretrain"]["vae"]["epochs"] == 2
    with open(output / "metrics.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["label_count"], r["seed"]) for r in rows] == [("2_per_class", "0"),
                                                             ("5_per_class", "0")]
    assert float(rows[0]["accuracy"]) == pytest.approx(metrics["experiments"][0]["accuracy"])
    assert list(rows[0])[-2:] == ["logistic_regression", "label_spreading"]
    for name in FIGURES:
        assert (output / "plots" / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    report = (output / "report.html").read_text()
    assert report.count("src='data:image/png;base64,") == len(FIGURES)
    for log in ("pretrain_vae", "pretrain_autoencoder", "finetune_5_per_class_seed0"):
        assert list((output / "tensorboard" / log).rglob("events.out.tfevents.*")), log
    assert set(json.loads((output / "timings.json").read_text())) >= {
        "pretrain", "finetune", "evaluate", "generate"}
    assert not list(output.rglob("*.tmp-*")) and not list(output.glob("checkpoints/*"))
    assert not list(output.rglob(".*"))  # no temporary file or staging folder is left


def test_help_lists_the_commands_and_options(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    for command in ("run", "pretrain", "finetune", "evaluate", "generate", "validate"):
        assert f"    {command}" in text
    assert "exit status: 0 done, 1 failed, 2 invalid" in text
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    text = capsys.readouterr().out
    for option in ("--set KEY=VALUE", "--output DIR", "--resume", "--backend {tensorflow,jax}",
                   "--quiet", "--debug"):
        assert option in text


def test_validate_prints_the_resolved_pipeline(capsys):
    code, out, _ = run_main(capsys, "validate", DIGITS, "--set", "finetune.epochs=3")
    assert code == 0
    assert "finetune:\n  labels_per_class: [2, 5, 10]\n" in out
    assert "\n  epochs: 3\n" in out and "  ema_momentum: null\n" in out


def test_missing_pipeline_file_exits_2_without_traceback(capsys, tmp_path):
    code, _, err = run_main(capsys, "run", str(tmp_path / "nope.yaml"))
    assert code == 2
    assert f"vaekit: error: {tmp_path / 'nope.yaml'}: no such pipeline file" in err
    assert "Traceback" not in err


def test_invalid_pipeline_exits_2_listing_each_problem(capsys, tmp_path):
    path = write(tmp_path / "p.yaml", "data: {kind: digits}\n"
                                      "finetune: {labels: [100, 600, ten], epoch: 3}\n")
    code, _, err = run_main(capsys, "run", str(path), "--output", str(tmp_path / "out"))
    assert code == 2
    assert 'finetune.labels[2]: expected a positive integer, got "ten"' in err
    assert 'finetune.epoch: unknown key; did you mean "epochs"?' in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_missing_data_folder_exits_2_naming_it(capsys, tmp_path):
    path = write(tmp_path / "p.yaml", "data: {kind: idx, directory: mnist}\n")
    code, _, err = run_main(capsys, "run", str(path), "--output", str(tmp_path / "out"))
    assert code == 2
    assert f"data.directory: no such file or folder: {tmp_path / 'mnist'}" in err


def test_corrupt_idx_file_exits_2_naming_the_file(capsys, tmp_path):
    folder = tmp_path / "mnist"
    folder.mkdir()
    for name in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                 "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        (folder / name).write_bytes(b"\x00\x00\x08\x03not an image file")
    path = write(tmp_path / "p.yaml", "data: {kind: idx, directory: mnist}\n")
    code, _, err = run_main(capsys, "run", str(path), "--output", str(tmp_path / "out"))
    assert code == 2
    assert "train-images-idx3-ubyte" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_corrupt_image_file_exits_2_naming_the_file(capsys, tmp_path):
    from PIL import Image

    for label in ("cats", "dogs"):
        (tmp_path / "images" / label).mkdir(parents=True)
        Image.new("L", (8, 8), color=128).save(tmp_path / "images" / label / "fine.png")
    (tmp_path / "images" / "cats" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot a png")
    path = write(tmp_path / "p.yaml", "data: {kind: image_folder, path: images}\n")
    code, _, err = run_main(capsys, "run", str(path), "--output", str(tmp_path / "out"))
    assert code == 2
    assert "broken.png" in err and "Traceback" not in err


@pytest.mark.parametrize("table, expected", [
    ("a,b,label\n", "empty table"),
    ("a,label\n" + "".join(f"{i},{i * 0.37:.3f}\n" for i in range(80)), "continuous"),
])
def test_bad_tables_exit_2_naming_the_file(capsys, tmp_path, table, expected):
    write(tmp_path / "t.csv", table)
    path = write(tmp_path / "p.yaml", "data: {kind: table, path: t.csv, label_column: label}\n"
                                      "finetune: {labels_per_class: [2]}\n")
    code, _, err = run_main(capsys, "run", str(path), "--output", str(tmp_path / "out"))
    assert code == 2
    assert str(tmp_path / "t.csv") in err and expected in err


def test_more_labels_per_class_than_exist_exits_2(capsys, tmp_path):
    code, _, err = run_main(capsys, "run", DIGITS, "--output", str(tmp_path / "out"),
                            "--set", "finetune.labels_per_class=[10, 1000]")
    assert code == 2
    assert "finetune.labels_per_class[1]: 1000 per class needs 1000 labelled training " \
           "examples of class" in err
    assert not (tmp_path / "out").exists()


def test_debug_shows_the_traceback_of_a_user_error(capsys, tmp_path):
    code, _, err = run_main(capsys, "run", DIGITS, "--output", str(tmp_path / "out"),
                            "--set", "finetune.labels_per_class=[1000]", "--debug")
    assert code == 2
    assert "Traceback (most recent call last)" in err and "DataError" in err


def test_run_refuses_a_taken_folder_without_resume(capsys, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "pipeline.yaml").write_text("name: other\n")
    code, _, err = run_main(capsys, "run", DIGITS, "--output", str(tmp_path / "out"))
    assert code == 2
    assert "already holds a run; pass --resume to continue it" in err


def test_a_later_stage_without_the_earlier_one_exits_2(capsys, tmp_path):
    code, _, err = run_main(capsys, "finetune", DIGITS, "--output", str(tmp_path / "out"))
    assert code == 2
    assert "models/vae.keras: not found; run `vaekit pretrain`" in err


def test_the_console_script_switches_backend_and_exits_2_on_a_user_error(tmp_path):
    assert CONSOLE_SCRIPT.exists(), "the vaekit console script is not installed (pip install -e .)"
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    env = {k: v for k, v in os.environ.items() if k != cli._REEXEC_FLAG}
    env.update(KERAS_BACKEND=keras.backend.backend(), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([str(CONSOLE_SCRIPT), "run", str(tmp_path / "absent.yaml"),
                             "--backend", other], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 2
    assert f"{other} backend" in result.stderr
    assert "no such pipeline file" in result.stderr and "Traceback" not in result.stderr


def test_backend_option_reruns_the_command_under_the_other_backend(monkeypatch, capsys):
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    calls = []

    class Replaced(BaseException):  # like the real execv, nothing after it runs
        pass

    def fake_execv(executable, argv):
        calls.append((executable, argv, os.environ.get("KERAS_BACKEND")))
        raise Replaced

    monkeypatch.setattr(os, "execv", fake_execv)
    monkeypatch.setenv(cli._REEXEC_FLAG, "")  # restored (removed) after the test
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    with pytest.raises(Replaced):
        cli.main(["pretrain", DIGITS, "--backend", other])
    assert calls == [(sys.executable, [sys.executable, "-m", "vaekit.cli", "pretrain", DIGITS,
                                       "--backend", other], other)]
    monkeypatch.setenv("KERAS_BACKEND", keras.backend.backend())
    monkeypatch.setenv(cli._REEXEC_FLAG, "")
    calls.clear()
    code, _, _ = run_main(capsys, "pretrain", str(Path("/nonexistent.yaml")), "--backend",
                          keras.backend.backend())
    assert code == 2 and calls == []  # same backend: no re-run


def test_validate_prints_what_epochs_resolve_to(capsys):
    assert cli.main(["validate", "pipelines/digits.yaml"]) == 0
    out = capsys.readouterr().out
    assert "# schedule for 1,257 training rows:" in out
    assert "# pretrain: 400 steps = 100 epochs (passes) of 4 steps" in out
    assert "# finetune: 1,200 steps = 300 epochs (passes) of 4 steps" in out
