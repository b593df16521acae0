"""Transfer learning as graph edits: find the head, replace it, freeze and unfreeze layers.

Every function here plans a list of typed edits (``plan_*``, :mod:`designer.core.edits`) that
:func:`~designer.core.edits.apply_edits` performs and takes back exactly, so the GUI can make
one undo step of them; the short forms (:func:`replace_head`, :func:`freeze_until`,
:func:`unfreeze_last`) plan and apply at once. Layers outside the edit keep their parameters,
so their weights too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from designer.core.analysis import analyze
from designer.core.edits import (
    AddLayer,
    Connect,
    Edit,
    RemoveLayer,
    SetOutputOrder,
    SetTrainable,
    apply_edits,
)
from designer.core.errors import GraphError
from designer.core.graph import LayerGraph

# Layers that may follow the last learnable layer of a classifier.
TRAILING = ("Activation", "Softmax", "ReLU", "LeakyReLU", "ELU", "PReLU")
DENSE_HEADS = ("Dense", "EinsumDense")
CONV_HEADS = ("Conv1D", "Conv2D", "Conv3D")
GLOBAL_POOLS = (
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
)


class HeadNotFoundError(GraphError):
    """The network has no head that can be replaced (the message says what was found)."""


@dataclass(frozen=True)
class Head:
    """The head of a network: its nodes in order, the layer feeding it, and its kind."""

    nodes: tuple[str, ...]
    anchor: str  # the node whose output feeds the head (it stays)
    kind: str  # "dense" or "conv" (SqueezeNet-style final conv + global pooling)
    pool_type: str | None = None  # the global pooling type of a "conv" head

    @property
    def learnable(self) -> str:
        """The id of the head's learnable layer."""
        return self.nodes[0]


def _only_pred(graph: LayerGraph, nid: str) -> str | None:
    preds = graph.predecessors(nid)
    return preds[0] if len(preds) == 1 else None


def find_head(graph: LayerGraph) -> Head:
    """The head: last Dense (+ its activation layers) or final conv + global pooling."""
    outputs = graph.output_nodes()
    if len(outputs) != 1:
        raise HeadNotFoundError(
            f"Expected a network with one output to find its head, received {len(outputs)} "
            f"outputs" + (f" ({', '.join(graph.node(o).name for o in outputs)})" if outputs else "")
        )
    chain = [outputs[0]]
    current: str | None = outputs[0]
    while current is not None and graph.node(current).type in TRAILING:
        current = _only_pred(graph, current)
        if current is not None:
            chain.append(current)
    kind, pool = "dense", None
    if current is not None and graph.node(current).type in GLOBAL_POOLS:
        pool = graph.node(current).type
        current = _only_pred(graph, current)
        while current is not None and graph.node(current).type in TRAILING:
            chain.append(current)
            current = _only_pred(graph, current)
        if current is not None:
            chain.append(current)
        kind = "conv"
    wanted = CONV_HEADS if kind == "conv" else DENSE_HEADS
    if current is None or graph.node(current).type not in wanted:
        last = graph.node(outputs[0])
        raise HeadNotFoundError(
            f"Expected the network to end in a Dense layer (optionally followed by an "
            f"activation) or in a convolution followed by global pooling; the output layer "
            f"'{last.name}' is a {last.label} reached from "
            f"{graph.node(current).label + ' ' + repr(graph.node(current).name) if current else 'a branch'}"
        )
    anchor = _only_pred(graph, current)
    if anchor is None:
        raise HeadNotFoundError(
            f"The head layer '{graph.node(current).name}' must have exactly "
            f"one input, received {len(graph.predecessors(current))}"
        )
    for nid in chain[1:]:
        if len(graph.successors(nid)) != 1:
            raise HeadNotFoundError(
                f"The head layer '{graph.node(nid).name}' also feeds other "
                f"layers; cannot replace the head of a branching network"
            )
    return Head(tuple(reversed(chain)), anchor, kind, pool)


