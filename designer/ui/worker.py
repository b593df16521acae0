"""Long work off the GUI thread: progress, cooperative cancel, errors shown as dialogs.

``run_in_thread(parent, fn, ...)`` runs ``fn(reporter)`` in a QThread, where ``reporter`` is a
:class:`~designer.core.progress.ProgressReporter` whose events arrive on the GUI thread as the
``progress`` signal; ``cancel()`` sets the token that ``reporter`` checks.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from designer.core.progress import Cancelled, CancelToken, ProgressEvent, ProgressReporter


class Worker(QObject):
    """Runs one function in a thread; emits progress, finished(result), failed(message)."""

    progress = Signal(object)  # ProgressEvent
    finished = Signal(object)
    failed = Signal(str, str)  # message, traceback
    cancelled = Signal()

    def __init__(self, fn: Callable[[ProgressReporter], Any]) -> None:
        super().__init__()
        self._fn = fn
        self.token = CancelToken()

    @Slot()
    def run(self) -> None:
        """Execute the function (in the worker thread)."""
        reporter = ProgressReporter(self.progress.emit, self.token)
        try:
            result = self._fn(reporter)
        except Cancelled:
            self.cancelled.emit()
        except Exception as exc:
            self.failed.emit(str(exc) or type(exc).__name__, traceback.format_exc())
        else:
            self.finished.emit(result)

    def cancel(self) -> None:
        """Ask the function to stop at its next progress report."""
        self.token.cancel()


class TaskRunner(QObject):
    """Owns running workers so they stop cleanly when the window closes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: list[tuple[QThread, Worker]] = []

    def start(self, fn: Callable[[ProgressReporter], Any],
              on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[str, str], None] | None = None) -> Worker:  # fmt: skip
        """Start ``fn`` in a new thread and return its worker."""
        thread = QThread()
        worker = Worker(fn)
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(thread.quit)
        if on_done is not None:
            worker.finished.connect(on_done)
        if on_error is not None:
            worker.failed.connect(on_error)
        thread.finished.connect(lambda: self._forget(thread))
        self._running.append((thread, worker))
        thread.start()
        return worker

    def _forget(self, thread: QThread) -> None:
        self._running = [(t, w) for t, w in self._running if t is not thread]
        thread.deleteLater()

    @property
    def busy(self) -> bool:
        """True while any worker runs."""
        return bool(self._running)

    def stop_all(self, wait_ms: int = 5000) -> None:
        """Cancel every worker and wait for the threads to end."""
        for thread, worker in list(self._running):
            worker.cancel()
            thread.quit()
            thread.wait(wait_ms)


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """An error dialog with the message and, folded away, the technical details."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, parent=parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def run_with_progress(parent: QWidget, title: str, fn: Callable[[ProgressReporter], Any],
                      runner: TaskRunner, on_done: Callable[[Any], None]) -> Worker:  # fmt: skip
    """Run ``fn`` with a modal progress dialog (bar, ETA, Cancel); errors become a dialog."""
    dialog = QProgressDialog(title, "Cancel", 0, 1000, parent)
    dialog.setWindowTitle(title)
    dialog.setMinimumDuration(300)
    dialog.setAutoClose(False)
    dialog.setValue(0)

    def on_progress(event: ProgressEvent) -> None:
        frac = event.fraction
        dialog.setMaximum(1000 if frac is not None else 0)
        if frac is not None:
            dialog.setValue(int(frac * 1000))
        eta = f" (about {event.eta:.0f} s left)" if event.eta else ""
        dialog.setLabelText(f"{event.message or title}{eta}")

    def finish(result: Any) -> None:
        dialog.close()
        on_done(result)

    def fail(message: str, details: str) -> None:
        dialog.close()
        show_error(parent, title, message, details)

    worker = runner.start(fn, finish, fail)
    worker.progress.connect(on_progress)
    worker.cancelled.connect(dialog.close)
    dialog.canceled.connect(worker.cancel)
    return worker
