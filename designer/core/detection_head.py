"""Object detection as graph edits: a RetinaNet-style feature pyramid and prediction heads
added on a backbone's feature maps as ordinary, editable layers.

The layers come in two groups (``Node.group``, drawn as frames on the canvas):
``feature_pyramid`` (a 1x1 lateral Conv2D per level P3..P5, a top-down path of
UpSampling2D + Add, a 3x3 output Conv2D per level) and ``heads`` (per level a box tower and a
class tower of 3x3 convolutions, a last Conv2D of ``anchors * 4`` / ``anchors * classes``
filters, a Reshape to rows of 4 / ``classes``; the rows of all levels are concatenated into
the two outputs ``bbox_regression`` and ``cls_logits``). The rows are ordered level by level,
then by feature-map row, column and anchor: the order of KerasHub's ``AnchorGenerator``
(designer.training.detector pairs them). Like :mod:`designer.core.transfer`, every function
plans typed edits (:mod:`designer.core.edits`) that the GUI can make one undo step of; the
short forms apply them at once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from designer.core.analysis import analyze
from designer.core.edits import Edit, RemoveLayer, RestoreLayers, SetOutputOrder, apply_edits
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph, Link, Node, NodeRecord
from designer.core.node import spec_for_edit
from designer.core.report import Report
from designer.core.transfer import HeadNotFoundError, find_head

FPN_GROUP = "feature_pyramid"
HEADS_GROUP = "heads"
BACKBONE_GROUP = "backbone"
BOX_OUTPUT = "bbox_regression"
CLASS_OUTPUT = "cls_logits"
DEFAULT_LEVELS = (3, 4, 5)
_STEP_X, _STEP_Y = 230.0, 100.0  # canvas spacing of the new layers


class DetectionHeadError(GraphError):
    """A detection head cannot be added (the message says what was expected and found)."""


@dataclass(frozen=True)
class DetectionHead:
    """What :func:`plan_detection_head` adds: the output ids, the layers of each group and
    the shape facts the detector needs (levels, anchors per location, classes)."""

    box_output: str
    class_output: str
    levels: tuple[int, ...]
    anchors_per_location: int
    num_classes: int
    fpn_nodes: tuple[str, ...] = ()
    head_nodes: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()  # backbone layers taken away (the classification head)
    edits: list[Edit] = field(default_factory=list, repr=False, compare=False)


def level_name(level: int) -> str:
    """``"P3"`` for level 3: the key KerasHub's AnchorGenerator uses."""
    return f"P{level}"


def anchor_rows(image_size: tuple[int, int], levels: tuple[int, ...], per_location: int) -> int:
    """Rows of the head outputs (anchors) for an image of ``image_size`` (height, width)."""
    height, width = image_size
    return sum(
        math.ceil(height / 2**level) * math.ceil(width / 2**level) * per_location
        for level in levels
    )


# ----------------------------------------------------------------------------- features
def _input_size(graph: LayerGraph) -> tuple[int, int]:
    inputs = graph.input_nodes()
    if len(inputs) != 1:
        raise DetectionHeadError(
            f"a detector expects a network with one image input; received {len(inputs)} inputs"
        )
    shape = list(graph.node(inputs[0]).params.get("shape") or [])
    if len(shape) != 3 or not all(isinstance(d, int) and d > 0 for d in shape[:2]):
        raise DetectionHeadError(
            f"a detector expects an image input of fixed size (height, width, channels); "
            f"'{graph.node(inputs[0]).name}' has shape {tuple(shape)}"
        )
    return int(shape[0]), int(shape[1])


def _cut_points(graph: LayerGraph, order: list[str]) -> set[str]:
    """Nodes that no link jumps over in ``order``: every path through the network passes
    them (the ends of blocks), unlike the layers inside an Inception branch."""
    place = {nid: i for i, nid in enumerate(order)}
    spans = [-1] * len(order)  # spans[i]: furthest destination of a link from node i
    for lk in graph.links():
        if lk.src in place and lk.dst in place:
            spans[place[lk.src]] = max(spans[place[lk.src]], place[lk.dst])
    cuts, furthest = set(), -1
    for i, nid in enumerate(order):
        if furthest <= i:  # no link from an earlier node lands beyond this one
            cuts.add(nid)
        furthest = max(furthest, spans[i])
    return cuts


