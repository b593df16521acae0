"""Long work off the GUI thread: progress, cooperative cancel, errors shown as dialogs.

``run_in_thread(parent, fn, ...)`` runs ``fn(reporter)`` in a QThread, where ``reporter`` is a
:class:`~designer.core.progress.ProgressReporter` whose events arrive on the GUI thread as the
``progress`` signal; ``cancel()`` sets the token that ``reporter`` checks.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot
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
        """Ask the function to stop at its next progress report.

        Call it directly, or connect signals to ``worker.token.cancel``: a signal connected to
        this method would be queued to the worker's own thread, which is busy running.
        """
        self.token.cancel()

    def detach(self) -> None:
        """Cancel and forget: whatever the worker still reports (a result computed before the
        cancellation arrived, a failure, progress) reaches no callback. The thread still ends
        and is cleaned up as usual."""
        self.token.cancel()
        relay = getattr(self, "relay", None)
        if relay is not None:
            relay.silence()


class _Relay(QObject):
    """Lives on the GUI thread, so that the callbacks it calls run there (Qt queues the
    worker's signals to its slots); plain Python callables would run on the worker thread."""

    def __init__(self, parent: QObject, callbacks: dict[str, Callable[..., Any] | None]) -> None:
        super().__init__(parent)
        self._callbacks = callbacks

    def silence(self) -> None:
        """Drop every callback except the thread's own clean-up."""
        self._callbacks = {"ended": self._callbacks.get("ended")}

    def _call(self, name: str, *args: Any) -> None:
        callback = self._callbacks.get(name)
        if callback is not None:
            callback(*args)

    @Slot(object)
    def progress(self, event: Any) -> None:
        """Forward a progress event."""
        self._call("progress", event)

    @Slot(object)
    def finished(self, result: Any) -> None:
        """Forward the result."""
        self._call("done", result)

    @Slot(str, str)
    def failed(self, message: str, details: str) -> None:
        """Forward a failure."""
        self._call("error", message, details)

    @Slot()
    def cancelled(self) -> None:
        """Forward a cancellation."""
        self._call("cancelled")

    @Slot()
    def ended(self) -> None:
        """The thread has finished."""
        self._call("ended")


class TaskRunner(QObject):
    """Owns running workers so they stop cleanly when the window closes."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._running: list[tuple[QThread, Worker]] = []
        self._ended: list[tuple[QThread, Worker]] = []  # released on the next event-loop turn

    def start(
        self,
        fn: Callable[[ProgressReporter], Any],
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
        on_progress: Callable[[ProgressEvent], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
    ) -> Worker:
        """Start ``fn`` in a new thread and return its worker; the callbacks run on the GUI
        thread."""
        thread = QThread()
        worker = Worker(fn)
        worker.moveToThread(thread)
        relay = _Relay(
            self,
            {
                "done": on_done,
                "error": on_error,
                "progress": on_progress,
                "cancelled": on_cancelled,
            },
        )
        worker.relay = relay
        thread.started.connect(worker.run)
        for signal in (worker.finished, worker.failed, worker.cancelled):
            signal.connect(thread.quit)
        worker.progress.connect(relay.progress)
        worker.finished.connect(relay.finished)
        worker.failed.connect(relay.failed)
        worker.cancelled.connect(relay.cancelled)
        relay._callbacks["ended"] = lambda: self._forget(thread)
        thread.finished.connect(relay.ended)
        self._running.append((thread, worker))
        thread.start()
        return worker

    def _forget(self, thread: QThread) -> None:
        """The thread has ended: drop its objects once control is back in the event loop.

        Called from the relay's own slot, so nothing is deleted here; the thread, worker and
        relay are released on the next event-loop turn, with the thread certainly exited.
        (deleteLater on these Python-owned objects led to crashes when their wrappers were
        collected afterwards.)"""
        thread.wait()  # ``finished`` is emitted just before the thread exits
        ended = [(t, w) for t, w in self._running if t is thread]
        self._running = [(t, w) for t, w in self._running if t is not thread]
        for _, worker in ended:
            worker.relay.setParent(None)  # owned by Python from now on
        self._ended.extend(ended)
        QTimer.singleShot(0, self, self._release)

    def _release(self) -> None:
        self._ended.clear()

    @property
    def busy(self) -> bool:
        """True while any worker runs."""
        return bool(self._running)

    def stop_all(self, wait_ms: int = 5000) -> None:
        """Cancel every worker, then wait for the threads to end (all asked at once, so that
        they wind down together)."""
        running = list(self._running)
        for thread, worker in running:
            worker.cancel()
            thread.quit()
        for thread, _ in running:
            thread.wait(wait_ms)


def show_error(parent: QWidget | None, title: str, message: str, details: str = "") -> None:
    """An error dialog with the message and, folded away, the technical details."""
    box = QMessageBox(QMessageBox.Icon.Critical, title, message, parent=parent)
    if details:
        box.setDetailedText(details)
    box.exec()


def run_with_progress(
    parent: QWidget,
    title: str,
    fn: Callable[[ProgressReporter], Any],
    runner: TaskRunner,
    on_done: Callable[[Any], None],
) -> Worker:
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

    def close() -> None:
        # QProgressDialog emits canceled() when it is closed: the work is over, so detach first.
        dialog.canceled.disconnect(worker.token.cancel)
        dialog.close()

    def finish(result: Any) -> None:
        close()
        on_done(result)

    def fail(message: str, details: str) -> None:
        close()
        show_error(parent, title, message, details)

    worker = runner.start(fn, finish, fail, on_progress, close)
    dialog.canceled.connect(worker.token.cancel)  # the token, not the worker: its thread is busy
    return worker
