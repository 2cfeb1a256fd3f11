"""The `vaekit` command: a whole run end to end, help, and exit status 2 for user mistakes."""

from __future__ import annotations

import csv
import errno
import json
import os
import re
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
    # not a terminal: no bar, one line per stage with its time, then the table
    assert "\r" not in result.stderr and "%|" not in result.stderr
    for line in ("== stage 1/4: pretrain ==", "finetune 2/2 (5 per class, seed 0)",
                 "== stage 4/4: generate =="):
        assert line in result.stderr
    for stage in ("pretrain", "finetune", "evaluate", "generate"):
        assert len(re.findall(rf"^vaekit: {stage}: done in \d+:\d\d", result.stderr,
                              re.MULTILINE)) == 1, stage
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


def test_validate_prints_what_epochs_resolve_to(capsys):
    assert cli.main(["validate", "pipelines/digits.yaml"]) == 0
    out = capsys.readouterr().out
    assert "# schedule for 1,257 training rows:" in out
    assert "# pretrain: 400 steps = 100 epochs (passes) of 4 steps" in out
    assert "# finetune: 1,200 steps = 300 epochs (passes) of 4 steps" in out


def test_validate_of_a_tensorflow_data_kind_says_why_no_schedule(capsys, tmp_path):
    path = write(tmp_path / "p.yaml", "data: {kind: tfds, name: mnist}\n")
    code, out, _ = run_main(capsys, "validate", str(path))
    assert code == 0
    assert "# schedule: resolved when the data loads (data.kind 'tfds' is read through " \
           "TensorFlow, which validate does not import" in out


# ------------------------------------------------------------------ start-up and backend
def imported_backends(*argvs: list[str], env: dict | None = None) -> tuple[list, str]:
    """Run ``main`` on each argv in a fresh interpreter; the backends it imported."""
    code = ("import json, sys\nfrom vaekit.cli import main\n"
            f"for argv in {list(argvs)!r}:\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print(json.dumps([m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=300, cwd=ROOT, env={**os.environ, **(env or {})})
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stdout


def test_help_and_version_import_no_keras_and_no_backend():
    loaded, out = imported_backends(["--help"], ["run", "--help"], ["--version"])
    assert loaded == []
    assert "usage: vaekit" in out and f"vaekit {__import__('vaekit').__version__}" in out


def test_validate_imports_no_keras_and_no_backend():
    loaded, out = imported_backends(["validate", DIGITS])
    assert "# schedule for 1,257 training rows:" in out
    assert loaded == []


def test_backend_option_is_used_and_backend_logs_stay_hidden(tmp_path):
    """--backend tensorflow under KERAS_BACKEND=jax: Keras runs TensorFlow, and TensorFlow's
    start-up lines (absl, CUDA; printed even with TF_CPP_MIN_LOG_LEVEL=2) do not show."""
    assert CONSOLE_SCRIPT.exists(), "the vaekit console script is not installed (pip install -e .)"
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    env.pop("TF_CPP_MIN_LOG_LEVEL", None)
    result = subprocess.run(
        [str(CONSOLE_SCRIPT), "run", DIGITS, "--output", str(tmp_path / "out"),
         "--set", "finetune.labels_per_class=[1000]", "--backend", "tensorflow"],
        capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 2
    assert "tensorflow backend" in result.stderr and "1000 per class" in result.stderr
    foreign = [line for line in result.stderr.splitlines() if not line.startswith("vaekit: ")]
    assert foreign == [], f"lines not from vaekit reached the user: {foreign}"


def test_backend_option_in_a_process_running_another_backend_exits_2(capsys):
    other = "jax" if keras.backend.backend() == "tensorflow" else "tensorflow"
    code, _, err = run_main(capsys, "pretrain", DIGITS, "--backend", other)
    assert code == 2
    assert (f"vaekit: error: --backend {other}: this Python process already runs Keras on the "
            f"{keras.backend.backend()} backend") in err
    assert "Traceback" not in err


def test_native_stderr_is_hidden_and_replayed_when_the_block_fails(capfd):
    with cli._native_stderr_hidden():
        os.write(2, b"I0000 cudart_stub.cc:31] noise\n")
    assert capfd.readouterr().err == ""
    with pytest.raises(RuntimeError), cli._native_stderr_hidden():
        os.write(2, b"F0000 fatal: what went wrong\n")
        raise RuntimeError("import failed")
    assert "F0000 fatal: what went wrong" in capfd.readouterr().err
    with pytest.raises(ValueError), cli._native_stderr_hidden():  # a user mistake: no noise
        os.write(2, b"I0000 cudart_stub.cc:31] noise\n")
        raise ValueError("model.latent_dim: expected a positive integer")
    assert capfd.readouterr().err == ""


# ------------------------------------------------------------------ environment errors
def one_error_line(err: str) -> str:
    """The one line a user mistake or an environment problem prints, checked."""
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("vaekit: error: ")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


@pytest.mark.parametrize("where", ["open", "stage"])
def test_a_full_disk_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, where):
    """ENOSPC raised while the folder is claimed (Runner.open) and while a stage writes."""
    from vaekit.runner import run as run_module

    target = tmp_path / "out" / "models" / "vae.keras"

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(target))

    if where == "open":
        monkeypatch.setattr(run_module.Runner, "open", full)
    else:
        monkeypatch.setattr(run_module, "pretrain_models", full)
    code, _, err = run_main(capsys, "run", DIGITS, "--output", str(tmp_path / "out"), *TINY)
    assert code == 2
    line = one_error_line(err)
    assert os.strerror(errno.ENOSPC) in line and str(target) in line and "--resume" in line

    code, _, err = run_main(capsys, "run", DIGITS, "--output", str(tmp_path / "out2"), *TINY,
                            "--debug")
    assert code == 2 and "Traceback (most recent call last)" in err


