"""The Experiment Manager's definition: what varies (a table of parameters), the strategy,
the objective and its direction, the trial budget, pruning and epochs per trial."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.training.experiment_spec import ExperimentSpec, Parameter
from designer.ui.experiments.parameter_dialog import KIND_TEXTS, ParameterDialog, describe

STRATEGY_TEXTS = {
    "tpe": "Bayesian (TPE)",
    "random": "Random",
    "grid": "Grid (every combination)",
}
PRUNER_TEXTS = {"none": "None", "median": "Median", "hyperband": "Hyperband"}
DIRECTION_TEXTS = {"auto": "Automatic", "minimize": "Minimise", "maximize": "Maximise"}
OBJECTIVES = ("val_loss", "val_accuracy", "loss", "accuracy")


class DefinitionBox(QWidget):
    """Edits an :class:`ExperimentSpec`; ``changed`` is emitted after every edit.
    ``choices()`` gives the targets the parameter dialog offers."""

    changed = Signal()

    def __init__(self, choices: Callable[[], list[str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices
        self.parameters: list[Parameter] = []
        self.table = QTableWidget(0, 3)
        self.table.setHorizontalHeaderLabels(["Parameter", "Kind", "Values"])
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.add_button = QPushButton("Add…")
        self.edit_button = QPushButton("Edit…")
        self.remove_button = QPushButton("Remove")
        self.add_button.clicked.connect(lambda: self.ask_parameter())
        self.edit_button.clicked.connect(self.edit_selected)
        self.remove_button.clicked.connect(self.remove_selected)
        self.strategy_box = _combo(STRATEGY_TEXTS)
        self.objective_box = QComboBox()
        self.objective_box.setEditable(True)
        self.objective_box.addItems(OBJECTIVES)
        self.objective_box.setToolTip("Any metric of the training history (val_ for validation)")
        self.direction_box = _combo(DIRECTION_TEXTS)
        self.trials_spin = QSpinBox()
        self.trials_spin.setRange(1, 100_000)
        self.timeout_spin = QDoubleSpinBox()
        self.timeout_spin.setRange(0, 7 * 24 * 60)
        self.timeout_spin.setSuffix(" min")
        self.timeout_spin.setSpecialValueText("no limit")
        self.pruner_box = _combo(PRUNER_TEXTS)
        self.pruner_box.setToolTip("Stop trials early whose per-epoch objective is poor")
        self.epochs_spin = QSpinBox()
        self.epochs_spin.setRange(0, 100_000)
        self.epochs_spin.setSpecialValueText("the project's")
        form = QFormLayout()
        form.addRow("Strategy", self.strategy_box)
        form.addRow("Objective", self.objective_box)
        form.addRow("Direction", self.direction_box)
        form.addRow("Trials", self.trials_spin)
        form.addRow("Time limit", self.timeout_spin)
        form.addRow("Pruning", self.pruner_box)
        form.addRow("Epochs per trial", self.epochs_spin)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addLayout(form)
        for box in (self.strategy_box, self.direction_box, self.pruner_box):
            box.currentIndexChanged.connect(self.changed)
        self.objective_box.currentTextChanged.connect(self.changed)
        for spin in (self.trials_spin, self.timeout_spin, self.epochs_spin):
            spin.valueChanged.connect(self.changed)
        self.set_spec(ExperimentSpec())

    def set_spec(self, spec: ExperimentSpec) -> None:
        """Show ``spec`` (without emitting ``changed``)."""
        self.blockSignals(True)
        self.parameters = list(spec.parameters)
        self._fill_table()
        self.strategy_box.setCurrentIndex(self.strategy_box.findData(spec.strategy))
        self.objective_box.setCurrentText(spec.objective)
        self.direction_box.setCurrentIndex(self.direction_box.findData(spec.direction))
        self.trials_spin.setValue(spec.trials)
        self.timeout_spin.setValue((spec.timeout_s or 0.0) / 60.0)
        self.pruner_box.setCurrentIndex(self.pruner_box.findData(spec.pruner))
        self.epochs_spin.setValue(spec.epochs or 0)
        self._seed = spec.seed
        self.blockSignals(False)

    def spec(self) -> ExperimentSpec:
        """The spec the fields describe (not checked: see ``ExperimentSpec.validate``)."""
        minutes = self.timeout_spin.value()
        return ExperimentSpec(
            parameters=tuple(self.parameters),
            strategy=self.strategy_box.currentData(),
            objective=self.objective_box.currentText().strip(),
            direction=self.direction_box.currentData(),
            trials=self.trials_spin.value(),
            timeout_s=minutes * 60.0 if minutes > 0 else None,
            pruner=self.pruner_box.currentData(),
            epochs=self.epochs_spin.value() or None,
            seed=self._seed,
        )

    def ask_parameter(self, target: str = "", existing: Parameter | None = None) -> None:
        """Open the parameter dialog (for ``target``, or to edit ``existing``); an accepted
        parameter replaces the one with its target or is added."""
        param = existing
        if param is None and target:
            param = next((p for p in self.parameters if p.target == target), None)
            param = param or Parameter(target, "list")
        dialog = ParameterDialog(self.choices(), param, self)
        self.dialog = dialog  # kept for tests and while it is open

        def accepted() -> None:
            self.put_parameter(dialog.parameter(), replacing=existing)

        dialog.accepted.connect(accepted)
        dialog.open()

    def put_parameter(self, param: Parameter, replacing: Parameter | None = None) -> None:
        """Add ``param`` (replacing ``replacing`` or the one with the same target)."""
        old = {param.target, *([replacing.target] if replacing else [])}
        index = next((i for i, p in enumerate(self.parameters) if p.target in old), None)
        self.parameters = [p for p in self.parameters if p.target not in old]
        self.parameters.insert(len(self.parameters) if index is None else index, param)
        self._fill_table()
        self.changed.emit()

    def edit_selected(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.parameters):
            self.ask_parameter(existing=self.parameters[row])

    def remove_selected(self) -> None:
        row = self.table.currentRow()
        if 0 <= row < len(self.parameters):
            del self.parameters[row]
            self._fill_table()
            self.changed.emit()

    def _fill_table(self) -> None:
        self.table.setRowCount(len(self.parameters))
        for row, p in enumerate(self.parameters):
            for column, text in enumerate((p.target, KIND_TEXTS[p.kind], describe(p))):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(row, column, item)
        self.table.resizeColumnToContents(0)
        self.table.resizeColumnToContents(1)


def _combo(texts: dict[str, str]) -> QComboBox:
    box = QComboBox()
    for value, text in texts.items():
        box.addItem(text, value)
    return box
