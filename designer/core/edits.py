"""The edit vocabulary: every change of a LayerGraph as a small typed, reversible operation.

An :class:`Edit` calls one graph method and returns the edit that takes it back, so any list of
edits can be applied with :func:`apply_edits` and undone exactly with the list it returns. The
GUI's undo commands and the transfer-learning plans (:mod:`designer.core.transfer`) are lists
of these; nothing else changes a graph on their behalf.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from designer.core.errors import GraphError
from designer.core.graph import LayerGraph, Link, Node, NodeRecord, Pos, node_from_dict
from designer.core.groups import collapse_group, expand_group
from designer.core.node import check_pos


class Edit(Protocol):
    """One reversible change of a graph."""

    def apply(self, graph: LayerGraph) -> Edit:
        """Make the change; returns the edit that takes it back."""
        ...


@dataclass(frozen=True)
class AddLayer:
    """Add a layer of ``type_name`` (checked parameters, a fixed id when given)."""

    type_name: str
    name: str | None = None
    pos: Pos = (0.0, 0.0)
    params: dict[str, Any] = field(default_factory=dict)
    node_id: str | None = None

    def apply(self, graph: LayerGraph) -> Edit:
        node_id = graph.add(
            self.type_name, self.name, self.pos, node_id=self.node_id, params=dict(self.params)
        )
        return RemoveLayer(node_id)


@dataclass(frozen=True)
class RemoveLayer:
    """Remove a layer with its links."""

    node_id: str

    def apply(self, graph: LayerGraph) -> Edit:
        return RestoreLayers((graph.remove(self.node_id),))


@dataclass(frozen=True)
class RemoveLayers:
    """Remove several layers (their links first), as one edit."""

    node_ids: tuple[str, ...]

    def apply(self, graph: LayerGraph) -> Edit:
        return RestoreLayers(tuple(remove_all(graph, self.node_ids)))


def remove_all(graph: LayerGraph, node_ids: Iterable[str]) -> list[NodeRecord]:
    """Remove layers one by one, all or none (a refusal puts back the ones removed); the
    records hold the places the layers had before any of them went, as restore_all wants."""
    order = {n.id: i for i, n in enumerate(graph.nodes)}
    outputs = {nid: i for i, nid in enumerate(graph.output_order)}
    records: list[NodeRecord] = []

    def renumbered() -> list[NodeRecord]:
        for record in records:
            record.index = order[record.node.id]
            if record.output_index is not None:
                record.output_index = outputs[record.node.id]
        return records

    with graph.batch():
        try:
            for nid in node_ids:
                records.append(graph.remove(nid))
        except GraphError:
            graph.restore_all(renumbered())
            raise
    return renumbered()


def _each(items: Iterable[tuple[str, Any]], change: Callable[[str, Any], Any]) -> dict[str, Any]:
    """``change(key, value)`` for every item, all or none: on a refusal the items done are
    changed back to the values ``change`` returned; returns those old values by key."""
    done: dict[str, Any] = {}
    try:
        for key, value in items:
            done[key] = change(key, value)
    except GraphError:
        for key, old in reversed(done.items()):
            change(key, old)
        raise
    return done


@dataclass(frozen=True)
class RestoreLayers:
    """Put removed layers back exactly (ids, state, place in the order), then their links."""

    records: tuple[NodeRecord, ...]

    def apply(self, graph: LayerGraph) -> Edit:
        graph.restore_all(list(self.records))
        return RemoveLayers(tuple(r.node.id for r in self.records))


@dataclass(frozen=True)
class Connect:
    """Feed output ``src_port`` of ``src`` into input ``port`` of ``dst`` (first free: None)."""

    src: str
    dst: str
    port: int | None = None
    src_port: int = 0

    def apply(self, graph: LayerGraph) -> Edit:
        port = graph.connect(self.src, self.dst, self.port, self.src_port)
        return Disconnect(self.src, self.dst, port)


@dataclass(frozen=True)
class Disconnect:
    """Remove the link into input ``port`` of ``dst``."""

    src: str
    dst: str
    port: int

    def apply(self, graph: LayerGraph) -> Edit:
        link = graph.disconnect(self.src, self.dst, self.port)
        return Connect(link.src, link.dst, link.port, link.src_port)


@dataclass(frozen=True)
class SetParams:
    """Change some parameters of a layer."""

    node_id: str
    params: dict[str, Any]

    def apply(self, graph: LayerGraph) -> Edit:
        had = set(graph.node(self.node_id).params)
        old = graph.set_params(self.node_id, **self.params)
        return _RestoreParams(
            self.node_id,
            {k: v for k, v in old.items() if k in had},
            tuple(k for k in old if k not in had),
        )


@dataclass(frozen=True)
class _RestoreParams:
    """Undo of :class:`SetParams`: the old values back, and keys it added taken away."""

    node_id: str
    params: dict[str, Any]
    added: tuple[str, ...] = ()

    def apply(self, graph: LayerGraph) -> Edit:
        node = graph.node(self.node_id)
        now = {k: node.params[k] for k in (*self.params, *self.added) if k in node.params}
        graph.restore_params(self.node_id, self.params, drop=self.added)
        return SetParams(self.node_id, now)


@dataclass(frozen=True)
class Rename:
    """Give a layer another unique name."""

    node_id: str
    name: str

    def apply(self, graph: LayerGraph) -> Edit:
        return Rename(self.node_id, graph.rename(self.node_id, self.name))


@dataclass(frozen=True)
class Move:
    """Place layers on the canvas (one edit for a whole drag or auto-arrange)."""

    positions: dict[str, Pos]

    def apply(self, graph: LayerGraph) -> Edit:
        with graph.batch():
            return Move(_each(self.positions.items(), graph.move))


@dataclass(frozen=True)
class SetTrainable:
    """Freeze (False) or unfreeze layers."""

    states: dict[str, bool]

    def apply(self, graph: LayerGraph) -> Edit:
        with graph.batch():
            return SetTrainable(_each(self.states.items(), graph.set_trainable))


@dataclass(frozen=True)
class SetLrFactors:
    """Set the learn-rate factors (weights, bias) of a layer."""

    node_id: str
    factors: tuple[float, float]

    def apply(self, graph: LayerGraph) -> Edit:
        return SetLrFactors(self.node_id, graph.set_lr_factors(self.node_id, *self.factors))


@dataclass(frozen=True)
class Replace:
    """Change a layer's type in place, keeping the links that fit."""

    node_id: str
    type_name: str
    params: dict[str, Any] = field(default_factory=dict)

    def apply(self, graph: LayerGraph) -> Edit:
        return _RestoreReplaced(graph.replace(self.node_id, self.type_name, **self.params))


