"""Insight > Adversarial Robustness…: accuracy under FGSM/PGD attacks against epsilon.

The window attacks the open project's network on its validation data in a worker (progress,
Cancel), draws accuracy against epsilon with the clean accuracy as a dashed line, and shows
clean/adversarial pairs of images with their true and predicted classes. The work is
:func:`designer.insight.robustness.accuracy_curve`; nothing in the project changes.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from designer.core.progress import ProgressEvent, ProgressReporter
from designer.ui.common.dialog_action import DialogAction
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.document.document import Document
from designer.ui.training.results_panel import array_to_pixmap

EXAMPLES = 8  # pairs kept per epsilon
THUMB = 72
RED, GREEN = "#c62828", "#1b7f2a"


def attack_project(
    project: Any,
    epsilons: list[float],
    method: str,
    samples: int,
    steps: int,
    reporter: ProgressReporter,
) -> tuple[Any, list[str]]:
    """(RobustnessCurve, class names) of the project's network on its validation data; runs
    in the worker thread."""
    from designer.app.data_settings import effective_preprocess
    from designer.app.project_run import ProjectRunError, prepare_run
    from designer.insight.robustness import accuracy_curve, sample_arrays, value_range

    if project.settings.data.source is None:
        raise ProjectRunError(
            "The project has no data to attack: choose a data source in the Data menu (the "
            "attack uses its validation part)"
        )
    training = project.settings.training.replace(checkpoint_dir=None, tensorboard_dir=None)
    quiet = dataclasses.replace(project, settings=project.settings.replace(training=training))
    run = prepare_run(quiet, None, reporter)  # attacking writes no checkpoint or log folder
    store = run.validation_store if run.validation_store is not None else run.store
    if len(run.validation_indices) == 0:
        raise ProjectRunError(
            "The project has no validation data to attack: set a validation share or a "
            "validation source in the Data settings"
        )
    preprocess = None
    if store.is_image:
        preprocess, reason = effective_preprocess(project, tuple(run.model.inputs[0].shape[1:]))
        if preprocess is None:
            raise ProjectRunError(f"The images cannot feed the network: {reason}")
    x, y = sample_arrays(store, run.validation_indices, preprocess, samples)
    curve = accuracy_curve(
        run.model,
        x,
        y,
        epsilons,
        method,
        progress=reporter,
        value_range=value_range(preprocess, x),
        steps=steps,
        examples=EXAMPLES,
    )
    return curve, list(store.class_names)


def to_display(image: np.ndarray, low: Any, high: Any) -> np.ndarray:
    """An input-range image (values low..high, per channel or not) as uint8 for a pixmap."""
    lo, hi = np.asarray(low, np.float32), np.asarray(high, np.float32)
    scaled = (np.asarray(image, np.float32) - lo) / np.maximum(hi - lo, 1e-12)
    return np.clip(scaled * 255.0 + 0.5, 0, 255).astype(np.uint8)


class RobustnessWindow(QWidget):
    """The Adversarial Robustness window of one document (a top-level window)."""

    finished = Signal(object)  # the RobustnessCurve of a finished run

    def __init__(self, document: Document, tasks: TaskRunner, parent: QWidget | None = None):
        super().__init__(parent, Qt.WindowType.Window)
        self.setWindowTitle("Adversarial Robustness")
        self.document, self.tasks = document, tasks
        self.worker: Worker | None = None
        self.result: Any = None
        self.class_names: list[str] = []
        self.method_box = QComboBox()
        self.method_box.addItem("FGSM (one step)", "fgsm")
        self.method_box.addItem("PGD (iterated, L-inf)", "pgd")
        self.epsilons_edit = QLineEdit("0, 0.01, 0.03, 0.1")
        self.epsilons_edit.setToolTip(
            "Comma-separated epsilons, as fractions of the input's value range (for images "
            "scaled to 0..1, 0.03 is about 8 of 255 grey levels)"
        )
        self.samples_spin = QSpinBox()
        self.samples_spin.setRange(1, 1_000_000)
        self.samples_spin.setValue(500)
        self.samples_spin.setToolTip("Validation samples attacked, drawn at random")
        self.steps_spin = QSpinBox()
        self.steps_spin.setRange(1, 1000)
        self.steps_spin.setValue(10)
        self.steps_spin.setToolTip("PGD iterations (step 2.5 * epsilon / steps)")
        self.method_box.currentIndexChanged.connect(self._method_changed)
        self.run_button = QPushButton("Run")
        self.run_button.clicked.connect(self.run)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.status = QLabel("Attack the network on the project's validation data.")
        self.status.setWordWrap(True)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "epsilon (fraction of the value range)")
        self.plot.setLabel("left", "Accuracy (%)")
        self.plot.setYRange(0, 100)
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.plot.addLegend(offset=(10, -10), labelTextColor="#222222")
        self.curve_item = self.plot.plot(
            [],
            [],
            pen=pg.mkPen("#1565c0", width=2),
            symbol="o",
            symbolSize=7,
            symbolBrush="#1565c0",
            name="under attack",
        )
        dashed = pg.mkPen("#555555", width=1.5, style=Qt.PenStyle.DashLine)
        self.clean_item = self.plot.plot([], [], pen=dashed, name="clean")
        self.epsilon_box = QComboBox()
        self.epsilon_box.currentIndexChanged.connect(self._show_pairs)
        self.grid = QGridLayout()
        self.pair_cells: list[QWidget] = []
        self._layout()
        self._method_changed()
        self._set_running(False)

    def _layout(self) -> None:
        form = QFormLayout()
        form.addRow("Attack:", self.method_box)
        form.addRow("Epsilons:", self.epsilons_edit)
        form.addRow("Samples:", self.samples_spin)
        form.addRow("PGD steps:", self.steps_spin)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        controls = QVBoxLayout()
        controls.addLayout(form)
        controls.addLayout(buttons)
        controls.addWidget(self.status)
        pairs_head = QHBoxLayout()
        pairs_head.addWidget(QLabel("Clean / adversarial pairs at epsilon:"))
        pairs_head.addWidget(self.epsilon_box)
        pairs_head.addStretch(1)
        holder = QWidget()
        holder.setLayout(self.grid)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(holder)
        bottom = QWidget()
        box = QVBoxLayout(bottom)
        box.setContentsMargins(0, 0, 0, 0)
        box.addLayout(pairs_head)
        box.addWidget(scroll, 1)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.plot)
        split.addWidget(bottom)
        split.setSizes([380, 320])
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(split, 1)
        self.resize(840, 860)

    # -- running --------------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """True while an attack runs."""
        return self.worker is not None

    def _method_changed(self) -> None:
        self.steps_spin.setEnabled(self.method_box.currentData() == "pgd")

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        for widget in (self.method_box, self.epsilons_edit, self.samples_spin):
            widget.setEnabled(not running)
        self.steps_spin.setEnabled(not running and self.method_box.currentData() == "pgd")

    def _say(self, text: str, colour: str = "") -> None:
        self.status.setText(text)
        self.status.setStyleSheet(f"color: {colour};" if colour else "")

    def run(self) -> bool:
        """Start the attack with the window's settings; False when they are invalid or an
        attack already runs."""
        from designer.insight.robustness import RobustnessError, parse_epsilons

        if self.running:
            return False
        try:
            epsilons = parse_epsilons(self.epsilons_edit.text())
        except RobustnessError as exc:
            self._say(str(exc), RED)
            return False
        method = str(self.method_box.currentData())
        samples, steps = self.samples_spin.value(), self.steps_spin.value()
        project = self.document.project

        def work(reporter: ProgressReporter) -> Any:
            return attack_project(project, epsilons, method, samples, steps, reporter)

        self.progress.setValue(0)
        self._say(f"Attacking with {method.upper()}…")
        self._set_running(True)
        self.worker = self.tasks.start(
            work, self._done, self._failed, self._progress, self._cancelled
        )
        return True

    def cancel(self) -> None:
        """Stop the running attack at its next batch."""
        if self.worker is not None:
            self.worker.token.cancel()
            self._say("Cancelling…")

    def _progress(self, event: ProgressEvent) -> None:
        frac = event.fraction
        if frac is not None:
            self.progress.setValue(int(frac * 1000))
        eta = f" (about {event.eta:.0f} s left)" if event.eta else ""
        if event.message:
            self._say(f"{event.message}…{eta}")

    def _finish(self) -> None:
        self.worker = None
        self._set_running(False)

    def _done(self, outcome: tuple[Any, list[str]]) -> None:
        self._finish()
        curve, self.class_names = outcome
        self.progress.setValue(1000)
        self.show_curve(curve)
        self.finished.emit(curve)

    def _failed(self, message: str, _details: str) -> None:
        self._finish()
        self.progress.setValue(0)
        self._say(message, RED)

    def _cancelled(self) -> None:
        self._finish()
        self.progress.setValue(0)
        self._say("Cancelled.")

    def closeEvent(self, event: Any) -> None:
        """Closing the window cancels its attack (its result is not shown)."""
        if self.worker is not None:
            self.worker.detach()
            self._finish()
        super().closeEvent(event)

    # -- results --------------------------------------------------------------------------
    def show_curve(self, curve: Any) -> None:
        """Draw ``curve`` (a RobustnessCurve) and its example pairs."""
        self.result = curve
        eps = np.asarray(curve.epsilons, float)
        acc = 100.0 * np.asarray(curve.accuracy, float)
        self.curve_item.setData(eps, acc)
        span = [float(eps.min()), float(eps.max())] if len(eps) else [0.0, 1.0]
        self.clean_item.setData(span, [100.0 * curve.clean_accuracy] * 2)
        attacked = [(e, a) for e, a in zip(curve.epsilons, curve.accuracy, strict=True) if e > 0]
        worst = f"; at epsilon {attacked[-1][0]:g}: {attacked[-1][1]:.1%}" if attacked else ""
        self._say(
            f"{curve.method.upper()} on {curve.samples} validation samples: clean accuracy "
            f"{curve.clean_accuracy:.1%}{worst}",
            GREEN,
        )
        self.epsilon_box.blockSignals(True)
        self.epsilon_box.clear()
        for e, _ in attacked:
            self.epsilon_box.addItem(f"{e:g}", e)
        self.epsilon_box.setCurrentIndex(self.epsilon_box.count() - 1)
        self.epsilon_box.blockSignals(False)
        self._show_pairs()

    def _name(self, index: int) -> str:
        names = self.class_names
        return names[index] if 0 <= index < len(names) else str(index)

    def _show_pairs(self) -> None:
        for cell in self.pair_cells:
            self.grid.removeWidget(cell)
            cell.hide()  # gone at once; deleted when control is back in the event loop
            cell.deleteLater()
        self.pair_cells = []
        curve = self.result
        if curve is None or self.epsilon_box.count() == 0:
            return
        pairs = curve.examples_at(self.epsilon_box.currentData())
        if pairs and pairs[0].clean.ndim != 3:
            note = QLabel("Example pairs are drawn for image data.")
            self.grid.addWidget(note, 0, 0)
            self.pair_cells.append(note)
            return
        low, high = curve.value_range.low, curve.value_range.high
        for n, pair in enumerate(pairs):
            self.pair_cells.append(self._cell(pair, low, high))
            self.grid.addWidget(self.pair_cells[-1], n // 4, n % 4)

    def _cell(self, pair: Any, low: Any, high: Any) -> QWidget:
        cell = QWidget()
        box = QVBoxLayout(cell)
        images = QHBoxLayout()
        for array, tip in ((pair.clean, "clean"), (pair.adversarial, "adversarial")):
            label = QLabel()
            label.setPixmap(array_to_pixmap(to_display(array, low, high), THUMB))
            label.setToolTip(tip)
            images.addWidget(label)
        box.addLayout(images)
        caption = QLabel(
            f"true {self._name(pair.label)}: clean {self._name(pair.clean_prediction)}, "
            f"attacked {self._name(pair.adversarial_prediction)}"
        )
        caption.setWordWrap(True)
        fooled = pair.adversarial_prediction != pair.label
        caption.setStyleSheet(f"color: {RED if fooled else GREEN};")
        box.addWidget(caption)
        return cell


class RobustnessActions(DialogAction):
    """Insight > Adversarial Robustness… of a main window, and its one window."""

    MENU = "&Insight"
    TEXT = "Adversarial &Robustness…"
    TIP = "Accuracy of the network under FGSM and PGD attacks on the validation data"

    def make_dialog(self) -> QWidget:
        return RobustnessWindow(self.shell.document, self.shell.tasks, self.shell.widget())

    @property
    def window(self) -> QWidget | None:
        """The Adversarial Robustness window, once opened."""
        return self.dialog

    def open_window(self) -> QWidget:
        """Show the Adversarial Robustness window (made on first use)."""
        return self.open_dialog()
