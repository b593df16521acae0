"""Widget factory: one editor per parameter kind of the catalog schema.

Every editor has ``value()``, ``set_value(v)`` and a ``changed`` signal carrying the new value.
Values are plain data as the graph stores them; the graph checks them and refuses bad ones.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from designer.core.params import INITIALIZERS, REGULARIZERS, ParamSpec, make_regularizer

BIG = 2_000_000_000


class ParamEditor(QWidget):
    """Base class: a value editor with a ``changed(value)`` signal."""

    changed = Signal(object)

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__()
        self.spec = spec
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._quiet = False
        self.setToolTip(spec.help)

    def set_value(self, value: Any) -> None:
        """Show ``value`` without emitting ``changed``."""
        self._quiet = True
        try:
            self._show(value)
        finally:
            self._quiet = False

    def _emit(self, *_args: Any) -> None:
        if not self._quiet:
            self.changed.emit(self.value())

    def value(self) -> Any:  # pragma: no cover - overridden
        """The edited value."""
        raise NotImplementedError

    def _show(self, value: Any) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class IntEditor(ParamEditor):
    """A spin box for integers within the schema's range."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.box = QSpinBox()
        self.box.setRange(
            int(spec.minimum) if spec.minimum is not None else -BIG,
            int(spec.maximum) if spec.maximum is not None else BIG,
        )
        self.box.setKeyboardTracking(True)
        self._layout.addWidget(self.box)
        self.box.valueChanged.connect(self._emit)

    def value(self) -> int:
        return self.box.value()

    def _show(self, value: Any) -> None:
        self.box.setValue(int(value) if value is not None else 0)


class FloatEditor(ParamEditor):
    """A spin box for real numbers."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.box = QDoubleSpinBox()
        self.box.setDecimals(6)
        self.box.setRange(
            spec.minimum if spec.minimum is not None else -1e9,
            spec.maximum if spec.maximum is not None else 1e9,
        )
        self.box.setSingleStep(0.05 if (spec.maximum or 0) <= 1 else 1.0)
        self._layout.addWidget(self.box)
        self.box.valueChanged.connect(self._emit)

    def value(self) -> float:
        return float(self.box.value())

    def _show(self, value: Any) -> None:
        self.box.setValue(float(value) if value is not None else 0.0)


class BoolEditor(ParamEditor):
    """A check box."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.box = QCheckBox()
        self._layout.addWidget(self.box)
        self.box.toggled.connect(self._emit)

    def value(self) -> bool:
        return self.box.isChecked()

    def _show(self, value: Any) -> None:
        self.box.setChecked(bool(value))


class ChoiceEditor(ParamEditor):
    """A combo box of the schema's choices (initializers offer their names)."""

    def __init__(self, spec: ParamSpec, choices: tuple[str, ...] | None = None) -> None:
        super().__init__(spec)
        self.box = QComboBox()
        self.box.addItems(list(choices or spec.choices or ()))
        self._layout.addWidget(self.box)
        self.box.currentTextChanged.connect(self._emit)

    def value(self) -> str:
        return self.box.currentText()

    def _show(self, value: Any) -> None:
        text = _initializer_name(value) if isinstance(value, dict) else str(value)
        if self.box.findText(text) < 0:
            self.box.addItem(text)
        self.box.setCurrentText(text)


def _initializer_name(config: dict) -> str:
    """'he_normal' for {'class_name': 'HeNormal', ...}."""
    import re

    name = re.sub(r"(?<!^)(?=[A-Z])", "_", str(config.get("class_name", ""))).lower()
    return name if name in INITIALIZERS else str(config.get("class_name", "custom"))


