"""Undo commands: each calls graph edit methods and nothing else (views follow graph events)."""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QUndoCommand

from designer.core.graph import LayerGraph, Link, Node, NodeRecord, Pos, node_from_dict

MERGE_PARAMS = 1001


class AddNode(QUndoCommand):
    """Add one layer (its id stays the same through undo and redo)."""

    def __init__(self, graph: LayerGraph, type_name: str, pos: Pos,
                 params: dict[str, Any] | None = None, name: str | None = None) -> None:  # fmt: skip
        super().__init__(f"Add {type_name.rsplit(':', 1)[-1]}")
        self.graph, self.type_name, self.pos = graph, type_name, pos
        self.params, self.name = dict(params or {}), name
        self.node_id: str | None = None
        self._record: NodeRecord | None = None

    def redo(self) -> None:
        if self._record is None:
            self.node_id = self.graph.add(self.type_name, self.name, self.pos, params=self.params)
        else:
            self.graph.restore(self._record)

    def undo(self) -> None:
        self._record = self.graph.remove(self.node_id)


class RemoveNodes(QUndoCommand):
    """Delete layers with their links."""

    def __init__(self, graph: LayerGraph, node_ids: list[str]) -> None:
        super().__init__(f"Delete {len(node_ids)} layer{'s' if len(node_ids) != 1 else ''}")
        self.graph, self.node_ids = graph, list(node_ids)
        self._records: list[NodeRecord] = []

    def redo(self) -> None:
        with self.graph.batch():
            self._records = [self.graph.remove(nid) for nid in self.node_ids]

    def undo(self) -> None:
        restore_all(self.graph, self._records)


def restore_all(graph: LayerGraph, records: list[NodeRecord]) -> None:
    """Put several removed nodes back, then all their links (once each)."""
    with graph.batch():
        for record in sorted(records, key=lambda r: (r.index is None, r.index or 0)):
            graph.add_node(record.node, record.index)
        links = {(lk.src, lk.dst, lk.port): lk for r in records for lk in r.links}
        for link in sorted(links.values(), key=lambda lk: (lk.dst, lk.port)):
            graph.connect(link.src, link.dst, link.port, link.src_port)


class Connect(QUndoCommand):
    """Link an output to an input port."""

    def __init__(self, graph: LayerGraph, src: str, dst: str, port: int | None = None,
                 src_port: int = 0) -> None:  # fmt: skip
        super().__init__("Connect")
        self.graph, self.src, self.dst, self.port, self.src_port = graph, src, dst, port, src_port

    def redo(self) -> None:
        self.port = self.graph.connect(self.src, self.dst, self.port, self.src_port)

    def undo(self) -> None:
        self.graph.disconnect(self.src, self.dst, self.port)


class Disconnect(QUndoCommand):
    """Remove one link."""

    def __init__(self, graph: LayerGraph, link: Link) -> None:
        super().__init__("Disconnect")
        self.graph, self.link = graph, link

    def redo(self) -> None:
        self.graph.disconnect(self.link.src, self.link.dst, self.link.port)

    def undo(self) -> None:
        lk = self.link
        self.graph.connect(lk.src, lk.dst, lk.port, lk.src_port)


class SetParams(QUndoCommand):
    """Change parameters of one layer; successive edits of the same keys merge into one step."""

    def __init__(self, graph: LayerGraph, node_id: str, params: dict[str, Any]) -> None:
        super().__init__(f"Set {', '.join(params)} of {graph.node(node_id).name}")
        self.graph, self.node_id, self.new = graph, node_id, dict(params)
        self.old: dict[str, Any] | None = None

    def redo(self) -> None:
        old = self.graph.set_params(self.node_id, **self.new)
        if self.old is None:
            self.old = old

    def undo(self) -> None:
        self.graph.set_params(self.node_id, **self.old)

    def id(self) -> int:
        return MERGE_PARAMS

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetParams) or other.node_id != self.node_id \
                or set(other.new) != set(self.new):  # fmt: skip
            return False
        self.new = dict(other.new)
        return True


class Rename(QUndoCommand):
    """Rename a layer."""

    def __init__(self, graph: LayerGraph, node_id: str, name: str) -> None:
        super().__init__(f"Rename to {name}")
        self.graph, self.node_id, self.name = graph, node_id, name
        self.old = graph.node(node_id).name

    def redo(self) -> None:
        self.graph.rename(self.node_id, self.name)

    def undo(self) -> None:
        self.graph.rename(self.node_id, self.old)


class MoveNodes(QUndoCommand):
    """Move layers (one step for a whole drag or an auto-arrange)."""

    def __init__(self, graph: LayerGraph, moves: dict[str, tuple[Pos, Pos]],
                 text: str = "Move") -> None:  # fmt: skip
        super().__init__(text)
        self.graph, self.moves = graph, dict(moves)

    def redo(self) -> None:
        with self.graph.batch():
            for nid, (_old, new) in self.moves.items():
                self.graph.move(nid, new)

    def undo(self) -> None:
        with self.graph.batch():
            for nid, (old, _new) in self.moves.items():
                self.graph.move(nid, old)


