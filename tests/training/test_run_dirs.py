"""Where a project's training may write (issue #12: ``checkpoint_dir``/``tensorboard_dir``
in a project file could point anywhere): under the project's folder, or a folder the user
confirmed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from designer.app.project import Project, load_project, save_project
from designer.app.project_run import ProjectRunError, training_options
from designer.app.run_dirs import confirm_run_folders, forget_confirmed, is_confirmed


@pytest.fixture(autouse=True)
def fresh_session():
    """No folder confirmed before or after a test."""
    forget_confirmed()
    yield
    forget_confirmed()


def project(tmp_path: Path | None, **training) -> Project:
    p = Project.from_sections(name="p", training=training)
    if tmp_path is not None:
        (tmp_path / "proj").mkdir(exist_ok=True)
        p.path = tmp_path / "proj" / "p.ndproj"
    return p


def refusal(p: Project) -> str:
    with pytest.raises(ProjectRunError) as info:
        training_options(p)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_relative_folders_go_under_the_project_folder(tmp_path):
    options = training_options(project(tmp_path, checkpoint_dir="runs/ckpt", tensorboard_dir="tb"))
    root = os.path.realpath(tmp_path / "proj")
    assert options.checkpoint_dir == os.path.join(root, "runs", "ckpt")
    assert options.tensorboard_dir == os.path.join(root, "tb")
    stored = training_options(project(tmp_path, checkpoint_dir="ckpt"), resolve_folders=False)
    assert stored.checkpoint_dir == "ckpt"  # what the options dialog shows and edits


def test_a_relative_folder_of_an_unsaved_project_is_refused():
    message = refusal(project(None, checkpoint_dir="ckpt"))
    assert message == (
        "The project's checkpoint folder 'ckpt' is relative to the project's folder, but the "
        "project has not been saved: save the project first, or choose a folder in Training > "
        "Options, or pass --checkpoint-dir DIR to train"
    )


@pytest.mark.parametrize("value", ["../../", "a/../../x", "tb/../../../etc"])
def test_a_folder_leading_out_of_the_project_is_refused(tmp_path, value):
    message = refusal(project(tmp_path, tensorboard_dir=value))
    root = os.path.realpath(tmp_path / "proj")
    assert message.startswith(
        f"The project's TensorBoard folder {value!r} leads out of the project's folder {root} (to "
    )
    assert "expected a folder inside it; choose a folder in Training > Options" in message


def test_a_link_out_of_the_project_is_refused(tmp_path):
    p = project(tmp_path, checkpoint_dir="link/ckpt")
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "proj" / "link").symlink_to(tmp_path / "elsewhere")
    assert "leads out of the project's folder" in refusal(p)


def test_an_absolute_folder_from_a_file_needs_confirming(tmp_path):
    folder = str(tmp_path / "shared" / "ckpt")
    p = project(tmp_path, checkpoint_dir=folder)
    save_project(p, p.path)
    loaded = load_project(p.path)
    assert refusal(loaded) == (
        f"The project's checkpoint folder {folder} is an absolute path read from the project "
        "file and not yet confirmed: expected a folder inside the project's folder or one you "
        f"chose; to allow this one, choose it in Training > Options or pass --checkpoint-dir "
        f"{folder} to train"
    )
    assert not os.path.exists(folder)  # nothing was created on the way
    home = refusal(project(tmp_path, tensorboard_dir="~/tb"))
    assert f"TensorBoard folder {os.path.expanduser('~/tb')} is an absolute path" in home


def test_a_folder_given_on_the_command_line_is_confirmed(tmp_path, monkeypatch):
    p = project(tmp_path, checkpoint_dir="/somewhere/else", tensorboard_dir="../../up")
    monkeypatch.chdir(tmp_path)
    given = confirm_run_folders(p, checkpoint_dir="mine/ckpt", tensorboard_dir=str(tmp_path / "t"))
    assert given == {
        "checkpoint_dir": str(tmp_path / "mine" / "ckpt"),
        "tensorboard_dir": str(tmp_path / "t"),
    }
    options = training_options(p)
    assert (options.checkpoint_dir, options.tensorboard_dir) == tuple(given.values())
    assert confirm_run_folders(p) == {}


def test_the_options_dialog_confirms_folders_the_user_types_or_chooses(qtbot, tmp_path):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QDialogButtonBox

    from designer.training.options import TrainingOptions
    from designer.ui.training.options_dialog import TrainingOptionsDialog

    from_file, typed, chosen = (str(tmp_path / n) for n in ("from-file", "typed", "chosen"))
    dialog = TrainingOptionsDialog(TrainingOptions(checkpoint_dir=from_file))
    qtbot.addWidget(dialog)
    dialog.show()
    assert f"checkpoint_dir {from_file} was read from the project file" in dialog.note.text()
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert dialog.result_options.checkpoint_dir == from_file
    assert not is_confirmed(from_file)  # shown, but not chosen: still needs confirming

    dialog = TrainingOptionsDialog(TrainingOptions(checkpoint_dir=from_file))
    qtbot.addWidget(dialog)
    dialog.show()
    edit = dialog.widgets["checkpoint_dir"]
    edit.clear()
    qtbot.keyClicks(edit, typed)
    dialog.choose_folder("tensorboard_dir", chosen)
    assert dialog.note.text() == ""
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    assert (dialog.result_options.checkpoint_dir, dialog.result_options.tensorboard_dir) == (
        typed,
        chosen,
    )
    assert is_confirmed(typed) and is_confirmed(chosen) and not is_confirmed(from_file)
    p = project(None, checkpoint_dir=typed, tensorboard_dir=chosen)
    assert training_options(p).checkpoint_dir == typed
