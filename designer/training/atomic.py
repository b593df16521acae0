"""Files that survive ``kill -9``: written to a temporary in the same folder, fsynced, then
renamed over the final name, so a final name only ever holds a complete file.

A temporary is named ``.<final name>.partial-<pid>-<token><suffix>`` (the suffix kept so
Keras accepts ``.keras``); :func:`clean_temporaries` removes those left by dead processes.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from designer.core.project_file import fsync_folder  # one durable rename for every save

if TYPE_CHECKING:
    from designer.training.options import TrainingOptions

_MARK = ".partial-"
_TEMP = re.compile(r"^\..+\.partial-(\d+)-[0-9a-f]+(\.[^.]*)?$")


def temporary_path(path: str) -> str:
    """A fresh temporary name next to ``path`` (same folder, same suffix)."""
    folder, name = os.path.split(os.path.abspath(path))
    suffix = os.path.splitext(name)[1]
    return os.path.join(folder, f".{name}{_MARK}{os.getpid()}-{secrets.token_hex(4)}{suffix}")


def fsync_file(path: str) -> None:
    """Flush a closed file's data to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: str, write: Callable[[str], Any]) -> str:
    """Call ``write(temporary)`` then move the temporary onto ``path``; returns ``path``.

    If ``write`` fails (or the process dies), ``path`` keeps its previous content."""
    tmp = temporary_path(path)
    try:
        write(tmp)
        fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise
    fsync_folder(os.path.dirname(os.path.abspath(path)))
    return path


def write_text_atomic(path: str, text: str) -> str:
    """Write ``text`` (UTF-8) to ``path`` atomically."""

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as f:
            f.write(text)

    return write_atomic(path, write)


def save_model_atomic(model: Any, path: str) -> str:
    """``model.save(path)`` atomically (a killed save leaves only a temporary behind)."""
    return write_atomic(path, model.save)


def temporaries(folder: str) -> list[tuple[str, int]]:
    """(path, writer's pid) of every temporary in ``folder`` (none when it does not exist)."""
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    found = []
    for name in sorted(names):
        m = _TEMP.match(name)
        if m:
            found.append((os.path.join(folder, name), int(m.group(1))))
    return found


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    except OSError:
        return False
    return True


def clean_temporaries(folder: str) -> int:
    """Remove the temporaries of processes that no longer run; returns how many."""
    removed = 0
    for path, pid in temporaries(folder):
        if _alive(pid):
            continue  # another writer may still rename it
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            removed += 1
    return removed


def prepare_folders(o: TrainingOptions) -> dict[str, str]:
    """Create the checkpoint and TensorBoard folders and remove temporaries that killed runs
    left there; returns them by name (ValueError naming a folder that cannot be written)."""
    folders = {}
    for name, what, path in (
        ("checkpoints", "checkpoint_dir", o.checkpoint_dir),
        ("tensorboard", "tensorboard_dir", o.tensorboard_dir),
    ):
        if path:
            folders[name] = prepare_folder(path, what)
    return folders


def prepare_folder(path: str, what: str) -> str:
    """Create ``path`` (for the option ``what``) and clean its stale temporaries; returns it
    absolute. ValueError when it cannot be created or written."""
    folder = os.path.abspath(path)
    try:
        os.makedirs(folder, exist_ok=True)
        clean_temporaries(folder)
        if not os.access(folder, os.W_OK):
            raise PermissionError(13, "Permission denied")
    except OSError as exc:
        raise ValueError(
            f"{what}: expected a folder that training can write to, received {folder} "
            f"({exc.strerror or exc})"
        ) from exc
    return folder
