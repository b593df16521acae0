"""The zoo-sweep helpers and ``benchmarks/export.py --zoo-sweep`` on real entries."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from designer.export import export_model
from designer.export.signature import keras_outputs, random_batch
from designer.export.sweep import build_small, small_input_shape
from designer.zoo import get_entry

ROOT = Path(__file__).resolve().parents[2]


def test_small_input_shapes() -> None:
    assert small_input_shape(get_entry("xception")) == (71, 71, 3)
    assert small_input_shape(get_entry("resnet50")) == (32, 32, 3)
    assert small_input_shape(get_entry("unet")) == (32, 32, 1)
    assert small_input_shape(get_entry("lenet5")) == (28, 28, 1)  # already small: kept
    assert small_input_shape(get_entry("lstm_classifier")) == (None, 12)  # not an image


def test_logits_drop_the_softmax_of_keras_applications_only() -> None:
    keras.backend.clear_session()
    model = build_small(get_entry("mobilenet_v3_small"), logits=True)
    assert model.layers[-1].get_config()["activation"] in (None, "linear")
    assert model.outputs[0].shape[-1] == 10
    lenet = build_small(get_entry("lenet5"), logits=True)  # not keras.applications: unchanged
    assert lenet.layers[-1].get_config()["activation"] == "softmax"


def test_verification_records_the_output_scale(cnn, tmp_path: Path) -> None:
    v = export_model(cnn, "onnx", tmp_path / "cnn.onnx").verification
    scale = max(float(np.max(np.abs(o))) for o in keras_outputs(cnn, random_batch(cnn, 2)))
    assert v.output_scale == pytest.approx(scale, rel=1e-6)
    assert 0.0 < v.output_scale <= 1.0  # softmax outputs
    assert v.to_dict()["output_scale"] == v.output_scale


@pytest.mark.slow
def test_benchmark_zoo_sweep_prints_a_row_per_export_and_a_count() -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    cmd = [
        sys.executable,
        "benchmarks/export.py",
        "--zoo-sweep",
        "--entries",
        "lenet5",
        "digit_tilt_regressor",
        "--formats",
        "onnx",
        "tflite-int8",
    ]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = [ln for ln in done.stdout.splitlines() if ln.startswith(("| lenet5", "| digit_tilt"))]
    assert [r.split(" | ")[0:4:3] for r in rows] == [
        ["| lenet5", "onnx"],
        ["| lenet5", "tflite-int8"],
        ["| digit_tilt_regressor", "onnx"],
        ["| digit_tilt_regressor", "tflite-int8"],
    ]
    assert all(r.split(" | ")[-1].startswith("passed") for r in rows)
    assert "4 of 4 exports passed." in done.stdout


def test_a_check_against_vanishing_outputs_is_flagged_as_weak() -> None:
    """Outputs all within the tolerance of 0 agree trivially: the note says so (CLI, dialog)."""
    from designer.export.verify import compare

    tiny = [np.full((2, 3), 1e-9, np.float32)]
    weak = compare(tiny, [np.zeros((2, 3), np.float32)], "onnxruntime")
    assert (
        weak.passed and weak.note.startswith("weak check") and "relative difference 1" in weak.note
    )
    normal = [np.array([[0.5, -2.0, 1.0]], np.float32)]
    strong = compare(normal, [normal[0] + 1e-6], "onnxruntime", note="int8")
    assert strong.passed and strong.note == "int8"
