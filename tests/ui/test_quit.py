"""Quitting: the process ends as soon as the window closes, with its settings written."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Opens the GUI as `main.py` does, closes the window once it is analysed, and registers an
# exit handler: Python's slow teardown (which runs such handlers) must be skipped.
SESSION = r"""
import atexit, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from designer.ui.app import run_gui
from designer.ui.shell.main_window import MainWindow

atexit.register(lambda: print("TEARDOWN RAN", flush=True))
app = QApplication([])

def close_when_shown():
    windows = [w for w in app.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
    if windows and windows[0].document.report.nodes:  # shown and analysed: in the main loop
        print("CLOSING", flush=True)
        windows[0].close()
    else:
        QTimer.singleShot(20, close_when_shown)

QTimer.singleShot(0, close_when_shown)
print("EXIT", run_gui(["--no-start-page"]))
"""


def test_closing_the_window_ends_the_process_without_the_slow_teardown(tmp_path) -> None:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "ND_RECOVERY_DIR": str(tmp_path / "recovery"),
        "ND_CACHE_DIR": str(tmp_path / "cache"),
        "ND_LOG_DIR": str(tmp_path / "logs"),
    }
    result = subprocess.run(
        [sys.executable, "-c", SESSION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "CLOSING" in result.stdout
    assert "TEARDOWN RAN" not in result.stdout and "EXIT" not in result.stdout
    settings = list((tmp_path / "config").rglob("*.conf"))
    assert settings and "geometry" in settings[0].read_text()  # written before leaving
