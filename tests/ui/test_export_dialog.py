"""The Export dialog: LeNet-5 to .keras and ONNX through the real widgets, graph errors, bad paths."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from designer.app.project import Project, load_project
from designer.ui.export.dialog import ExportDialog, default_folder
from tests.ui.conftest import answer_next_message_box

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


@pytest.fixture
def lenet_window(window, qtbot):
    """The main window with the LeNet-5 sample open and the Export menu installed."""
    window.set_project(load_project(SAMPLE))
    window.install_features("export")
    yield window
    window.document.mark_saved()


def open_dialog(window, qtbot) -> ExportDialog:
    """Open the dialog through Export > Export... as a user would."""
    window.actions_by_name["export"].trigger()
    dialog = window.export.dialog
    qtbot.waitExposed(dialog)
    return dialog


def export_through_dialog(dialog: ExportDialog, qtbot, fmt: str, path: Path) -> None:
    """Pick ``fmt``, type ``path``, click Export and wait for the worker to finish."""
    dialog.format_box.setCurrentIndex(dialog.format_box.findData(fmt))
    dialog.path_edit.clear()
    qtbot.keyClicks(dialog.path_edit, str(path))
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)


def test_menu_has_export_with_ctrl_e(lenet_window) -> None:
    action = lenet_window.actions_by_name["export"]
    assert action in lenet_window.menu("E&xport").actions()
    assert action.shortcut().toString() == "Ctrl+E"


@pytest.mark.parametrize("fmt", ["keras", "onnx"])
def test_lenet_exports_and_passes(lenet_window, qtbot, tmp_path: Path, fmt: str) -> None:
    dialog = open_dialog(lenet_window, qtbot)
    if fmt == "onnx":
        dialog.format_box.setCurrentIndex(dialog.format_box.findData("onnx"))
        assert dialog.opset_spin.isEnabled() and not dialog.int8_check.isEnabled()
        dialog.opset_spin.setValue(15)
    export_through_dialog(dialog, qtbot, fmt, tmp_path / "lenet")
    target = tmp_path / f"lenet.{fmt}"
    assert dialog.status_text.startswith("passed"), dialog.status_text
    assert "#1b7f2a" in dialog.status_label.styleSheet()
    assert target.is_file() and target.stat().st_size > 1000
    report = dialog.last_report
    assert report is not None and report.path == str(target)
    assert report.verification.max_abs_diff <= report.verification.tolerance
    assert dialog.fields["path"].text() == str(target)
    assert "bytes" in dialog.fields["size"].text()
    assert float(dialog.fields["diff"].text()) == pytest.approx(
        report.verification.max_abs_diff, rel=1e-2, abs=1e-12
    )
    assert "added the" in dialog.warnings_label.text()  # the suffix was added for us
    dialog.grab().save(str(tmp_path / "dialog.png"))


def test_python_export_with_training_section(lenet_window, qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(lenet_window, qtbot)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("python"))
    assert dialog.training_check.isEnabled() and dialog.weights_check.isEnabled()
    dialog.training_check.setChecked(True)
    export_through_dialog(dialog, qtbot, "python", tmp_path / "lenet.py")
    assert dialog.status_text.startswith("passed"), dialog.status_text
    code = (tmp_path / "lenet.py").read_text()
    assert "def train(" in code and "keras.optimizers.Adam(learning_rate=0.001)" in code
    assert (tmp_path / "lenet.weights.h5").is_file()


def test_python_without_weights_is_not_verified(lenet_window, qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(lenet_window, qtbot)
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("python"))
    dialog.weights_check.setChecked(False)
    export_through_dialog(dialog, qtbot, "python", tmp_path / "net.py")
    assert "not verified" in dialog.status_text
    assert "WEIGHTS = None" in (tmp_path / "net.py").read_text()
    assert not (tmp_path / "net.weights.h5").exists()


def test_graph_with_error_shows_reason_and_writes_nothing(window, qtbot, tmp_path: Path) -> None:
    project = Project(name="broken")
    dense = project.graph.add("Dense", units=3)
    project.graph.add("Input", shape=(4,))  # not connected: Dense has no input
    window.set_project(project)
    window.install_features("export")
    dialog = window.export.open_dialog()
    qtbot.waitExposed(dialog)
    export_through_dialog(dialog, qtbot, "keras", tmp_path / "broken.keras")
    assert "network has errors" in dialog.status_text
    assert project.graph.node(dense).name in dialog.status_text
    assert "#c62828" in dialog.status_label.styleSheet()
    assert list(tmp_path.iterdir()) == []
    window.document.mark_saved()


def test_missing_output_folder_gives_a_clear_message(lenet_window, qtbot, tmp_path: Path) -> None:
    dialog = open_dialog(lenet_window, qtbot)
    export_through_dialog(dialog, qtbot, "keras", tmp_path / "no" / "such" / "lenet.keras")
    assert (
        "does not exist" in dialog.status_text
        and str(tmp_path / "no" / "such") in dialog.status_text
    )
    assert dialog.last_report is None
    assert not (tmp_path / "no").exists()


def test_format_change_swaps_suffix_and_options(lenet_window, qtbot) -> None:
    dialog = open_dialog(lenet_window, qtbot)
    dialog.path_edit.setText("/tmp/x/model.keras")
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("tflite"))
    assert dialog.path_edit.text() == "/tmp/x/model.tflite"
    assert dialog.int8_check.isEnabled() and not dialog.opset_spin.isEnabled()
    dialog.format_box.setCurrentIndex(dialog.format_box.findData("savedmodel"))
    assert dialog.path_edit.text() == "/tmp/x/model"
    assert not dialog.training_check.isEnabled()


def test_existing_file_is_replaced_only_after_yes(lenet_window, qtbot, tmp_path: Path) -> None:
    """Issue 13: an existing target is kept on No (nothing exported), replaced on Yes."""
    target = tmp_path / "lenet.keras"
    target.write_bytes(b"old")
    dialog = open_dialog(lenet_window, qtbot)
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.No, seen)
    export_through_dialog(dialog, qtbot, "keras", target)
    assert seen and "already exists" in seen[0] and str(target) in seen[0]
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    assert dialog.status_text.startswith("Not exported") and dialog.last_report is None
    answer_next_message_box(QMessageBox.StandardButton.Yes, seen)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert len(seen) == 2 and dialog.status_text.startswith("passed"), dialog.status_text
    assert target.stat().st_size > 1000


def test_existing_savedmodel_folder_is_kept_on_no(lenet_window, qtbot, tmp_path: Path) -> None:
    folder = tmp_path / "lenet"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine")
    dialog = open_dialog(lenet_window, qtbot)
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.No, seen)
    export_through_dialog(dialog, qtbot, "savedmodel", folder)
    assert seen and str(folder) in seen[0]
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]
    assert "kept" in dialog.status_text


def test_result_is_cleared_when_path_or_format_changes(lenet_window, qtbot, tmp_path) -> None:
    """Issue 13: no stale "passed" once the format or the target is not the one exported."""
    dialog = open_dialog(lenet_window, qtbot)

    def assert_cleared() -> None:
        assert dialog.status_text == "Not exported yet." and dialog.status_label.styleSheet() == ""
        assert dialog.last_report is None and dialog.warnings_label.text() == ""
        assert all(label.text() == "—" for label in dialog.fields.values())

    export_through_dialog(dialog, qtbot, "keras", tmp_path / "a.keras")
    assert dialog.status_text.startswith("passed"), dialog.status_text
    qtbot.keyClicks(dialog.path_edit, "x")
    assert_cleared()
    export_through_dialog(dialog, qtbot, "keras", tmp_path / "b.keras")
    assert dialog.status_text.startswith("passed"), dialog.status_text
    dialog.set_format("tflite")
    assert_cleared()


def test_default_path_is_sanitised_and_outside_resources(
    window, qtbot, tmp_path: Path, monkeypatch
) -> None:
    """Issue 13: "Digits CNN (pretrained)" from the bundled sample -> ~/Documents/Digits_CNN_pretrained."""
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "Documents").mkdir()
    project = load_project(SAMPLE)
    project.name = "Digits CNN (pretrained)"
    window.set_project(project)
    window.install_features("export")
    dialog = open_dialog(window, qtbot)
    assert dialog.path_edit.text() == str(tmp_path / "Documents" / "Digits_CNN_pretrained.keras")
    dialog.set_format("onnx")
    assert dialog.path_edit.text().endswith("/Documents/Digits_CNN_pretrained.onnx")
    window.document.mark_saved()


def test_default_folder_is_the_projects_or_documents_or_home(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_folder(None) == tmp_path  # no Documents folder: home
    (tmp_path / "Documents").mkdir()
    assert default_folder(None) == tmp_path / "Documents"
    assert default_folder(SAMPLE) == tmp_path / "Documents"
    assert default_folder(tmp_path / "work" / "net.ndproj") == tmp_path / "work"


def test_an_opened_model_file_is_exported_against_the_original(
    window, qtbot, tmp_path: Path
) -> None:
    import keras

    from designer.app.files import open_path

    inp = keras.Input((4,), name="x")
    keras.Model(inp, keras.layers.Dense(2, name="out")(inp), name="tiny").save(tmp_path / "t.keras")
    window.set_project(open_path(tmp_path / "t.keras"))
    window.install_features("export")
    dialog = open_dialog(window, qtbot)
    export_through_dialog(dialog, qtbot, "onnx", tmp_path / "tiny.onnx")
    assert dialog.status_text == "passed: the export matches the original model file 't.keras'"
    assert "vs the original model file 't.keras'; the designer's rebuild differs from it by 0" in (
        dialog.fields["diff"].text()
    )
    window.document.mark_saved()
