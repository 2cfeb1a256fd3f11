"""Pipeline files: parsing into dataclasses, and every validation problem with its path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from vaekit.config import FinetuneConfig, PretrainConfig
from vaekit.runner import PipelineError, apply_overrides, load_pipeline, parse_pipeline
from vaekit.runner.schema import PLOTS

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    """A $VAEKIT_DATA_DIR holding the paths the shipped pipelines name (existence only)."""
    root = tmp_path / "data"
    (root / "mnist").mkdir(parents=True)
    (root / "olivetti_faces").mkdir()
    (root / "olivetti_faces" / "olivettifaces.mat").write_bytes(b"")
    monkeypatch.setenv("VAEKIT_DATA_DIR", str(root))
    return root


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems_of(raw, **kwargs) -> list[str]:
    with pytest.raises(PipelineError) as info:
        parse_pipeline(raw, **kwargs)
    return info.value.problems


DIGITS = {"data": {"kind": "digits"}, "finetune": {"labels_per_class": [2, 5]}}


@pytest.mark.parametrize("name", sorted(p.name for p in PIPELINES.glob("*.yaml")))
def test_every_shipped_pipeline_validates(name, data_dir):
    pipeline = load_pipeline(PIPELINES / name)
    assert pipeline.name == name.removesuffix(".yaml")
    assert isinstance(pipeline.pretrain, PretrainConfig)


def test_required_pipelines_are_shipped():
    shipped = {p.name for p in PIPELINES.glob("*.yaml")}
    assert {"digits.yaml", "mnist.yaml", "mnist_conv.yaml", "olivetti_faces.yaml",
            "celeb_a.yaml", "tabular_csv.yaml"} <= shipped


def test_mnist_pipeline_follows_the_kingma_protocol(data_dir):
    pipeline = load_pipeline(PIPELINES / "mnist.yaml")
    assert pipeline.data.kind == "idx"
    assert pipeline.data.options["directory"] == str(data_dir / "mnist")
    assert pipeline.finetune.labels == (100, 600, 1000, 3000)


def test_sections_become_typed_config_dataclasses():
    pipeline = parse_pipeline({
        "data": {"kind": "digits", "test_size": 0.25},
        "model": {"architecture": "dense", "latent_dim": 8, "hidden_units": [64, 32],
                  "autoencoder": True},
        "pretrain": {"epochs": 4, "learning_rate": "1e-3"},
        "finetune": {"labels": [20, 50], "seeds": [0, 1], "epochs": 2},
    })
    assert pipeline.data.options["test_size"] == 0.25
    assert pipeline.pretrain.latent_dim == 8
    assert pipeline.pretrain.architecture_options == {"hidden_units": (64, 32)}
    assert pipeline.pretrain.learning_rate == pytest.approx(1e-3)  # PyYAML reads 1e-3 as str
    assert pipeline.autoencoder is True
    assert isinstance(pipeline.finetune.config, FinetuneConfig)
    assert pipeline.finetune.config.epochs == 2
    assert [str(c) for c in pipeline.finetune.label_counts()] == ["20 labels", "50 labels"]
    assert pipeline.finetune.seeds == (0, 1)


def test_resolved_pipeline_fills_defaults_and_resolves_to_itself():
    pipeline = parse_pipeline(DIGITS)
    resolved = pipeline.to_dict()
    assert resolved["pretrain"]["epochs"] is None  # the config's own default, not a copy
    assert resolved["model"]["hidden_units"] == [1000, 500]
    assert resolved["data"]["test_size"] == 0.3  # the loader's default
    assert resolved["outputs"]["plots"] == list(PLOTS)
    again = parse_pipeline(yaml.safe_load(yaml.safe_dump(resolved)))
    assert again.to_dict() == resolved
    assert again.finetune == pipeline.finetune and again.data == pipeline.data


def test_wrong_label_count_names_its_index_and_value():
    raw = {"data": {"kind": "digits"}, "finetune": {"labels": [100, 600, "ten"]}}
    assert problems_of(raw) == ['finetune.labels[2]: expected a positive integer, got "ten"']


def test_every_problem_is_reported_at_once(tmp_path):
    path = write(tmp_path, """
