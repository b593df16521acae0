"""Keras imported on a background thread while the window is already on screen.

:func:`begin` registers a warm-up and its ``start`` imports Keras on a thread (then stores
the layer specs, :mod:`designer.app.startup`); from ``begin`` until Keras is in,
:func:`waiting` is True and the document defers its analysis (the canvas shows the project,
the Analysis dock says it is analysing). ``ready`` fires on the GUI thread then. Start it after the window's first paint: an import
holds Python's interpreter lock for long stretches, which would slow the window down.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from designer.app.startup import import_keras, store_specs

log = logging.getLogger(__name__)


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
            seconds = import_keras()
        except Exception:  # Keras itself cannot be imported: analysis will say so
            self.failed.emit(traceback.format_exc(limit=3))
            return
        self.seconds = seconds
        self.ready.emit(seconds)  # analysis starts; the specs are stored meanwhile
        try:
            store_specs()
        except Exception:  # a spec that cannot be derived: the next start derives it again
            log.warning("cannot store the layer specs", exc_info=True)

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


def when_ready(fn: Callable[[], None]) -> None:
    """Call ``fn`` once the warm-up has ended (now when none runs): work that would compete
    with the import for the interpreter (opening the project's data) waits this way."""
    warm = _current
    if warm is None:
        fn()
        return
    warm.ready.connect(lambda *_: fn())
    warm.failed.connect(lambda *_: fn())
