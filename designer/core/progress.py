"""Progress reporting and cooperative cancellation shared by all long-running work.

Qt-free: workers in ``designer.ui`` adapt these to signals; the CLI prints them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class Cancelled(Exception):
    """Raised inside long work when the user asked to cancel it."""


@dataclass(frozen=True)
class ProgressEvent:
    """One step of progress: ``done`` out of ``total`` (total 0 when unknown)."""

    done: float
    total: float
    message: str = ""
    elapsed: float = 0.0

    @property
    def fraction(self) -> float | None:
        """Share done in [0, 1], or None when the total is unknown."""
        return min(1.0, self.done / self.total) if self.total else None

    @property
    def eta(self) -> float | None:
        """Estimated seconds left, or None when it cannot be estimated yet."""
        frac = self.fraction
        if not frac or frac <= 0 or self.elapsed <= 0:
            return None
        return self.elapsed * (1.0 - frac) / frac


ProgressCallback = Callable[[ProgressEvent], None]


class CancelToken:
    """A thread-safe flag that long work polls with :meth:`check`."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the work to stop at its next check."""
        self._event.set()

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def check(self) -> None:
        """Raise :class:`Cancelled` if cancellation was requested."""
        if self._event.is_set():
            raise Cancelled("cancelled by the user")


class ProgressReporter:
    """Turns (done, total) counts into timed :class:`ProgressEvent` calls and checks cancel."""

    def __init__(
        self,
        callback: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        min_interval: float = 0.05,
    ) -> None:
        self._callback = callback
        self._cancel = cancel
        self._min_interval = min_interval
        self._start = time.perf_counter()
        self._last = 0.0

    def __call__(self, done: float, total: float, message: str = "", force: bool = False) -> None:
        """Report progress (rate-limited unless ``force`` or finished) and honour cancel."""
        if self._cancel is not None:
            self._cancel.check()
        if self._callback is None:
            return
        now = time.perf_counter()
        finished = bool(total) and done >= total
        if force or finished or now - self._last >= self._min_interval:
            self._last = now
            self._callback(ProgressEvent(done, total, message, now - self._start))
