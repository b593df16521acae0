"""What the canvas shows at the view's zoom, for one scene: the group frames (zoomed out), the
blocks' picture cache (close up), and the sketch that stands in for every item far out.

Three levels, by the zoom the view reports (:meth:`Detail.set_zoom`):

- at :data:`LABEL_LOD` and above the items draw everything and blocks cache their picture;
- below it the items draw themselves plainly (their ``paint`` reads the level of detail) and
  the group frames show behind them;
- below :data:`SKETCH_LOD` the items draw nothing (``ItemHasNoContents``: Qt skips them, yet
  clicks and rubber bands still find them) and one :class:`SketchItem` draws the network.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QTimer
from PySide6.QtWidgets import QGraphicsItem

from designer.ui.canvas.groups import GroupFrame, find_groups, frame_rect
from designer.ui.canvas.sketch import SketchItem
from designer.ui.canvas.style import LABEL_LOD, SKETCH_LOD

if TYPE_CHECKING:
    from designer.ui.canvas.scene import GraphScene

NO_CACHE = QGraphicsItem.CacheMode.NoCache
DEVICE_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache
NO_CONTENTS = QGraphicsItem.GraphicsItemFlag.ItemHasNoContents


class Detail:
    """Zoom-dependent drawing of a :class:`GraphScene` (see the module docstring)."""

    def __init__(self, scene: GraphScene) -> None:
        self.scene = scene
        self.zoom = 1.0
        self.zoomed_out = False  # below LABEL_LOD: plain blocks, group frames shown
        self.sketching = False  # below SKETCH_LOD: the sketch draws instead of the items
        self.groups: dict[str, GroupFrame] = {}
        self._group_of: dict[str, GroupFrame] = {}
        self.sketch = SketchItem(scene)
        scene.addItem(self.sketch)
        self._regroup = QTimer(scene)
        self._regroup.setSingleShot(True)
        self._regroup.setInterval(0)
        self._regroup.timeout.connect(self.refresh_groups)
        self._refit = QTimer(scene)  # the sketch follows a burst of changes once
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self._refit_sketch)

    def reset(self) -> None:
        """The scene was cleared (its items deleted): start again, empty."""
        self._regroup.stop()
        self._refit.stop()
        self.groups.clear()
        self._group_of.clear()
        self.sketch = SketchItem(self.scene)
        self.sketch.setVisible(self.sketching)
        self.scene.addItem(self.sketch)

    def adopt(self, item: QGraphicsItem) -> None:
        """Draw a new block or link the way the others are drawn at this zoom."""
        if self.zoomed_out:
            item.setCacheMode(NO_CACHE)
        if self.sketching:
            item.setFlag(NO_CONTENTS, True)

    # ------------------------------------------------------------------ changes
    def changed(self) -> None:
        """Blocks, links or the selection changed: the sketch is drawn again."""
        self.sketch.invalidate()
        if self.sketching:
            self._refit.start()

    def _refit_sketch(self) -> None:
        if self.sketching:
            self.sketch.refit()

    def regroup_soon(self) -> None:
        """Recompute the groups at the next turn of the event loop (once for many events)."""
        self._regroup.start()

    def node_moved(self, node_id: str) -> None:
        """A block moved: its group frame follows now, the sketch soon."""
        self.changed()
        frame = self._group_of.get(node_id)
        if frame is not None:
            frame.set_rect(self._frame_rect(frame.members))

    def in_group(self, node_id: str) -> bool:
        """True when the block belongs to a group frame."""
        return node_id in self._group_of

    def refresh_groups(self) -> None:
        """Recompute the group frames from the layers' groups and names."""
        self._regroup.stop()
        scene = self.scene
        wanted = find_groups(n for n in scene.document.graph.nodes if n.id in scene.nodes)
        for name in [n for n in self.groups if n not in wanted]:
            scene.removeItem(self.groups.pop(name))
        self._group_of.clear()
        for name, members in wanted.items():
            rect = self._frame_rect(members)
            frame = self.groups.get(name)
            if frame is None:
                frame = self.groups[name] = GroupFrame(name, members, rect)
                frame.setVisible(self.zoomed_out)
                scene.addItem(frame)
            else:
                frame.members = members
                frame.set_rect(rect)
            frame.fit_label(self.zoom)
            for nid in members:
                self._group_of[nid] = frame

    def _frame_rect(self, members: list[str]) -> QRectF:
        nodes = self.scene.nodes
        return frame_rect((nodes[n].x(), nodes[n].y()) for n in members if n in nodes)

    # ------------------------------------------------------------------ zoom
    def set_zoom(self, zoom: float) -> None:
        """Switch the level of detail for the view's new zoom."""
        self.zoom = zoom
        scene = self.scene
        zoomed_out, sketching = zoom < LABEL_LOD, zoom < SKETCH_LOD
        if zoomed_out != self.zoomed_out:
            # A cached picture pays close up (text); far out a coloured box is quicker to
            # paint than a new cache per block at every zoom step.
            self.zoomed_out = zoomed_out
            for frame in self.groups.values():
                frame.setVisible(zoomed_out)
            mode = NO_CACHE if zoomed_out else DEVICE_CACHE
            for item in scene.nodes.values():
                item.setCacheMode(mode)
        if sketching != self.sketching:
            self.sketching = sketching
            for node in scene.nodes.values():
                node.setFlag(NO_CONTENTS, sketching)
            for link in scene.links.values():
                link.setFlag(NO_CONTENTS, sketching)
            self.sketch.setVisible(sketching)
            if sketching:
                self.sketch.refit()
        if zoomed_out:
            for frame in self.groups.values():
                frame.fit_label(zoom)
