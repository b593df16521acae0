"""Export dialog (Export > Export..., Ctrl+E): format, path, options, progress, verified result."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressDialog,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.app.export_job import ExportOutcome, ExportRequest, run_export
from designer.app.files import default_folder
from designer.core.analysis import analyze
from designer.core.progress import ProgressEvent
from designer.export import ExportError, ExportReport
from designer.export.formats import DEFAULT_OPSET, FORMATS, MAX_OPSET, MIN_OPSET, SUFFIXES
from designer.export.naming import file_stem, weights_name
from designer.export.report import Verification, human_size, rebuild_text
from designer.ui.common.dialog_action import DialogAction
from designer.ui.common.shell import Shell

LABELS = {
    "keras": "Keras model (.keras)",
    "savedmodel": "TensorFlow SavedModel (folder)",
    "onnx": "ONNX (.onnx)",
    "tflite": "TensorFlow Lite (.tflite)",
    "python": "Python code (.py)",
}
GREEN, RED = "#1b7f2a", "#c62828"


class ExportDialog(QDialog):
    """Choose a format and a path, export the window's network in a worker, show the check."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self.setWindowTitle("Export Network")
        self.worker: Any = None
        self.last_report: ExportReport | None = None
        self.last_error = ""
        self.format_box = QComboBox()
        for fmt in FORMATS:
            self.format_box.addItem(LABELS[fmt], fmt)
        self.path_edit = QLineEdit()
        self.path_edit.setObjectName("export_path")
        self.browse_button = QPushButton("Browse…")
        self.opset_spin = QSpinBox()
        self.opset_spin.setRange(MIN_OPSET, MAX_OPSET)
        self.opset_spin.setValue(DEFAULT_OPSET)
        self.int8_check = QCheckBox("Dynamic-range int8 weights (smaller, slightly less exact)")
        self.training_check = QCheckBox("Include a training section (project's training options)")
        self.weights_check = QCheckBox()
        self.weights_check.setChecked(True)
        self.verify_check = QCheckBox("Reload the export and compare it with Keras")
        self.verify_check.setChecked(True)
        self.result_box = QGroupBox("Result")
        self.status_label = QLabel("Not exported yet.")
        self.status_label.setObjectName("export_status")
        self.status_label.setWordWrap(True)
        self.fields = {key: QLabel("—") for key in ("path", "size", "seconds", "diff", "tolerance")}
        self.warnings_label = QLabel("")
        self.warnings_label.setWordWrap(True)
        for label in (*self.fields.values(), self.warnings_label, self.status_label):
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox()
        self.export_button = self.buttons.addButton(
            "Export", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.export_button.setDefault(True)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self._layout()
        self.format_box.currentIndexChanged.connect(self._format_changed)
        self.browse_button.clicked.connect(self.browse)
        self.export_button.clicked.connect(self.export)
        self.close_button.clicked.connect(self.reject)
        self.path_edit.textChanged.connect(self._update_weights_label)
        self.path_edit.textChanged.connect(self.clear_result)
        self.format_box.currentIndexChanged.connect(self.clear_result)
        self.set_path(self._default_path("keras"))
        self._format_changed()

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Format:", self.format_box)
        row = QHBoxLayout()
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        form.addRow("Save to:", row)
        self.options_box = QGroupBox("Options")
        options = QFormLayout(self.options_box)
        options.addRow("ONNX opset:", self.opset_spin)
        options.addRow(self.int8_check)
        options.addRow(self.training_check)
        options.addRow(self.weights_check)
        options.addRow(self.verify_check)
        results = QFormLayout(self.result_box)
        results.addRow(self.status_label)
        titles = {
            "path": "Written to:",
            "size": "File size:",
            "seconds": "Time:",
            "diff": "Max |difference| vs Keras:",
            "tolerance": "Tolerance:",
        }
        for key, title in titles.items():
            results.addRow(title, self.fields[key])
        results.addRow("Warnings:", self.warnings_label)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.options_box)
        layout.addWidget(self.result_box)
        layout.addWidget(self.buttons)
        self.resize(620, 0)

    # ------------------------------------------------------------------ choices
    @property
    def fmt(self) -> str:
        """The chosen format name."""
        return str(self.format_box.currentData())

    def set_format(self, fmt: str) -> None:
        """Choose ``fmt`` (one of FORMATS)."""
        self.format_box.setCurrentIndex(FORMATS.index(fmt))

    def set_path(self, path: str | Path) -> None:
        """Set the output path field."""
        self.path_edit.setText(str(path))

    def _default_path(self, fmt: str) -> Path:
        """``<default folder>/<project name as a file name><suffix>``."""
        project = self.shell.document.project
        return default_folder(getattr(project, "path", None)) / (
            file_stem(project.name or "") + SUFFIXES[fmt]
        )

    def _format_changed(self) -> None:
        fmt = self.fmt
        text = self.path_edit.text().strip()
        if text:
            path = Path(text)
            old = path.suffix.lower()
            if old in {s for s in SUFFIXES.values() if s}:
                path = path.with_suffix("")
            self.set_path(path.with_name(path.name + SUFFIXES[fmt]))
        self.opset_spin.setEnabled(fmt == "onnx")
        self.int8_check.setEnabled(fmt == "tflite")
        self.training_check.setEnabled(fmt == "python")
        self.weights_check.setEnabled(fmt == "python")
        self._update_weights_label()

    def _update_weights_label(self) -> None:
        name = weights_name(Path(self.path_edit.text().strip() or "model.py"))
        self.weights_check.setText(f"Save the weights beside the script ({name})")

    def browse(self) -> None:
        """Pick the output with a file (or, for SavedModel, folder) dialog."""
        current = self.path_edit.text().strip()
        if self.fmt == "savedmodel":
            chosen = QFileDialog.getSaveFileName(self, "Export SavedModel to folder", current)[0]
        else:
            pattern = f"{LABELS[self.fmt]} (*{SUFFIXES[self.fmt]})"
            chosen = QFileDialog.getSaveFileName(self, "Export to", current, pattern)[0]
        if chosen:
            self.set_path(chosen)

    def request(self) -> ExportRequest:
        """The export the dialog currently describes."""
        fmt = self.fmt
        return ExportRequest(
            fmt=fmt,
            out=self.path_edit.text().strip(),
            opset=self.opset_spin.value() if fmt == "onnx" else None,
            int8=fmt == "tflite" and self.int8_check.isChecked(),
            verify=self.verify_check.isChecked(),
            include_training=fmt == "python"
            and self.training_check.isEnabled()
            and self.training_check.isChecked(),
            weights_file=fmt != "python" or self.weights_check.isChecked(),
        )

    # ------------------------------------------------------------------ export
    def export(self) -> None:
        """Check the graph and the path, then export in a worker with a progress dialog."""
        if self.worker is not None:
            return
        request = self.request()
        report = analyze(self.shell.document.graph)
        if not report.ok:
            lines = "\n".join(f"• {issue.message}" for issue in report.errors)
            self.show_failure("Not exported: the network has errors.\n" + lines)
            return
        try:
            request.check_output()
        except ExportError as exc:
            self.show_failure(f"Not exported: {exc}")
            return
        if not self._confirm_replace(request):
            self.show_failure("Not exported: the existing file was kept.")
            return
        self._clear_fields()
        self.status_label.setText("Exporting…")
        self.status_label.setStyleSheet("")
        self.export_button.setEnabled(False)
        progress = QProgressDialog(f"Exporting as {request.fmt}…", "Cancel", 0, 1000, self)
        progress.setWindowTitle("Export")
        progress.setWindowModality(Qt.WindowModality.WindowModal)
        progress.setMinimumDuration(300)
        progress.setAutoClose(False)
        progress.setValue(0)
        self.progress = progress
        graph = self.shell.document.graph.copy()  # the worker never sees later edits
        settings = self.shell.document.settings  # a detector is exported with its decoding
        training = settings.training
        source = getattr(self.shell.document.project, "source_model", None)  # the original

        def on_progress(event: ProgressEvent) -> None:
            frac = event.fraction
            progress.setMaximum(1000 if frac is not None else 0)
            if frac is not None:
                progress.setValue(int(frac * 1000))
            progress.setLabelText(event.message or "Exporting…")

        self.worker = self.shell.tasks.start(
            lambda reporter: run_export(request, graph, training, reporter, settings, source),
            on_done=self._done,
            on_error=self._failed,
            on_progress=on_progress,
            on_cancelled=self._cancelled,
        )
        progress.canceled.connect(self.worker.token.cancel)  # direct: the worker thread is busy
        self.shell.show_status(f"Exporting as {request.fmt}…", 0)

    def _confirm_replace(self, request: ExportRequest) -> bool:
        """Ask before overwriting an existing target (or a Python export's weights file);
        True when nothing would be replaced or the user said Yes."""
        target = request.target()
        outputs = [target]
        if request.fmt == "python" and request.weights_file:
            outputs.append(target.with_name(weights_name(target)))
        existing = [p for p in outputs if p.exists()]
        if not existing:
            return True
        names = "\n".join(f"• {p}" for p in existing)
        answer = QMessageBox.question(
            self,
            "Replace existing export?",
            f"This already exists:\n{names}\n\nReplace it?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            QMessageBox.StandardButton.No,
        )
        return answer == QMessageBox.StandardButton.Yes

    def _finish(self) -> None:
        self.progress.canceled.disconnect()  # closing the dialog emits canceled(): work is over
        self.progress.close()
        self.worker = None
        self.export_button.setEnabled(True)

    def _done(self, outcome: ExportOutcome) -> None:
        self._finish()
        self.show_report(outcome.report, outcome.failure)
        verb = "Export failed its check:" if outcome.failure else "Exported"
        self.shell.show_status(f"{verb} {outcome.report.path}", 8000)

    def _failed(self, message: str, details: str) -> None:
        self._finish()
        self.show_failure(f"Export failed: {message}")
        self.status_label.setToolTip(details[-3000:])
        self.shell.show_status("Export failed", 8000)

    def _cancelled(self) -> None:
        self._finish()
        self.show_failure("Export cancelled: nothing was written.")
        self.shell.show_status("Export cancelled", 8000)

    # ------------------------------------------------------------------ result
    def clear_result(self) -> None:
        """Forget the last result (the format or the path changed): "Not exported yet."."""
        if self.worker is not None:
            return
        self.last_report, self.last_error = None, ""
        self._clear_fields()
        self.status_label.setText("Not exported yet.")
        self.status_label.setStyleSheet("")
        self.status_label.setToolTip("")

    def _clear_fields(self) -> None:
        for label in self.fields.values():
            label.setText("—")
        self.warnings_label.setText("")

    def show_failure(self, message: str) -> None:
        """Show ``message`` in red in the result area."""
        self.last_error = message
        self.last_report = None
        self._clear_fields()
        self.status_label.setText(message)
        self.status_label.setStyleSheet(f"color: {RED}; font-weight: bold;")

    def show_report(self, report: ExportReport, failed_message: str = "") -> None:
        """Fill the result area from ``report`` (green when passed, red when not)."""
        self.last_report = report
        self.last_error = failed_message
        self.fields["path"].setText(report.path)
        self.fields["size"].setText(
            f"{human_size(report.size_bytes)} ({report.size_bytes:,} bytes)"
        )
        self.fields["seconds"].setText(
            f"{report.seconds:.2f} s to write, {report.verify_seconds:.2f} s to check"
        )
        v = report.verification
        self.fields["diff"].setText("not checked" if v is None else _difference_text(v))
        self.fields["tolerance"].setText("—" if v is None else f"{v.tolerance:.3g} ({v.runtime})")
        warnings = list(report.warnings) + [f"also wrote {p}" for p in report.extra_files]
        if v is not None and v.note:
            warnings.append(v.note)
        self.warnings_label.setText("\n".join(warnings) or "none")
        if v is None:
            text, colour = "exported (not verified)", "#8a6d00"
        elif v.passed and not failed_message:
            text, colour = f"passed: the export matches {v.reference or 'Keras'}", GREEN
        else:
            text, colour = failed_message or "FAILED: the export differs from Keras", RED
        self.status_label.setText(text)
        self.status_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    @property
    def status_text(self) -> str:
        """The status line shown in the result area."""
        return self.status_label.text()


def _difference_text(v: Verification) -> str:
    """``2.2e-06`` or, against an original, ``2.2e-06 (vs the original model file 'a.keras';
    the designer's rebuild differs from it by 1.17)``."""
    if not v.reference:
        return f"{v.max_abs_diff:.3g}"
    return f"{v.max_abs_diff:.3g} (vs {v.reference}{rebuild_text(v)})"


class ExportActions(DialogAction):
    """Export > Export... (Ctrl+E) of a main window, and its one Export dialog."""

    MENU = "E&xport"
    TEXT = "&Export…"
    TIP = "Export the network to .keras, SavedModel, ONNX, TFLite or Python code"
    SHORTCUT = "Ctrl+E"

    def make_dialog(self) -> QWidget:
        return ExportDialog(self.shell)
