"""The memory check before ONNX/TFLite conversions: refuse clearly instead of being killed."""

from __future__ import annotations

import keras
import pytest

from designer.export import ExportError, export_model, memory
from designer.export.memory import check_memory, weights_bytes

GIB = 1 << 30


@pytest.fixture(scope="module")
def wide() -> keras.Model:
    """36 MB of weights: an ONNX conversion is estimated at about 1 GiB."""
    x = keras.Input((3000,), name="x")
    return keras.Model(x, keras.layers.Dense(3000, name="wide")(x), name="wide_model")


def test_weights_bytes_counts_every_variable(wide):
    assert weights_bytes(wide) == (3000 * 3000 + 3000) * 4


def test_refused_with_the_figures_when_memory_is_short(wide):
    with pytest.raises(ExportError) as info:
        check_memory(wide, "onnx", available=GIB // 2)
    message = str(info.value)
    assert "'wide_model'" in message and "to onnx" in message
    assert "34.3 MiB of weights" in message and "512.0 MiB is available" in message
    check_memory(wide, "onnx", available=64 * GIB)  # enough: no error
    for fmt in ("keras", "savedmodel", "python"):  # these need little: never checked
        check_memory(wide, fmt, available=1)


def test_small_models_are_not_checked():
    x = keras.Input((4,))
    tiny = keras.Model(x, keras.layers.Dense(2)(x))
    check_memory(tiny, "tflite", available=1)


def test_override_variable_skips_the_check(wide, monkeypatch):
    monkeypatch.setenv(memory.OVERRIDE_ENV, "1")
    check_memory(wide, "tflite", available=1)


def test_export_refused_before_writing_anything(wide, tmp_path, monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: GIB // 4)
    with pytest.raises(ExportError, match="free memory"):
        export_model(wide, "onnx", tmp_path / "wide.onnx")
    assert list(tmp_path.iterdir()) == []


def test_available_bytes_reads_the_system_figure():
    available = memory.available_bytes()
    assert available is None or available > 0
