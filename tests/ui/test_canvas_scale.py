"""Big networks on the canvas: a readable zoom at open, an overview that pans the view,
plain drawing when zoomed out, and a 10,000-layer chain that opens with every block."""

from __future__ import annotations

from PySide6.QtCore import QPointF, Qt

from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.core.layout import auto_layout
from designer.resources import sample_project_path
from designer.ui.shell.main_window import MainWindow


def _chain(length: int) -> LayerGraph:
    graph = LayerGraph()
    prev = graph.add("Input", shape=[8])
    for _ in range(length):
        node = graph.add("Dense", units=4)
        graph.connect(prev, node)
        prev = node
    auto_layout(graph)  # as an import does (the fast layering above a few thousand layers)
    return graph


def _open(qtbot, project: Project) -> MainWindow:
    window = MainWindow(project, features=())
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    window.view.fit_readable()
    return window


def test_a_network_opens_at_a_zoom_where_its_text_can_be_read(qtbot) -> None:
    from designer.app.project import load_project

    window = _open(qtbot, load_project(sample_project_path()))
    try:
        assert window.view.block_text_px() >= 9
        input_item = window.scene.nodes[window.document.graph.find("input").id]
        visible = window.view.visible_rect()
        assert visible.intersects(input_item.sceneBoundingRect())  # the input end is in view
        assert window.zoom_label.text() == f"Zoom {window.view.zoom * 100:.0f} %"
    finally:
        window.close()


def test_clicking_the_overview_pans_the_main_view_there(qtbot) -> None:
    window = _open(qtbot, Project(name="long", graph=_chain(60)))
    try:
        overview = window.overview
        qtbot.waitUntil(lambda: not overview.pending)
        last = window.document.graph.topological_order()[-1]
        target = window.scene.nodes[last].sceneBoundingRect().center()
        assert not window.view.visible_rect().contains(target)
        spot = overview.to_widget(target).toPoint()
        qtbot.mouseClick(overview, Qt.MouseButton.LeftButton, pos=spot)
        qtbot.waitUntil(lambda: window.view.visible_rect().contains(target))
        assert overview.view_rect().adjusted(-2, -2, 2, 2).contains(QPointF(spot))
    finally:
        window.close()


def test_zoomed_out_blocks_are_drawn_plainly_and_groups_framed(qtbot) -> None:
    window = _open(qtbot, Project(name="long", graph=_chain(40)))
    try:
        detail = window.scene.detail
        window.view.set_zoom(1.0)
        assert not detail.zoomed_out and not detail.sketching
        window.view.set_zoom(0.05)
        assert detail.zoomed_out
        window.view.set_zoom(1.0)
        assert not detail.zoomed_out
    finally:
        window.close()


def test_a_ten_thousand_layer_chain_opens_with_every_block_and_takes_an_edit(qtbot) -> None:
    graph = _chain(10_000)
    window = _open(qtbot, Project(name="huge", graph=graph))
    try:
        assert set(window.scene.nodes) == {n.id for n in graph.nodes}
        first, second = window.document.graph.topological_order()[1:3]
        window.view.center_on_node(first)
        window.view.viewport().repaint()
        live, table = window.document.live, window.analysis.model
        runs, resets = live.full_runs, table.resets
        window.document.graph.set_params(first, units=7)  # through the graph: the view follows
        item = window.scene.nodes[first]  # Dense(7) on 8 inputs: 8 * 7 + 7 parameters
        qtbot.waitUntil(lambda: "63 parameters" in item.toolTip())
        # only the edited layer and the next (whose input changed) were analysed and re-drawn
        assert live.visited == [first, second] and live.full_runs == runs
        assert set(window.scene.last_updated) == {first, second}
        assert table.resets == resets and table.rows[1][1][3] == "63"
        window.document.graph.add("Dense", units=3)  # a new layer, last in the network order
        qtbot.waitUntil(lambda: len(table.rows) == 10_002)
        assert live.full_runs == runs and table.resets == resets and len(live.visited) == 1
    finally:
        window.document.mark_saved()
        window.close()


def test_the_overview_follows_the_view_when_it_scrolls(qtbot) -> None:
    window = _open(qtbot, Project(name="long", graph=_chain(60)))
    try:
        before = window.overview.view_rect()
        window.view.pan(0, 2000)
        qtbot.waitUntil(lambda: window.overview.view_rect().top() > before.top())
    finally:
        window.close()