def test_an_unwritable_output_folder_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch):
    locked = tmp_path / "read-only"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        (locked / "probe").write_text("")
        ignores_modes = True  # root (or a file system without modes): chmod does not bite
    except PermissionError:
        ignores_modes = False
    if ignores_modes:  # refuse what a non-root user would be refused
        real_mkdir, real_open = os.mkdir, os.open

        def deny(path):
            if Path(path).resolve().is_relative_to(locked.resolve()):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))

        monkeypatch.setattr(os, "mkdir", lambda p, *a, **k: deny(p) or real_mkdir(p, *a, **k))
        monkeypatch.setattr(os, "open", lambda p, *a, **k: deny(p) or real_open(p, *a, **k))
    try:
        code, _, err = run_main(capsys, "run", DIGITS, "--output", str(locked / "run"), *TINY)
    finally:
        locked.chmod(0o700)
    assert code == 2, f"ignores_modes={ignores_modes}"
    line = one_error_line(err)
    assert os.strerror(errno.EACCES) in line and str(locked) in line, line
    assert not (locked / "run" / "models").exists()


def test_oserror_messages_name_the_file_the_reason_and_the_fix():
    assert cli._describe_os_error(OSError(errno.EROFS, "Read-only file system", "/x/a.json")) \
        == "/x/a.json: Read-only file system; the file system is read-only; pick another --output"
    assert cli._describe_os_error(PermissionError(errno.EACCES, "Permission denied")) == \
        "Permission denied; pick a folder you may write to (--output), or change its permissions"
    assert cli._describe_os_error(FileNotFoundError("data.csv: no such file")) == \
        "data.csv: no such file"


def test_an_unexpected_error_is_a_bug_with_its_traceback_and_exit_1(capsys, monkeypatch):
    from vaekit.runner import schema

    def broken(*args, **kwargs):
        raise KeyError("internal")

    monkeypatch.setattr(schema, "load_pipeline", broken)
    code, _, err = run_main(capsys, "validate", DIGITS)
    assert code == 1 and "Traceback (most recent call last)" in err and "KeyError" in err


