"""The canvas scene: mirrors the graph (through its events) and turns mouse gestures into
undoable commands. The scene never holds the truth; the graph does.

Built for big networks: one item per block and one per link (ports and labels are drawn by
them), each link reachable from both its ends, so an event touches only the items it names;
what is drawn at which zoom (group frames, the sketch) is :mod:`designer.ui.canvas.detail`.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QPainterPath, QPen
from PySide6.QtWidgets import (
    QGraphicsPathItem,
    QGraphicsScene,
    QGraphicsSceneMouseEvent,
)

from designer.core.analysis import NodeInfo, Report
from designer.core.diagnostics import format_shape
from designer.core.errors import GraphError
from designer.core.graph import EventKind, GraphEvent, Node
from designer.core.layout import BLOCK_H, BLOCK_W
from designer.ui.canvas.detail import Detail
from designer.ui.canvas.groups import GroupFrame
from designer.ui.canvas.items import LinkItem, NodeItem, Port
from designer.ui.canvas.style import PORT_HIT
from designer.ui.document.commands import Connect, MoveNodes
from designer.ui.document.document import Document

_REGROUP = frozenset({EventKind.ADDED, EventKind.REMOVED, EventKind.RENAMED, EventKind.REPLACED})


class GraphScene(QGraphicsScene):
    """Items for the document's graph, kept in step with graph events and analysis."""

    message = Signal(str)  # a sentence for the status bar (refused links and the like)
    contentChanged = Signal()  # blocks or links were added, removed, moved or re-drawn
    collapseRequested = Signal(str)  # a group frame's name was clicked: fold that group

    def __init__(self, document: Document) -> None:
        super().__init__()
        self.document = document
        self.nodes: dict[str, NodeItem] = {}
        self.links: dict[tuple[str, str, int], LinkItem] = {}
        self.show_shapes = True
        self._nodes_rect: QRectF | None = None
        self._links_of: dict[str, list[LinkItem]] = {}  # both ends' links, by node id
        self._drag_start: dict[str, tuple[float, float]] = {}
        self._pending_link: tuple[Port, QGraphicsPathItem] | None = None
        self._infos: dict[str, NodeInfo] = {}  # the analysis each block shows
        self._stale: set[str] = set()  # blocks that show no analysis (new ones, unknown ones)
        self._shown: int | None = None  # serial of the report the blocks show
        self.last_updated: list[str] = []  # blocks the last analysis re-drew
        self._link_keys: dict[tuple[str, str, int], Any] = {}
        self._unlabelled: set[tuple[str, str, int]] = set()  # links added since the analysis
        self.detail = Detail(self)
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.BspTreeIndex)
        document.projectChanged.connect(self.rebuild)
        document.graphChanged.connect(self.on_graph_event)
        document.analysed.connect(self.on_analysed)
        self.selectionChanged.connect(self.detail.changed)
        self.contentChanged.connect(self.detail.changed)
        self.rebuild()

    # ------------------------------------------------------------------ graph -> items
    def rebuild(self) -> None:
        """Recreate every item from the graph (and the last analysis, when there is one)."""
        self._pending_link = None
        self._nodes_rect = None
        self.clear()
        self.detail.reset()
        for store in (self.nodes, self.links, self._links_of):
            store.clear()
        self._infos.clear()
        self._stale.clear()
        self._link_keys.clear()
        self._unlabelled.clear()
        graph = self.document.graph
        report = self.document.report
        self._shown = report.serial if report is not None else None
        fed = Counter(link.dst for link in graph.links())
        for node in graph.nodes:
            info = report.nodes.get(node.id) if report is not None else None
            self._add_node_item(node, info, fed[node.id])
            if info is not None:
                self._infos[node.id] = info
            else:
                self._stale.add(node.id)
        for link in graph.links():
            self._add_link_item(link.src, link.dst, link.port, link.src_port)
        if report is not None:
            self._label_links(report, self.links.values())
        self.detail.refresh_groups()
        self.contentChanged.emit()

    @property
    def groups(self) -> dict[str, GroupFrame]:
        """The group frames by name."""
        return self.detail.groups

    def _add_node_item(self, node: Node, info: NodeInfo | None = None, fed: int = 1) -> NodeItem:
        item = NodeItem(node, info, fed)
        self.detail.adopt(item)
        self.addItem(item)
        self.nodes[node.id] = item
        self._links_of.setdefault(node.id, [])
        return item

    def _add_link_item(self, src: str, dst: str, port: int, src_port: int) -> LinkItem:
        link = LinkItem(src, dst, port, src_port)
        self.detail.adopt(link)
        self.addItem(link)
        self.links[link.key] = link
        self._links_of.setdefault(src, []).append(link)
        self._links_of.setdefault(dst, []).append(link)
        self._route(link)
        return link

    def _drop_link_item(self, key: tuple[str, str, int]) -> None:
        link = self.links.pop(key, None)
        self._link_keys.pop(key, None)
        if link is None:
            return
        for end in (link.src, link.dst):
            attached = self._links_of.get(end)
            if attached is not None and link in attached:
                attached.remove(link)
        self.removeItem(link)

    def _refresh_ports(self, node_id: str) -> None:
        graph = self.document.graph
        item = self.nodes.get(node_id)
        if item is None or node_id not in graph:
            return
        info = self.document.report.nodes.get(node_id) if self.document.report else None
        item.update_from(graph.node(node_id), info, len(graph.inputs_of(node_id)))
        if info is None:  # what the block shows now; the next analysis checks it against
            self._infos.pop(node_id, None)
            self._stale.add(node_id)
        else:
            self._infos[node_id] = info
        self._route_links_of(item)  # the ports may have moved

    def _route(self, link: LinkItem) -> None:
        src, dst = self.nodes.get(link.src), self.nodes.get(link.dst)
        if src is not None and dst is not None:
            link.update_path(src.port_pos(False, link.src_port), dst.port_pos(True, link.port))

    def on_graph_event(self, event: GraphEvent) -> None:
        """Apply one graph change to the items it concerns."""
        kind, nid, data = event.kind, event.node, event.data
        graph = self.document.graph
        self._nodes_rect = None
        if kind == EventKind.ADDED and nid in graph:
            self._add_node_item(graph.node(nid))
            self._stale.add(nid)
        elif kind == EventKind.REMOVED:
            for link in list(self._links_of.pop(nid, [])):
                self._drop_link_item(link.key)
            item = self.nodes.pop(nid, None)
            self._infos.pop(nid, None)
            self._stale.discard(nid)
            if item is not None:
                self.removeItem(item)
        elif kind == EventKind.CONNECTED:
            link = self._add_link_item(data["src"], nid, data["port"], data["src_port"])
            self._unlabelled.add(link.key)
            self._refresh_ports(nid)
        elif kind == EventKind.DISCONNECTED:
            self._drop_link_item((data["src"], nid, data["port"]))
            self._refresh_ports(nid)
        elif kind == EventKind.MOVED and nid in self.nodes and nid in graph:
            item = self.nodes[nid]
            item.setPos(*graph.node(nid).pos)
            self._route_links_of(item)
        elif nid in self.nodes:
            self._refresh_ports(nid)
        if kind in _REGROUP or (kind == EventKind.MOVED and self.detail.in_group(nid)):
            self.detail.regroup_soon()
        self.contentChanged.emit()

    def on_analysed(self, report: Report) -> None:
        """Show shapes, parameter counts and issue badges; only blocks whose analysis differs
        from the one they show are touched (an edit re-draws its own block at once, with the
        analysis before). A report that follows the one shown says which infos changed: only
        those blocks, and the ones that show none, are looked at."""
        graph = self.document.graph
        shown = self._infos
        if report.changed is not None and report.since == self._shown:
            candidates: Any = report.changed | self._stale
        else:
            candidates = report.nodes
        self._shown = report.serial
        self._stale.clear()
        changed = []
        for nid in candidates:
            info = report.nodes.get(nid)
            if info is None or shown.get(nid) == info:
                continue
            item = self.nodes.get(nid)
            if item is None or nid not in graph:
                continue
            shown[nid] = info
            item.update_from(graph.node(nid), info, len(graph.inputs_of(nid)))
            changed.append(item)
        self.last_updated = [item.node_id for item in changed]
        links = [self.links[k] for k in self._unlabelled if k in self.links]
        self._unlabelled.clear()
        for item in changed:
            self._route_links_of(item)  # the number of ports may have changed
            links += self._links_of.get(item.node_id, ())
        if self._label_links(report, links) or changed:
            self.contentChanged.emit()

    def _label_links(self, report: Report, links: Any) -> bool:
        """Write each link's tensor shape on it; True when any text changed."""
        touched = False
        for link in links:
            info = report.nodes.get(link.src)
            port = link.src_port
            shape = info.shapes[port] if info and port < len(info.shapes) else None
            label = info.labels[port] if info and port < len(info.labels) else ""
            key = (shape, label)
            if self._link_keys.get(link.key) != key:
                self._link_keys[link.key] = key
                link.set_shape_text(format_shape(shape, label) if shape else "", self.show_shapes)
                touched = True
        return touched

    def set_show_shapes(self, visible: bool) -> None:
        """Toggle the tensor shapes written on links."""
        self.show_shapes = visible
        for link in self.links.values():
            link.set_shape_text(link.label_text, visible)

    def _route_links_of(self, item: NodeItem) -> None:
        for link in self._links_of.get(item.node_id, ()):
            self._route(link)

    def node_item_moved(self, item: NodeItem) -> None:
        """Keep the links and the group frame of a moved block attached."""
        self._nodes_rect = None
        self._route_links_of(item)
        self.detail.node_moved(item.node_id)

    def set_zoom(self, zoom: float) -> None:
        """The view's zoom, which decides what is drawn (:class:`Detail`)."""
        self.detail.set_zoom(zoom)

    # ------------------------------------------------------------------ queries
    def selected_node_ids(self) -> list[str]:
        """Ids of the selected blocks."""
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_links(self) -> list[LinkItem]:
        """The selected links."""
        return [i for i in self.selectedItems() if isinstance(i, LinkItem)]

    def nodes_rect(self) -> QRectF:
        """The rectangle the blocks cover (empty when there are none); kept until a change."""
        if self._nodes_rect is None:
            xs = [item.x() for item in self.nodes.values()]
            ys = [item.y() for item in self.nodes.values()]
            if xs:
                left, top = min(xs), min(ys)
                self._nodes_rect = QRectF(
                    left, top, max(xs) - left + BLOCK_W, max(ys) - top + BLOCK_H
                )
            else:
                self._nodes_rect = QRectF()
        return QRectF(self._nodes_rect)

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
        if self._drag_start and event.buttons() & Qt.MouseButton.LeftButton:
            for nid in self._drag_start:
                item = self.nodes.get(nid)
                if item is not None:
                    self.node_item_moved(item)

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

    def _port_at(self, pos: QPointF) -> Port | None:
        near = QRectF(pos.x() - PORT_HIT, pos.y() - PORT_HIT, 2 * PORT_HIT, 2 * PORT_HIT)
        for item in self.items(near):
            if isinstance(item, NodeItem):
                port = item.port_at(pos)
                if port is not None:
                    return port
        return None

    def _node_at(self, pos: QPointF) -> NodeItem | None:
        for item in self.items(pos):
            if isinstance(item, NodeItem):
                return item
        return None
