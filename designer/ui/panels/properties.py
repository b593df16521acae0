"""The Properties dock: the selected layer's parameters, or the network summary."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from designer.core.analysis import Report
from designer.core.diagnostics import format_shape
from designer.core.errors import GraphError
from designer.core.graph import EventKind, GraphEvent
from designer.ui.common.param_widgets import ParamEditor, make_editor
from designer.ui.document.commands import Rename, SetLrFactors, SetParams, SetTrainable
from designer.ui.document.document import Document

HIDDEN_PARAMS = {"dtype"}
BN_FROZEN_TIP = (
    "A frozen BatchNormalization layer runs in inference mode: it uses its stored "
    "mean and variance and does not update them, as keras.io's transfer-learning "
    "guide prescribes."
)


class PropertiesPanel(QScrollArea):
    """Shows and edits the selection; every edit is an undoable command. Right-click on a
    parameter's name offers "Vary in Experiment…" (``varyRequested``)."""

    varyRequested = Signal(str)  # an experiment target: layer.<layer name>.<parameter>

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.setWidgetResizable(True)
        self.node_ids: list[str] = []
        self.editors: dict[str, ParamEditor] = {}
        self.name_edit: QLineEdit | None = None
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setWordWrap(True)
        document.graphChanged.connect(self._on_graph_event)
        document.analysed.connect(self._on_analysed)
        document.projectChanged.connect(lambda: self.show_selection([]))
        self.show_selection([])

    # ------------------------------------------------------------------ building
    def show_selection(self, node_ids: list[str]) -> None:
        """Show the layer(s) ``node_ids``, or the network summary when empty."""
        self.node_ids = [n for n in node_ids if n in self.document.graph]
        self.editors = {}
        self.name_edit = None
        body = QWidget()
        layout = QVBoxLayout(body)
        self.error_label = QLabel()
        self.error_label.setStyleSheet("color: #c62828")
        self.error_label.setWordWrap(True)
        if len(self.node_ids) == 1:
            self._build_layer_form(layout, self.node_ids[0])
        elif self.node_ids:
            self._build_multi(layout)
        else:
            self.summary_label = QLabel()
            self.summary_label.setWordWrap(True)
            self.summary_label.setTextFormat(Qt.TextFormat.RichText)
            layout.addWidget(self.summary_label)
            self._fill_summary(self.document.report)
        layout.addWidget(self.error_label)
        layout.addStretch(1)
        self.setWidget(body)

    def _build_layer_form(self, layout: QVBoxLayout, node_id: str) -> None:
        node = self.document.graph.node(node_id)
        spec = node.spec
        title = QLabel(
            f"<b>{node.label}</b> <span style='color:#666'>({spec.category})</span>"
            f"<br><small>{spec.help}</small>"
        )
        title.setWordWrap(True)
        layout.addWidget(title)
        form = _form()
        self.name_edit = QLineEdit(node.name)
        self.name_edit.editingFinished.connect(self._rename)
        form.addRow("Name", self.name_edit)
        self.trainable_box = QCheckBox(trainable_text(node.trainable))
        self.trainable_box.setChecked(node.trainable)
        if node.type == "BatchNormalization":
            self.trainable_box.setToolTip(BN_FROZEN_TIP)
        self.trainable_box.toggled.connect(self._set_trainable)
        form.addRow("", self.trainable_box)
        self.lr_boxes = []
        row = QHBoxLayout()
        for label, value in zip(("weights", "bias"), node.lr_factors, strict=True):
            box = QDoubleSpinBox()
            box.setRange(0.0, 100.0)
            box.setDecimals(2)
            box.setSingleStep(0.1)
            box.setPrefix(f"{label} ")
            box.setValue(value)
            box.setToolTip(
                f"Learn-rate factor of the {label} (MATLAB's "
                f"{'Weight' if label == 'weights' else 'Bias'}LearnRateFactor)"
            )
            box.valueChanged.connect(self._set_lr_factors)
            row.addWidget(box)
            self.lr_boxes.append(box)
        form.addRow("Learn rate ×", row)
        layout.addLayout(form)
        primary = [k for k in spec.primary if k in node.params]
        others = [k for k in node.params if k not in primary and k not in HIDDEN_PARAMS]
        main = QGroupBox("Parameters")
        main_form = _form(main)
        for key in primary:
            self._add_editor(main_form, node_id, key)
        layout.addWidget(main)
        if others:
            more = QGroupBox("More parameters")
            more.setCheckable(True)
            more.setChecked(not primary)
            more_form = _form(more)
            for key in others:
                self._add_editor(more_form, node_id, key)
            more.toggled.connect(lambda on, box=more: self._toggle_group(box, on))
            self._toggle_group(more, more.isChecked())
            layout.addWidget(more)
        self.info_label = QLabel()
        self.info_label.setWordWrap(True)
        layout.addWidget(self.info_label)
        self._fill_layer_info(self.document.report)

    @staticmethod
    def _toggle_group(box: QGroupBox, on: bool) -> None:
        for child in box.findChildren(QWidget):
            child.setVisible(on)

    def _add_editor(self, form: QFormLayout, node_id: str, key: str) -> None:
        node = self.document.graph.node(node_id)
        spec = node.spec.params.get(key)
        if spec is None:
            return
        editor = make_editor(spec)
        editor.set_value(node.params.get(key))
        editor.changed.connect(lambda value, k=key: self._set_param(k, value))
        label = QLabel(key)
        label.setToolTip(f"{spec.help}\n(right-click: vary in an experiment)".lstrip())
        label.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        label.customContextMenuRequested.connect(
            lambda pos, k=key, w=label: self.parameter_menu(k).exec(w.mapToGlobal(QPoint(pos)))
        )
        form.addRow(label, editor)
        self.editors[key] = editor

    def parameter_menu(self, key: str) -> QMenu:
        """The right-click menu of the shown layer's parameter ``key``."""
        node = self.document.graph.node(self.node_ids[0])
        menu = QMenu(self)
        action = menu.addAction("Vary in Experiment…")
        action.setStatusTip("Add this parameter to the experiment's search space")
        action.triggered.connect(lambda: self.varyRequested.emit(f"layer.{node.name}.{key}"))
        return menu

    def _build_multi(self, layout: QVBoxLayout) -> None:
        graph = self.document.graph
        names = ", ".join(graph.node(n).name for n in self.node_ids[:8])
        more = "…" if len(self.node_ids) > 8 else ""
        label = QLabel(f"<b>{len(self.node_ids)} layers selected</b><br>{names}{more}")
        label.setWordWrap(True)
        layout.addWidget(label)
        trainable = all(graph.node(n).trainable for n in self.node_ids)
        box = QCheckBox(trainable_text(trainable))
        box.setTristate(False)
        box.setChecked(trainable)
        self.trainable_box = box
        box.toggled.connect(self._set_trainable)
        layout.addWidget(box)

    # ------------------------------------------------------------------ edits -> commands
    def _push(self, command: Any) -> bool:
        try:
            done = self.document.push(command)
        except GraphError as exc:
            self.error_label.setText(str(exc))
            self._refresh_values()
            return False
        if not done:  # a read-only network: the editors show its values again
            self.error_label.setText("Read-only: this network cannot be edited")
            self._refresh_values()
            return False
        self.error_label.setText("")
        return True

    def _set_param(self, key: str, value: Any) -> None:
        node_id = self.node_ids[0]
        node = self.document.graph.node(node_id)
        try:
            node.spec.check_params({key: value}, node.name)
        except GraphError as exc:
            self.error_label.setText(str(exc))
            self._refresh_values()
            return
        if node.params.get(key) != value:
            self._push(SetParams(self.document.graph, node_id, {key: value}))

    def _rename(self) -> None:
        node = self.document.graph.node(self.node_ids[0])
        name = self.name_edit.text().strip()
        if name != node.name:
            try:
                self.document.graph.check_name(node.id, name)
            except GraphError as exc:
                self.error_label.setText(str(exc))
                self.name_edit.setText(node.name)
                return
            self._push(Rename(self.document.graph, node.id, name))

    def _set_trainable(self, on: bool) -> None:
        self.trainable_box.setText(trainable_text(on))
        targets = [n for n in self.node_ids if self.document.graph.node(n).trainable != on]
        if targets:
            self._push(SetTrainable(self.document.graph, targets, on))

    def _set_lr_factors(self, *_args: Any) -> None:
        factors = (self.lr_boxes[0].value(), self.lr_boxes[1].value())
        node = self.document.graph.node(self.node_ids[0])
        if tuple(node.lr_factors) != factors:
            self._push(SetLrFactors(self.document.graph, node.id, factors))

    # ------------------------------------------------------------------ model -> view
    def _on_graph_event(self, event: GraphEvent) -> None:
        if event.kind == EventKind.REMOVED and event.node in self.node_ids:
            self.show_selection([n for n in self.node_ids if n != event.node])
        elif event.kind == EventKind.REPLACED and event.node in self.node_ids:
            self.show_selection(self.node_ids)
        elif event.node in self.node_ids:
            self._refresh_values()

    def _refresh_values(self) -> None:
        if len(self.node_ids) != 1 or self.node_ids[0] not in self.document.graph:
            return
        node = self.document.graph.node(self.node_ids[0])
        for key, editor in self.editors.items():
            editor.set_value(node.params.get(key))
        if self.name_edit is not None and not self.name_edit.hasFocus():
            self.name_edit.setText(node.name)
        self.trainable_box.blockSignals(True)
        self.trainable_box.setChecked(node.trainable)
        self.trainable_box.setText(trainable_text(node.trainable))  # also after undo
        self.trainable_box.blockSignals(False)
        for box, value in zip(self.lr_boxes, node.lr_factors, strict=True):
            box.blockSignals(True)
            box.setValue(value)
            box.blockSignals(False)

    def _on_analysed(self, report: Report) -> None:
        if not self.node_ids:
            self._fill_summary(report)
        elif len(self.node_ids) == 1:
            self._fill_layer_info(report)

    def _fill_layer_info(self, report: Report | None) -> None:
        if report is None or not hasattr(self, "info_label"):
            return
        info = report.nodes.get(self.node_ids[0]) if self.node_ids else None
        if info is None:
            return
        shapes = (
            ", ".join(format_shape(s, lb) for s, lb in zip(info.shapes, info.labels, strict=False))
            or "unknown"
        )
        issues = "".join(
            f"<br><span style='color:{'#c62828' if i.severity == 'error' else '#a66f00'}'>"
            f"{i.message}</span>"
            for i in info.issues
        )
        self.info_label.setText(
            f"Output: {shapes}<br>Learnables: {info.trainable:,} trainable, "
            f"{info.non_trainable:,} non-trainable{issues}"
        )

    def _fill_summary(self, report: Report | None) -> None:
        if not hasattr(self, "summary_label") or report is None:
            return
        graph = self.document.graph
        names = lambda ids: ", ".join(graph.node(i).name for i in ids if i in graph) or "none"  # noqa: E731
        errors = "".join(f"<li>{i.message}</li>" for i in report.errors[:12])
        status = (
            "<span style='color:#8a6d00'>Read-only: shown and analysed, not rebuilt.</span>"
            if self.document.read_only
            else "<span style='color:#2e7d32'>No errors: the network can be built.</span>"
            if report.ok
            else f"<span style='color:#c62828'>{len(report.errors)} error(s):</span>"
            f"<ul>{errors}</ul>"
        )
        self.summary_label.setText(
            f"<b>{self.document.project.name}</b><br>"
            f"Layers: {len(graph)}<br>"
            f"Parameters: {report.total_params:,}<br>"
            f"&nbsp;&nbsp;trainable {report.trainable_params:,}, "
            f"non-trainable {report.non_trainable_params:,}<br>"
            f"Inputs: {names(report.inputs)}<br>Outputs: {names(report.outputs)}<br>"
            f"Warnings: {len(report.warnings)}<br>{status}"
        )


def trainable_text(trainable: bool) -> str:
    """The label of the Trainable check box, which says the state it shows."""
    return "Trainable (unlocked)" if trainable else "Frozen (locked)"


def _form(parent: QWidget | None = None) -> QFormLayout:
    """A form whose long rows wrap (label above the field) instead of widening the panel."""
    form = QFormLayout(parent) if parent is not None else QFormLayout()
    form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
    form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return form
