"""Logging: a rotating log file in the user's data folder, and TensorFlow's start-up noise
kept off the terminal.

Modules log with ``logging.getLogger(__name__)``; :func:`setup_logging` (called once by the
entry point) sends the ``designer`` loggers to ``network-designer.log``. Native libraries
(TensorFlow's C++ core, absl, CUDA stubs, Qt) write straight to file descriptor 2; unless
``verbose``, that descriptor goes to ``native.log`` beside it, while Python's ``sys.stderr``
(the CLI's messages, warnings, tracebacks) keeps writing to the terminal.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from designer.app.user_dirs import user_folder

LOG_NAME = "network-designer.log"
NATIVE_LOG_NAME = "native.log"
_MAX_BYTES, _BACKUPS = 1_000_000, 3
_state: dict[str, Path] = {}


def log_dir() -> Path:
    """The folder of the log files: $ND_LOG_DIR, else the platform's user data folder."""
    return user_folder("logs")


def log_file() -> Path:
    """The application's log file (where :func:`setup_logging` writes, or will)."""
    return _state.get("log", log_dir() / LOG_NAME)


def setup_logging(verbose: bool = False) -> Path | None:
    """Log to the rotating file (and, when ``verbose``, everything to the terminal too);
    returns the log file, or None when its folder cannot be written (logging then goes to
    the terminal at warning level only)."""
    root = logging.getLogger("designer")
    if "log" in _state:
        return _state["log"]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    formatter = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    if verbose:
        console = logging.StreamHandler(sys.stderr)
        console.setFormatter(formatter)
        root.addHandler(console)
    try:
        folder = log_dir()
        folder.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            folder / LOG_NAME, maxBytes=_MAX_BYTES, backupCount=_BACKUPS, encoding="utf-8"
        )
    except OSError:
        if not verbose:
            root.addHandler(logging.StreamHandler(sys.stderr))
            root.handlers[-1].setLevel(logging.WARNING)
        return None
    handler.setFormatter(formatter)
    root.addHandler(handler)
    _state["log"] = folder / LOG_NAME
    if not verbose:
        _divert_native_stderr(folder / NATIVE_LOG_NAME)
    return _state["log"]


def _divert_native_stderr(path: Path) -> None:
    """Point file descriptor 2 at ``path``; ``sys.stderr`` keeps the terminal."""
    try:
        sys.stderr.flush()
        terminal = os.dup(2)
        native = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    except (OSError, ValueError):  # no descriptor 2 (pythonw) or an unwritable folder
        return
    os.dup2(native, 2)
    os.close(native)
    sys.stderr = os.fdopen(terminal, "w", buffering=1, encoding="utf-8", errors="replace")
    _state["native"] = path
