"""Keras imported on a background thread while the window is already on screen.

:func:`begin` registers a warm-up and its ``start`` runs :func:`designer.app.startup.warm_up`
on a thread; from ``begin`` until it ends :func:`waiting` is True and the document defers its
analysis (the canvas shows the project, the Analysis dock says it is analysing). ``ready``
fires on the GUI thread when Keras is in. Start it after the window's first paint: an import
holds Python's interpreter lock for long stretches, which would slow the window down.
"""

from __future__ import annotations

import threading
import traceback

from PySide6.QtCore import QObject, Signal

from designer.app.startup import warm_up


class KerasWarmup(QObject):
    """One background import of Keras; ``ready(seconds)`` or ``failed(message)`` at its end."""

    ready = Signal(float)
    failed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.done = threading.Event()
        self.seconds: float | None = None
        self.ready.connect(self._ended)
        self.failed.connect(self._ended)

    def start(self) -> None:
        threading.Thread(target=self._run, name="keras-warm-up", daemon=True).start()

    def _run(self) -> None:
        try:
            seconds = warm_up()
        except Exception:  # Keras itself cannot be imported: analysis will say so
            self.failed.emit(traceback.format_exc(limit=3))
            return
        self.seconds = seconds
        self.ready.emit(seconds)

    def _ended(self, *_: object) -> None:
        self.done.set()
        global _current
        if _current is self:
            _current = None


_current: KerasWarmup | None = None


def begin() -> KerasWarmup:
    """A warm-up that analysis waits for from now on; call its ``start`` to import Keras."""
    global _current
    warm = KerasWarmup()
    _current = warm
    return warm


def waiting() -> bool:
    """True while a warm-up runs: analysis waits for its ``ready`` (or ``failed``) signal."""
    return _current is not None
