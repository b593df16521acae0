"""Start the GUI: ``python main.py [PROJECT] [--screenshot FILE.png]``."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from designer.resources import sample_project_path

SAMPLE: Path = sample_project_path()  # lenet5.json, package data in designer/resources


def parse_gui_args(argv: list[str]) -> argparse.Namespace:
    """Arguments of the GUI entry point."""
    parser = argparse.ArgumentParser(prog="python main.py", add_help=False)
    parser.add_argument("project", nargs="?", help="project or Keras model to open")
    parser.add_argument(
        "--screenshot", metavar="FILE.png", help="render the main window to a PNG and exit"
    )
    parser.add_argument("--no-start-page", action="store_true", help="do not show the gallery")
    return parser.parse_args(argv)


def make_window(project_path: str | None = None, interactive: bool = True):
    """A main window showing ``project_path`` (the bundled LeNet-5 sample by default); without
    ``interactive`` (a screenshot) a file that cannot be opened raises ProjectError instead of
    showing a dialog that nobody can close."""
    from designer.ui.shell.main_window import MainWindow

    window = MainWindow()
    path = project_path or (str(SAMPLE) if SAMPLE.exists() else None)
    if path:
        window.files.open(path, ask=False, interactive=interactive)
        if project_path is None:
            window.document.mark_saved()  # the bundled sample opens unmodified
    return window


def screenshot(window, path: str) -> None:
    """Render ``window`` to a PNG file."""
    window.resize(1500, 920)
    window.show()
    app = QApplication.instance()
    start = time.monotonic()
    settle, limit = 0.5, 20.0  # let the window settle, and wait for workers (data previews)
    while time.monotonic() - start < settle or (
        window.tasks.busy and time.monotonic() - start < limit
    ):
        app.processEvents()
        time.sleep(0.01)
    window.view.fit_readable()
    app.processEvents()
    saved = window.grab().save(path)
    window.tasks.stop_all()
    if not saved:
        raise OSError(f"cannot write {path}")


def run_gui(argv: list[str]) -> int:
    """The application's main loop; returns the exit code."""
    args = parse_gui_args(argv)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Network Designer")
    app.setOrganizationName("NetworkDesigner")
    if args.screenshot:
        from designer.core.errors import ProjectError

        try:
            window = make_window(args.project, interactive=False)
            screenshot(window, args.screenshot)
        except (ProjectError, OSError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.screenshot}")
        return 0
    from designer.app.startup import load_stored_specs
    from designer.ui.common import keras_warmup

    load_stored_specs()  # the project is drawn with them while Keras is imported
    warm = keras_warmup.begin()
    window = make_window(args.project)
    window.wait_for_keras(warm)
    window.show()
    window.view.fit_readable()
    app.processEvents()  # the first paint, before the import competes for the interpreter
    warm.start()
    wants_gallery = not args.no_start_page and args.project is None and window.gallery is not None
    if not window.files.offer_recovery() and wants_gallery:
        QTimer.singleShot(0, window.gallery.show_start_page)
    code = app.exec()
    window.files.settings.sync()
    leave(code)
    return code  # not reached


def leave(code: int) -> None:
    """End the process now that the window has closed (its settings written, its workers
    stopped): Python's own teardown of TensorFlow and Qt takes seconds and saves nothing."""
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)