def find_feature_nodes(
    graph: LayerGraph,
    report: Report | None = None,
    levels: tuple[int, ...] = DEFAULT_LEVELS,
    exclude: tuple[str, ...] = (),
) -> dict[str, str]:
    """The backbone layer giving each pyramid level: ``{"P3": id, "P4": id, "P5": id}``, the
    last layer (in network order, preferring block ends) whose 4-D output has the stride
    2**level relative to the image (8, 16, 32 for P3..P5)."""
    report = report or analyze(graph)
    height, width = _input_size(graph)
    skip = set(exclude)
    order = [nid for nid in graph.topological_order() if nid not in skip]
    sinks = [nid for nid in graph.output_nodes() if nid not in skip] or order[-1:]
    used = set(sinks).union(*(nx.ancestors(graph.view(), s) for s in sinks))
    order = [nid for nid in order if nid in used]
    cuts = _cut_points(graph, order)
    found: dict[int, list[str]] = {}
    for nid in order:
        node = graph.node(nid)
        info = report.nodes.get(nid)
        shape = info.shape if info else None
        if node.type == "Input" or shape is None or len(shape) != 4:
            continue
        h, w = shape[1], shape[2]
        if not h or not w:
            continue
        level = round(math.log2(max(height / h, width / w)))
        if level in levels:
            found.setdefault(level, []).append(nid)
    missing = [level_name(lv) for lv in levels if lv not in found]
    if missing:
        strides = ", ".join(str(2**lv) for lv in levels)
        raise DetectionHeadError(
            f"a detection head expects backbone feature maps at strides {strides} of the "
            f"{height}x{width} input; found none for {', '.join(missing)} (make the input "
            f"larger or the backbone deeper)"
        )
    chosen = {}
    for level in levels:
        ends = [nid for nid in found[level] if nid in cuts]
        chosen[level_name(level)] = (ends or found[level])[-1]
    return chosen


# ----------------------------------------------------------------------------- planning
class _Planner:
    """Collects new nodes (with fresh ids, unique names, groups) and the links among them."""

    def __init__(self, graph: LayerGraph, free: set[str]) -> None:
        self.graph, self.free = graph, free
        self.taken: set[str] = set()
        self.records: list[NodeRecord] = []
        self.links: list[Link] = []
        self.ids: dict[str, list[str]] = {FPN_GROUP: [], HEADS_GROUP: []}

    def add(
        self,
        type_name: str,
        base: str,
        group: str,
        pos: tuple[float, float],
        inputs: list[str],
        **params: Any,
    ) -> str:
        spec = spec_for_edit(type_name, params)
        values = spec.defaults()
        values.update(spec.check_params(params, base))
        name = self.graph.unique_name(base, self.taken, self.free)
        self.taken.add(name)
        nid = self.graph.new_id()
        node = Node(nid, type_name, name, values, (float(pos[0]), float(pos[1])), group=group)
        self.records.append(NodeRecord(node, []))
        self.links.extend(Link(src, nid, port, 0) for port, src in enumerate(inputs))
        self.ids[group].append(nid)
        return nid

    def edit(self) -> Edit:
        records = list(self.records)
        records[0] = NodeRecord(records[0].node, list(self.links))
        return RestoreLayers(tuple(records))


