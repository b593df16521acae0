"""ONNX for the architectures where plain tf2onnx fails: EfficientNet, ConvNeXt and their layers."""

from __future__ import annotations

from pathlib import Path

import keras
import onnx
import pytest

from designer.export import export_model
from designer.export.onnx_export import frozen_graph, rewrite_erfc, strip_xla


def _ops(path: str) -> set[str]:
    return {n.op_type for n in onnx.load(path).graph.node}


def test_normalization_constants_are_frozen_not_inputs() -> None:
    inp = keras.Input((4, 4, 3), name="pixels")
    out = keras.layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[1.0, 4.0, 9.0])(inp)
    graph_def, inputs, _, _ = frozen_graph(keras.Model(inp, out))
    assert inputs == ["pixels:0"]
    assert [n.name for n in graph_def.node if n.op == "Placeholder"] == ["pixels"]


def test_grouped_conv_and_exact_gelu_are_rewritten(tricky) -> None:
    graph_def, _, _, _ = frozen_graph(tricky)
    assert any(n.op == "StatefulPartitionedCall" for n in graph_def.node)
    assert strip_xla(graph_def) > 0
    assert strip_xla(graph_def) == 0  # idempotent
    before = sum(n.op == "Erfc" for n in graph_def.node)
    assert before > 0 and rewrite_erfc(graph_def) == before
    assert not any(n.op == "Erfc" for n in graph_def.node)


def test_tiny_convnext_style_layers_agree_with_keras(tricky, tmp_path: Path) -> None:
    report = export_model(tricky, "onnx", tmp_path / "t.onnx")
    assert report.verification.max_abs_diff < 1e-4
    ops = _ops(report.path)
    assert "Erf" in ops and "Conv" in ops
    assert not {"StatefulPartitionedCall", "Erfc", "PartitionedCall"} & ops


def test_efficientnet_b0_exports_to_onnx(tmp_path: Path) -> None:
    model = keras.applications.EfficientNetB0(weights=None, input_shape=(32, 32, 3), classes=10)
    report = export_model(model, "onnx", tmp_path / "effnet.onnx")
    assert report.verification.passed
    assert report.verification.max_abs_diff < 1e-4
    assert [i.name for i in onnx.load(report.path).graph.input] == [model.layers[0].name]


@pytest.mark.slow
def test_convnext_tiny_exports_to_onnx(tmp_path: Path) -> None:
    model = keras.applications.ConvNeXtTiny(weights=None, input_shape=(32, 32, 3), classes=10)
    report = export_model(model, "onnx", tmp_path / "convnext.onnx", opset=18)
    assert report.verification.passed
    assert report.verification.max_abs_diff < 1e-4
    assert "Erf" in _ops(report.path)
