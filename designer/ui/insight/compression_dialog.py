"""Insight > Compression Report…: int8 TFLite against float32 and magnitude pruning of the
project's network on its validation data, run in a worker with a progress bar and Cancel.

Installed by the main window with ``CompressionActions(shell)`` (or :func:`install`).
"""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.app.insight_runs import MAX_SAMPLES, percent_list, project_compression
from designer.app.project import Project
from designer.core.progress import ProgressEvent
from designer.insight.compression import CompressionReport, summary_lines
from designer.insight.pruning import CompressionError
from designer.ui.common.dialog_action import DialogAction
from designer.ui.common.shell import Shell
from designer.ui.common.worker import Worker

RED, GREEN = "#c62828", "#1b7f2a"
COLUMNS = ("Variant", "Size", "Accuracy", "Agreement", "Sparsity", "Notes")
LAYER_COLUMNS = ("Layer", "Op", "RMSE", "Max |error|", "Scale", "RMSE / scale")


def _percent(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value * 100:.1f} %"


def _number(value: float | None) -> str:
    return "—" if value is None or not math.isfinite(value) else f"{value:.3g}"


def _size(value: int | None) -> str:
    if value is None:
        return "—"
    return f"{value / 1024:.1f} KiB" if value >= 1024 else f"{value} B"


