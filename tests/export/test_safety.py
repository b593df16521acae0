"""Bad paths, failed conversions and failed checks leave nothing behind and say why."""

from __future__ import annotations

import os
from pathlib import Path

import keras
import pytest
import tensorflow as tf

from designer.core.progress import ProgressEvent
from designer.export import ExportError, VerificationError, export_model


@keras.saving.register_keras_serializable(package="tests_export")
class ForgetfulScale(keras.layers.Layer):
    """Multiplies by ``factor`` but forgets to save it: a reloaded copy computes x * 1."""

    def __init__(self, factor: float = 1.0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x):
        return x * self.factor

    def get_config(self) -> dict:
        config = super().get_config()
        config.pop("factor", None)  # the bug this layer stands for
        return config


class Bessel(keras.layers.Layer):
    """Uses a TensorFlow op (BesselI0e) that has no ONNX conversion."""

    def call(self, x):
        return tf.math.bessel_i0e(x)


def test_missing_folder_and_file_as_folder_are_clear_errors(cnn, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="does not exist"):
        export_model(cnn, "keras", tmp_path / "nowhere" / "m.keras")
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="is a file"):
        export_model(cnn, "onnx", blocker / "m.onnx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


@pytest.mark.skipif(not Path("/proc/self").exists(), reason="needs a read-only /proc")
def test_unwritable_location_is_a_clear_error(cnn) -> None:
    with pytest.raises(ExportError, match="Expected .*(writable|temporary folder)"):
        export_model(cnn, "tflite", "/proc/model.tflite")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores folder permissions")
def test_read_only_folder_is_a_clear_error(cnn, tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(ExportError, match="not writable"):
            export_model(cnn, "keras", folder / "m.keras")
    finally:
        folder.chmod(0o700)


def test_failed_check_raises_with_report_and_writes_nothing(tmp_path: Path) -> None:
    inp = keras.Input((4,))
    model = keras.Model(inp, ForgetfulScale(3.0, name="scale")(keras.layers.Dense(2)(inp)))
    target = tmp_path / "m.keras"
    with pytest.raises(VerificationError, match="nothing was written") as info:
        export_model(model, "keras", target)
    report = info.value.report
    assert not report.passed and report.verification.max_abs_diff > report.verification.tolerance
    assert list(tmp_path.iterdir()) == []
    # Without the check the (wrong) file is written, as asked.
    unchecked = export_model(model, "keras", target, verify=False)
    assert unchecked.verification is None and target.exists()


def test_unconvertible_op_names_layer_and_operation(tmp_path: Path) -> None:
    inp = keras.Input((4,))
    model = keras.Model(inp, keras.layers.Dense(2)(Bessel(name="weird")(inp)))
    with pytest.raises(ExportError, match="layer 'weird': TensorFlow operation BesselI0e"):
        export_model(model, "onnx", tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []


def test_existing_file_survives_a_failed_export(tmp_path: Path) -> None:
    target = tmp_path / "m.onnx"
    target.write_bytes(b"previous good export")
    inp = keras.Input((4,))
    model = keras.Model(inp, Bessel(name="weird")(inp))
    with pytest.raises(ExportError):
        export_model(model, "onnx", target)
    assert target.read_bytes() == b"previous good export"
    assert [p.name for p in tmp_path.iterdir()] == ["m.onnx"]


def test_progress_reports_every_step(cnn, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    export_model(cnn, "tflite", tmp_path / "m.tflite", progress=events.append)
    messages = [e.message for e in events]
    assert messages[0] == "writing tflite"
    assert any("checking" in m for m in messages)
    assert events[-1].message == "done" and events[-1].fraction == 1.0


def test_unbuilt_model_is_refused(tmp_path: Path) -> None:
    model = keras.Sequential([keras.layers.Dense(2)])
    with pytest.raises(ExportError, match="Expected a built model"):
        export_model(model, "onnx", tmp_path / "m.onnx")


def test_cancel_between_steps_writes_nothing(cnn, tmp_path: Path) -> None:
    from designer.core.progress import Cancelled, CancelToken

    token = CancelToken()

    def cancel_after_writing(event: ProgressEvent) -> None:
        if event.message.startswith("checking"):
            token.cancel()

    with pytest.raises(Cancelled):
        export_model(cnn, "onnx", tmp_path / "m.onnx", progress=cancel_after_writing, cancel=token)
    assert list(tmp_path.iterdir()) == []
