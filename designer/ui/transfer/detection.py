"""Network > Detection Head...: the lecture's "replace the classification part with a detection
head". The dialog plans the edits of designer.core.detection_head.plan_detection_head_for
(remove the classification head, add a feature pyramid and box and class heads on P3..P5)
and says what they will do; OK gives the edits to TransferActions, which applies them as one
undo step (with the project's old detector settings cleared)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtGui import QUndoCommand
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QWidget,
)

from designer.app.settings import DetectionSection
from designer.core.detection_head import (
    BACKBONE_GROUP,
    BOX_OUTPUT,
    CLASS_OUTPUT,
    DetectionHead,
    DetectionHeadError,
    anchor_rows,
    level_name,
    plan_detection_head_for,
)
from designer.core.edits import Edit, RestoreLayers
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph
from designer.ui.canvas.groups import group_name
from designer.ui.document.commands import GraphCommand, SetSettings, Steps

DETECTION_KINDS = ("detection", "shapes")  # data sources whose store has boxes
ERROR_STYLE = "color: #c62828"


def detection_classes(project: Any) -> tuple[int | None, str]:
    """(number of object classes or None, a sentence) from the project's detection data."""
    config = project.settings.data.source
    if config is None:
        return None, "The project has no data yet: type the number of object classes."
    if config.kind not in DETECTION_KINDS:
        return None, (
            f"The project's data ({config.kind}) is not a detection dataset: type the number "
            "of object classes."
        )
    try:
        names = _detection_class_names(config)
    except Exception as exc:  # a data problem must not stop the dialog
        return None, f"The project's data cannot be read ({exc}); type the number of classes."
    shown = ", ".join(names[:5]) + (", ..." if len(names) > 5 else "")
    return len(names), f"{len(names)} classes in the project's detection data ({shown})."


def _detection_class_names(config: Any) -> list[str]:
    """The class names of a detection source, without generating or scanning when known."""
    if config.kind == "shapes":
        from designer.data.shapes import CLASSES

        return list(CLASSES)
    if getattr(config, "class_names", None):
        return list(config.class_names)
    from designer.data.registry import open_datastore

    return list(open_datastore(config).class_names)


def feature_sources(head: DetectionHead) -> list[str]:
    """The backbone layers the pyramid starts from (P3 first), read from the planned links."""
    new = set(head.fpn_nodes) | set(head.head_nodes)
    sources: list[str] = []
    for edit in head.edits:
        if not isinstance(edit, RestoreLayers):
            continue
        for record in edit.records:
            for link in record.links:
                if link.dst in new and link.src not in new and link.src not in sources:
                    sources.append(link.src)
    return sources


def check_not_detector(graph: LayerGraph) -> None:
    """DetectionHeadError for a network that ends in a detection head already (its pyramid
    outputs would be taken for backbone feature maps)."""
    outputs = {graph.node(nid).name for nid in graph.output_nodes()}
    if {BOX_OUTPUT, CLASS_OUTPUT} <= outputs:
        raise DetectionHeadError(
            f"a detection head expects a classifier or a backbone; this network ends in one "
            f"already ({BOX_OUTPUT}, {CLASS_OUTPUT}): undo it, or change its layers"
        )


def _names(graph: LayerGraph, ids: list[str] | tuple[str, ...], most: int = 3) -> str:
    names = [graph.node(nid).name for nid in ids[:most]]
    return ", ".join(names) + (", ..." if len(ids) > most else "")


def preview_text(graph: LayerGraph, head: DetectionHead) -> str:
    """One paragraph saying what the planned head removes and adds."""
    removed = (
        f"Removes {len(head.removed)} layers ({_names(graph, head.removed)})"
        if head.removed
        else "Keeps every layer (no classification head found)"
    )
    sources = feature_sources(head)
    levels = ", ".join(
        f"{graph.node(nid).name} ({level_name(lv)})"
        for nid, lv in zip(sources, head.levels, strict=False)
    )
    shape = graph.node(graph.input_nodes()[0]).params["shape"]
    rows = anchor_rows((shape[0], shape[1]), head.levels, head.anchors_per_location)
    added = len(head.fpn_nodes) + len(head.head_nodes)
    return (
        f"{removed} and adds {added} layers: a feature pyramid of {len(head.fpn_nodes)} layers "
        f"on {levels}, and box and class heads of {len(head.head_nodes)} layers for "
        f"{head.num_classes} classes ({rows} anchors of a {shape[0]}x{shape[1]} image). "
        "Outputs: bbox_regression, cls_logits."
    )