@dataclass(frozen=True)
class _RestoreReplaced:
    """Undo of :class:`Replace` (and of itself): a layer's state and links as recorded."""

    record: NodeRecord

    def apply(self, graph: LayerGraph) -> Edit:
        now = graph.record(self.record.node.id)
        graph.restore_replaced(self.record)
        return _RestoreReplaced(now)


@dataclass(frozen=True)
class SetWeights:
    """Give layers weights (arrays, or None) with the signature of the type and parameters
    they were made for; keys are node paths: ``"n3"``, or ``"n3/n7"`` for layer n7 inside
    group n3."""

    weights: dict[str, tuple[Any, str | None]]

    def apply(self, graph: LayerGraph) -> Edit:
        def change(path: str, pair: tuple[Any, str | None]) -> tuple[Any, str | None]:
            owner, node_id = _resolve(graph, path)
            return owner.set_weights(node_id, *pair)

        with graph.batch():
            return SetWeights(_each(self.weights.items(), change))


def _resolve(graph: LayerGraph, path: str) -> tuple[LayerGraph, str]:
    """The graph holding the node at ``path`` and its id there."""
    *groups, node_id = path.split("/")
    for group in groups:
        sub = graph.node(group).subgraph
        if sub is None:
            raise GraphError(f"'{graph.node(group).name}' is not a group of layers")
        graph = sub
    return graph, node_id


@dataclass(frozen=True)
class SetOutputOrder:
    """Fix the order of the network's outputs (node ids)."""

    order: tuple[str, ...]

    def apply(self, graph: LayerGraph) -> Edit:
        return SetOutputOrder(tuple(graph.set_output_order(self.order)))


@dataclass(frozen=True)
class ExpandGroup:
    """Replace a group node (a nested network) by its layers, wired in place."""

    node_id: str

    def apply(self, graph: LayerGraph) -> Edit:
        expansion = expand_group(graph, self.node_id)
        return _Ungroup(expansion.group, tuple(expansion.new_ids))


@dataclass(frozen=True)
class CollapseGroup:
    """Fold the layers expanded from group ``group`` (or ``members``: layers sharing a block
    name) into one group node; ``shapes`` gives the analysed shape of each (node id, output)
    feeding the group."""

    group: str
    shapes: dict[tuple[str, int], Any]
    members: tuple[str, ...] = ()

    def apply(self, graph: LayerGraph) -> Edit:
        order = [n.id for n in graph.nodes]
        chosen = set(self.members)
        records = []
        for nid in order:
            if nid in chosen or (not chosen and graph.node(nid).group == self.group):
                record = graph.record(nid)
                record.index = order.index(nid)
                records.append(record)
        group_id = collapse_group(graph, self.group, self.shapes, self.members)
        return _Regroup(group_id, tuple(records))


