"""The command line: analyze and build, exit codes, JSON output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import keras
import pytest

from designer.app.project import Project, save_project
from designer.cli import main
from designer.core.graph import LayerGraph

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "designer" / "resources" / "samples" / "lenet5.json"


def test_analyze_sample_prints_table_and_totals(capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "Conv2D" in out and "28×28×6 (SSC)" in out
    assert "Total parameters: 61,706" in out


def test_analyze_json_schema(capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(SAMPLE), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    cost = {"total_macs", "total_elementwise_ops", "weight_bytes", "peak_activation_bytes"}
    cost |= {
        "training_memory_bytes",
        "batch_size",
        "optimizer_slots",
    }  # tests/cli/test_analyze_cost.py
    assert set(data) == {"layers", "total_params", "trainable_params", "errors", "warnings"} | cost
    assert data["total_params"] == 61706
    assert data["layers"][1] == {
        "name": "c1",
        "type": "Conv2D",
        "output_shape": [None, 28, 28, 6],
        "params": 156,
        "macs": 5 * 5 * 1 * 6 * 28 * 28,
        "elementwise_ops": 2 * 28 * 28 * 6,  # bias and tanh
        "weight_bytes": 156 * 4,
        "activation_bytes": 28 * 28 * 6 * 4,
        "receptive_field": {"size": [5, 5], "stride": [1, 1]},
    }


def test_analyze_exit_1_on_network_errors(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    g = LayerGraph()
    g.connect(g.add("Input", shape=[10]), g.add("Conv2D", name="conv"))
    path = save_project(Project(graph=g), tmp_path / "bad.json")
    assert main(["analyze", str(path), "--json"]) == 1
    errors = json.loads(capsys.readouterr().out)["errors"]
    assert errors[0]["layer"] == "conv" and "4-D input" in errors[0]["message"]


def test_analyze_keras_model_file(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.save(tmp_path / "m.keras")
    assert main(["analyze", str(tmp_path / "m.keras"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total_params"] == 15


@pytest.mark.parametrize("name, content", [("missing.ndproj", None), ("x.keras", b"nonsense")])
def test_unusable_input_exit_2_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, name: str, content: bytes | None
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    assert main(["analyze", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_build_writes_a_keras_model(tmp_path: Path) -> None:
    out = tmp_path / "lenet.keras"
    assert main(["build", str(SAMPLE), "--out", str(out)]) == 0
    assert keras.saving.load_model(out).count_params() == 61706


def test_main_py_runs_the_cli_in_a_fresh_process() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "analyze", str(SAMPLE), "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout)["total_params"] == 61706


def test_explain_and_robustness_are_commands_of_the_program(capsys) -> None:
    from designer import entry

    for command in ("explain", "robustness", "compress"):
        assert entry.wants_cli([command, "x"])
        assert entry.main([command, "--help"]) == 0
        assert f"usage: python main.py {command}" in capsys.readouterr().out
