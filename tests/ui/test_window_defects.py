"""Rough edges found in a real session (issue 13): each test failed before its fix."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QComboBox, QSpinBox

from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.ui.shell.main_window import MainWindow


def _wheel(widget, steps: int = 1) -> None:
    """One notch of the mouse wheel over ``widget`` (upwards)."""
    centre = QPointF(widget.rect().center())
    event = QWheelEvent(
        centre,
        QPointF(widget.mapToGlobal(centre.toPoint())),
        QPoint(0, 0),
        QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(widget, event)


def _dense_window(window) -> str:
    graph = LayerGraph()
    nid = graph.add("Dense", units=10)
    window.set_project(Project(graph=graph, name="w"))
    window.select_nodes([nid])
    return nid


def test_the_wheel_over_an_unfocused_spin_box_scrolls_instead_of_editing(window, qtbot) -> None:
    nid = _dense_window(window)
    units = window.properties.editors["units"].box
    assert isinstance(units, QSpinBox)
    steps = window.document.undo_stack.count()
    _wheel(units)
    assert units.value() == 10 and window.document.graph.node(nid).params["units"] == 10
    assert window.document.undo_stack.count() == steps  # no stray undo step
    units.setFocus()
    qtbot.waitUntil(units.hasFocus)
    _wheel(units)  # focused: the wheel edits, as a user expects
    assert units.value() == 11 and window.document.graph.node(nid).params["units"] == 11


def test_value_widgets_do_not_take_focus_from_the_wheel(window) -> None:
    """A real wheel event focuses a WheelFocus widget before any filter sees it (found by the
    real-window session): value widgets must take the focus by click or Tab only."""
    _dense_window(window)
    widgets = [e.box for e in window.properties.editors.values() if hasattr(e, "box")]
    boxes = [w for w in widgets if isinstance(w, QSpinBox | QComboBox)]
    assert boxes
    assert all(w.focusPolicy() == Qt.FocusPolicy.StrongFocus for w in boxes)


def test_toolbar_labels_stay_put_as_the_undo_text_changes(window) -> None:
    undo = window.actions_by_name["undo"]
    _dense_window(window)
    before = undo.iconText()
    window.edits.add_layer("Dense", {}, QPointF(0, 200))
    assert "Add Dense" in undo.text() and undo.iconText() == before == "Undo"


def test_dock_sizes_and_window_geometry_come_back_after_a_restart(qtbot) -> None:
    first = MainWindow(Project(name="a"), features=("data",))
    first.resize(700, 520)  # within the offscreen screen (800x600)
    first.show()
    qtbot.waitExposed(first)
    first.docks["history"].hide()
    first.data.dock.hide()
    first.close()
    second = MainWindow(Project(name="b"), features=("data",))
    try:
        assert (second.width(), second.height()) == (700, 520)
        assert second.docks["history"].isHidden() and second.data.dock.isHidden()
    finally:
        for dock in (second.docks["history"], second.data.dock):
            dock.show()
        second.close()  # saves the layout of the docks shown again, for the other tests


def test_properties_shows_a_whole_layer_form_beside_the_data_dock(qtbot) -> None:
    window = MainWindow(Project(name="p"), features=("data",))
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    try:
        graph = LayerGraph()
        nid = graph.add("Conv2D", filters=8)
        window.set_project(Project(graph=graph, name="p"))
        window.select_nodes([nid])
        qtbot.waitUntil(lambda: "filters" in window.properties.editors)
        panel = window.properties
        assert window.docks["properties"].height() >= 300  # was about 140 px
        assert panel.horizontalScrollBar().maximum() == 0  # nothing clipped on the right
    finally:
        window.close()


def test_recent_menu_names_files_that_share_a_name_by_their_folder(window, tmp_path: Path) -> None:
    from designer.app.project import save_project

    paths = []
    for folder in ("one", "two"):
        (tmp_path / folder).mkdir()
        paths.append(save_project(Project(name="p"), tmp_path / folder / "net.json"))
    for path in paths:
        window.files.add_recent(path)
    labels = [a.text() for a in window.recent_menu.actions()]
    assert len(labels) == 2 and labels[0] != labels[1]
    assert all(label.startswith("net.json — ") for label in labels)
    window.files.add_recent(paths[0])  # again: moved to the top, not listed twice
    assert [a.toolTip() for a in window.recent_menu.actions()] == [
        str(paths[0].resolve()),
        str(paths[1].resolve()),
    ]


def test_the_trainable_box_says_what_it_shows(window, qtbot) -> None:
    nid = _dense_window(window)
    box = window.properties.trainable_box
    assert box.text() == "Trainable (unlocked)"
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton)
    assert not window.document.graph.node(nid).trainable
    assert window.properties.trainable_box.text() == "Frozen (locked)"
    window.document.undo_stack.undo()
    assert window.properties.trainable_box.text() == "Trainable (unlocked)"


def test_quick_add_finds_abbreviations_and_says_when_nothing_matches(window, qtbot) -> None:
    window.quick_add_at_center()
    popup = window.quick_add
    qtbot.keyClicks(popup.search, "maxpool2")
    assert popup.labels()[0] == "MaxPooling2D" and not popup.no_match.isVisibleTo(popup)
    popup.search.clear()
    qtbot.keyClicks(popup.search, "qqqq")
    assert popup.labels() == [] and "No layer matches" in popup.no_match.text()
    assert popup.no_match.isVisibleTo(popup)
    popup.hide()


def test_library_search_uses_the_same_matching(window, qtbot) -> None:
    qtbot.keyClicks(window.library.search, "bnorm")
    assert window.library.visible_labels() == ["BatchNormalization"]


def _overlap(a, b) -> bool:
    from designer.core.layout import BLOCK_H, BLOCK_W

    return abs(a[0] - b[0]) < BLOCK_W and abs(a[1] - b[1]) < BLOCK_H


def test_paste_lands_beside_the_originals_and_adds_do_not_stack(window, qtbot) -> None:
    graph = LayerGraph()
    ids = [graph.add("Input", shape=[8]), graph.add("Dense", units=4, pos=(0.0, 140.0))]
    graph.connect(ids[0], ids[1])
    window.set_project(Project(graph=graph, name="p"))
    graph = window.document.graph
    window.select_nodes(ids)
    window.edits.copy()
    first, second = window.edits.paste(), window.edits.paste()
    blocks = [graph.node(n).pos for n in ids + first + second]
    assert not any(_overlap(a, b) for i, a in enumerate(blocks) for b in blocks[i + 1 :])
    entry = next(
        e
        for e in __import__("designer.core.catalog", fromlist=["x"]).library()
        if e.label == "Dense"
    )
    added = [window.edits.add_entry_at_center(entry) for _ in range(3)]
    places = [graph.node(n).pos for n in added]
    assert not any(_overlap(a, b) for i, a in enumerate(places) for b in places[i + 1 :])


def test_the_view_stays_put_when_an_added_layer_fills_properties(qtbot) -> None:
    window = MainWindow(Project(name="p"), features=("data",))
    window.resize(1400, 880)
    window.show()
    qtbot.waitExposed(window)
    try:
        entry = next(
            e
            for e in __import__("designer.core.catalog", fromlist=["x"]).library()
            if e.label == "Conv2D"
        )
        width, centre = window.view.width(), window.view.view_center()
        window.edits.add_entry_at_center(entry)  # selects it: Properties shows its long form
        qtbot.waitUntil(lambda: "filters" in window.properties.editors)
        QApplication.processEvents()
        assert window.view.width() == width  # the docks did not widen
        assert (window.view.view_center() - centre).manhattanLength() < 1.0
    finally:
        window.document.mark_saved()  # no save prompt on close
        window.close()


def test_dragging_a_block_past_the_networks_edge_does_not_move_the_canvas(window, qtbot) -> None:
    """Found in a real session: a scene narrower than the view was re-centred as it grew, so
    the canvas slid under the pointer while a block was dragged to the right."""
    nid = _dense_window(window)
    QApplication.processEvents()  # drawn, as before any drag
    item = window.scene.nodes[nid]
    anchor = item.sceneBoundingRect().center()
    before = window.view.mapFromScene(anchor)
    for _ in range(4):  # a drag, step by step, past the right edge of the network
        item.setPos(item.pos() + QPointF(40, 0))
        QApplication.processEvents()
        assert window.view.mapFromScene(anchor) == before
