"""The "Data > Import data..." dialog: choose a source, scan it in a worker, see it, split it."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from designer.app.settings import DataSection
from designer.core.progress import ProgressEvent, ProgressReporter
from designer.data.base import Datastore
from designer.data.registry import open_datastore
from designer.data.splits import SplitConfig, check_compatible, split_for
from designer.data.summary import DataError, DataSummary
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.data.sources import SourceForm
from designer.ui.data.split_box import SplitBox
from designer.ui.data.thumbs import ClassBars
from designer.ui.document.document import Document

ERROR_STYLE = "color: #b00020;"


def summary_lines(summary: DataSummary) -> list[str]:
    """Short facts about the data for a label (kind, task, samples, shapes, sizes)."""
    lines = [f"<b>{summary.kind}</b> ({summary.task}): {summary.num_samples} samples"]
    if summary.source:
        lines.append(f"from {summary.source}")
    if summary.sample_shape is not None:
        lines.append(f"sample shape {tuple(summary.sample_shape)}")
    if summary.image_sizes:
        top = sorted(summary.image_sizes.items(), key=lambda kv: -kv[1])[:4]
        more = len(summary.image_sizes) - len(top)
        lines.append(
            "image sizes: "
            + ", ".join(f"{k} ({v})" for k, v in top)
            + (f" and {more} more" if more > 0 else "")
        )
    if summary.target_names:
        lines.append("targets: " + ", ".join(summary.target_names))
    if summary.classes:
        lines.append(f"{summary.num_classes} classes")
    lines += [f"note: {n}" for n in summary.notes]
    return lines


class ImportDialog(QDialog):
    """Choose data of any supported kind, scan it off the GUI thread, set the split, store it."""

    imported = Signal(object)  # the Datastore that was stored in the project

    def __init__(
        self, document: Document, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Import data")
        self.document, self.tasks = document, tasks
        self.store: Datastore | None = None
        self.summary: DataSummary | None = None
        self._config: Any = None
        self._separate: dict[str, tuple[Any, Datastore, DataSummary]] = {}  # validation/test data
        self._worker: Worker | None = None
        layout = QVBoxLayout(self)
        self.source = SourceForm()
        layout.addWidget(self.source)
        scan_row = QHBoxLayout()
        self.scan_button = QPushButton("Scan")
        self.scan_button.setDefault(True)
        self.scan_button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.cancel_scan = QPushButton("Cancel scan")
        self.cancel_scan.setVisible(False)
        scan_row.addWidget(self.scan_button)
        scan_row.addWidget(self.progress, 1)
        scan_row.addWidget(self.cancel_scan)
        layout.addLayout(scan_row)
        self.message = QLabel("Choose the data and press Scan.")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        layout.addWidget(self._summary_box(), 1)
        layout.addWidget(self._split_box())
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("Use this data")
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self._show_project_source()
        self.scan_button.clicked.connect(self.scan)
        self.cancel_scan.clicked.connect(self._cancel)
        self.source.changed.connect(self._invalidate)
        self.split_box.changed.connect(self._invalidate)
        self.resize(640, 780)

    def _show_project_source(self) -> None:
        """Start from the project's current data source, if it has one."""
        config = self.document.settings.data.source
        if config is not None:
            self.source.show_config(config)
            self.message.setText(
                "The project's current data: press Scan to review it, or choose other data."
            )

    def _summary_box(self) -> QWidget:
        box = QGroupBox("Detected data")
        lay = QVBoxLayout(box)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        lay.addWidget(self.facts)
        self.bars = ClassBars()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.bars)
        scroll.setMaximumHeight(160)
        lay.addWidget(scroll)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a05a00;")
        self.warning.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        lay.addWidget(self.warning)
        self.problems_label = QLabel("")
        lay.addWidget(self.problems_label)
        self.problems = QListWidget()
        self.problems.setMaximumHeight(110)
        lay.addWidget(self.problems)
        return box

    def _split_box(self) -> QWidget:
        self.split_box = SplitBox(self.document.settings.data.split, self.source.browse_path)
        box = self.split_box
        self.validation, self.test, self.stratify, self.seed = (
            box.validation,
            box.test,
            box.stratify,
            box.seed,
        )
        return box

    def split(self) -> SplitConfig:
        """The split the fields describe (with the scanned separate sources in mode "separate")."""
        sources = {
            role: self.source.finish(part[0]).to_dict() for role, part in self._separate.items()
        }
        return self.split_box.split(sources.get("validation"), sources.get("test"))

    # ------------------------------------------------------------------ scanning
    def scan(self) -> None:
        """Scan (open) the chosen data in a worker; the result shows when it is done."""
        self._stop_worker()
        self._invalidate()
        try:
            build = self.source.builder()
            separate = self._separate_builders()
        except DataError as exc:
            self._show_error(str(exc))
            return

        def work(reporter: ProgressReporter) -> tuple[Any, Datastore, DataSummary, dict[str, Any]]:
            config = build()
            store = open_datastore(config, reporter)
            summary = store.summary()
            others = {}
            for role, make in separate.items():
                reporter(0, 0, f"Scanning the {role} data", force=True)
                other_config = make()
                try:
                    other = open_datastore(other_config, reporter)
                    check_compatible(store, other, role)
                except DataError as exc:
                    raise DataError(f"{role} data: {exc}") from exc
                others[role] = (other_config, other, other.summary())
            return config, store, summary, others

        self.message.setStyleSheet("")
        self.message.setText("Scanning...")
        self.progress.setRange(0, 0)
        self.progress.setVisible(True)
        self.cancel_scan.setVisible(True)
        self.scan_button.setEnabled(False)
        self._worker = self.tasks.start(
            work, self._scanned, self._failed, self._on_progress, self._cancelled
        )

    def _separate_builders(self) -> dict[str, Any]:
        """Config makers for the separate validation/test paths (none in percent mode)."""
        if not self.split_box.separate:
            return {}
        validation, test = self.split_box.paths()
        if not validation:
            raise DataError(
                "expected a validation folder or file for separate validation data, "
                "received an empty field"
            )
        makers = {"validation": self.source.builder(validation)}
        if test:
            makers["test"] = self.source.builder(test)
        return makers

    def _on_progress(self, event: ProgressEvent) -> None:
        if event.fraction is not None:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(event.fraction * 1000))
        self.message.setText(
            f"{event.message or 'Scanning'}: {event.done:.0f} of {event.total:.0f}"
            if event.total
            else event.message or "Scanning..."
        )

    def _end_scan(self) -> None:
        self._worker = None
        self.progress.setVisible(False)
        self.cancel_scan.setVisible(False)
        self.scan_button.setEnabled(True)

    def _cancel(self) -> None:
        if self._worker is not None:
            self._worker.cancel()

    def _cancelled(self) -> None:
        self._end_scan()
        self.message.setStyleSheet("")
        self.message.setText("Scan cancelled.")

    def _failed(self, message: str, details: str) -> None:
        self._end_scan()
        self._show_error(message)
        self.message.setToolTip(details)

    def _show_error(self, message: str) -> None:
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setText(f"Cannot use this data: {message}")

    def _scanned(self, result: tuple[Any, Datastore, DataSummary, dict[str, Any]]) -> None:
        self._end_scan()
        self._config, self.store, self.summary, self._separate = result
        if self.store.task == "segmentation" and not self.source.segmentation_names():
            self.source.colormap.set_names(self.store.class_names)
        self.message.setStyleSheet("")
        self.message.setText(
            "Scan finished: check the data below, set the split and press 'Use this data'."
        )
        self._show_summary(self.summary)
        self.ok_button.setEnabled(True)

    def _show_summary(self, summary: DataSummary) -> None:
        lines = summary_lines(summary)
        for role, (_, _, other) in self._separate.items():
            lines.append(f"<b>{role}</b>: {other.num_samples} samples from {other.source}")
        self.facts.setText("<br>".join(lines))
        self.bars.set_counts(summary.class_counts)
        self.warning.setText(summary.imbalance_warning or "")
        corrupt = summary.corrupt_files
        self.problems_label.setText(
            f"{len(summary.problems)} problem(s), {len(corrupt)} corrupt file(s) skipped"
            if summary.problems
            else "No problems found."
        )
        self.problems.clear()
        for problem in summary.problems:
            where = f"  [{problem.path}]" if problem.path else ""
            self.problems.addItem(f"{problem.severity}: {problem.message}{where}")

    def _invalidate(self) -> None:
        """The fields changed: the last scan (finished or running) no longer describes them."""
        if self._worker is not None:
            self._stop_worker()
            self.message.setText("The source changed: press Scan again.")
        if self.store is None:
            return
        self.store, self.summary, self._config, self._separate = None, None, None, {}
        self.ok_button.setEnabled(False)
        self.facts.setText("")
        self.bars.set_counts({})
        self.warning.setText("")
        self.problems_label.setText("")
        self.problems.clear()
        self.message.setStyleSheet("")
        self.message.setText("The source changed: press Scan again.")

    # ------------------------------------------------------------------ closing
    def accept(self) -> None:
        """Check the split against the data, store everything in the project, close."""
        if self.store is None:
            self._show_error("press Scan first")
            return
        split = self.split()
        try:
            split_for(split, len(self.store), self.store.labels)
        except DataError as exc:
            self._show_error(str(exc))
            return
        data = DataSection(self.source.finish(self._config), split)
        self.store.config = data.source  # the colours chosen after the scan, for previews
        self.document.change_settings("Import data", data=data)
        self.imported.emit(self.store)
        super().accept()

    def done(self, result: int) -> None:
        """Stop a running scan before closing."""
        self._stop_worker()
        super().done(result)

    def _stop_worker(self) -> None:
        """Cancel the running scan and ignore whatever it still reports."""
        if self._worker is None:
            return
        worker, self._worker = self._worker, None
        worker.detach()  # a result that was already on its way describes stale fields
        self._end_scan()