class IntsEditor(ParamEditor):
    """A tuple editor: one spin box per entry (kernel_size, strides, pool_size ...)."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.boxes: list[QSpinBox] = []
        count = spec.length or 1
        for _ in range(count):
            box = QSpinBox()
            box.setRange(int(spec.minimum) if spec.minimum is not None else -BIG, BIG)
            box.valueChanged.connect(self._emit)
            self._layout.addWidget(box)
            self.boxes.append(box)

    def value(self) -> list[int] | int:
        values = [b.value() for b in self.boxes]
        return values if self.spec.length else values[0]

    def _show(self, value: Any) -> None:
        values = value if isinstance(value, list) else [value] * len(self.boxes)
        if any(isinstance(v, list) for v in values) or len(values) != len(self.boxes):
            values = [0] * len(self.boxes)
        for box, v in zip(self.boxes, values, strict=True):
            box.setValue(int(v))


class TextEditor(ParamEditor):
    """A line edit for shapes, lists and free values (shape: '28, 28, 1'; None = any)."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.line = QLineEdit()
        self._layout.addWidget(self.line)
        self.line.editingFinished.connect(self._emit)
        if spec.kind == "shape":
            self.line.setPlaceholderText("e.g. 28, 28, 1 (None = any length)")

    def value(self) -> Any:
        text = self.line.text().strip()
        if self.spec.kind == "shape":
            return [
                None if p.strip().lower() in ("none", "?", "") else _number(p)
                for p in text.strip("()[]").split(",")
                if p.strip()
            ]
        if self.spec.kind == "str":
            return text
        try:
            return json.loads(text) if text else None
        except json.JSONDecodeError:
            return text

    def _show(self, value: Any) -> None:
        if self.spec.kind == "shape" and isinstance(value, list):
            self.line.setText(", ".join("None" if v is None else str(v) for v in value))
        elif isinstance(value, str) and self.spec.kind == "str":
            self.line.setText(value)
        else:
            self.line.setText(json.dumps(value))


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text.strip()


class RegularizerEditor(ParamEditor):
    """None / L1 / L2 / L1L2 with a factor."""

    def __init__(self, spec: ParamSpec) -> None:
        super().__init__(spec)
        self.kind = QComboBox()
        self.kind.addItems([r for r in REGULARIZERS if r != "orthogonal_regularizer"])
        self.factor = QDoubleSpinBox()
        self.factor.setDecimals(6)
        self.factor.setRange(0.0, 10.0)
        self.factor.setSingleStep(0.0001)
        self._layout.addWidget(self.kind)
        self._layout.addWidget(self.factor)
        self.kind.currentTextChanged.connect(self._emit)
        self.factor.valueChanged.connect(self._emit)

    def value(self) -> dict | None:
        return make_regularizer(self.kind.currentText(), self.factor.value() or 0.01)

    def _show(self, value: Any) -> None:
        if not value:
            self.kind.setCurrentText("none")
            self.factor.setValue(0.01)
            return
        config = value.get("config", {})
        name = {"L1": "l1", "L2": "l2", "L1L2": "l1_l2"}.get(value.get("class_name"), "l2")
        self.kind.setCurrentText(name)
        self.factor.setValue(float(config.get("l2", config.get("l1", 0.01))))


def make_editor(spec: ParamSpec) -> ParamEditor:
    """The editor widget for a parameter."""
    if spec.kind == "int" and spec.default is not None:
        return IntEditor(spec)
    if spec.kind == "float" and spec.default is not None:
        return FloatEditor(spec)
    if spec.kind == "bool":
        return BoolEditor(spec)
    if spec.kind == "choice":
        return ChoiceEditor(spec)
    if spec.kind == "initializer":
        return ChoiceEditor(spec, INITIALIZERS)
    if spec.kind == "ints" and spec.length:
        return IntsEditor(spec)
    if spec.kind == "regularizer":
        return RegularizerEditor(spec)
    return TextEditor(spec)


def widget_row(*items: QWidget | str, stretch: bool = False) -> QWidget:
    """Widgets (a string becomes a label) side by side without margins, for one form row;
    ``stretch`` leaves the extra width empty at the end."""
    box = QWidget()
    lay = QHBoxLayout(box)
    lay.setContentsMargins(0, 0, 0, 0)
    for item in items:
        lay.addWidget(QLabel(item) if isinstance(item, str) else item)
    if stretch:
        lay.addStretch(1)
    return box
