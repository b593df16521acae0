"""Editing actions of the canvas: add, delete, cut/copy/paste/duplicate, replace, freeze."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QInputDialog, QMenu

from designer.core.catalog import LibraryEntry, curated_types
from designer.core.errors import GraphError
from designer.core.layout import BLOCK_H, BLOCK_W, layout_positions
from designer.ui.canvas.groups import group_name
from designer.ui.document.commands import (
    AddNode,
    CollapseGroup,
    Disconnect,
    ExpandGroup,
    MoveNodes,
    Paste,
    RemoveNodes,
    Replace,
    SetTrainable,
    copy_nodes,
)

if TYPE_CHECKING:
    from designer.ui.shell.main_window import MainWindow

GAP = 60.0  # between a pasted group and the one it was copied from


class EditController:
    """Turns menu actions and canvas requests into undoable commands."""

    def __init__(self, window: MainWindow) -> None:
        self.window = window
        self.clipboard: dict[str, Any] | None = None
        self._paste_count = 0
        self.layer_actions: list[Any] = []  # features' actions for a layer's right-click menu

    @property
    def graph(self) -> Any:
        """The graph being edited."""
        return self.window.document.graph

    def _push(self, command: Any) -> bool:
        try:
            self.window.document.push(command)
        except GraphError as exc:
            self.window.statusBar().showMessage(str(exc), 8000)
            return False
        return True

    # ------------------------------------------------------------------ adding
    def add_layer(self, type_name: str, preset: dict, pos: QPointF) -> str | None:
        """Add a layer at a scene position (moved aside when a block is there) and select it."""
        spot = free_spot(self.graph, (round(pos.x(), 1), round(pos.y(), 1)))
        command = AddNode(self.graph, type_name, spot, preset)
        if not self._push(command):
            return None
        self.window.select_nodes([command.node_id])
        return command.node_id

    def add_entry_at_center(self, entry: LibraryEntry) -> str | None:
        """Double-click in the library: add at the middle of the view."""
        center = self.window.view.view_center() - QPointF(95, 37)
        return self.add_layer(entry.type_name, entry.preset, center)

    # ------------------------------------------------------------------ deleting
    def delete_selection(self) -> None:
        """Delete selected layers and links (Del)."""
        scene = self.window.scene
        nodes = scene.selected_node_ids()
        links = [lk for lk in scene.selected_links() if lk.src not in nodes and lk.dst not in nodes]
        stack = self.window.document.undo_stack
        if not nodes and not links:
            return
        stack.beginMacro("Delete")
        for link in links:
            self._push(Disconnect(self.graph, _as_link(link)))
        if nodes:
            self._push(RemoveNodes(self.graph, nodes))
        stack.endMacro()

    # ------------------------------------------------------------------ clipboard
    def copy(self) -> int:
        """Copy the selected layers and the links among them."""
        ids = self.window.scene.selected_node_ids()
        if ids:
            self.clipboard = copy_nodes(self.graph, ids)
            self._paste_count = 0
        return len(ids)

    def cut(self) -> None:
        """Copy, then delete."""
        if self.copy():
            self.delete_selection()

    def paste(self) -> list[str]:
        """Insert the clipboard beside the copied layers (each paste one step further right)."""
        if not self.clipboard:
            return []
        self._paste_count += 1
        command = Paste(self.graph, self.clipboard, beside(self.clipboard, self._paste_count))
        if not self._push(command):
            return []
        self.window.select_nodes(command.new_ids)
        return command.new_ids

    def duplicate(self) -> list[str]:
        """Copy and paste in one step (Ctrl+D)."""
        ids = self.window.scene.selected_node_ids()
        if not ids:
            return []
        clip = copy_nodes(self.graph, ids)
        command = Paste(self.graph, clip, beside(clip, 1), "Duplicate")
        if not self._push(command):
            return []
        self.window.select_nodes(command.new_ids)
        return command.new_ids

    # ------------------------------------------------------------------ other edits
    def set_frozen(self, frozen: bool) -> None:
        """Freeze or unfreeze the selected layers."""
        ids = [
            n
            for n in self.window.scene.selected_node_ids()
            if self.graph.node(n).trainable == frozen
        ]
        if ids:
            self._push(SetTrainable(self.graph, ids, not frozen))

    def replace_selected(self) -> None:
        """Ask for a new type and replace the selected layer, keeping its links."""
        ids = self.window.scene.selected_node_ids()
        if len(ids) != 1:
            self.window.statusBar().showMessage("Select one layer to replace", 5000)
            return
        types = [t for t in curated_types() if t != "Input"]
        current = self.graph.node(ids[0]).type
        name, ok = QInputDialog.getItem(
            self.window,
            "Replace layer",
            f"Replace {self.graph.node(ids[0]).name} with:",
            types,
            types.index(current) if current in types else 0,
            False,
        )
        if ok and name:
            self._push(Replace(self.graph, ids[0], name))

    def expand_selected(self) -> None:
        """Expand the selected group (a nested network) in place."""
        ids = [
            n for n in self.window.scene.selected_node_ids() if self.graph.node(n).type == "Model"
        ]
        if not ids:
            self.window.statusBar().showMessage("Select a group (a nested network) to expand", 5000)
            return
        self._push(ExpandGroup(self.graph, ids[0]))

    def collapse_selected(self) -> None:
        """Fold the layers of the selected layer's group (an expanded nested network, or the
        layers named after one block, ``conv2_block1_...``) into one group node."""
        groups = [group_name(self.graph.node(n)) for n in self.window.scene.selected_node_ids()]
        group = next((g for g in groups if g), None)
        if group is None:
            self.window.statusBar().showMessage("Select a layer of a group to collapse", 5000)
            return
        self.collapse(group)

    def collapse(self, group: str) -> None:
        """Fold the layers of ``group`` into one group node (one undo step)."""
        tagged = any(n.group == group for n in self.graph.nodes)
        members = () if tagged else tuple(n.id for n in self.graph.nodes if group_name(n) == group)
        report = self.window.document.analyse_now()
        shapes = {
            (nid, i): s for nid, info in report.nodes.items() for i, s in enumerate(info.shapes)
        }
        self._push(CollapseGroup(self.graph, group, shapes, members))

    def auto_arrange(self, direction: str = "TB") -> None:
        """Lay the network out again (one undo step)."""
        new = layout_positions(self.graph, direction)
        moves = {
            nid: (self.graph.node(nid).pos, pos)
            for nid, pos in new.items()
            if self.graph.node(nid).pos != pos
        }
        if moves:
            self._push(MoveNodes(self.graph, moves, "Auto-arrange"))
        self.window.view.fit_all()

    def context_menu(self, item: Any, global_pos: QPointF) -> QMenu:
        """The right-click menu of a layer (item) or of the empty canvas (None)."""
        menu = QMenu(self.window)
        actions = self.window.actions_by_name
        if item is not None:
            for name in ("delete", "duplicate", "copy", "cut", "replace", "freeze", "unfreeze"):
                menu.addAction(actions[name])
            if self.graph.node(item.node_id).type == "Model":
                menu.addAction(actions["expand"])
            if group_name(self.graph.node(item.node_id)):
                menu.addAction(actions["collapse"])
            if self.layer_actions:
                menu.addSeparator()
                for action in self.layer_actions:
                    menu.addAction(action)
        else:
            menu.addAction(actions["add_layer"])
            menu.addAction(actions["paste"])
            menu.addAction(actions["arrange"])
        menu.popup(global_pos.toPoint())
        return menu


def _as_link(item: Any) -> Any:
    from designer.core.graph import Link

    return Link(item.src, item.dst, item.port, item.src_port)


def beside(clip: dict[str, Any], count: int) -> tuple[float, float]:
    """The offset that puts the ``count``-th paste of ``clip`` to the right of the copied
    layers, clear of them and of the earlier pastes."""
    xs = [float(item.get("pos", (0.0, 0.0))[0]) for item in clip["nodes"]] or [0.0]
    width = max(xs) - min(xs) + BLOCK_W
    return ((width + GAP) * count, 0.0)


def free_spot(graph: Any, pos: tuple[float, float]) -> tuple[float, float]:
    """``pos``, or the nearest place down and to the right where no block lies under the new one."""
    x, y = pos
    for _ in range(100):
        if not any(
            abs(n.pos[0] - x) < BLOCK_W and abs(n.pos[1] - y) < BLOCK_H for n in graph.nodes
        ):
            break
        x, y = x + 30.0, y + BLOCK_H + 30.0
    return (round(x, 1), round(y, 1))
