"""History on disk while the run goes: ``history.csv`` gains a row as each epoch ends and
``iterations.csv`` that epoch's mini-batches, so a killed run keeps its curves up to the last
finished epoch. Every write is whole lines in one system call, fsynced."""

from __future__ import annotations

import csv
import os
from typing import Any

from designer.training.atomic import write_text_atomic
from designer.training.events import EpochSummary, IterationPoint, StatusEvent, TrainingSink
from designer.training.history import csv_text, epoch_row, iteration_row

_ENDED = ("stopped", "finished", "failed")


class CsvLog:
    """A CSV file that grows by whole rows. The first rows (or a row with a new column)
    replace the file atomically with the header; later rows are appended and fsynced."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.fields: list[str] | None = None
        self.rows = 0
        self._fd: int | None = None

    def append(self, rows: list[dict[str, Any]]) -> None:
        """Add ``rows`` to the file (nothing for an empty list)."""
        if not rows:
            return
        keys = list(self.fields or [])
        for row in rows:
            keys += [k for k in row if k not in keys]
        if self.fields is None or keys != self.fields:
            self._rewrite(keys, self._read() + rows)
        else:
            self._write(csv_text(keys, rows, header=False).encode("utf-8"))
        self.rows += len(rows)

    def close(self) -> None:
        """Close the file (a later append opens it again)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _read(self) -> list[dict[str, Any]]:
        if self.fields is None:  # a file from an earlier run is replaced, not extended
            return []
        with open(self.path, newline="", encoding="utf-8") as f:
            return list(csv.DictReader(f))

    def _rewrite(self, keys: list[str], rows: list[dict[str, Any]]) -> None:
        self.close()
        write_text_atomic(self.path, csv_text(keys, rows))
        self.fields = keys
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        view = memoryview(data)
        while view:
            view = view[os.write(self._fd, view) :]
        os.fsync(self._fd)


class HistoryFileSink(TrainingSink):
    """Writes ``history`` (one row per epoch as it ends) and ``iterations`` (that epoch's
    mini-batches, written with it) while training runs."""

    def __init__(self, history: str, iterations: str) -> None:
        self.history = CsvLog(history)
        self.iterations = CsvLog(iterations)
        self._pending: list[dict[str, Any]] = []
        self.error: OSError | None = None

    def on_iteration(self, point: IterationPoint) -> None:
        """Keep the row until its epoch ends."""
        self._pending.append(iteration_row(point))

    def on_epoch(self, summary: EpochSummary) -> None:
        """Write the epoch's mini-batches, then its history row."""
        self.iterations.append(self._pending)
        self._pending = []
        self.history.append([epoch_row(summary)])

    def on_status(self, event: StatusEvent) -> None:
        """At the end of the run: write what an interrupted epoch left, close the files."""
        if event.status.value not in _ENDED:
            return
        try:
            self.iterations.append(self._pending)
        except OSError as exc:  # the run's end rewrites the files and reports for real
            self.error = exc
        self._pending = []
        self.history.close()
        self.iterations.close()
