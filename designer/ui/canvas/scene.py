"""The canvas scene: mirrors the graph (through its events) and turns mouse gestures into
undoable commands. The scene never holds the truth; the graph does."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import QGraphicsPathItem, QGraphicsScene, QGraphicsSceneMouseEvent

from designer.core.analysis import Report
from designer.core.diagnostics import format_shape
from designer.core.errors import GraphError
from designer.core.graph import EventKind, GraphEvent
from designer.ui.canvas.items import LinkItem, NodeItem, PortItem
from designer.ui.document.commands import Connect, MoveNodes
from designer.ui.document.document import Document


class GraphScene(QGraphicsScene):
    """Items for the document's graph, kept in step with graph events and analysis."""

    message = Signal(str)  # a sentence for the status bar (refused links and the like)

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict[tuple[str, str, int], LinkItem] = {}
        self.show_shapes = True
        self._syncing = False
        self._drag_start: dict[str, tuple[float, float]] = {}
        self._pending_link: tuple[PortItem, QGraphicsPathItem] | None = None
        self._info_keys: dict[str, Any] = {}
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        document.projectChanged.connect(self.rebuild)
        document.graphChanged.connect(self.on_graph_event)
        document.analysed.connect(self.on_analysed)
        self.rebuild()

    # ------------------------------------------------------------------ graph -> items
    def rebuild(self) -> None:
        """Recreate every item from the graph."""
        self.clear()
        self.nodes.clear()
        self.links.clear()
        self._info_keys.clear()
        self._pending_link = None
        graph = self.document.graph
        self._syncing = True
        for node in graph.nodes:
            self._add_node_item(node.id)
        for link in graph.links():
            self._add_link_item(link.src, link.dst, link.port, link.src_port)
        self._syncing = False
        if self.document.report is not None:
            self.on_analysed(self.document.report)

    def _add_node_item(self, node_id: str) -> NodeItem:
        graph = self.document.graph
        item = NodeItem(graph.node(node_id))
        self.addItem(item)
        self.nodes[node_id] = item
        return item

    def _add_link_item(self, src: str, dst: str, port: int, src_port: int) -> None:
        link = LinkItem(src, dst, port, src_port)
        self.addItem(link)
        self.links[link.key] = link
        self._refresh_ports(dst)
        self._route(link)

    def _refresh_ports(self, node_id: str) -> None:
        graph = self.document.graph
        item = self.nodes.get(node_id)
        if item is None or node_id not in graph:
            return
        info = self.document.report.nodes.get(node_id) if self.document.report else None
        item.update_from(graph.node(node_id), info, len(graph.inputs_of(node_id)))

    def _route(self, link: LinkItem) -> None:
        src, dst = self.nodes.get(link.src), self.nodes.get(link.dst)
        if src is not None and dst is not None:
            link.update_path(src.port_pos(False, link.src_port), dst.port_pos(True, link.port))

    def on_graph_event(self, event: GraphEvent) -> None:
        """Apply one graph change to the items."""
        kind, nid, data = event.kind, event.node, event.data
        self._syncing = True
        try:
            if kind == EventKind.ADDED:
                self._add_node_item(nid)
            elif kind == EventKind.REMOVED:
                item = self.nodes.pop(nid, None)
                self._info_keys.pop(nid, None)
                if item is not None:
                    self.removeItem(item)
            elif kind == EventKind.CONNECTED:
                self._add_link_item(data["src"], nid, data["port"], data["src_port"])
            elif kind == EventKind.DISCONNECTED:
                link = self.links.pop((data["src"], nid, data["port"]), None)
                if link is not None:
                    self.removeItem(link)
                self._refresh_ports(nid)
            elif kind == EventKind.MOVED and nid in self.nodes:
                self.nodes[nid].setPos(*self.document.graph.node(nid).pos)
            elif nid in self.nodes:
                self._info_keys.pop(nid, None)
                self._refresh_ports(nid)
        finally:
            self._syncing = False

    def on_analysed(self, report: Report) -> None:
        """Show shapes, parameter counts and issue badges; only changed items are touched."""
        graph = self.document.graph
        changed = set()
        for nid, item in self.nodes.items():
            info = report.nodes.get(nid)
            if info is None:
                continue
            node = graph.node(nid)
            key = (
                node.params_key(),
                node.name,
                node.trainable,
                tuple(info.shapes),
                tuple(i.message for i in info.issues),
                info.params,
            )
            if self._info_keys.get(nid) != key:
                self._info_keys[nid] = key
                item.update_from(node, info, len(graph.inputs_of(nid)))
                changed.add(nid)
        for link in self.links.values():
            info = report.nodes.get(link.src)
            shape = (
                info.shapes[link.src_port] if info and link.src_port < len(info.shapes) else None
            )
            label = info.labels[link.src_port] if info and link.src_port < len(info.labels) else ""
            text = format_shape(shape, label) if shape else ""
            if text != link.label.text():
                link.set_shape_text(text, self.show_shapes)
            if link.src in changed or link.dst in changed:
                self._route(link)  # the number of ports may have changed

    def set_show_shapes(self, visible: bool) -> None:
        """Toggle the tensor shapes written on links."""
        self.show_shapes = visible
        for link in self.links.values():
            link.label.setVisible(visible and bool(link.label.text()))

    def node_item_moved(self, item: NodeItem) -> None:
        """Keep the links of a moving block attached."""
        for link in self.links.values():
            if item.node_id in (link.src, link.dst):
                self._route(link)

    def selected_node_ids(self) -> list[str]:
        """Ids of the selected blocks."""
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_links(self) -> list[LinkItem]:
        """The selected links."""
        return [i for i in self.selectedItems() if isinstance(i, LinkItem)]

    # ------------------------------------------------------------------ gestures -> commands
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        port = self._port_at(event.scenePos())
        if event.button() == Qt.MouseButton.LeftButton and port is not None and not port.is_input:
            line = QGraphicsPathItem()
            line.setPen(QPen(QColor("#1e88e5"), 2, Qt.PenStyle.DashLine))
            self.addItem(line)
            self._pending_link = (port, line)
            event.accept()
            return
        super().mousePressEvent(event)
        self._drag_start = {
            nid: self.document.graph.node(nid).pos for nid in self.selected_node_ids()
        }

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._pending_link is not None:
            port, line = self._pending_link
            path = QPainterPath(port.scene_center())
            end = event.scenePos()
            path.cubicTo(port.scene_center() + QPointF(0, 40), end - QPointF(0, 40), end)
            line.setPath(path)
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:
        if self._pending_link is not None:
            port, line = self._pending_link
            self._pending_link = None
            self.removeItem(line)
            self.finish_link(port.node_item.node_id, port.index, event.scenePos())
            return
        super().mouseReleaseEvent(event)
        self._commit_drag()

    def finish_link(self, src: str, src_port: int, where: QPointF) -> bool:
        """Connect ``src`` to the input port (or block) at ``where``; explain a refusal."""
        target = self._port_at(where)
        if target is not None and target.is_input:
            dst, port = target.node_item.node_id, target.index
        else:
            block = self._node_at(where)
            if block is None:
                return False
            dst, port = block.node_id, None
        graph = self.document.graph
        try:
            graph.check_link(src, dst, port, src_port)
        except GraphError as exc:
            self.message.emit(f"Link refused: {exc}")
            return False
        self.document.push(Connect(graph, src, dst, port, src_port))
        self.message.emit(f"Connected {graph.node(src).name} → {graph.node(dst).name}")
        return True

    def _commit_drag(self) -> None:
        graph = self.document.graph
        moves = {}
        for nid, old in self._drag_start.items():
            item = self.nodes.get(nid)
            if item is not None and nid in graph:
                new = (round(item.pos().x(), 1), round(item.pos().y(), 1))
                if new != old:
                    moves[nid] = (old, new)
        self._drag_start = {}
        if moves:
            self.document.push(MoveNodes(graph, moves))

    def _port_at(self, pos: QPointF) -> PortItem | None:
        for item in self.items(pos):
            if isinstance(item, PortItem):
                return item
        return None

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None
