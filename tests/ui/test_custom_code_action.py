"""File > Load Custom Layer Code... in a real window: the trust prompt comes before the code
runs, a "Don't run" runs nothing, errors are dialogs, a failed open can be retried, and a
project that lists code asks before running it. Only the file dialog is replaced; the
message boxes are real and answered by clicking their buttons."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from designer.app.custom_code import is_loaded
from tests.app.test_custom_code import make_custom_model, write_custom_project

Button = QMessageBox.StandardButton


pytestmark = pytest.mark.usefixtures("forget_loaded_code")


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> dict:
    return make_custom_model(tmp_path_factory.mktemp("ui-custom"))


def answer_boxes(answers: list[Button], seen: list[dict], code: Path | None = None) -> None:
    """Click ``answers`` on the next message boxes, in turn, recording each one's text and
    whether ``code`` had run when it was shown."""
    pending, last = list(answers), [None]

    def click() -> None:
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box is not last[0] and box.isVisible():
            last[0] = box
            seen.append({"text": box.text(), "loaded": bool(code and is_loaded(code))})
            box.button(pending.pop(0)).click()
        if pending:
            QTimer.singleShot(50, click)

    QTimer.singleShot(50, click)


def choose_file(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(
        QFileDialog, "getOpenFileName", lambda *args, **kwargs: (str(path), "Python files (*.py)")
    )


def test_the_code_runs_after_the_prompt_and_is_added_to_the_project(
    window, qtbot, monkeypatch, tmp_path
) -> None:
    made = write_custom_project(tmp_path)
    choose_file(monkeypatch, made["code"])
    seen: list[dict] = []
    answer_boxes([Button.Yes], seen, made["code"])
    action = window.actions_by_name["load_custom_code"]
    assert action in window.menu("&File").actions()
    assert action.text() == "Load Custom &Layer Code..."
    action.trigger()
    assert len(seen) == 1 and not seen[0]["loaded"]  # asked before anything ran
    assert str(made["code"]) in seen[0]["text"] and "executes Python code" in seen[0]["text"]
    assert is_loaded(made["code"])
    assert window.document.settings.custom_code.files == (str(made["code"]),)
    assert made["name"] in window.statusBar().currentMessage()
    assert window.document.undo_stack.count() == 1 and window.document.modified
    window.document.undo_stack.undo()
    assert window.document.settings.custom_code.files == ()


def test_dont_run_runs_nothing(window, qtbot, monkeypatch, tmp_path) -> None:
    made = write_custom_project(tmp_path)
    choose_file(monkeypatch, made["code"])
    seen: list[dict] = []
    answer_boxes([Button.No], seen)
    window.actions_by_name["load_custom_code"].trigger()
    assert len(seen) == 1 and not is_loaded(made["code"])
    assert window.document.settings.custom_code.files == ()
    assert window.document.undo_stack.count() == 0


def test_an_error_in_the_file_is_a_dialog(window, qtbot, monkeypatch, tmp_path) -> None:
    broken = tmp_path / "broken.py"
    broken.write_text("import keras\n\ndef oops(:\n    pass\n")
    choose_file(monkeypatch, broken)
    seen: list[dict] = []
    answer_boxes([Button.Yes, Button.Ok], seen)
    window.actions_by_name["load_custom_code"].trigger()
    assert len(seen) == 2 and "line 3" in seen[1]["text"] and str(broken) in seen[1]["text"]
    assert not is_loaded(broken) and window.document.settings.custom_code.files == ()


def test_a_model_without_its_code_opens_read_only_then_in_full_after_the_code(
    window, qtbot, monkeypatch, custom
) -> None:
    assert window.files.open(custom["models"][0], ask=False)
    reason = window.document.read_only
    assert reason and custom["name"] in reason and "Load Custom Layer Code" in reason
    assert window.read_only_banner.isVisible()
    assert custom["name"] in window.read_only_banner.text()
    assert custom["name"] in window.files.import_report.informativeText()
    window.files.import_report.close()
    assert not window.document.modified  # nothing to save: it cannot be saved
    seen: list[dict] = []
    choose_file(monkeypatch, custom["code"])
    answer_boxes([Button.Yes, Button.Open], seen)
    window.actions_by_name["load_custom_code"].trigger()
    assert "could not be opened in full" in seen[1]["text"]
    project = window.document.project
    assert project.read_only is None and not window.read_only_banner.isVisible()
    assert custom["name"] in [node.type for node in project.graph.nodes]
    assert project.settings.custom_code.files == (str(custom["code"]),)


def test_a_project_listing_code_asks_before_running_it(window, qtbot, tmp_path) -> None:
    made = write_custom_project(tmp_path)
    seen: list[dict] = []
    answer_boxes([Button.No], seen, made["code"])
    assert window.files.open(made["project"], ask=False)  # declined: shown read-only
    assert "This project uses custom layer code from" in seen[0]["text"]
    assert str(made["code"]) in seen[0]["text"] and "Run it?" in seen[0]["text"]
    assert not is_loaded(made["code"])
    assert made["name"] in (window.document.read_only or "")
    assert window.read_only_banner.isVisible()
    window.files.import_report.close()
    answer_boxes([Button.Yes], seen, made["code"])
    assert window.files.open(made["project"], ask=False)
    assert not seen[1]["loaded"] and is_loaded(made["code"])
    assert window.document.read_only is None
    assert window.document.project.settings.custom_code.files == (str(made["code"]),)
