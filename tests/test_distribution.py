"""Several devices on one machine: vaekit.distribution and the ``distribution`` option.

The engines need their devices before the backend starts (two logical CPUs for
TensorFlow, ``XLA_FLAGS=--xla_force_host_platform_device_count=2`` for JAX), so
each two-device run is a fresh Python process that prints its findings as one
JSON line; the assertions are made here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from vaekit.distribution import (
    DISTRIBUTIONS,
    ONE_DEVICE,
    ChiefBackupAndRestore,
    Distribution,
    get_distribution,
)

#: Largest weight difference between a two-replica run and a one-device run of a
#: deterministic model (the autoencoder): float32 sums in another order.
DETERMINISTIC_ATOL = 1e-5
#: The VAE on TensorFlow: MirroredStrategy runs the sampling layer once per replica
#: with the same (mirrored) seed state, so both halves of a global batch get the same
#: noise where one device draws new noise for every row; the runs differ by noise,
#: not by the update rule. The two-replica run must stay this many times closer to the
#: one-device run than a one-device run with another seed is.
NOISE_RATIO = 4.0

# ----------------------------------------------------------------------------- fast checks


def test_unknown_distribution_names_the_choices():
    with pytest.raises(ValueError, match="distribution must be one of .*'mirrored'") as err:
        get_distribution("mirored")
    assert "'mirored'" in str(err.value)


def test_none_is_one_device():
    assert get_distribution(None) is ONE_DEVICE
    assert get_distribution("none").num_replicas == 1
    assert set(DISTRIBUTIONS) == {"none", "mirrored", "data_parallel", "multi_worker"}


def test_global_batch_that_does_not_split_is_refused_with_both_numbers():
    plan = Distribution("mirrored", num_replicas=4, engine=object())
    assert plan.check_batch_size(64) == 16
    with pytest.raises(ValueError, match=r"batch_size=30 .* 4 replicas .* e\.g\. 28 or 32"):
        plan.check_batch_size(30)


def test_local_rows_give_each_process_an_equal_share():
    x = np.arange(11)[:, None].astype("float32")
    first = Distribution("multi_worker", 2, num_processes=2, process_id=0, engine=object())
    second = Distribution("multi_worker", 2, num_processes=2, process_id=1, engine=object())
    a, b = first.local_rows(x), second.local_rows(x)
    assert len(a) == len(b) == 5
    assert set(a.ravel()).isdisjoint(b.ravel())
    assert first.local_batch_size(64) == 32
    with pytest.raises(ValueError, match="in-memory rows"):
        second.local_rows(iter([x]))


def test_estimators_refuse_an_unknown_distribution():
    from sklearn.utils._param_validation import InvalidParameterError

    from vaekit.estimators import VAEClassifier, VAETransformer

    X = np.random.default_rng(0).random((20, 4))
    for estimator, args in ((VAETransformer(distribution="gpus"), (X,)),
                            (VAEClassifier(distribution="gpus"), (X, np.arange(20) % 2))):
        with pytest.raises(InvalidParameterError, match="distribution"):
            estimator.fit(*args)


def test_pretrain_refuses_a_batch_that_does_not_split(tiny_options):
    import vaekit
    from vaekit.config import PretrainConfig

    plan = Distribution("mirrored", num_replicas=2, engine=object())
    with pytest.raises(ValueError, match=r"config\.batch_size=63 .* 2 replicas"):
        vaekit.pretrain_vae(np.zeros((8, 4), "float32"), PretrainConfig(batch_size=63),
                            distribution=plan)


def test_only_the_chief_writes_backups_and_every_process_restores(tmp_path):
    import vaekit

    vae = vaekit.build_vae((4,), 2, hidden_units=(8,))
    for process_id in (1, 0):
        plan = Distribution("multi_worker", 2, num_processes=2, process_id=process_id)
        backup = ChiefBackupAndRestore(tmp_path, plan)
        backup.set_model(vae)
        backup.on_train_begin()  # builds the model, finds nothing to restore yet
        backup.on_epoch_end(0)
        written = sorted(p.name for p in tmp_path.iterdir())
        assert written == ([] if process_id else
                           ["latest.weights.h5", "training_metadata.json"])
    vae._initial_epoch = None
    backup = ChiefBackupAndRestore(tmp_path, Distribution("multi_worker", 2, 2, 1))
    backup.set_model(vae)
    backup.on_train_begin()  # a worker restores the chief's backup
    assert vae._initial_epoch == 1
    backup.on_train_end()
    assert tmp_path.is_dir()  # only the chief deletes the backups


# ----------------------------------------------------------------------------- two devices


def _run(parts: list[str], env: dict) -> dict:
    """Run the script made of ``parts`` in a fresh interpreter; return its ``RESULT`` line."""
    full_env = {**os.environ, **env}
    script = "\n".join(textwrap.dedent(part) for part in parts)
    done = subprocess.run([sys.executable, "-c", script], env=full_env,
                          capture_output=True, text=True, timeout=300)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    return json.loads(lines[-1][len("RESULT "):])


_COMMON = """
    import json
    import numpy as np
    import vaekit
    from vaekit.config import FinetuneConfig, PretrainConfig
    from vaekit.distribution import ONE_DEVICE, get_distribution
    from vaekit.training.seeding import seed_everything

    x = np.random.default_rng(0).random((256, 16)).astype("float32")
    config = PretrainConfig(latent_dim=2, architecture_options={"hidden_units": (32,)},
                            epochs=2, batch_size=64, learning_rate=1e-2)
    plan = get_distribution("mirrored")
    out = {"replicas": plan.num_replicas}

    def max_diff(a, b):
        return max(float(np.abs(p - q).max()) for p, q in zip(a, b))

    def autoencoder(plan):
        seed_everything(0)
        with plan.scope():
            model = vaekit.build_autoencoder((16,), 2, hidden_units=(32,), learning_rate=1e-2)
            model.fit(x, epochs=2, batch_size=64, shuffle=False, verbose=0)
        return model.get_weights()

    out["autoencoder_diff"] = max_diff(autoencoder(plan), autoencoder(ONE_DEVICE))
    vae2, _ = vaekit.pretrain_vae(x, config, seed=0, distribution="mirrored")
    vae1, _ = vaekit.pretrain_vae(x, config, seed=0)
    other_seed, _ = vaekit.pretrain_vae(x, config, seed=1)
    out["vae_diff"] = max_diff(vae1.get_weights(), vae2.get_weights())
    out["seed_diff"] = max_diff(vae1.get_weights(), other_seed.get_weights())