def plan_replace_head(
    graph: LayerGraph,
    num_classes: int,
    regression: bool = False,
    extra_dense: int | None = None,
    dropout: float | None = None,
) -> list[Edit]:
    """Edits that swap the head for Dense(num_classes, softmax), or Dense(1) for regression,
    with an optional Dense(extra_dense, relu) and Dropout(dropout) before it."""
    if not regression and (not isinstance(num_classes, int) or num_classes < 2):
        raise GraphError(f"Expected a number of classes >= 2, received {num_classes!r}")
    if extra_dense is not None and extra_dense < 1:
        raise GraphError(f"Expected extra Dense units >= 1, received {extra_dense!r}")
    if dropout is not None and not 0 <= dropout < 1:
        raise GraphError(f"Expected a dropout rate in [0, 1), received {dropout!r}")
    head = find_head(graph)
    layers: list[tuple[str, str, dict[str, Any]]] = []
    if head.kind == "conv":
        layers.append((head.pool_type or "GlobalAveragePooling2D", "new_pool", {}))
    if extra_dense:
        layers.append(("Dense", "new_dense", {"units": int(extra_dense), "activation": "relu"}))
    if dropout:
        layers.append(("Dropout", "new_dropout", {"rate": float(dropout)}))
    final = (
        {"units": 1, "activation": "linear"}
        if regression
        else {"units": int(num_classes), "activation": "softmax"}
    )
    layers.append(("Dense", "new_fc", final))
    edits: list[Edit] = [RemoveLayer(nid) for nid in reversed(head.nodes)]
    ax, ay = graph.node(head.anchor).pos
    first = graph.node(head.nodes[0]).pos
    step = (first[0] - ax, first[1] - ay)
    if step == (0.0, 0.0):
        step = (0.0, 90.0)
    taken: set[str] = set()
    freed = {graph.node(nid).name for nid in head.nodes}
    ids = [graph.new_id() for _ in layers]
    src = head.anchor
    for k, ((type_name, base, params), nid) in enumerate(zip(layers, ids, strict=True), 1):
        pos = (ax + step[0] * k, ay + step[1] * k)
        name = graph.unique_name(base, taken, freed)
        taken.add(name)
        edits.append(AddLayer(type_name, name, pos, params, node_id=nid))
        edits.append(Connect(src, nid, 0))
        src = nid
    if graph.output_order:  # the new output takes the old one's place among the outputs
        order = [ids[-1] if o == head.nodes[-1] else o for o in graph.output_order]
        edits.append(SetOutputOrder(tuple(order)))
    return edits


def plan_freeze_until(graph: LayerGraph, node_id: str) -> list[Edit]:
    """Edits that freeze every layer up to and including ``node_id`` in topological order."""
    graph.node(node_id)
    order = graph.topological_order()
    upto = order[: order.index(node_id) + 1]
    states = {nid: False for nid in upto if graph.node(nid).trainable}
    return [SetTrainable(states)] if states else []


def weighted_layers(graph: LayerGraph) -> list[str]:
    """Ids of the layers with parameters, in topological order."""
    report = analyze(graph)
    return [
        nid
        for nid in graph.topological_order()
        if nid in report.nodes and report.nodes[nid].params > 0
    ]


def plan_unfreeze_last(graph: LayerGraph, n: int) -> list[Edit]:
    """Edits that unfreeze the last ``n`` layers with weights (the others stay as they are)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise GraphError(f"Expected a number of layers >= 1, received {n!r}")
    tail = weighted_layers(graph)[-n:]
    states = {nid: True for nid in tail if not graph.node(nid).trainable}
    return [SetTrainable(states)] if states else []


def replace_head(
    graph: LayerGraph,
    num_classes: int,
    regression: bool = False,
    extra_dense: int | None = None,
    dropout: float | None = None,
) -> list[Edit]:
    """Replace the head now (see :func:`plan_replace_head`); returns the edits made."""
    edits = plan_replace_head(graph, num_classes, regression, extra_dense, dropout)
    apply_edits(graph, edits)
    return edits


def freeze_until(graph: LayerGraph, node_id: str) -> list[Edit]:
    """Freeze every layer up to and including ``node_id`` now; returns the edits made."""
    edits = plan_freeze_until(graph, node_id)
    apply_edits(graph, edits)
    return edits


def unfreeze_last(graph: LayerGraph, n: int) -> list[Edit]:
    """Unfreeze the last ``n`` layers with weights now; returns the edits made."""
    edits = plan_unfreeze_last(graph, n)
    apply_edits(graph, edits)
    return edits


unfreeze_last_blocks = unfreeze_last
