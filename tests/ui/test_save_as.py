"""Save As: the title follows the file, no false recovery offer, no save into the app's files."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPointF

from designer.app.project import Project
from designer.resources import RESOURCES_DIR, sample_project_path

from .conftest import answer_next_file_dialog


def test_save_as_names_the_window_and_leaves_no_recovery_copy(window, qtbot, tmp_path) -> None:
    window.set_project(Project(), modified=False)
    assert window.windowTitle().startswith("untitled")
    window.edits.add_layer("Dense", {}, QPointF(0, 0))
    copy = window.files.autosave()
    assert copy is not None and copy.is_file()
    seen: list[str] = []
    answer_next_file_dialog(tmp_path / "my_net.ndproj", seen)
    assert window.files.save_as()
    assert window.windowTitle().startswith("my_net")
    assert window.document.project.path == tmp_path / "my_net.ndproj"
    assert not copy.exists() and not window.files.recovery.folder.exists()
    window.edits.add_layer("Dense", {}, QPointF(0, 200))  # more work after Save As
    assert window.files.autosave() is not None
    assert window.files.save()
    assert not list(window.files.recovery.folder.glob("*.ndproj"))
    from designer.ui.shell.file_actions import RecoveryStore

    later_start = RecoveryStore()
    copies, forget = later_start.claim_dead()
    forget()
    assert copies == []  # a later start has nothing to offer


def test_save_as_of_the_bundled_sample_starts_outside_the_application(window, tmp_path) -> None:
    assert window.files.open(sample_project_path(), ask=False)
    seen: list[str] = []
    answer_next_file_dialog(tmp_path / "lenet_copy.ndproj", seen)
    assert window.files.save_as()
    assert seen and not Path(seen[0]).resolve().is_relative_to(RESOURCES_DIR)
    assert (tmp_path / "lenet_copy.ndproj").is_file()
    seen.clear()
    answer_next_file_dialog(tmp_path / "again.ndproj", seen)
    assert window.files.save_as()
    assert Path(seen[0]) == tmp_path  # then the folder last saved to