class CompressionDialog(QDialog):
    """Sparsities, fine-tune epochs and quantisation on or off; Run; the results as tables."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self.setWindowTitle("Compression Report")
        self.worker: Worker | None = None
        self.report: CompressionReport | None = None
        self.sparsity_edit = QLineEdit("50, 80")
        self.sparsity_edit.setToolTip("Sparsities to prune to, in percent: '50, 80'")
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 20)
        self.epochs_spin.setValue(1)
        self.epochs_spin.setToolTip("Epochs of fine-tuning after pruning (0: none)")
        self.quantise_check = QCheckBox("int8 post-training quantisation (TFLite)")
        self.quantise_check.setChecked(True)
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(10, 1_000_000)
        self.samples_spin.setValue(MAX_SAMPLES)
        self.samples_spin.setToolTip("Validation samples measured at most")
        self.run_button = QPushButton("Run")
        self.run_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        self.status = QLabel("Not run yet.")
        self.status.setObjectName("compression_status")
        self.status.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("compression_table")
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.layer_table = QTableWidget(0, len(LAYER_COLUMNS))
        self.layer_table.setObjectName("compression_layers")
        self.layer_table.setHorizontalHeaderLabels(LAYER_COLUMNS)
        for table in (self.table, self.layer_table):
            table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
            table.horizontalHeader().setStretchLastSection(True)
        self.notes = QPlainTextEdit()
        self.notes.setReadOnly(True)
        self.notes.setMaximumHeight(90)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self._layout()
        self.run_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.buttons.rejected.connect(self.reject)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Prune to (%):", self.sparsity_edit)
        form.addRow("Fine-tune epochs:", self.epochs_spin)
        form.addRow("Validation samples:", self.samples_spin)
        form.addRow(self.quantise_check)
        row = QHBoxLayout()
        row.addWidget(self.progress, 1)
        row.addWidget(self.run_button)
        row.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(row)
        layout.addWidget(self.status)
        layout.addWidget(QLabel("Variants of the network on the validation data:"))
        layout.addWidget(self.table, 3)
        layout.addWidget(QLabel("Quantisation error per layer (int8 against float32):"))
        layout.addWidget(self.layer_table, 2)
        layout.addWidget(QLabel("Layers left in float32, and notes:"))
        layout.addWidget(self.notes)
        layout.addWidget(self.buttons)
        self.resize(860, 760)

    # ------------------------------------------------------------------ run
    def run(self) -> Worker | None:
        """Start the report in a worker (nothing when one runs or the sparsities are bad)."""
        if self.worker is not None:
            return None
        try:
            sparsities = percent_list(self.sparsity_edit.text())
        except CompressionError as exc:
            self._say(str(exc), RED)
            return None
        doc = self.shell.document
        snapshot = Project(doc.graph.copy(), doc.project.name, doc.settings, doc.project.path)
        epochs, quantise = self.epochs_spin.value(), self.quantise_check.isChecked()
        samples = self.samples_spin.value()

        def work(reporter: Any) -> CompressionReport:
            return project_compression(snapshot, sparsities, epochs, quantise, samples, reporter)

        self.run_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setRange(0, 0)  # busy until the first step is known
        self._say("Starting…")
        self.worker = self.shell.tasks.start(
            work,
            on_done=self._done,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
        )
        return self.worker

    def cancel(self) -> None:
        """Ask the report to stop (after the current step or training batch)."""
        if self.worker is not None:
            self.worker.token.cancel()  # the token: the worker's thread is busy
            self._say("Cancelling…")

    def _progress(self, event: ProgressEvent) -> None:
        frac = event.fraction
        if frac is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(frac * 1000))
        self._say(event.message or "Working…")

    def _end(self) -> None:
        self.worker = None
        self.run_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        self.progress.setRange(0, 1000)

    def _done(self, report: CompressionReport) -> None:
        self._end()
        self.progress.setValue(1000)
        self.show_report(report)
        q = report.quantisation
        text = f"Done: {report.samples} validation samples."
        if q is not None:
            text += (
                f" int8 is {q.size_ratio:.2f}x the float32 file; accuracy "
                f"{q.int8_accuracy * 100:.1f} % against {q.float_accuracy * 100:.1f} %."
            )
        self._say(text, GREEN)

    def _failed(self, message: str, details: str) -> None:
        self._end()
        self.progress.setValue(0)
        self._say(f"The report failed: {message}", RED)
        self.status.setToolTip(details[-3000:])

    def _cancelled(self) -> None:
        self._end()
        self.progress.setValue(0)
        self._say("Cancelled: no report.", RED)

    def _say(self, text: str, colour: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    # ------------------------------------------------------------------ results
    def show_report(self, report: CompressionReport) -> None:
        """Fill the tables and notes from ``report``."""
        self.report = report
        rows = report.rows()
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            cells = (
                row.variant,
                _size(row.size_bytes),
                _percent(row.accuracy),
                _percent(row.agreement),
                _percent(row.sparsity),
                row.note,
            )
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if 0 < c < 5:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                self.table.setItem(r, c, item)
        errors = report.quantisation.layer_errors if report.quantisation else ()
        self.layer_table.setRowCount(len(errors))
        for r, e in enumerate(errors):
            cells = (
                e.layer,
                e.op,
                _number(e.rmse),
                _number(e.max_abs_error),
                _number(e.scale),
                _number(e.rmse_per_scale),
            )
            for c, text in enumerate(cells):
                self.layer_table.setItem(r, c, QTableWidgetItem(text))
        self.notes.setPlainText("\n".join(summary_lines(report)[1 + len(rows) :]))

    def cell(self, row: int, column: int) -> str:
        """The text of a cell of the results table."""
        item = self.table.item(row, column)
        return item.text() if item is not None else ""

    def reject(self) -> None:
        """Close; a report under way is cancelled and forgotten."""
        if self.worker is not None:
            self.worker.detach()
            self._end()
        super().reject()


class CompressionActions(DialogAction):
    """Insight > Compression Report… of a main window, and its one dialog."""

    MENU = "&Insight"
    TEXT = "&Compression Report…"
    TIP = "int8 quantisation and magnitude pruning: size and accuracy on the validation data"

    def make_dialog(self) -> QWidget:
        return CompressionDialog(self.shell)


def install(shell: Shell) -> CompressionActions:
    """Add Insight > Compression Report… to the main window ``shell``."""
    return CompressionActions(shell)
