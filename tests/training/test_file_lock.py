"""The lock experiment workers take turns under when they take a trial (with SQLite, Optuna's
queued -> running is not atomic between processes)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from designer.training.file_lock import exclusive

pytest.importorskip("fcntl")

TRY = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
try:
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
except BlockingIOError:
    sys.exit(3)
"""


def _other_process_gets(path) -> bool:
    done = subprocess.run([sys.executable, "-c", TRY, str(path)], timeout=60)
    assert done.returncode in (0, 3)
    return done.returncode == 0


def test_another_process_cannot_take_the_lock_while_it_is_held(tmp_path) -> None:
    path = tmp_path / "trials" / ".claim.lock"
    with exclusive(path):
        assert path.exists() and not _other_process_gets(path)
    assert _other_process_gets(path)  # released at the end of the block
    with exclusive(path):  # and taken again
        assert not _other_process_gets(path)
