"""Write artefacts atomically: build beside the target, verify, then move into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from designer.export.report import ExportError


def check_writable(target: Path) -> None:
    """Raise ExportError unless ``target`` can be created in an existing, writable folder."""
    parent = target.parent
    if not parent.exists():
        raise ExportError(
            f"Expected an existing folder to write {target.name!r} into, "
            f"but {str(parent)!r} does not exist."
        )
    if not parent.is_dir():
        raise ExportError(f"Expected a folder, but {str(parent)!r} is a file.")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(
            f"Expected a writable folder, but {str(parent)!r} is not writable "
            f"(cannot create {target.name!r})."
        )


@contextlib.contextmanager
def staging_dir(target: Path) -> Iterator[Path]:
    """A temporary folder beside ``target`` (same file system), removed on exit whatever happens."""
    check_writable(target)
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    except OSError as exc:
        raise ExportError(
            f"Expected to create a temporary folder in {str(target.parent)!r}, but: {exc}"
        ) from exc
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def move_into_place(src: Path, target: Path) -> None:
    """Replace ``target`` by ``src`` (a file or a folder) with a rename on the same file system."""
    try:
        if src.is_dir():
            if target.is_dir():
                # A folder cannot be renamed over a non-empty folder: move the old one aside first.
                old = target.with_name(f".{target.name}.old")
                shutil.rmtree(old, ignore_errors=True)
                os.replace(target, old)
                os.replace(src, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                if target.exists():
                    target.unlink()
                os.replace(src, target)
        else:
            if target.is_dir():
                raise ExportError(
                    f"Expected to write the file {str(target)!r}, but a folder of that name exists."
                )
            os.replace(src, target)
    except OSError as exc:
        raise ExportError(f"Expected to move the export to {str(target)!r}, but: {exc}") from exc


def path_size(path: Path) -> int:
    """Size in bytes of a file, or of all files under a folder."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return path.stat().st_size
