"""The transfer-learning dialogs: the Replace Head wizard and the two-phase run settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer.core.graph import LayerGraph
from designer.core.transfer import find_head


class ReplaceHeadDialog(QDialog):
    """The Replace Head wizard: classes, task, optional extra Dense and Dropout."""

    def __init__(
        self, graph: LayerGraph, classes: int | None, note: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Replace Head")
        head = find_head(graph)
        names = ", ".join(graph.node(n).name for n in head.nodes)
        form = QFormLayout(self)
        form.addRow(QLabel(f"Replaces: <b>{names}</b> (after '{graph.node(head.anchor).name}')"))
        form.addRow(QLabel(note))
        self.task = QComboBox()
        self.task.addItems(["Classification", "Regression"])
        self.classes = QSpinBox()
        self.classes.setRange(2, 100000)
        self.classes.setValue(classes or 2)
        self.extra = QCheckBox("Extra Dense layer")
        self.extra_units = QSpinBox()
        self.extra_units.setRange(1, 100000)
        self.extra_units.setValue(128)
        self.dropout = QCheckBox("Dropout before the output")
        self.rate = QDoubleSpinBox()
        self.rate.setRange(0.0, 0.95)
        self.rate.setSingleStep(0.05)
        self.rate.setValue(0.5)
        form.addRow("Task", self.task)
        form.addRow("Number of classes", self.classes)
        form.addRow(self.extra, self.extra_units)
        form.addRow(self.dropout, self.rate)
        self.task.currentIndexChanged.connect(lambda i: self.classes.setEnabled(i == 0))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)

    def choice(self) -> dict[str, Any]:
        """Keyword arguments for plan_replace_head."""
        regression = self.task.currentIndex() == 1
        return {
            "num_classes": 1 if regression else self.classes.value(),
            "regression": regression,
            "extra_dense": self.extra_units.value() if self.extra.isChecked() else None,
            "dropout": self.rate.value() if self.dropout.isChecked() else None,
        }


class TwoPhaseDialog(QDialog):
    """Settings of a two-phase run; Start trains it in the Training Progress window."""

    def __init__(self, frozen: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Two-Phase Transfer Learning")
        layout = QVBoxLayout(self)
        form = QFormLayout()
        layout.addLayout(form)
        self.frozen_label = QLabel()
        form.addRow(self.frozen_label)
        self.method = QComboBox()
        self.method.addItem("Two phases: train the head, then fine-tune", "two-phase")
        self.method.addItem(
            "Head only, on features computed once (fast; no augmentation)", "features"
        )
        self.method.setToolTip(
            "Feature extraction runs the frozen backbone once over the data and then trains only "
            "the head on its outputs: much faster than running the frozen layers every epoch, "
            "but it needs the backbone frozen and the data not augmented."
        )
        form.addRow("Method", self.method)
        self.set_frozen(frozen)
        self.epochs = QSpinBox()
        self.epochs.setRange(1, 10000)
        self.epochs.setValue(3)
        self.unfreeze = QSpinBox()
        self.unfreeze.setRange(1, 10000)
        self.unfreeze.setValue(2)
        self.unfreeze.setSuffix(" layers with weights")
        self.factor = QDoubleSpinBox()
        self.factor.setDecimals(3)
        self.factor.setRange(0.001, 1.0)
        self.factor.setValue(0.1)
        form.addRow("Epochs per phase", self.epochs)
        form.addRow("Phase 2 unfreezes the last", self.unfreeze)
        form.addRow("Phase 2 learning-rate factor", self.factor)
        self.method.currentIndexChanged.connect(lambda _i: self._method_changed(form))
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.reject)
        for widget in (self.start_button, self.cancel_button):
            layout.addWidget(widget)

    @property
    def features_mode(self) -> bool:
        """Whether the head trains on features computed once (no second phase)."""
        return self.method.currentData() == "features"

    def _method_changed(self, form: QFormLayout) -> None:
        for widget in (self.unfreeze, self.factor):
            form.setRowVisible(widget, not self.features_mode)
        form.labelForField(self.epochs).setText(
            "Epochs" if self.features_mode else "Epochs per phase"
        )
        self.set_frozen(self._frozen)

    def set_frozen(self, frozen: int) -> None:
        """Say how many layers stay frozen (phase 1, or the feature-extraction backbone)."""
        self._frozen = frozen
        if self.features_mode:
            text = (
                f"The {frozen} frozen layers compute the features once; the rest trains"
                if frozen
                else "No frozen layers: freeze the backbone first (Freeze Everything Up To Here)"
            )
        else:
            text = (
                f"Phase 1 trains with the {frozen} frozen layers frozen"
                if frozen
                else "No frozen layers: phase 1 freezes every layer before the head"
            )
        self.frozen_label.setText(text)