# ------------------------------------------------------------------ progress
def fit_tiny_model(callbacks: list, rounds: int) -> None:
    """40 rows in batches of 16: three Keras batches a round (the last one partial)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(np.zeros((40, 3), "float32"), np.zeros(40, "float32"), batch_size=16,
              epochs=rounds, verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("verbose", [1, 2])
def test_progress_counts_the_schedule_steps_of_each_fit(tmp_path, verbose):
    """Two pretrained models planned, one trained (the other kept from an earlier run): the
    bar ends full at the steps that ran; a log gets one line per stage with its time."""
    import io

    from vaekit.runner.callbacks import RunProgress, training_callbacks
    from vaekit.runner.layout import RunLayout

    lines, bar = [], io.StringIO()
    progress = RunProgress({"pretrain": (12, 2), "evaluate": (0, 0)}, verbose=verbose,
                           echo=lines.append, file=bar)
    assert progress.total == 24
    with progress:
        with progress.stage("pretrain"):
            callbacks = training_callbacks(RunLayout(tmp_path), False, "pretrain vae", 3, "vae")
            fit_tiny_model(callbacks, rounds=3)  # 3 rounds of 4 schedule steps, 3 batches each
        with progress.stage("evaluate"):
            pass
    assert progress.done == 12 and progress.total == 12
    assert len(lines) == 2
    assert re.fullmatch(r"pretrain: done in 0:\d\d \(12 steps\)", lines[0]), lines
    assert re.fullmatch(r"evaluate: done in 0:\d\d", lines[1]), lines
    drawn = bar.getvalue()
    if verbose == 2:
        assert drawn == ""
    else:
        last = [frame for frame in drawn.split("\r") if frame.strip()][-1]
        assert "100%" in last and "step 12/12" in last, last
        assert re.search(r"\[\d\d:\d\d<\d\d:\d\d", last), last  # elapsed < ETA
        assert "pretrain vae" in drawn


def test_no_progress_callback_outside_a_run_or_when_quiet(tmp_path):
    from vaekit.runner.callbacks import RunProgress, training_callbacks
    from vaekit.runner.layout import RunLayout

    layout = RunLayout(tmp_path)
    assert training_callbacks(layout, False, "x", 1, "x") == []
    with RunProgress({"pretrain": (4, 1)}, verbose=0, echo=print):
        assert training_callbacks(layout, False, "x", 1, "x") == []
    with RunProgress({"pretrain": (4, 1)}, verbose=2, echo=print):
        assert len(training_callbacks(layout, False, "x", 1, "x")) == 1


def test_a_run_on_a_terminal_shows_one_bar_to_the_total_with_an_eta(tmp_path, capsys):
    """The Runner's wiring: its bar, fed by the pretraining fits, ends at the schedule's steps
    (the finetune stage feeds it through the same training_callbacks)."""
    from vaekit.runner import Runner, parse_pipeline

    pipeline = parse_pipeline({
        "data": {"kind": "digits"}, "model": {"latent_dim": 2, "hidden_units": [32]},
        "pretrain": {"epochs": 2, "batch_size": 128},
        "outputs": {"plots": [], "report": False, "tensorboard": False}})
    runner = Runner(pipeline, tmp_path / "run", verbose=1, echo=cli._echo(False))
    runner.open(fresh=True)
    runner.run(["pretrain"])
    total = json.loads(runner.layout.schedule.read_text())["pretrain"]["steps"]
    err = capsys.readouterr().err
    frames = [frame for frame in err.split("\r") if "step " in frame]
    assert any("pretrain vae" in f for f in frames)
    assert all(re.search(r"\[\d\d:\d\d<(\d\d:\d\d|\?)", f) for f in frames)  # elapsed<ETA
    last = frames[-1]
    assert f"step {total}/{total}" in last and "100%" in last, last
    assert re.search(rf"vaekit: pretrain: done in \d+:\d\d \({total} steps\)", err), err
