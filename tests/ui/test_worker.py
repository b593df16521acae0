"""TaskRunner and Worker: results reach the GUI thread; a detached worker reaches nobody."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread

from designer.ui.common.worker import TaskRunner


def test_result_arrives_on_the_gui_thread(qtbot):
    tasks = TaskRunner()
    gui_thread = tasks.thread()
    seen = []
    tasks.start(
        lambda reporter: 42,
        lambda result: seen.append((result, QThread.currentThread() is gui_thread)),
    )
    qtbot.waitUntil(lambda: bool(seen) and not tasks.busy, timeout=5000)
    assert seen == [(42, True)]


def test_detached_worker_reports_nothing_but_its_thread_is_cleaned_up(qtbot):
    """A result already computed when the user changed the fields must not be shown."""
    tasks = TaskRunner()
    release = threading.Event()
    seen = []

    def work(reporter):
        release.wait(5)
        reporter(1, 1, "done")  # the token is cancelled by now: raises Cancelled
        return "stale"

    def work_ignoring_cancel(reporter):
        release.wait(5)
        return "stale"

    for fn in (work, work_ignoring_cancel):
        worker = tasks.start(
            fn, seen.append, lambda m, d: seen.append(m), seen.append, lambda: seen.append("x")
        )
        worker.detach()
        release.set()
        qtbot.waitUntil(lambda: not tasks.busy, timeout=5000)
        release.clear()
    qtbot.wait(50)
    assert seen == []
