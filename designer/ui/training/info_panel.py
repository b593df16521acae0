"""The information panel beside the training curves (MATLAB's "Training Progress" side bar)."""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING

from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QProgressBar, QVBoxLayout, QWidget

from designer.training.events import (
    IterationPoint,
    RunInfo,
    StatusEvent,
    format_seconds,
    status_sentence,
)
from designer.ui.training.plots import MAP50, is_detection, is_percent

if TYPE_CHECKING:
    from designer.app.settings import RunResults

NO_RESULTS = "No training results in this project yet: choose Training > Train."
STORED_NOTE = (
    "Results of the last run, as stored in the project; the project keeps the final and best "
    "values, not the curves: train again to see them."
)

MAP_TITLES = {MAP50: "mAP@0.5", "map": "mAP@[.5:.95]"}  # a detector's metrics, by name

FIELDS = (
    ("start", "Start time"),
    ("elapsed", "Elapsed time"),
    ("epoch", "Epoch"),
    ("iteration", "Iteration"),
    ("per_epoch", "Iterations per epoch"),
    ("max_iterations", "Maximum iterations"),
    ("validation", "Validation frequency"),
    ("learning_rate", "Learning rate"),
    ("hardware", "Hardware"),
    ("status", "Status"),
)


class TrainingInfoPanel(QWidget):
    """Labels for time, epoch/iteration counters, learning rate, hardware, status and results."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        layout.addWidget(self.progress)
        box = QGroupBox("Training")
        form = QFormLayout(box)
        self.labels: dict[str, QLabel] = {}
        for key, title in FIELDS:
            label = QLabel("-")
            label.setWordWrap(True)
            self.labels[key] = label
            form.addRow(title + ":", label)
        layout.addWidget(box)
        self.final_box = QGroupBox("Results")
        self.final_form = QFormLayout(self.final_box)
        layout.addWidget(self.final_box)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a00000; font-weight: bold;")
        self.message.hide()
        layout.addWidget(self.message)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        layout.addWidget(self.note)
        layout.addStretch(1)
        self.epochs = 0
        self.total: int | None = None
        self.state = "starting"  # the status value: an ETA shows only while "running"

    def text(self, key: str) -> str:
        """The current text of one field (``FIELDS`` keys)."""
        return self.labels[key].text()

    def reset(self, validation: str, hardware: str = "") -> None:
        """Clear for a new run."""
        for label in self.labels.values():
            label.setText("-")
        self.labels["start"].setText(datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S"))
        self.labels["validation"].setText(validation)
        self.labels["hardware"].setText(hardware or "-")
        self.labels["status"].setText("Preparing data and network...")
        self.progress.setValue(0)
        self.progress.setFormat("%p%")
        self.state = "starting"
        self.message.hide()
        self.note.setText("")
        while self.final_form.rowCount():
            self.final_form.removeRow(0)

    def set_info(self, info: RunInfo) -> None:
        """The shape of the run is known."""
        self.epochs = info.all_epochs
        self.total = info.all_iterations
        self.labels["per_epoch"].setText(str(info.iterations_per_epoch or "?"))
        self.labels["max_iterations"].setText(str(self.total or "?"))
        if info.device:
            self.labels["hardware"].setText(info.device)
        if is_detection(info.metrics):  # the trainer validates a detector with each epoch
            self.labels["validation"].setText("every epoch (mAP is measured per epoch)")

    def set_point(self, point: IterationPoint) -> None:
        """Counters from the latest iteration."""
        self.labels["elapsed"].setText(format_seconds(point.elapsed))
        self.labels["epoch"].setText(f"{point.epoch} of {self.epochs or '?'}")
        total = point.total_iterations or self.total
        self.labels["iteration"].setText(f"{point.iteration} of {total or '?'}")
        self.labels["learning_rate"].setText(f"{point.learning_rate:.4g}")
        if total:
            self.progress.setValue(int(1000 * min(1.0, point.iteration / total)))
        if self.state == "running":
            self.progress.setFormat(f"%p%  (ETA {format_seconds(point.eta)})")

    def set_status(self, event: StatusEvent) -> None:
        """Show a status change (no ETA unless running); failures also in red below."""
        if self.state != "ended" or event.status.value in ("stopped", "finished", "failed"):
            self.state = event.status.value  # after Stop, a late "running" keeps the ETA off
        if self.state != "running":
            self.progress.setFormat("%p%  (paused)" if self.state == "paused" else "%p%")
        title = event.status.value.capitalize()
        message = event.message if event.message and event.message != event.status.value else ""
        self.labels["status"].setText(
            message if message.startswith(title) else f"{title}: {message}" if message else title
        )
        if event.status.value == "failed":
            self.show_message(event.message)
        elif event.status.value == "finished":
            self.progress.setValue(1000)

    def end(self, status: str = "") -> None:
        """The run is ending or over: no ETA from now on (``status``: the text to show)."""
        self.state = "ended"
        self.progress.setFormat("%p%")
        if status:
            self.labels["status"].setText(status)

    def show_stored(self, results: RunResults) -> None:
        """The summary a project keeps of its last run (or that it has none)."""
        self.reset("-")
        self.end(NO_RESULTS)
        self.labels["start"].setText("-")
        if results.empty:
            return
        shown = {
            "start": results.trained_at.replace("T", " ") or "-",
            "elapsed": format_seconds(results.seconds),
            "epoch": str(results.epochs),
            "hardware": results.device or "-",
            "status": status_sentence(results.status or "", results.message),
        }
        for key, text in shown.items():
            self.labels[key].setText(text)
        self.progress.setValue(1000 if results.status == "finished" else 0)
        self.note.setText(STORED_NOTE)
        self.set_final(results.final)

    def show_message(self, text: str) -> None:
        """A red explanation (NaN loss, failure, unusable project)."""
        self.message.setText(text)
        self.message.show()

    def set_final(self, values: Mapping[str, float | None]) -> None:
        """Final metric values (accuracies in percent)."""
        while self.final_form.rowCount():
            self.final_form.removeRow(0)
        for key, value in values.items():
            if value is None or not math.isfinite(value):
                shown = "NaN"
            elif is_percent(key):
                shown = f"{100 * value:.2f} %"
            else:
                shown = f"{value:.4g}"
            label = QLabel(shown)
            label.setObjectName(f"final_{key}")
            self.final_form.addRow(_title(key) + ":", label)


def _title(key: str) -> str:
    name = key.removeprefix("val_")
    name = MAP_TITLES.get(name, name.replace("_", " "))
    return ("Validation " if key.startswith("val_") else "Training ") + name
