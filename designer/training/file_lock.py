"""An exclusive lock between processes on one machine, held on a file (fcntl on POSIX,
msvcrt on Windows); released when the block ends or the process dies."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def exclusive(path: str | Path) -> Iterator[None]:
    """Hold the lock of ``path`` (created if need be) for the block; waits for other holders."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _set(fd, locked=True)
        try:
            yield
        finally:
            _set(fd, locked=False)
    finally:
        os.close(fd)


def _set(fd: int, locked: bool) -> None:
    """Take (waiting for other holders) or release the lock of the open file ``fd``."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        mode = msvcrt.LK_LOCK if locked else msvcrt.LK_UNLCK  # type: ignore[attr-defined]
        msvcrt.locking(fd, mode, 1)  # type: ignore[attr-defined]
        return
    fcntl.flock(fd, fcntl.LOCK_EX if locked else fcntl.LOCK_UN)
