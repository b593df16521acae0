"""The sink API over a byte stream: every event as one JSON line, and back.

A training process started by another (a multi-worker run's chief, :mod:`designer.app.
multi_worker_run`) reports to its parent through :class:`EventStreamSink`; the parent
:func:`replay` s the lines into its own sink, which receives the same frozen dataclasses
the trainer made. One line per event, flushed at once, so a reader sees each event as it
happens and a killed writer leaves at most one torn line at the end.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Iterable
from typing import IO, Any

from designer.training.events import (
    EpochSummary,
    IterationPoint,
    PhaseEvent,
    RunInfo,
    Status,
    StatusEvent,
    TrainingSink,
    ValidationPoint,
    as_sink,
)

# The "event" name of each line -> (dataclass, sink method).
EVENTS: dict[str, tuple[type, str]] = {
    "start": (RunInfo, "on_start"),
    "status": (StatusEvent, "on_status"),
    "iteration": (IterationPoint, "on_iteration"),
    "validation": (ValidationPoint, "on_validation"),
    "epoch": (EpochSummary, "on_epoch"),
    "phase": (PhaseEvent, "on_phase"),
}


class EventStreamError(ValueError):
    """A line that is not an event of this stream format."""


def event_line(name: str, event: Any) -> str:
    """The JSON line (without newline) of one event named ``name`` (a key of EVENTS)."""
    data = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    if isinstance(event, StatusEvent):
        data["status"] = event.status.value
    return json.dumps({"event": name, "data": data}, default=str, separators=(",", ":"))


class EventStreamSink(TrainingSink):
    """Writes every event it receives to ``stream`` (text, opened for writing) as a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._lock = threading.Lock()

    def _write(self, name: str, event: Any) -> None:
        line = event_line(name, event) + "\n"
        with self._lock:
            try:
                self.stream.write(line)
                self.stream.flush()
            except (BrokenPipeError, ValueError, OSError):  # the reader went away: train on
                pass

    def on_start(self, info: RunInfo) -> None:
        """Write the event."""
        self._write("start", info)

    def on_status(self, event: StatusEvent) -> None:
        """Write the event."""
        self._write("status", event)

    def on_iteration(self, point: IterationPoint) -> None:
        """Write the event."""
        self._write("iteration", point)

    def on_validation(self, point: ValidationPoint) -> None:
        """Write the event."""
        self._write("validation", point)

    def on_epoch(self, summary: EpochSummary) -> None:
        """Write the event."""
        self._write("epoch", summary)

    def on_phase(self, event: PhaseEvent) -> None:
        """Write the event."""
        self._write("phase", event)


def parse_event(line: str) -> tuple[str, Any]:
    """(sink method name, event dataclass) of one line; EventStreamError when malformed."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise EventStreamError(f"Expected a JSON event line, received {line[:80]!r}") from exc
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        raise EventStreamError(
            f"Expected an object with 'event' among {sorted(EVENTS)}, received {line[:80]!r}"
        )
    cls, method = EVENTS[record["event"]]
    data = record.get("data")
    if not isinstance(data, dict):
        raise EventStreamError(f"Expected the event's 'data' object, received {line[:80]!r}")
    known = {f.name for f in dataclasses.fields(cls)}
    try:
        values = {k: v for k, v in data.items() if k in known}
        if cls is StatusEvent:
            values["status"] = Status(values.get("status"))
        return method, cls(**values)
    except (TypeError, ValueError) as exc:
        raise EventStreamError(f"Invalid {record['event']} event: {exc}") from exc


def replay(
    lines: Iterable[str],
    sink: Any,
    *,
    strict: bool = True,
    on_event: Callable[[str, Any], None] | None = None,
) -> int:
    """Call ``sink``'s method for each event line of ``lines`` (blank lines skipped); returns
    how many events it received. ``strict=False`` skips malformed lines (a torn last line)
    instead of raising EventStreamError; ``on_event(method, event)`` sees each one first."""
    target = as_sink(sink)
    count = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            method, event = parse_event(line)
        except EventStreamError:
            if strict:
                raise
            continue
        if on_event is not None:
            on_event(method, event)
        getattr(target, method)(event)
        count += 1
    return count
