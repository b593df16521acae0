"""The export CLI helpers: arguments, printed report, JSON, exit codes."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import keras

from designer.cli.export import EXIT_CHECK_FAILED, EXIT_ERROR, add_export_arguments, run_export
from tests.export.test_safety import ForgetfulScale


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_export_arguments(parser)
    return parser.parse_args(list(argv))


def test_text_report(cnn, tmp_path: Path) -> None:
    out = io.StringIO()
    code = run_export(cnn, _parse("--format", "onnx", "--out", str(tmp_path / "m.onnx")), out)
    text = out.getvalue()
    assert code == 0
    for word in ("format:   onnx", "m.onnx", "bytes", "seconds:", "passed: max |difference|"):
        assert word in text


def test_json_report_and_options(cnn, tmp_path: Path) -> None:
    out = io.StringIO()
    args = _parse("-f", "tflite", "-o", str(tmp_path / "q"), "--int8", "--json")
    assert run_export(cnn, args, out) == 0
    data = json.loads(out.getvalue())
    assert data["format"] == "tflite" and data["path"].endswith("q.tflite")
    assert data["passed"] is True and data["size_bytes"] > 0
    assert data["verification"]["runtime"] == "tf.lite.Interpreter"


def test_failed_check_returns_non_zero(tmp_path: Path) -> None:
    inp = keras.Input((4,))
    model = keras.Model(inp, ForgetfulScale(2.0)(inp))
    out = io.StringIO()
    args = _parse("--format", "keras", "--out", str(tmp_path / "m.keras"), "--json")
    assert run_export(model, args, out) == EXIT_CHECK_FAILED
    data = json.loads(out.getvalue())
    assert data["passed"] is False and "nothing was written" in data["error"]


def test_errors_return_one_with_message(cnn, tmp_path: Path) -> None:
    out = io.StringIO()
    args = _parse("--format", "keras", "--out", str(tmp_path / "no" / "m.keras"))
    assert run_export(cnn, args, out) == EXIT_ERROR
    assert "does not exist" in out.getvalue()
    bad_json = _parse("-f", "python", "-o", str(tmp_path / "m.py"), "--training-json", "[1]")
    assert run_export(cnn, bad_json, io.StringIO()) == EXIT_ERROR


def test_python_with_training_json(cnn, tmp_path: Path) -> None:
    training = json.dumps({"loss": "categorical_crossentropy", "epochs": 1})
    args = _parse("-f", "python", "-o", str(tmp_path / "net.py"), "--training-json", training)
    assert run_export(cnn, args, io.StringIO()) == 0
    assert "def train(model: keras.Model" in (tmp_path / "net.py").read_text()