def plan_detection_head(
    graph: LayerGraph,
    feature_nodes: Mapping[str, str],
    num_classes: int,
    fpn_filters: int = 64,
    head_convs: int = 2,
    head_filters: int = 64,
    anchors_per_location: int = 9,
    prior_probability: float = 0.01,
    report: Report | None = None,
    free_names: set[str] | None = None,
) -> tuple[list[Edit], DetectionHead]:
    """Edits adding a feature pyramid on ``feature_nodes`` (``{"P3": id, ...}``) and box and
    class heads, with the two outputs ``bbox_regression`` (rows of 4) and ``cls_logits``
    (rows of ``num_classes``); returns the edits and what they will add."""
    for what, value, low in (
        ("a number of classes", num_classes, 1),
        ("pyramid filters", fpn_filters, 1),
        ("head convolutions", head_convs, 0),
        ("head filters", head_filters, 1),
        ("anchors per location", anchors_per_location, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise DetectionHeadError(f"{what} expects a whole number >= {low}; received {value!r}")
    if not 0 < prior_probability < 1:
        raise DetectionHeadError(
            f"the prior probability expects a number in (0, 1); received {prior_probability!r}"
        )
    try:
        levels = sorted(int(str(key).lstrip("Pp")) for key in feature_nodes)
    except ValueError:
        raise DetectionHeadError(
            f"feature nodes expect keys 'P3', 'P4', ...; received {sorted(feature_nodes)}"
        ) from None
    if not levels or levels != list(range(levels[0], levels[-1] + 1)):
        raise DetectionHeadError(
            f"feature nodes expect consecutive levels such as P3, P4, P5; received "
            f"{sorted(feature_nodes)}"
        )
    feats = {
        lv: feature_nodes.get(level_name(lv), feature_nodes.get(f"p{lv}", "")) for lv in levels
    }
    for nid in feats.values():
        graph.node(nid)  # UnknownNodeError for an id that is not in the graph
    report = report or analyze(graph)
    height, width = _input_size(graph)
    plan = _Planner(graph, set(free_names or ()))
    x0 = max((n.pos[0] for n in graph.nodes), default=0.0) + _STEP_X
    # a band of rows per level, beside the level's feature map where there is room
    row = {lv: graph.node(feats[lv]).pos[1] for lv in levels}
    ys = [row[lv] for lv in levels]
    if any(b - a < _STEP_Y * 2.2 for a, b in zip(ys, ys[1:], strict=False)):
        row = {lv: ys[0] + i * _STEP_Y * 2.2 for i, lv in enumerate(levels)}

    # feature pyramid: laterals, top-down path (coarsest first), output convs
    lateral: dict[int, str] = {}
    for lv in levels:
        src = feats[lv]
        lateral[lv] = plan.add(
            "Conv2D",
            f"fpn_{level_name(lv)}_lateral",
            FPN_GROUP,
            (x0, row[lv]),
            [src],
            filters=fpn_filters,
            kernel_size=1,
            padding="same",
        )
        want = (math.ceil(height / 2**lv), math.ceil(width / 2**lv))
        shape = report.nodes[src].shape if src in report.nodes else None
        if shape is not None and tuple(shape[1:3]) != want:  # valid padding: match anchors
            lateral[lv] = plan.add(
                "Resizing",
                f"fpn_{level_name(lv)}_resize",
                FPN_GROUP,
                (x0, row[lv] + _STEP_Y * 0.5),
                [lateral[lv]],
                height=want[0],
                width=want[1],
                interpolation="bilinear",
            )
    merged = {levels[-1]: lateral[levels[-1]]}
    for lv in reversed(levels[:-1]):
        fine = (math.ceil(height / 2**lv), math.ceil(width / 2**lv))
        coarse = (math.ceil(height / 2 ** (lv + 1)), math.ceil(width / 2 ** (lv + 1)))
        where = (x0 + _STEP_X, row[lv] - _STEP_Y * 0.6)
        if fine == (coarse[0] * 2, coarse[1] * 2):
            up = plan.add(
                "UpSampling2D",
                f"fpn_{level_name(lv + 1)}_upsample",
                FPN_GROUP,
                where,
                [merged[lv + 1]],
                size=2,
            )
        else:  # an odd size (100 px: P4 7x7, P5 4x4): up to the finer level's size
            up = plan.add(
                "Resizing",
                f"fpn_{level_name(lv + 1)}_upsample",
                FPN_GROUP,
                where,
                [merged[lv + 1]],
                height=fine[0],
                width=fine[1],
                interpolation="nearest",
            )
        merged[lv] = plan.add(
            "Add",
            f"fpn_{level_name(lv)}_merge",
            FPN_GROUP,
            (x0 + _STEP_X, row[lv] + _STEP_Y * 0.4),
            [lateral[lv], up],
        )
    pyramid = {
        lv: plan.add(
            "Conv2D",
            f"fpn_{level_name(lv)}_output",
            FPN_GROUP,
            (x0 + 2 * _STEP_X, row[lv]),
            [merged[lv]],
            filters=fpn_filters,
            kernel_size=3,
            padding="same",
        )
        for lv in levels
    }

    # heads: per level a box tower and a class tower, reshaped to rows, concatenated
    prior_bias = -math.log((1 - prior_probability) / prior_probability)
    init = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.01, "seed": None}}
    rows: dict[str, list[str]] = {"box": [], "cls": []}
    for lv in levels:
        for k, (kind, per_anchor) in enumerate((("box", 4), ("cls", num_classes))):
            y = row[lv] + (k - 0.5) * _STEP_Y
            src = pyramid[lv]
            x = x0 + 3 * _STEP_X
            for c in range(1, head_convs + 1):
                src = plan.add(
                    "Conv2D",
                    f"head_{level_name(lv)}_{kind}_conv{c}",
                    HEADS_GROUP,
                    (x, y),
                    [src],
                    filters=head_filters,
                    kernel_size=3,
                    padding="same",
                    activation="relu",
                    kernel_initializer=init,
                )
                x += _STEP_X
            bias = {
                "class_name": "Constant",
                "config": {"value": prior_bias if kind == "cls" else 0.0},
            }
            out = plan.add(
                "Conv2D",
                f"head_{level_name(lv)}_{kind}_out",
                HEADS_GROUP,
                (x, y),
                [src],
                filters=anchors_per_location * per_anchor,
                kernel_size=3,
                padding="same",
                kernel_initializer=init,
                bias_initializer=bias,
            )
            rows[kind].append(
                plan.add(
                    "Reshape",
                    f"head_{level_name(lv)}_{kind}_rows",
                    HEADS_GROUP,
                    (x + _STEP_X, y),
                    [out],
                    target_shape=[-1, per_anchor],
                )
            )
    xo = x0 + (head_convs + 5) * _STEP_X
    yo = sum(row.values()) / len(row)
    outputs = {}
    for kind, name in (("box", BOX_OUTPUT), ("cls", CLASS_OUTPUT)):
        y = yo + (-0.5 if kind == "box" else 0.5) * _STEP_Y
        if len(rows[kind]) > 1:
            outputs[kind] = plan.add("Concatenate", name, HEADS_GROUP, (xo, y), rows[kind], axis=1)
        else:  # one level: its rows are the output
            outputs[kind] = plan.add("Identity", name, HEADS_GROUP, (xo, y), rows[kind])
    edits: list[Edit] = [plan.edit(), SetOutputOrder((outputs["box"], outputs["cls"]))]
    head = DetectionHead(
        outputs["box"],
        outputs["cls"],
        tuple(levels),
        anchors_per_location,
        num_classes,
        tuple(plan.ids[FPN_GROUP]),
        tuple(plan.ids[HEADS_GROUP]),
        edits=edits,
    )
    return edits, head