data: {kind: digits, test_sise: 0.2}
model: {latent_dim: 0}
pretrain: {epochs: three, learning_rate: fast}
finetune: {labels_per_class: [0, 5, 5], epoch: 3}
evaluate: {baselines: [logistic_regression, svm]}
outputs: {plots: [samples, histogram]}
""")
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    problems = info.value.problems
    assert 'data.test_sise: unknown key; did you mean "test_size"?' in problems[0]
    assert "pretrain.epochs: expected an integer or null, got \"three\"" in problems
    assert 'pretrain.learning_rate: expected a number, got "fast"' in problems
    assert "finetune.labels_per_class[0]: expected a positive integer, got 0" in problems
    assert "finetune.labels_per_class[2]: 5 is listed twice" in problems
    assert any(p.startswith('finetune.epoch: unknown key; did you mean "epochs"?')
               for p in problems)
    assert any(p.startswith('evaluate.baselines[1]: expected one of') for p in problems)
    assert any(p.startswith('outputs.plots[1]: expected one of') for p in problems)
    assert str(path) in str(info.value)
    assert f"{len(problems)} problems" in str(info.value)


def test_config_dataclass_errors_point_at_the_section_the_field_is_written_in():
    problems = problems_of({"data": {"kind": "digits"}, "model": {"latent_dim": 0}})
    assert problems == ["model.latent_dim: must be >= 1, got 0."]
    problems = problems_of({**DIGITS, "finetune": {"labels": [10], "confidence": 1.5}})
    assert problems == ["finetune.confidence: must lie in [0, 1), got 1.5."]


def test_architecture_options_are_checked_against_the_chosen_builders():
    problems = problems_of({"data": {"kind": "digits"},
                            "model": {"architecture": "conv", "hidden_units": [8],
                                      "filters": 16}})
    assert any(p.startswith('model.hidden_units: unknown key') for p in problems)
    assert "model.filters: expected a list of integers, got 16" in problems


def test_unknown_names_list_the_known_ones():
    problems = problems_of({"data": {"kind": "csv"}})
    assert problems[0].startswith('data.kind: expected one of digits, idx,')
    problems = problems_of({"data": {"kind": "digits"}, "model": {"architecture": "mlp"}})
    assert problems == ['model.architecture: expected one of dense, conv, recurrent or a mapping '
                        "{encoder: 'package.module:function', decoder: "
                        "'package.module:function'}, got \"mlp\""]


def test_data_section_is_required_and_loader_arguments_too():
    assert problems_of({"name": "x"}) == ["data: missing; every pipeline needs this section"]
    assert problems_of({"data": {"kind": "table"}}) == [
        "data.path: missing; data kind 'table' needs it"]


def test_finetune_needs_exactly_one_kind_of_label_count():
    assert problems_of({"data": {"kind": "digits"}, "finetune": {"seeds": [0]}}) == [
        "finetune: give exactly one of labels_per_class (labels of every class) and labels "
        "(total labels, spread evenly)"]
    both = {"data": {"kind": "digits"}, "finetune": {"labels": [10], "labels_per_class": [1]}}
    assert len(problems_of(both)) == 1


def test_data_paths_are_relative_to_the_pipeline_file_and_must_exist(tmp_path):
    (tmp_path / "t.csv").write_text("a,label\n1,x\n")
    path = write(tmp_path, "data: {kind: table, path: t.csv, label_column: label}\n")
    assert load_pipeline(path).data.options["path"] == str(tmp_path / "t.csv")
    missing = write(tmp_path, "data: {kind: table, path: nowhere.csv}\n", "m.yaml")
    with pytest.raises(PipelineError) as info:
        load_pipeline(missing)
    assert info.value.problems == [f"data.path: no such file or folder: {tmp_path / 'nowhere.csv'}"]


def test_unset_environment_variable_in_a_path_is_named(monkeypatch):
    monkeypatch.delenv("VAEKIT_DATA_DIR", raising=False)
    problems = problems_of({"data": {"kind": "idx", "directory": "${VAEKIT_DATA_DIR}/mnist"}})
    assert problems == ['data.directory: "${VAEKIT_DATA_DIR}/mnist" uses ${VAEKIT_DATA_DIR}, '
                        "which is not set; set it to the folder that holds the data"]


def test_yaml_syntax_error_gives_the_line(tmp_path):
    path = write(tmp_path, "data:\n  kind: digits\n  test_size: [0.3\n")
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert info.value.problems[0].startswith("line 4, column 1:")


def test_a_section_given_twice_is_refused_naming_the_key_and_both_lines(tmp_path):
    path = write(tmp_path, "data:\n  kind: digits\npretrain:\n  epochs: 3\n"
                           "model:\n  latent_dim: 2\npretrain:\n  epochs: 5\n")
    with pytest.raises(PipelineError) as info:
        load_pipeline(path)
    assert info.value.problems == [
        "line 7, column 1: key 'pretrain' appears twice in the same mapping (lines 3 and 7); "
        "keep one (YAML would not merge them: the second would replace the first)"]


def test_a_key_given_twice_inside_a_section_or_a_flow_mapping_is_refused(tmp_path):
    nested = write(tmp_path, "data: {kind: digits}\nmodel:\n  latent_dim: 2\n  beta: 1.0\n"
                             "  latent_dim: 8\n")
    with pytest.raises(PipelineError, match=r"key 'latent_dim' appears twice in the same "
                                            r"mapping \(lines 3 and 5\)"):
        load_pipeline(nested)
    with pytest.raises(PipelineError, match=r"--set model=\{a: 1, a: 2\}: the value is not "
                                            r"valid YAML \(.*key 'a' appears twice"):
        apply_overrides(DIGITS, ["model={a: 1, a: 2}"])


def test_keys_brought_in_by_a_yaml_merge_may_be_overridden(tmp_path):
    path = write(tmp_path, "data: {kind: digits}\nfinetune:\n  labels_per_class: [2]\n"
                           "  epochs: 3\nevaluate: {probe: knn}\n"
                           "outputs: {report: false}\nmodel:\n  <<: {latent_dim: 2, beta: 1.0}\n"
                           "  latent_dim: 6\n")
    assert load_pipeline(path).pretrain.latent_dim == 6


def test_missing_pipeline_file_is_a_file_not_found_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such pipeline file"):
        load_pipeline(tmp_path / "absent.yaml")


def test_top_level_must_be_a_mapping_of_known_sections():
    assert problems_of([1, 2])[0].startswith("expected a mapping with the sections name,")
    assert problems_of({**DIGITS, "finetuning": {}}) == [
        'finetuning: unknown key; did you mean "finetune"? known keys: name, seed, data, '
        "model, pretrain, finetune, training, evaluate, outputs"]


def test_overrides_are_parsed_as_yaml_and_create_sections():
    raw = apply_overrides(DIGITS, ["finetune.epochs=3", "finetune.seeds=[0, 1]",
                                   "evaluate.probe=null", "outputs.report=false"])
    pipeline = parse_pipeline(raw)
    assert pipeline.finetune.config.epochs == 3
    assert pipeline.finetune.seeds == (0, 1)
    assert pipeline.evaluate.probe is None
    assert pipeline.outputs.report is False
    assert DIGITS["finetune"] == {"labels_per_class": [2, 5]}  # the input is not modified


def test_an_override_to_null_switches_the_kind_of_label_count():
    raw = apply_overrides(DIGITS, ["finetune.labels_per_class=null", "finetune.labels=[30]"])
    pipeline = parse_pipeline(raw)
    assert pipeline.finetune.labels == (30,) and pipeline.finetune.labels_per_class is None
    assert "labels_per_class" not in pipeline.to_dict()["finetune"]


def test_bad_overrides_are_pipeline_errors():
    with pytest.raises(PipelineError) as info:
        apply_overrides(DIGITS, ["finetune.epochs", "data.kind.x=1"])
    assert info.value.problems == [
        "--set finetune.epochs: expected KEY.PATH=VALUE, e.g. finetune.epochs=3",
        '--set data.kind.x=1: data.kind is "digits", not a section']


def test_override_values_are_validated_like_file_values(tmp_path):
    path = write(tmp_path, "data: {kind: digits}\nfinetune: {labels: [10]}\n")
    with pytest.raises(PipelineError) as info:
        load_pipeline(path, ["finetune.labels=[10, 20, ten]"])
    assert info.value.problems == ['finetune.labels[2]: expected a positive integer, got "ten"']
