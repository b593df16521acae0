"""The dialog that adds or edits one varying parameter of an experiment: its target, and its
values as a list, a choice, a linear range or a log range."""

from __future__ import annotations

import math
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.training.experiment_spec import ExperimentError, Parameter

KIND_TEXTS = {
    "list": "List of values",
    "choice": "Choice (categories)",
    "range": "Range (linear)",
    "log": "Range (logarithmic)",
}


def parse_values(text: str) -> tuple[Any, ...]:
    """Comma-separated values: whole numbers, numbers, true/false, else words."""
    out: list[Any] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        out.append(_scalar(part))
    return tuple(out)


def _scalar(text: str) -> Any:
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if not (isinstance(value, float) and not math.isfinite(value)):
            return value
    return text


def describe(param: Parameter) -> str:
    """A short text of a parameter's values: ``0.001, 0.01``; ``0.1 … 0.5, 3 points``."""
    if param.kind in ("list", "choice"):
        return ", ".join(str(v) for v in param.values)
    text = f"{param.low:g} … {param.high:g}"
    if param.kind == "log":
        text += ", log"
    if param.step:
        text += f", step {param.step:g}"
    if param.integer:
        text += ", whole numbers"
    return text + f", {param.points} grid points"


class ParameterDialog(QDialog):
    """Target and values of one parameter; OK is enabled only for a valid one."""

    def __init__(
        self,
        choices: list[str],
        param: Parameter | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Vary in Experiment")
        self.target_box = QComboBox()
        self.target_box.setEditable(True)
        self.target_box.addItems(choices)
        self.target_box.setToolTip(
            "training.<option>, augmentation.<setting> or layer.<layer name>.<parameter>"
        )
        self.kind_box = QComboBox()
        for kind, text in KIND_TEXTS.items():
            self.kind_box.addItem(text, kind)
        self.values_edit = QLineEdit()
        self.values_edit.setPlaceholderText("e.g. 0.001, 0.01, 0.1  or  adam, sgdm")
        self.low_edit, self.high_edit, self.step_edit = QLineEdit(), QLineEdit(), QLineEdit()
        self.step_edit.setPlaceholderText("none")
        self.points_spin = QSpinBox()
        self.points_spin.setRange(2, 100)
        self.integer_box = QCheckBox("Whole numbers")
        self.problem = QLabel()
        self.problem.setStyleSheet("color: #c62828")
        self.problem.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Target", self.target_box)
        form.addRow("Kind", self.kind_box)
        form.addRow("Values", self.values_edit)
        form.addRow("Low", self.low_edit)
        form.addRow("High", self.high_edit)
        form.addRow("Step", self.step_edit)
        form.addRow("Grid points", self.points_spin)
        form.addRow("", self.integer_box)
        self.form = form
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        self.set_parameter(param or Parameter(choices[0] if choices else "", "list"))
        for edit in (self.values_edit, self.low_edit, self.high_edit, self.step_edit):
            edit.textChanged.connect(self._check)
        self.target_box.currentTextChanged.connect(self._check)
        self.kind_box.currentIndexChanged.connect(self._kind_changed)
        self.points_spin.valueChanged.connect(self._check)
        self.integer_box.toggled.connect(self._check)
        self._kind_changed()

    def set_parameter(self, param: Parameter) -> None:
        """Show ``param`` in the fields."""
        self.target_box.setCurrentText(param.target)
        self.kind_box.setCurrentIndex(max(self.kind_box.findData(param.kind), 0))
        self.values_edit.setText(", ".join(str(v) for v in param.values))
        self.low_edit.setText("" if param.low is None else f"{param.low:g}")
        self.high_edit.setText("" if param.high is None else f"{param.high:g}")
        self.step_edit.setText("" if param.step is None else f"{param.step:g}")
        self.points_spin.setValue(param.points)
        self.integer_box.setChecked(param.integer)

    def parameter(self) -> Parameter:
        """The parameter the fields describe; ExperimentError says what is wrong."""
        target = self.target_box.currentText().strip()
        kind = self.kind_box.currentData()
        if kind in ("list", "choice"):
            values = parse_values(self.values_edit.text())
            if not values:
                raise ExperimentError("enter the values, separated by commas")
            param = Parameter(target, kind, values)
        else:
            low, high = _number(self.low_edit.text(), "Low"), _number(self.high_edit.text(), "High")
            step_text = self.step_edit.text().strip()
            step = _number(step_text, "Step") if step_text else None
            param = Parameter(
                target,
                kind,
                low=low,
                high=high,
                step=step,
                integer=self.integer_box.isChecked(),
                points=self.points_spin.value(),
            )
        problems = param.validate()
        if problems:
            raise ExperimentError("; ".join(problems))
        return param

    def _kind_changed(self) -> None:
        listed = self.kind_box.currentData() in ("list", "choice")
        for widget, shown in (
            (self.values_edit, listed),
            (self.low_edit, not listed),
            (self.high_edit, not listed),
            (self.step_edit, not listed and self.kind_box.currentData() == "range"),
            (self.points_spin, not listed),
            (self.integer_box, not listed),
        ):
            self.form.setRowVisible(widget, shown)
        self._check()

    def _check(self) -> None:
        try:
            self.parameter()
        except ExperimentError as exc:
            self.problem.setText(str(exc))
            ok = False
        else:
            self.problem.setText("")
            ok = True
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)


def _number(text: str, name: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ExperimentError(f"{name}: expected a number, received {text.strip()!r}") from None
    if not math.isfinite(value):
        raise ExperimentError(f"{name}: expected a finite number")
    return value
