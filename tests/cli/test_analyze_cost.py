"""``analyze`` with the cost: per-layer and total keys in JSON, the batch size (the project's,
32 for a model file, or --batch-size), and the MACs and Memory columns of the table."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import pytest

from designer.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "designer" / "resources" / "samples" / "lenet5.json"  # adam, mini-batch 64
LAYER_KEYS = {"macs", "elementwise_ops", "weight_bytes", "activation_bytes", "receptive_field"}


def _json(capsys: pytest.CaptureFixture, *argv: str) -> dict:
    assert main(["analyze", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_cost_of_every_layer_and_the_totals(capsys: pytest.CaptureFixture) -> None:
    data = _json(capsys, str(SAMPLE))
    layers = {row["name"]: row for row in data["layers"]}
    assert all(set(row) >= LAYER_KEYS for row in data["layers"])
    assert layers["c3"]["macs"] == 5 * 5 * 6 * 16 * 10 * 10
    assert layers["f5"]["receptive_field"] is None  # after Flatten
    assert layers["s4"]["receptive_field"] == {"size": [16, 16], "stride": [4, 4]}
    assert data["total_macs"] == sum(row["macs"] for row in data["layers"]) == 416_520
    assert data["weight_bytes"] == sum(row["weight_bytes"] for row in data["layers"])
    assert data["weight_bytes"] == 4 * data["total_params"]
    assert data["batch_size"] == 64 and data["optimizer_slots"] == 2  # the project's: Adam
    kept = sum(row["activation_bytes"] for row in data["layers"])
    weights = data["weight_bytes"]
    assert data["training_memory_bytes"] == weights + 3 * weights + 64 * kept
    # A chain: the largest neighbouring pair (input and output of one step).
    sizes = [row["activation_bytes"] for row in data["layers"]]
    pair = max(a + b for a, b in zip(sizes, sizes[1:], strict=False))
    assert data["peak_activation_bytes"] == 64 * pair


def test_batch_size_option_scales_the_activation_figures(capsys: pytest.CaptureFixture) -> None:
    default = _json(capsys, str(SAMPLE))
    eight = _json(capsys, str(SAMPLE), "--batch-size", "8")
    assert eight["batch_size"] == 8
    assert eight["peak_activation_bytes"] * 8 == default["peak_activation_bytes"]
    assert eight["total_macs"] == default["total_macs"]  # MACs are for one sample


def test_a_model_file_uses_batch_32(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="d")])
    model.save(tmp_path / "m.keras")
    data = _json(capsys, str(tmp_path / "m.keras"))
    assert data["batch_size"] == 32
    assert data["layers"][-1]["macs"] == 4 * 3 and data["total_macs"] == 12


@pytest.mark.parametrize("value", ["0", "two"])
def test_a_bad_batch_size_is_refused(value: str, capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["analyze", str(SAMPLE), "--batch-size", value])
    assert stop.value.code == 2
    assert "--batch-size" in capsys.readouterr().err


def test_table_has_macs_and_memory_columns(capsys: pytest.CaptureFixture) -> None:
    assert main(["analyze", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    header = out.splitlines()[0].split()
    assert header == ["Name", "Type", "Output", "shape", "Params", "MACs", "Memory"]
    c3 = next(line for line in out.splitlines() if line.startswith("c3 "))
    assert c3.endswith("240 k  6.25 KiB")  # 5*5*6*16*10*10 MACs; 10x10x16 float32
    assert "Cost: 417 k MACs per sample" in out and "at batch size 64" in out