class SetTrainable(QUndoCommand):
    """Freeze or unfreeze layers."""

    def __init__(self, graph: LayerGraph, node_ids: list[str], trainable: bool) -> None:
        super().__init__(("Unfreeze" if trainable else "Freeze") + f" {len(node_ids)} layer(s)")
        self.graph, self.trainable = graph, trainable
        self.old = {nid: graph.node(nid).trainable for nid in node_ids}

    def redo(self) -> None:
        with self.graph.batch():
            for nid in self.old:
                self.graph.set_trainable(nid, self.trainable)

    def undo(self) -> None:
        with self.graph.batch():
            for nid, state in self.old.items():
                self.graph.set_trainable(nid, state)


class SetLrFactors(QUndoCommand):
    """Set the learn-rate factors (weights, bias) of a layer."""

    def __init__(self, graph: LayerGraph, node_id: str, factors: tuple[float, float]) -> None:
        super().__init__(f"Learn-rate factors of {graph.node(node_id).name}")
        self.graph, self.node_id, self.new = graph, node_id, factors
        self.old = graph.node(node_id).lr_factors

    def redo(self) -> None:
        self.graph.set_lr_factors(self.node_id, *self.new)

    def undo(self) -> None:
        self.graph.set_lr_factors(self.node_id, *self.old)


class Replace(QUndoCommand):
    """Change a layer's type, keeping the links that fit."""

    def __init__(self, graph: LayerGraph, node_id: str, type_name: str,
                 params: dict[str, Any] | None = None) -> None:  # fmt: skip
        super().__init__(f"Replace {graph.node(node_id).name} with {type_name}")
        self.graph, self.node_id, self.type_name = graph, node_id, type_name
        self.params = dict(params or {})
        self._record: NodeRecord | None = None

    def redo(self) -> None:
        self._record = self.graph.replace(self.node_id, self.type_name, **self.params)

    def undo(self) -> None:
        self.graph.restore_replaced(self._record)


class Paste(QUndoCommand):
    """Insert copied layers (and the links among them) with fresh ids and names."""

    def __init__(self, graph: LayerGraph, clip: dict[str, Any], offset: Pos,
                 text: str = "Paste") -> None:  # fmt: skip
        super().__init__(text)
        self.graph, self.clip, self.offset = graph, clip, offset
        self._records: list[NodeRecord] | None = None
        self.new_ids: list[str] = []

    def redo(self) -> None:
        if self._records is not None:
            restore_all(self.graph, self._records)
            return
        mapping: dict[str, str] = {}
        with self.graph.batch():
            for item in self.clip["nodes"]:
                node = node_from_dict(item)
                old_id = node.id
                node.id = self.graph._new_id()
                node.name = self.graph.unique_name(node.name)
                node.pos = (node.pos[0] + self.offset[0], node.pos[1] + self.offset[1])
                node.shared_with = None
                node.weights, node.weights_sig = self.clip.get("weights", {}).get(old_id, (None, None))
                self.graph.add_node(node)
                mapping[old_id] = node.id
            for src, dst, port, src_port in self.clip["links"]:
                self.graph.connect(mapping[src], mapping[dst], port, src_port)
        self.new_ids = list(mapping.values())

    def undo(self) -> None:
        records = []
        with self.graph.batch():
            for nid in reversed(self.new_ids):
                records.append(self.graph.remove(nid))
        self._records = list(reversed(records))


def copy_nodes(graph: LayerGraph, node_ids: list[str]) -> dict[str, Any]:
    """Plain data of the chosen layers and the links among them (for the clipboard)."""
    chosen = [nid for nid in graph.topological_order() if nid in set(node_ids)]
    nodes: list[Node] = [graph.node(nid) for nid in chosen]
    links = [[lk.src, lk.dst, lk.port, lk.src_port] for lk in graph.links()
             if lk.src in chosen and lk.dst in chosen]  # fmt: skip
    return {"nodes": [n.to_dict() for n in nodes], "links": links,
            "weights": {n.id: (n.weights, n.weights_sig) for n in nodes if n.weights is not None}}


class ExpandGroup(QUndoCommand):
    """Expand a nested network in place (undo collapses it again)."""

    def __init__(self, graph: LayerGraph, node_id: str) -> None:
        super().__init__(f"Expand {graph.node(node_id).name}")
        self.graph, self.node_id = graph, node_id
        self._expansion = None

    def redo(self) -> None:
        from designer.core.groups import expand_group

        self._expansion = expand_group(self.graph, self.node_id)

    def undo(self) -> None:
        from designer.core.groups import collapse_expansion

        collapse_expansion(self.graph, self._expansion)


class CollapseGroup(QUndoCommand):
    """Fold the layers expanded from a group back into one group node."""

    def __init__(self, graph: LayerGraph, group: str, shapes: dict) -> None:
        super().__init__(f"Collapse {group}")
        self.graph, self.group, self.shapes = graph, group, shapes
        self.group_id: str | None = None
        self._records: list[NodeRecord] = []

    def redo(self) -> None:
        from designer.core.groups import collapse_group

        order = [n.id for n in self.graph.nodes]
        self._records = [
            NodeRecord(self.graph.node(n), self.graph.inputs_of(n) + self.graph.outputs_of(n),
                       order.index(n))
            for n in order if self.graph.node(n).group == self.group
        ]  # fmt: skip
        self.group_id = collapse_group(self.graph, self.group, self.shapes)

    def undo(self) -> None:
        with self.graph.batch():
            self.graph.remove(self.group_id)
            restore_all(self.graph, self._records)