"""


@pytest.mark.slow
def test_mirrored_strategy_on_two_cpus_matches_one_device():
    """TensorFlow: MirroredStrategy over two logical CPUs, both replicas at work."""
    result = _run(["""
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    """, _COMMON, """
    # Rows each replica computed in the last round (a metric's per-replica counter).
    count = vae2.reconstruction_tracker.count.value
    out["rows_per_replica"] = [float(v.numpy()) for v in count.values]
    out["weight_devices"] = sorted(v.device for v in vae2.encoder.weights[0].value.values)
    y = np.where(np.arange(256) % 8 == 0, (np.arange(256) // 8) % 4, -1)
    clf, history = vaekit.finetune(
        vae2, x, y, FinetuneConfig(epochs=1, batch_size=64, labelled_batch_size=16),
        distribution="mirrored")
    out["finetune_loss"] = history["loss"]
    from vaekit.estimators import VAETransformer
    est = VAETransformer(latent_dim=2, hidden_units=(16,), epochs=1, batch_size=32,
                         random_state=0, distribution="mirrored").fit(x)
    out["transform_shape"] = list(est.transform(x[:5]).shape)
    print("RESULT " + json.dumps(out))
    """], {"KERAS_BACKEND": "tensorflow"})
    assert result["replicas"] == 2
    # 256 rows a pass, 2 passes a round: each replica computed half of the 512.
    assert result["rows_per_replica"] == [256.0, 256.0]
    assert [d.rsplit(":", 2)[-2:] for d in result["weight_devices"]] == [
        ["CPU", "0"], ["CPU", "1"]]
    assert result["autoencoder_diff"] < DETERMINISTIC_ATOL
    assert result["vae_diff"] * NOISE_RATIO < result["seed_diff"]
    assert np.isfinite(result["finetune_loss"]).all()
    assert result["transform_shape"] == [5, 2]


@pytest.mark.slow
def test_data_parallel_on_two_jax_host_devices_matches_one_device():
    """JAX: DataParallel over two host devices; one program over the global batch."""
    result = _run([_COMMON, """
    import jax
    # Each device holds half of a global batch and computes its half of the codes.
    batch = jax.device_put(x[:64], plan.engine.get_data_layout((64, 16)).backend_layout)
    with plan.scope():
        z_mean, _ = vae2.encoder(batch)
    out["rows_per_device"] = [s.data.shape[0] for s in z_mean.addressable_shards]
    out["devices"] = len(z_mean.sharding.device_set)
    print("RESULT " + json.dumps(out))
    """], {"KERAS_BACKEND": "jax",
          "XLA_FLAGS": "--xla_force_host_platform_device_count=2"})
    assert result["replicas"] == 2
    assert result["devices"] == 2 and result["rows_per_device"] == [32, 32]
    assert result["autoencoder_diff"] < DETERMINISTIC_ATOL
    # One SPMD program draws the same noise as one device: the VAE matches too.
    assert result["vae_diff"] < DETERMINISTIC_ATOL < result["seed_diff"]


# ----------------------------------------------------------------------------- pipeline files


def test_a_pipeline_file_chooses_the_distribution_by_name():
    from vaekit.runner import PipelineError, parse_pipeline

    base = {"data": {"kind": "digits"}}
    assert parse_pipeline(base).training.distribution is None
    pipeline = parse_pipeline({**base, "training": {"distribution": "mirrored"}})
    assert pipeline.training.distribution == "mirrored"
    assert parse_pipeline(pipeline.to_dict()).training == pipeline.training
    with pytest.raises(PipelineError, match="training.distribution: expected one of none, "
                                            "mirrored, data_parallel, multi_worker"):
        parse_pipeline({**base, "training": {"distribution": "gpus"}})
    # Several machines: the same file on every one (tests/test_multi_host.py runs it).
    multi = parse_pipeline({**base, "training": {"distribution": "multi_worker"}})
    assert multi.training.distribution == "multi_worker"
    with pytest.raises(PipelineError, match="training.distribution: multi_worker pretrains "
                                            "across machines, but fine-tuning runs on one"):
        parse_pipeline({**base, "training": {"distribution": "multi_worker"},
                        "finetune": {"labels_per_class": [2]}})


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's refusal")
def test_a_multi_worker_pipeline_on_tensorflow_stops_at_start_up_and_writes_nothing(tmp_path):
    from vaekit.distribution import TF_MULTI_WORKER
    from vaekit.runner import Runner, parse_pipeline

    pipeline = parse_pipeline({"data": {"kind": "digits"},
                               "training": {"distribution": "multi_worker"}})
    with pytest.raises(ValueError) as info:
        Runner(pipeline, tmp_path / "run", verbose=0).open(fresh=True)
    assert str(info.value) == TF_MULTI_WORKER.format(keras=keras.__version__)
    assert not (tmp_path / "run").exists()