def add_detection_head(
    graph: LayerGraph, feature_nodes: Mapping[str, str], num_classes: int, **options: Any
) -> DetectionHead:
    """Add the feature pyramid and the heads now; ``options`` as :func:`plan_detection_head`
    takes them (fpn_filters, head_convs, head_filters, anchors_per_location,
    prior_probability)."""
    edits, head = plan_detection_head(graph, feature_nodes, num_classes, **options)
    apply_edits(graph, edits)
    return head


def plan_detection_head_for(
    graph: LayerGraph, num_classes: int, **options: Any
) -> tuple[list[Edit], DetectionHead]:
    """Edits that turn a classifier into a detector: remove the classification part (the
    head :func:`~designer.core.transfer.find_head` finds, with the pooling and flattening
    before it) and add the detection head on the backbone's P3..P5 feature maps. A network
    without a classification head (a backbone) keeps all its layers."""
    report = analyze(graph)
    if not report.ok:
        raise DetectionHeadError(
            "fix the network's errors before adding a detection head: "
            + "; ".join(issue.message for issue in report.errors[:3])
        )
    try:
        head_nodes = find_head(graph).nodes
    except HeadNotFoundError:
        head_nodes = ()
    levels = tuple(options.pop("levels", DEFAULT_LEVELS))
    feats = find_feature_nodes(graph, report, levels, exclude=head_nodes)
    keep = set(feats.values()).union(*(nx.ancestors(graph.view(), f) for f in feats.values()))
    removed = [
        nid
        for nid in graph.topological_order()
        if nid not in keep and graph.node(nid).type != "Input"
    ]
    freed = {graph.node(nid).name for nid in removed}
    edits: list[Edit] = [RemoveLayer(nid) for nid in reversed(removed)]
    add, head = plan_detection_head(
        graph, feats, num_classes, report=report, free_names=freed, **options
    )
    edits += add
    head = DetectionHead(
        head.box_output,
        head.class_output,
        head.levels,
        head.anchors_per_location,
        head.num_classes,
        head.fpn_nodes,
        head.head_nodes,
        tuple(removed),
        edits,
    )
    return edits, head


def detection_head_for(graph: LayerGraph, num_classes: int, **options: Any) -> DetectionHead:
    """Replace the classification part with a detection head now; see
    :func:`plan_detection_head_for` (options: fpn_filters, head_convs, head_filters,
    anchors_per_location, prior_probability, levels)."""
    edits, head = plan_detection_head_for(graph, num_classes, **options)
    apply_edits(graph, edits)
    return head


def tag_detection_groups(graph: LayerGraph) -> int:
    """Give the layers of a detector read from a Keras model (which keeps no groups) their
    groups again, from their names (``fpn_*``, ``head_*`` and the two outputs); for a graph
    nobody observes yet, such as a fresh import. Returns the number of layers tagged."""
    tagged = 0
    for node in graph.nodes:
        if node.group is not None:
            continue
        if node.name.startswith("fpn_"):
            node.group = FPN_GROUP
        elif node.name.startswith("head_") or node.name in (BOX_OUTPUT, CLASS_OUTPUT):
            node.group = HEADS_GROUP
        else:
            continue
        tagged += 1
    return tagged
