"""Insight > Explain Prediction…: a heat map of what the project's network looks at.

The network is built from the open project (with its weights) in a worker, the image is a file
or a sample of the project's data, preprocessed as training preprocesses it; Grad-CAM,
occlusion sensitivity or gradient saliency for the predicted or a chosen class is shown over
the image with a colour bar. Long work (occlusion, a folder of images) runs off the GUI
thread with progress and Cancel.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from designer.app.consistency import data_classes, network_output
from designer.app.data_settings import effective_preprocess
from designer.core.node import EventKind
from designer.core.progress import ProgressEvent, ProgressReporter
from designer.data.base import Datastore
from designer.data.preprocess import PreprocessConfig
from designer.data.registry import open_datastore
from designer.insight.explain import METHOD_LABELS, METHODS, Explanation
from designer.insight.explain_files import (
    ExplainOutcome,
    ExplainRequest,
    FolderResult,
    explain_folder,
    run_request,
)
from designer.ui.common.dialog_action import DialogAction
from designer.ui.common.shell import Shell
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.data.thumbs import array_to_qimage
from designer.ui.document.document import Document

LAST_CONV = "(last convolution)"
PREDICTED = "Predicted class"


def _build(graph: Any, reporter: ProgressReporter) -> Any:
    from designer.core.build import build_model

    reporter(0, 0, "building the network", force=True)
    return build_model(graph)


class ExplainPanel(QWidget):
    """Image source, method, layer, class and occlusion settings; the picture and the answer."""

    explained = Signal(object)  # ExplainOutcome, or FolderResult after a folder
    stopped = Signal(str)  # "cancelled" or the error message

    def __init__(self, document: Document, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.document, self.tasks = document, tasks
        self.worker: Worker | None = None
        self.model: Any = None  # the network built for the last run, until the graph changes
        self.store: Datastore | None = None
        self._store_source: Any = None
        self.outcome: ExplainOutcome | None = None
        self.last_folder: FolderResult | None = None
        self._generation = 0  # counts changes of the network: a model built before is stale
        self._wanted_sample = 0
        self.batch_size = 64
        self._make_widgets()
        self._layout()
        self._connect()
        self.refresh()

    # ------------------------------------------------------------------ widgets
    def _make_widgets(self) -> None:
        self.source_box = QComboBox()
        self.source_box.addItem("Image file", "file")
        self.source_box.addItem("Sample of the project's data", "data")
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("an image file (.png, .jpg, ...)")
        self.browse_button = QPushButton("Browse…")
        self.sample_spin = QSpinBox()
        self.sample_spin.setEnabled(False)
        self.random_button = QPushButton("Random")
        self.sample_label = QLabel("")
        self.method_box = QComboBox()
        for method in METHODS:
            self.method_box.addItem(METHOD_LABELS[method], method)
        self.layer_box = QComboBox()
        self.class_box = QComboBox()
        self.patch_spin, self.stride_spin = QSpinBox(), QSpinBox()
        for spin, value in ((self.patch_spin, 8), (self.stride_spin, 4)):
            spin.setRange(1, 512)
            spin.setValue(value)
        self.baseline_box = QComboBox()
        self.baseline_box.addItem("Zero (black)", "zero")
        self.baseline_box.addItem("Mean of the image", "mean")
        self.explain_button = QPushButton("Explain")
        self.explain_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.save_button = QPushButton("Save PNG…")
        self.save_button.setEnabled(False)
        self.folder_button = QPushButton("Explain a Folder…")
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.picture = QLabel("No explanation yet.")
        self.picture.setObjectName("explain_picture")
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(320, 280)
        self.picture.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.answer = QLabel("")
        self.answer.setObjectName("explain_answer")
        self.answer.setWordWrap(True)
        self.answer.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

    def _layout(self) -> None:
        file_row = QWidget()
        row = QHBoxLayout(file_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path_edit, 1)
        row.addWidget(self.browse_button)
        data_row = QWidget()
        row = QHBoxLayout(data_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.sample_spin)
        row.addWidget(self.random_button)
        row.addWidget(self.sample_label, 1)
        self.source_stack = QStackedWidget()
        self.source_stack.addWidget(file_row)
        self.source_stack.addWidget(data_row)
        form = QFormLayout()
        form.addRow("Image:", self.source_box)
        form.addRow("", self.source_stack)
        form.addRow("Method:", self.method_box)
        form.addRow("Layer:", self.layer_box)
        form.addRow("Class:", self.class_box)
        occlusion = QHBoxLayout()
        for label, widget in (("patch", self.patch_spin), ("stride", self.stride_spin)):
            occlusion.addWidget(QLabel(label))
            occlusion.addWidget(widget)
        occlusion.addWidget(self.baseline_box, 1)
        form.addRow("Occlusion:", occlusion)
        buttons = QHBoxLayout()
        for button in (self.explain_button, self.cancel_button, self.save_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.folder_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.answer)

    def _connect(self) -> None:
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.method_box.currentIndexChanged.connect(self._method_changed)
        self.browse_button.clicked.connect(self.browse)
        self.random_button.clicked.connect(self._random_sample)
        self.sample_spin.valueChanged.connect(self._show_sample_label)
        self.explain_button.clicked.connect(self.run)
        self.cancel_button.clicked.connect(self.cancel)
        self.save_button.clicked.connect(self.save_picture)
        self.folder_button.clicked.connect(self.choose_folder)
        self.document.analysed.connect(lambda _report: self.refresh())
        self.document.projectChanged.connect(self._project_changed)
        self.document.graphChanged.connect(self._graph_changed)
        self.document.settingsChanged.connect(self._settings_changed)

    # ------------------------------------------------------------------ the choices
    @property
    def method(self) -> str:
        """The chosen method (one of METHODS)."""
        return str(self.method_box.currentData())

    def set_method(self, method: str) -> None:
        """Choose ``method`` (one of METHODS)."""
        self.method_box.setCurrentIndex(METHODS.index(method))

    def _method_changed(self) -> None:
        method = self.method
        self.layer_box.setEnabled(method == "gradcam")
        for widget in (self.patch_spin, self.stride_spin, self.baseline_box):
            widget.setEnabled(method == "occlusion")

    def refresh(self) -> None:
        """Follow the network: its 4-D layers for Grad-CAM, its classes (kept selections)."""
        graph, report = self.document.graph, self.document.report
        layers = []
        if report is not None:
            for nid in report.order or list(report.nodes):
                info = report.nodes.get(nid)
                if info is None or nid not in graph or graph.node(nid).type == "Input":
                    continue
                if info.shape is not None and len(info.shape) == 4:
                    layers.append(graph.node(nid).name)
        _refill(self.layer_box, [(LAST_CONV, None)] + [(name, name) for name in layers])
        units = None
        if report is not None:
            output = network_output(graph, report)
            units = output[2] if output is not None else None
        count = 2 if units == 1 else (units or 0)
        names = data_classes(self.document.settings.data.source) or ()
        classes = [(f"{k}: {names[k]}" if len(names) == count else str(k), k) for k in range(count)]
        _refill(self.class_box, [(PREDICTED, None), *classes])
        self._method_changed()

    def _project_changed(self) -> None:
        self.model, self.store, self._store_source = None, None, None
        self._generation += 1
        self.refresh()
        self._source_changed()

    def _graph_changed(self, event: Any) -> None:
        if getattr(event, "kind", None) != EventKind.MOVED:
            self.model = None  # built again (with the new weights) on the next run
            self._generation += 1

    def _settings_changed(self, _settings: Any) -> None:
        if self.document.settings.data.source != self._store_source:
            self.store = None
            self._source_changed()

    # ------------------------------------------------------------------ the image
    def browse(self) -> None:
        """Pick an image file."""
        chosen = QFileDialog.getOpenFileName(
            self, "Image to explain", self.path_edit.text(), "Images (*.png *.jpg *.jpeg *.bmp "
            "*.tif *.tiff *.gif)"
        )[0]  # fmt: skip
        if chosen:
            self.path_edit.setText(chosen)

    def set_image_file(self, path: str | Path) -> None:
        """Explain the image file ``path``."""
        self.source_box.setCurrentIndex(0)
        self.path_edit.setText(str(path))

    def use_project_data(self, index: int = 0) -> None:
        """Explain sample ``index`` of the project's data (opened in a worker if needed)."""
        self.source_box.setCurrentIndex(1)
        self._wanted_sample = index
        if self.store is not None:
            self.sample_spin.setValue(index)

    def _source_changed(self) -> None:
        data = self.source_box.currentData() == "data"
        self.source_stack.setCurrentIndex(1 if data else 0)
        if not data or self.store is not None:
            return
        source = self.document.settings.data.source
        if source is None:
            self.sample_label.setText("The project has no data: choose them in the Data menu.")
            return
        self.sample_label.setText("Opening the project's data…")
        self.tasks.start(
            lambda reporter: open_datastore(source, reporter),
            on_done=lambda store: self._store_opened(source, store),
            on_error=lambda message, _details: self.sample_label.setText(
                f"Cannot open the project's data: {message}"
            ),
        )

    def _store_opened(self, source: Any, store: Datastore) -> None:
        if source != self.document.settings.data.source:
            return
        self.store, self._store_source = store, source
        self.sample_spin.setRange(0, max(0, len(store) - 1))
        self.sample_spin.setEnabled(len(store) > 0)
        self.sample_spin.setValue(min(self._wanted_sample, max(0, len(store) - 1)))
        self._show_sample_label()

    def _random_sample(self) -> None:
        if self.store is not None and len(self.store):
            self.sample_spin.setValue(int(np.random.default_rng().integers(len(self.store))))

    def _show_sample_label(self) -> None:
        store = self.store
        if store is None or not len(store):
            return
        try:
            _, target = store.get(self.sample_spin.value())
        except Exception as exc:  # a sample file damaged since the scan
            self.sample_label.setText(f"cannot read this sample: {exc}")
            return
        self.sample_label.setText(f"of {len(store)}; labelled {store.describe_target(target)}")

    def request(self) -> ExplainRequest:
        """The run the panel describes now; ValueError saying what is missing."""
        pixels, path = None, None
        if self.source_box.currentData() == "data":
            if self.store is None or not len(self.store):
                raise ValueError("the project's data are not open yet (or hold no samples)")
            pixels = np.asarray(self.store.get(self.sample_spin.value())[0])
            if pixels.ndim != 3:
                raise ValueError("the project's samples are not images")
        else:
            path = self.path_edit.text().strip()
            if not path:
                raise ValueError("choose an image file (Browse…) or a sample of the data")
        return ExplainRequest(self.method, path, pixels, **self._choices())

    def _choices(self) -> dict[str, Any]:
        """The layer, class and occlusion settings chosen (the layer for Grad-CAM only)."""
        return {
            "layer": self.layer_box.currentData() if self.method == "gradcam" else None,
            "class_index": self.class_box.currentData(),
            "patch": self.patch_spin.value(),
            "stride": self.stride_spin.value(),
            "baseline": str(self.baseline_box.currentData()),
            "batch_size": self.batch_size,
        }

    def _start(self, work: Any, on_done: Any) -> Worker:
        """Run ``work(reporter, model)`` in a worker with the panel's progress bar and Cancel;
        the model is built there first when the network changed since the last run."""
        graph = self.document.graph.copy() if self.model is None else None
        model, generation = self.model, self._generation

        def job(reporter: ProgressReporter) -> tuple[Any, Any]:
            built = model if model is not None else _build(graph, reporter)
            return built, work(reporter, built)

        def done(result: tuple[Any, Any]) -> None:
            self.worker = None
            self._set_running(False)
            if generation == self._generation:  # the network is still the one built
                self.model = result[0]
            on_done(result[1])

        self._set_running(True)
        self.answer.setText("Explaining…")
        self.answer.setStyleSheet("")
        self.answer.setToolTip("")
        self.worker = self.tasks.start(
            job,
            on_done=done,
            on_error=self._failed,
            on_progress=self._progress,
            on_cancelled=self._cancelled,
        )
        return self.worker

    def _preprocess(self) -> tuple[PreprocessConfig, Any]:
        config, reason = effective_preprocess(self.document.project)
        if config is None:
            raise ValueError(f"cannot explain this network: {reason}")
        names = data_classes(self.document.settings.data.source)
        if self.store is not None and self.store.task == "classification":
            names = tuple(self.store.class_names)
        return config, names

    # ------------------------------------------------------------------ running
    @property
    def running(self) -> bool:
        """True while a run is in its worker."""
        return self.worker is not None

    def run(self) -> Worker | None:
        """Explain the chosen image in a worker; None (and the reason shown) when it cannot."""
        if self.worker is not None:
            return None
        try:
            request = self.request()
            config, names = self._preprocess()
        except ValueError as exc:
            self._show_error(str(exc))
            return None
        return self._start(
            lambda reporter, model: run_request(request, model, config, names, reporter),
            self._done,
        )

    def cancel(self) -> None:
        """Ask the running work to stop at its next progress report."""
        if self.worker is not None:
            self.worker.token.cancel()

    def _set_running(self, running: bool) -> None:
        self.explain_button.setEnabled(not running)
        self.folder_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        self.progress.setRange(0, 0)

    def _progress(self, event: ProgressEvent) -> None:
        frac = event.fraction
        if frac is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(frac * 1000))
        self.progress.setFormat(f"{event.message} %p%")

    def _done(self, outcome: ExplainOutcome) -> None:
        self.outcome = outcome
        self.show_picture(outcome.picture)
        found = outcome.explanation
        name = f" ({found.class_name})" if found.class_name else ""
        predicted = found.predicted_index
        self.answer.setText(
            f"Predicted class {predicted}{_name(found, predicted)}, probability "
            f"{found.predicted_probability:.3f}. Explained: class {found.class_index}{name}, "
            f"probability {found.probability:.3f}."
        )
        self.save_button.setEnabled(True)
        self.explained.emit(outcome)

    def _failed(self, message: str, details: str) -> None:
        self.worker = None
        self._set_running(False)
        self._show_error(message)
        self.answer.setToolTip(details[-3000:])
        self.stopped.emit(message)

    def _cancelled(self) -> None:
        self.worker = None
        self._set_running(False)
        self.answer.setText("Cancelled.")
        self.answer.setStyleSheet("")
        self.stopped.emit("cancelled")

    def _show_error(self, message: str) -> None:
        self.answer.setText(f"Not explained: {message}")
        self.answer.setStyleSheet("color: #c62828;")

    def show_picture(self, picture: Any) -> None:
        """Show a PIL picture (the overlay and its colour bar)."""
        image = array_to_qimage(np.asarray(picture.convert("RGB")))
        self.picture.setPixmap(QPixmap.fromImage(image))

    def save_picture(self, path: str | Path | None = None) -> Path | None:
        """Save the shown picture as PNG (asking where unless ``path``)."""
        if self.outcome is None:
            return None
        if path is None:
            path = QFileDialog.getSaveFileName(self, "Save picture", "", "PNG (*.png)")[0]
            if not path:
                return None
        self.outcome.picture.save(Path(path), format="PNG")
        return Path(path)

    # ------------------------------------------------------------------ folders
    def choose_folder(self) -> None:
        """Ask for a folder of images and an output folder, then explain them all."""
        folder = QFileDialog.getExistingDirectory(self, "Folder of images to explain")
        if not folder:
            return
        out = QFileDialog.getExistingDirectory(self, "Folder for the pictures", folder)
        if out:
            self.explain_folder(folder, out)

    def explain_folder(self, folder: str | Path, out_dir: str | Path) -> Worker | None:
        """One PNG per image of ``folder`` in ``out_dir`` (the chosen method, layer, class and
        occlusion settings), in a worker with progress and Cancel."""
        if self.worker is not None:
            return None
        try:
            config, names = self._preprocess()
        except ValueError as exc:
            self._show_error(str(exc))
            return None
        method, options = self.method, self._choices()
        options.pop("batch_size")

        def work(reporter: ProgressReporter, model: Any) -> FolderResult:
            return explain_folder(
                model, folder, method, out_dir, config=config, class_names=names,
                progress=reporter, **options,
            )  # fmt: skip

        return self._start(work, self._folder_done)

    def _folder_done(self, found: FolderResult) -> None:
        self.last_folder = found
        skipped = "".join(f"\n{problem.message}" for problem in found.skipped[:10])
        self.answer.setText(
            f"Wrote {len(found.items)} pictures; skipped {len(found.skipped)} files.{skipped}"
        )
        self.explained.emit(found)