@dataclass(frozen=True)
class _Regroup:
    """Swap a group node for recorded layers (undo of a collapse, or of an expansion)."""

    group_id: str
    records: tuple[NodeRecord, ...]

    def apply(self, graph: LayerGraph) -> Edit:
        with graph.batch():
            group = graph.remove(self.group_id)
            RestoreLayers(self.records).apply(graph)
        return _Ungroup(group, tuple(r.node.id for r in self.records))


@dataclass(frozen=True)
class _Ungroup:
    """Swap layers for a recorded group node (redo of a collapse, or undo of an expansion)."""

    group: NodeRecord
    member_ids: tuple[str, ...]

    def apply(self, graph: LayerGraph) -> Edit:
        with graph.batch():
            records = tuple(remove_all(graph, reversed(self.member_ids)))
            graph.restore(self.group)
        return _Regroup(self.group.node.id, tuple(reversed(records)))


def apply_edits(graph: LayerGraph, edits: list[Edit]) -> list[Edit]:
    """Apply ``edits`` in order (observers hear them at the end); returns the edits that take
    them back, in the order to apply them. On a refused edit, the ones done are taken back
    and the error is raised again: the graph is as it was."""
    undo: list[Edit] = []
    with graph.batch():
        try:
            for edit in edits:
                undo.append(edit.apply(graph))
        except Exception:
            for inverse in reversed(undo):
                inverse.apply(graph)
            raise
    return list(reversed(undo))


# ----------------------------------------------------------------------------- clipboard
def copy_layers(graph: LayerGraph, node_ids: list[str]) -> dict[str, Any]:
    """Plain data of the chosen layers and the links among them (for the clipboard)."""
    wanted = set(node_ids)
    chosen = [nid for nid in graph.topological_order() if nid in wanted]
    nodes = [graph.node(nid) for nid in chosen]
    links = [
        [lk.src, lk.dst, lk.port, lk.src_port]
        for lk in graph.links()
        if lk.src in wanted and lk.dst in wanted
    ]
    return {
        "nodes": [_clip_item(graph, n, wanted) for n in nodes],
        "links": links,
        "weights": {n.id: (n.weights, n.weights_sig) for n in nodes if n.weights is not None},
    }


def _clip_item(graph: LayerGraph, node: Node, wanted: set[str]) -> dict[str, Any]:
    """A node's clipboard data; a second call of a shared sub-model whose first call is not
    copied carries that sub-model's network (the copy becomes a sub-model of its own)."""
    item = node.to_dict()
    if node.shared_with is not None and node.shared_with not in wanted:
        sub = graph.group_network(node.id)
        if sub is not None:
            item["subgraph"] = sub.to_dict()
    return item


def plan_paste(
    graph: LayerGraph, clip: dict[str, Any], offset: Pos
) -> tuple[list[Edit], list[str]]:
    """Edits that insert the clipboard's layers (fresh ids and names, moved by ``offset``) and
    the links among them; returns them with the new ids."""
    offset = check_pos(offset)
    if not isinstance(clip, dict) or not isinstance(clip.get("nodes"), list):
        raise GraphError(f"a clipboard expects a dictionary of layers; received {type(clip)}")
    records: list[NodeRecord] = []
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for item in clip["nodes"]:
        node = node_from_dict(item)
        old_id = node.id
        node.id = graph.new_id()
        node.name = graph.unique_name(node.name, taken)
        taken.add(node.name)
        node.pos = (node.pos[0] + offset[0], node.pos[1] + offset[1])
        node.weights, node.weights_sig = clip.get("weights", {}).get(old_id, (None, None))
        mapping[old_id] = node.id
        records.append(NodeRecord(node, []))
    for record in records:  # calls of a layer copied with it share the copy, others none
        record.node.shared_with = mapping.get(record.node.shared_with or "")
    try:
        links = [Link(mapping[s], mapping[d], port, sp) for s, d, port, sp in clip["links"]]
    except (KeyError, TypeError, ValueError):
        raise GraphError(
            "a clipboard's links expect [source, destination, input, output] among its layers"
        ) from None
    if records:
        records[0] = NodeRecord(records[0].node, links)
    return [RestoreLayers(tuple(records))], list(mapping.values())
