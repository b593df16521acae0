"""Undo commands: each is a list of typed graph edits (designer.core.edits), applied and taken
back exactly; views follow the graph's events. Settings changes are commands too."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtGui import QUndoCommand

from designer.core import edits as ed
from designer.core.graph import LayerGraph, Link, Pos

MERGE_PARAMS = 1001


class GraphCommand(QUndoCommand):
    """Graph edits as one undo step; redo after undo restores the very same state."""

    def __init__(self, graph: LayerGraph, edits: list[ed.Edit], text: str) -> None:
        super().__init__(text)
        self.graph, self._forward = graph, list(edits)
        self._backward: list[ed.Edit] = []

    def redo(self) -> None:
        self._backward = ed.apply_edits(self.graph, self._forward)

    def undo(self) -> None:
        self._forward = ed.apply_edits(self.graph, self._backward)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class AddNode(GraphCommand):
    """Add one layer (its id stays the same through undo and redo)."""

    def __init__(
        self,
        graph: LayerGraph,
        type_name: str,
        pos: Pos,
        params: dict[str, Any] | None = None,
        name: str | None = None,
    ) -> None:
        self.node_id = graph.new_id()
        edit = ed.AddLayer(type_name, name, pos, dict(params or {}), node_id=self.node_id)
        super().__init__(graph, [edit], f"Add {type_name.rsplit(':', 1)[-1]}")


class RemoveNodes(GraphCommand):
    """Delete layers with their links."""

    def __init__(self, graph: LayerGraph, node_ids: list[str]) -> None:
        super().__init__(
            graph, [ed.RemoveLayers(tuple(node_ids))], f"Delete {_plural(len(node_ids), 'layer')}"
        )


class Connect(GraphCommand):
    """Link an output to an input port (the first free one when ``port`` is None)."""

    def __init__(
        self, graph: LayerGraph, src: str, dst: str, port: int | None = None, src_port: int = 0
    ) -> None:
        super().__init__(graph, [ed.Connect(src, dst, port, src_port)], "Connect")


class Disconnect(GraphCommand):
    """Remove one link."""

    def __init__(self, graph: LayerGraph, link: Link) -> None:
        super().__init__(graph, [ed.Disconnect(link.src, link.dst, link.port)], "Disconnect")


class SetParams(GraphCommand):
    """Change parameters of one layer; successive edits of the same keys merge into one step."""

    def __init__(self, graph: LayerGraph, node_id: str, params: dict[str, Any]) -> None:
        super().__init__(
            graph,
            [ed.SetParams(node_id, dict(params))],
            f"Set {', '.join(params)} of {graph.node(node_id).name}",
        )
        self.node_id, self.keys = node_id, set(params)

    def id(self) -> int:
        return MERGE_PARAMS

    def mergeWith(self, other: QUndoCommand) -> bool:
        if (
            not isinstance(other, SetParams)
            or other.node_id != self.node_id
            or other.keys != self.keys
        ):
            return False
        # The merged step goes from this one's old values to the other's new ones.
        self._forward = other._forward
        return True


class Rename(GraphCommand):
    """Rename a layer."""

    def __init__(self, graph: LayerGraph, node_id: str, name: str) -> None:
        super().__init__(graph, [ed.Rename(node_id, name)], f"Rename to {name}")


class MoveNodes(GraphCommand):
    """Move layers (one step for a whole drag or an auto-arrange)."""

    def __init__(
        self, graph: LayerGraph, moves: dict[str, tuple[Pos, Pos]], text: str = "Move"
    ) -> None:
        super().__init__(graph, [ed.Move({nid: new for nid, (_old, new) in moves.items()})], text)


class SetTrainable(GraphCommand):
    """Freeze or unfreeze layers."""

    def __init__(self, graph: LayerGraph, node_ids: list[str], trainable: bool) -> None:
        text = ("Unfreeze" if trainable else "Freeze") + f" {len(node_ids)} layer(s)"
        super().__init__(graph, [ed.SetTrainable(dict.fromkeys(node_ids, trainable))], text)


class SetLrFactors(GraphCommand):
    """Set the learn-rate factors (weights, bias) of a layer."""

    def __init__(self, graph: LayerGraph, node_id: str, factors: tuple[float, float]) -> None:
        super().__init__(
            graph,
            [ed.SetLrFactors(node_id, factors)],
            f"Learn-rate factors of {graph.node(node_id).name}",
        )


class Replace(GraphCommand):
    """Change a layer's type, keeping the links that fit."""

    def __init__(
        self, graph: LayerGraph, node_id: str, type_name: str, params: dict[str, Any] | None = None
    ) -> None:
        super().__init__(
            graph,
            [ed.Replace(node_id, type_name, dict(params or {}))],
            f"Replace {graph.node(node_id).name} with {type_name}",
        )


class Paste(GraphCommand):
    """Insert copied layers (and the links among them) with fresh ids and names."""

    def __init__(
        self, graph: LayerGraph, clip: dict[str, Any], offset: Pos, text: str = "Paste"
    ) -> None:
        edits, self.new_ids = ed.plan_paste(graph, clip, offset)
        super().__init__(graph, edits, text)


copy_nodes = ed.copy_layers


class ExpandGroup(GraphCommand):
    """Expand a nested network in place (undo collapses it again)."""

    def __init__(self, graph: LayerGraph, node_id: str) -> None:
        super().__init__(graph, [ed.ExpandGroup(node_id)], f"Expand {graph.node(node_id).name}")


class CollapseGroup(GraphCommand):
    """Fold the layers expanded from a group (or ``members``, sharing a block name) into one
    group node."""

    def __init__(
        self, graph: LayerGraph, group: str, shapes: dict, members: tuple[str, ...] = ()
    ) -> None:
        edit = ed.CollapseGroup(group, shapes, members)
        super().__init__(graph, [edit], f"Collapse {group}")


MERGE_SETTINGS = 1002


class SetSettings(QUndoCommand):
    """Replace the project's settings (data, split, preprocessing, augmentation, training
    options, results) by ``new``, as one undo step; ``apply`` installs a settings value and
    tells the views (Document.apply_settings). Consecutive commands with the same
    ``merge_key`` (not None) merge into one step, as typing in a spin box does."""

    def __init__(
        self, apply: Callable[[Any], Any], old: Any, new: Any, text: str, merge_key: Any = None
    ) -> None:
        super().__init__(text)
        self._apply, self.old, self.new, self.merge_key = apply, old, new, merge_key

    def redo(self) -> None:
        self._apply(self.new)

    def undo(self) -> None:
        self._apply(self.old)

    def id(self) -> int:
        return MERGE_SETTINGS if self.merge_key is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetSettings) or other.merge_key != self.merge_key:
            return False
        self.new = other.new
        return True


class Steps(QUndoCommand):
    """Several commands as one undo step. The parts are plain Python objects run in order
    (not Qt children: a Qt-owned child loses its Python redo/undo and crashes PySide6)."""

    def __init__(self, text: str, parts: list[QUndoCommand]) -> None:
        super().__init__(text)
        self.parts = list(parts)

    def redo(self) -> None:
        for part in self.parts:
            part.redo()

    def undo(self) -> None:
        for part in reversed(self.parts):
            part.undo()