@dataclass(frozen=True)
class SetGroups:
    """Set the canvas group (``Node.group``) of layers; the inverse sets the old ones back.
    No graph event of its own: it rides in a command that adds or removes layers, whose
    events make the canvas read the groups again."""

    groups: tuple[tuple[str, str | None], ...]

    def apply(self, graph: LayerGraph) -> Edit:
        old = tuple((nid, graph.node(nid).group) for nid, _ in self.groups)
        for nid, group in self.groups:
            graph.node(nid).group = group
        return SetGroups(old)


def backbone_groups(graph: LayerGraph, head: DetectionHead) -> list[Edit]:
    """An edit putting the kept layers into the ``backbone`` group, when none of them has a
    group or a block name of its own (a Keras application keeps its block frames)."""
    gone = set(head.removed)
    kept = [n for n in graph.nodes if n.id not in gone and n.type != "Input"]
    if not kept or any(group_name(n) is not None for n in kept):
        return []
    return [SetGroups(tuple((n.id, BACKBONE_GROUP) for n in kept))]


def detection_command(document: Any, edits: list[Edit], text: str) -> QUndoCommand:
    """The edits as one undo step, clearing the project's detector settings (anchors and
    classes of the old head) in the same step when they are set."""
    graph_step = GraphCommand(document.graph, edits, text)
    settings = document.project.settings
    if settings.detection.empty:
        return graph_step
    cleared = settings.replace(detection=DetectionSection())
    clear = SetSettings(document.apply_settings, settings, cleared, text)
    return Steps(text, [graph_step, clear])


def _spin(low: int, high: int, value: int, tip: str) -> QSpinBox:
    spin = QSpinBox()
    spin.setRange(low, high)
    spin.setValue(value)
    spin.setToolTip(tip)
    return spin


class DetectionHeadDialog(QDialog):
    """Classes and head sizes, with a live preview (or the reason it cannot be done, in red);
    OK is offered only for a head that can be added."""

    def __init__(
        self, graph: LayerGraph, classes: int | None, note: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Detection Head")
        self.setMinimumWidth(520)
        self.graph = graph
        self.edits: list[Edit] = []
        self.head: DetectionHead | None = None
        self.problem: str | None = None
        form = QFormLayout(self)
        intro = QLabel(
            "Replaces the classification part with a feature pyramid (P3-P5) and box and "
            "class heads, RetinaNet style."
        )
        intro.setWordWrap(True)
        form.addRow(intro)
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        form.addRow(self.note)
        self.classes = _spin(1, 100000, classes or 3, "Object classes (no background class)")
        self.fpn_filters = _spin(1, 4096, 64, "Filters of every feature-pyramid convolution")
        self.head_convs = _spin(0, 16, 2, "3x3 convolutions in each box and class tower")
        self.head_filters = _spin(1, 4096, 64, "Filters of the towers' convolutions")
        self.anchors = _spin(1, 100, 9, "Anchor boxes per location (3 scales x 3 ratios: 9)")
        form.addRow("Number of classes", self.classes)
        form.addRow("Pyramid filters", self.fpn_filters)
        form.addRow("Head convolutions", self.head_convs)
        form.addRow("Head filters", self.head_filters)
        form.addRow("Anchors per location", self.anchors)
        self.preview = QLabel()
        self.preview.setWordWrap(True)
        form.addRow(self.preview)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form.addRow(self.buttons)
        for spin in self.spins():
            spin.valueChanged.connect(lambda _value: self.refresh())
        self.refresh()

    def spins(self) -> list[QSpinBox]:
        """The dialog's number fields, in form order."""
        return [self.classes, self.fpn_filters, self.head_convs, self.head_filters, self.anchors]

    def choice(self) -> dict[str, Any]:
        """Keyword arguments for plan_detection_head_for."""
        return {
            "num_classes": self.classes.value(),
            "fpn_filters": self.fpn_filters.value(),
            "head_convs": self.head_convs.value(),
            "head_filters": self.head_filters.value(),
            "anchors_per_location": self.anchors.value(),
        }

    def refresh(self) -> bool:
        """Plan the head for the current values and show what it does; False (and the reason
        in red, OK disabled) when it cannot be added."""
        try:
            check_not_detector(self.graph)
            self.edits, self.head = plan_detection_head_for(self.graph, **self.choice())
        except GraphError as exc:
            self.edits, self.head, self.problem = [], None, str(exc)
            self.preview.setStyleSheet(ERROR_STYLE)
            self.preview.setText(f"Not possible: {exc}")
        else:
            self.problem = None
            self.preview.setStyleSheet("")
            self.preview.setText(preview_text(self.graph, self.head))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(self.problem is None)
        return self.problem is None

    def accept(self) -> None:
        """Close only with a head that can be added (planned again for the graph as it is)."""
        if self.refresh():
            super().accept()
