"""Where a project's training may write: its checkpoint and TensorBoard folders.

A relative folder in the project file lies under the project's own folder (and may not
lead out of it); an absolute one is used only once the user has confirmed it in this
session (chosen in the Training Options dialog, or ``train --checkpoint-dir DIR`` on the
command line), since a project file from elsewhere could otherwise make training write
anywhere. Confirmations live in this process only, never in a file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from designer.app.project import Project
from designer.training.options import FOLDERS, OptionsError, TrainingOptions

_WHAT = {"checkpoint_dir": "checkpoint folder", "tensorboard_dir": "TensorBoard folder"}
_CLI = {"checkpoint_dir": "--checkpoint-dir", "tensorboard_dir": "--tensorboard-dir"}
_confirmed: set[str] = set()
_lock = threading.Lock()


class RunFolderError(ValueError):
    """A training output folder of the project is refused; the message says how to allow it."""


def normal_folder(path: str) -> str:
    """``path`` absolute and normalised (``~`` expanded): the form confirmations are kept in."""
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def project_folder(project: Project) -> Path | None:
    """The folder of the project's file, or None for a project never saved."""
    return project.path.resolve().parent if project.path is not None else None


def confirm_folder(path: str) -> str:
    """Let training write to the absolute folder ``path`` in this session (the user chose
    it); returns it normalised."""
    folder = normal_folder(path)
    with _lock:
        _confirmed.add(folder)
    return folder


def is_confirmed(path: str) -> bool:
    """True when the user confirmed ``path`` in this session."""
    with _lock:
        return normal_folder(path) in _confirmed


def forget_confirmed() -> None:
    """Forget every confirmation (a new session; tests)."""
    with _lock:
        _confirmed.clear()


def resolve_folder(name: str, value: str, base: Path | None) -> str:
    """The absolute folder the option ``name`` (``checkpoint_dir`` or ``tensorboard_dir``)
    with ``value`` stands for; RunFolderError when it is not allowed."""
    what, flag = _WHAT[name], _CLI[name]
    choose = f"choose a folder in Training > Options, or pass {flag} DIR to train"
    expanded = os.path.expanduser(value)
    if os.path.isabs(expanded):
        folder = normal_folder(expanded)
        if is_confirmed(folder):
            return folder
        raise RunFolderError(
            f"The project's {what} {folder} is an absolute path read from the project file "
            f"and not yet confirmed: expected a folder inside the project's folder or one "
            f"you chose; to allow this one, choose it in Training > Options or pass "
            f"{flag} {folder} to train"
        )
    if base is None:
        raise RunFolderError(
            f"The project's {what} {value!r} is relative to the project's folder, but the "
            f"project has not been saved: save the project first, or {choose}"
        )
    root = os.path.realpath(base)
    folder = os.path.realpath(os.path.join(root, expanded))
    if os.path.commonpath([root, folder]) != root:
        raise RunFolderError(
            f"The project's {what} {value!r} leads out of the project's folder {root} (to "
            f"{folder}): expected a folder inside it; {choose}"
        )
    return folder


def resolve_run_folders(options: TrainingOptions, base: Path | None) -> TrainingOptions:
    """``options`` with the checkpoint and TensorBoard folders made absolute (relative ones
    under ``base``); RunFolderError for a folder that is not allowed."""
    changes = {name: getattr(options, name) for name in FOLDERS if getattr(options, name)}
    if not changes:
        return options
    return options.replace(**{k: resolve_folder(k, v, base) for k, v in changes.items()})


def confirm_run_folders(
    project: Project, checkpoint_dir: str | None = None, tensorboard_dir: str | None = None
) -> dict[str, str]:
    """Make folders the user gave (on the command line: relative to the current folder) the
    project's checkpoint/TensorBoard folders, confirmed; returns them by option name."""
    given = {"checkpoint_dir": checkpoint_dir, "tensorboard_dir": tensorboard_dir}
    folders = {name: normal_folder(value) for name, value in given.items() if value}
    if not folders:
        return {}
    try:
        training = project.settings.training.replace(**folders)
    except OptionsError as exc:
        raise RunFolderError(str(exc)) from exc
    for folder in folders.values():
        confirm_folder(folder)
    project.settings = project.settings.replace(training=training)
    return folders
