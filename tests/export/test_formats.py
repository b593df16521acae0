"""Every format on real tiny models: written, reloaded by its runtime, agreeing with Keras."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from designer.export import FORMATS, ExportError, export_model
from designer.export.signature import keras_outputs, random_batch

BINARY = ["keras", "savedmodel", "onnx", "tflite"]


@pytest.mark.parametrize("fmt", BINARY)
def test_multi_io_model_exports_and_verifies(tricky, tmp_path: Path, fmt: str) -> None:
    report = export_model(tricky, fmt, tmp_path / "net")
    path = Path(report.path)
    assert path.exists()
    assert report.format == fmt
    assert report.size_bytes > 1000
    assert report.seconds > 0
    v = report.verification
    assert v is not None and v.passed and report.passed
    assert v.max_abs_diff <= v.tolerance <= 1e-3
    assert v.batch_size == 2
    data = json.loads(json.dumps(report.to_dict()))
    assert data["path"] == str(path) and data["verification"]["passed"] is True
    # Only the artefact itself is left in the folder: no temporary files.
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


@pytest.mark.parametrize("fmt", ["onnx", "tflite"])
def test_lstm_with_integer_inputs(lstm, tmp_path: Path, fmt: str) -> None:
    report = export_model(lstm, fmt, tmp_path / "lstm")
    assert report.verification.passed, report.summary()


def test_onnx_has_dynamic_batch_and_chosen_opset(cnn, tmp_path: Path) -> None:
    report = export_model(cnn, "onnx", tmp_path / "cnn.onnx", opset=15)
    proto = onnx.load(report.path)
    assert {o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")} == {15}
    batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert not batch_dim.HasField("dim_value")  # symbolic, not a fixed size
    session = ort.InferenceSession(report.path, providers=["CPUExecutionProvider"])
    x = random_batch(cnn, batch_size=5)
    got = session.run(None, {session.get_inputs()[0].name: x[0]})[0]
    np.testing.assert_allclose(got, keras_outputs(cnn, x)[0], atol=1e-5)


def test_savedmodel_signature_accepts_other_batch_sizes(cnn, tmp_path: Path) -> None:
    import tensorflow as tf

    report = export_model(cnn, "savedmodel", tmp_path / "sm")
    fn = tf.saved_model.load(report.path).signatures["serving_default"]
    x = random_batch(cnn, batch_size=7)
    (name,) = fn.structured_input_signature[1]
    (out,) = fn(**{name: tf.constant(x[0])}).values()
    np.testing.assert_allclose(out.numpy(), keras_outputs(cnn, x)[0], atol=1e-6)


def test_tflite_int8_reports_looser_tolerance(tmp_path: Path) -> None:
    import keras

    model = keras.Sequential(
        [keras.Input((64,)), keras.layers.Dense(64, activation="relu"), keras.layers.Dense(4)]
    )
    flt = export_model(model, "tflite", tmp_path / "f.tflite")
    q = export_model(model, "tflite", tmp_path / "q.tflite", int8=True)
    assert q.verification.passed
    assert q.verification.tolerance > 10 * flt.verification.tolerance
    assert "int8" in q.verification.note
    assert q.size_bytes < flt.size_bytes * 0.6  # weights stored as int8


def test_savedmodel_replaces_an_existing_folder(cnn, tmp_path: Path) -> None:
    target = tmp_path / "sm"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    export_model(cnn, "savedmodel", target)
    assert not (target / "stale.txt").exists()
    assert (target / "saved_model.pb").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sm"]


def test_formats_constant_lists_all_five() -> None:
    assert FORMATS == ("keras", "savedmodel", "onnx", "tflite", "python")


def test_unknown_format_and_misplaced_options_are_refused(cnn, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="Expected a format among"):
        export_model(cnn, "pytorch", tmp_path / "x")
    with pytest.raises(ExportError, match="opset only with the onnx"):
        export_model(cnn, "tflite", tmp_path / "x", opset=13)
    with pytest.raises(ExportError, match="int8 only with the tflite"):
        export_model(cnn, "onnx", tmp_path / "x", int8=True)
    with pytest.raises(ExportError, match="opset between"):
        export_model(cnn, "onnx", tmp_path / "x", opset=7)
    with pytest.raises(ExportError, match="Expected a keras.Model"):
        export_model("not a model", "keras", tmp_path / "x")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fmt", BINARY)
def test_dict_inputs_and_outputs_in_unsorted_order(tmp_path: Path, fmt: str) -> None:
    import keras

    wide = keras.Input((6,), name="wide")
    narrow = keras.Input((2,), name="narrow")
    both = keras.layers.Concatenate()([wide, keras.layers.Dense(6)(narrow)])
    zeta = keras.layers.Dense(3, name="zeta")(both)
    alpha = keras.layers.Dense(1, name="alpha")(wide)
    model = keras.Model({"wide": wide, "narrow": narrow}, {"zeta": zeta, "alpha": alpha})
    report = export_model(model, fmt, tmp_path / "dicts")
    assert report.verification.passed, report.summary()