def _name(found: Explanation, index: int) -> str:
    return f" ({found.class_name})" if found.class_name and index == found.class_index else ""


def _refill(box: QComboBox, items: list[tuple[str, Any]]) -> None:
    """Replace a combo box's items, keeping the chosen one when it is still there."""
    current = box.currentData()
    if [(box.itemText(i), box.itemData(i)) for i in range(box.count())] == items:
        return
    box.blockSignals(True)
    box.clear()
    for text, data in items:
        box.addItem(text, data)
    index = box.findData(current)
    box.setCurrentIndex(index if index >= 0 else 0)
    box.blockSignals(False)


class ExplainDialog(QDialog):
    """The Explain Prediction window (non-modal) around an :class:`ExplainPanel`."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.setWindowTitle("Explain Prediction")
        self.panel = ExplainPanel(shell.document, shell.tasks, self)
        layout = QVBoxLayout(self)
        layout.addWidget(self.panel)
        self.resize(640, 720)

    def reject(self) -> None:
        """Closing stops a run (its result would have nowhere to go)."""
        self.panel.cancel()
        super().reject()


class ExplainActions(DialogAction):
    """Insight > Explain Prediction… of a main window, and its one dialog."""

    MENU = "&Insight"
    TEXT = "Explain &Prediction…"
    TIP = "Show what the network looks at in an image: Grad-CAM, occlusion or saliency"

    def make_dialog(self) -> QWidget:
        return ExplainDialog(self.shell)

    def prepare(self, dialog: QWidget) -> None:
        assert isinstance(dialog, ExplainDialog)
        dialog.panel.refresh()


def install(shell: Shell) -> ExplainActions:
    """Add Insight > Explain Prediction… to the main window ``shell``."""
    return ExplainActions(shell)
