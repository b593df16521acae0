"""Issue 13: find a layer (Ctrl+F), block text without missing glyphs or meaningless values,
and the data/network class mismatch shown before Train. Each test failed before its fix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFontMetrics, QGuiApplication, QImage, QKeySequence, QPainter
from PySide6.QtWidgets import QToolTip

from designer.app.project import Project, load_project
from designer.core.graph import LayerGraph
from designer.core.layout import layout_positions
from designer.ui.canvas.items import summary_line
from designer.ui.canvas.style import BADGE_CENTER, ERROR_COLOR, readable_zoom
from designer.ui.panels.find_bar import find_layers
from designer.ui.shell.main_window import MainWindow

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def _network(window, *layers: tuple[str, str, dict]) -> dict[str, str]:
    """A chain of (name, type, params) laid out and opened in ``window``: ids by name."""
    graph = LayerGraph()
    ids: dict[str, str] = {}
    previous = None
    for name, type_name, params in layers:
        ids[name] = graph.add(type_name, name=name, **params)
        if previous is not None:
            graph.connect(previous, ids[name])
        previous = ids[name]
    for node_id, pos in layout_positions(graph).items():
        graph.move(node_id, pos)
    window.set_project(Project(graph=graph, name="find"))
    return ids


LENET = (
    ("input", "Input", {"shape": [28, 28, 1]}),
    ("c1", "Conv2D", {"filters": 6, "kernel_size": 5}),
    ("s2", "AveragePooling2D", {}),
    ("c3", "Conv2D", {"filters": 16, "kernel_size": 5}),
    ("s4", "AveragePooling2D", {}),
    ("flatten", "Flatten", {}),
    ("fc", "Dense", {"units": 84}),
    ("output", "Dense", {"units": 10, "activation": "softmax"}),
)


def _open_find(window, qtbot) -> None:
    """Press Ctrl+F on the canvas, as a user does."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.view.setFocus()
    qtbot.waitUntil(window.view.hasFocus)
    qtbot.keyClick(window.view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.find_bar.isVisible() and window.find_bar.field.hasFocus())


# ---------------------------------------------------------------------- find (Ctrl+F)
def test_edit_menu_has_find_with_the_standard_shortcut(window) -> None:
    action = window.actions_by_name["find"]
    assert action in window.menus["&Edit"].actions()
    assert action.text() == "&Find..."
    assert QKeySequence(QKeySequence.StandardKey.Find) in action.shortcuts()


def test_ctrl_f_finds_layers_by_type_and_enter_steps_through_them(window, qtbot) -> None:
    ids = _network(window, *LENET)
    _open_find(window, qtbot)
    bar = window.find_bar
    qtbot.keyClicks(bar.field, "conv")
    assert bar.matches == [ids["c1"], ids["c3"]]  # convolutions only, in network order
    assert bar.count.text() == "1 of 2"
    assert window.scene.selected_node_ids() == [ids["c1"]]
    assert window.properties.node_ids == [ids["c1"]]  # Properties shows the match
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)
    assert window.scene.selected_node_ids() == [ids["c3"]] and bar.count.text() == "2 of 2"
    qtbot.keyClick(bar.field, Qt.Key.Key_Return)  # wraps round
    assert window.scene.selected_node_ids() == [ids["c1"]] and bar.count.text() == "1 of 2"
    qtbot.keyClick(bar.field, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
    assert window.scene.selected_node_ids() == [ids["c3"]] and bar.count.text() == "2 of 2"
    bar.previous_button.click()
    assert window.scene.selected_node_ids() == [ids["c1"]]
    bar.next_button.click()
    assert window.scene.selected_node_ids() == [ids["c3"]]
    assert bar.field.hasFocus()  # the user keeps typing in the bar


def test_find_by_name_says_no_match_and_backspace_edits_the_text(window, qtbot) -> None:
    ids = _network(window, *LENET)
    _open_find(window, qtbot)
    bar = window.find_bar
    qtbot.keyClicks(bar.field, "s4")
    assert bar.matches[0] == ids["s4"] and window.scene.selected_node_ids() == [ids["s4"]]
    qtbot.keyClicks(bar.field, "zzq")
    assert bar.matches == [] and bar.count.text() == "no match"
    for _ in range(3):
        qtbot.keyClick(bar.field, Qt.Key.Key_Backspace)
    assert bar.field.text() == "s4"  # Backspace edited the text: it deleted no layer
    assert ids["s4"] in {n.id for n in window.document.graph.nodes}
    assert len(window.document.graph) == len(LENET)


def test_a_match_is_centred_and_zoomed_to_readable_text(window, qtbot) -> None:
    layers = [("input", "Input", {"shape": [16]})]
    layers += [(f"hidden_{i}", "Dense", {"units": 8}) for i in range(30)]
    layers += [("target", "Dense", {"units": 2})]  # in the middle: the view can centre it
    layers += [(f"more_{i}", "Dense", {"units": 8}) for i in range(30)]
    ids = _network(window, *layers)
    view = window.view
    view.set_zoom(0.05)  # far out: block text unreadable
    _open_find(window, qtbot)
    qtbot.keyClicks(window.find_bar.field, "target")
    assert window.scene.selected_node_ids() == [ids["target"]]
    assert view.zoom >= readable_zoom() * 0.999
    block = window.scene.nodes[ids["target"]].sceneBoundingRect()
    assert view.visible_rect().contains(block)
    centre = view.mapFromScene(block.center())
    middle = view.viewport().rect().center()
    assert abs(centre.x() - middle.x()) <= 2 and abs(centre.y() - middle.y()) <= 2


def test_escape_closes_the_find_bar_and_the_canvas_takes_the_keys(window, qtbot) -> None:
    _network(window, *LENET)
    _open_find(window, qtbot)
    bar = window.find_bar
    corner = bar.mapTo(window.view, bar.rect().topRight())
    assert corner.x() > window.view.width() / 2 and corner.y() < window.view.height() / 4
    qtbot.keyClick(bar.field, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not bar.isVisible() and window.view.hasFocus())


def test_find_uses_the_quick_add_matching_for_typos_and_initials() -> None:
    graph = LayerGraph()
    drop = graph.add("Dropout", name="drop_a")
    graph.connect(graph.add("Input", shape=[4], name="x"), drop)
    gap = graph.add("GlobalAveragePooling2D", name="pool")
    assert find_layers(graph, "dropuot") == [drop]  # a typo, as in the quick-add
    assert find_layers(graph, "gap2") == [gap]  # the initials of the type
    assert find_layers(graph, "POOL") == [gap]  # a layer named so comes first
    assert find_layers(graph, "  ") == []


# ---------------------------------------------------------------------- block text
def _block_with_issue(window) -> tuple[str, object]:
    graph = LayerGraph()
    nid = graph.add("Dense", units=3)  # no input: an error
    window.set_project(Project(graph=graph, name="badge"))
    item = window.scene.nodes[nid]
    assert item.severity == "error"
    return nid, item


def test_the_issue_marks_in_a_blocks_tooltip_are_glyphs_the_font_has(window) -> None:
    _nid, item = _block_with_issue(window)
    tip = item.toolTip()
    assert "has no input" in tip
    for font in (QGuiApplication.font(), QToolTip.font()):
        metrics = QFontMetrics(font)
        missing = [c for c in tip if not c.isspace() and not metrics.inFontUcs4(ord(c))]
        assert missing == [], f"no glyph for {missing} in {font.family()}"


def test_the_error_badge_is_a_painted_exclamation_mark_not_a_box(window) -> None:
    _nid, item = _block_with_issue(window)
    scale = 8
    image = QImage(64 * scale, 32 * scale, QImage.Format.Format_ARGB32)
    image.fill(QColor("white"))
    painter = QPainter(image)
    x, y = BADGE_CENTER
    pos = item.pos()
    source = QRectF(pos.x() + x - 8, pos.y() + y - 8, 16, 16)
    window.scene.render(painter, QRectF(0, 0, 16 * scale, 16 * scale), source)
    painter.end()

    def colour(dx: float, dy: float) -> QColor:
        return image.pixelColor(round((8 + dx) * scale), round((8 + dy) * scale))

    def is_mark(c: QColor) -> bool:
        return c.lightness() > 230

    def is_badge(c: QColor) -> bool:
        return abs(c.red() - ERROR_COLOR.red()) < 30 and c.green() < 90

    assert is_mark(colour(0, -3)) and is_mark(colour(0, 0))  # the bar
    assert is_badge(colour(0, 2.1))  # the gap
    assert is_mark(colour(0, 4.3))  # the dot
    for dx in (-4.5, -3, 3, 4.5):  # nothing beside it: no outline of a missing glyph's box
        for dy in (-4, 0, 4):
            assert is_badge(colour(dx, dy)), (dx, dy)


def test_a_relu_block_shows_no_meaningless_zero(window) -> None:
    graph = LayerGraph()
    relu = graph.add("ReLU")
    capped = graph.add("ReLU", max_value=6.0)
    leaky = graph.add("ReLU", negative_slope=0.1)
    nobias = graph.add("Dense", units=4, use_bias=False)
    gmp = graph.add("GlobalMaxPooling2D")
    window.set_project(Project(graph=graph, name="labels"))
    assert summary_line(graph.node(relu)) == ""
    assert window.scene.nodes[relu]._params == ""
    assert summary_line(graph.node(capped)) == "max 6"
    assert summary_line(graph.node(leaky)) == "slope 0.1"
    assert summary_line(graph.node(nobias)) == "4 · no bias"
    assert summary_line(graph.node(gmp)) == ""  # not "False"
    conv = graph.add("Conv2D", filters=6, kernel_size=5, padding="same", activation="tanh")
    assert summary_line(graph.node(conv)) == "6 · 5×5 · same · tanh"  # unchanged


# ---------------------------------------------------------------------- data vs network
def _sample_with_output_units(units: int) -> tuple[Project, str]:
    project = load_project(SAMPLE)  # LeNet-5 on synthetic digits: 10 classes
    source = dataclasses.replace(project.settings.data.source, num_samples=100)
    data = dataclasses.replace(project.settings.data, source=source)
    project.settings = project.settings.replace(data=data)
    out = project.graph.find("output").id
    project.graph.set_params(out, units=units)
    return project, out


def _fit_lines(window) -> list[str]:
    issues = window.analysis.issues
    return [
        issues.item(i).text() for i in range(issues.count()) if "classes" in issues.item(i).text()
    ]


def test_analysis_shows_a_class_mismatch_before_train_and_drops_it_when_fixed(qtbot) -> None:
    project, out = _sample_with_output_units(3)
    window = MainWindow(project, features=())
    window.show()
    qtbot.waitExposed(window)
    try:
        lines = _fit_lines(window)
        assert len(lines) == 1
        assert "The data have 10 classes" in lines[0]
        assert "the network's output 'output' gives 3 values" in lines[0]
        window.select_nodes([out])
        units = window.properties.editors["units"].box
        units.setValue(10)  # a user's edit (an undo step)
        qtbot.waitUntil(lambda: window.document.graph.node(out).params["units"] == 10)
        qtbot.waitUntil(lambda: _fit_lines(window) == [])
        window.document.undo_stack.undo()  # back to 3 units: the warning is back
        qtbot.waitUntil(lambda: len(_fit_lines(window)) == 1)
        # clicking the warning selects the output layer
        issues = window.analysis.issues
        row = next(i for i in range(issues.count()) if "classes" in issues.item(i).text())
        window.scene.clearSelection()
        issues.itemClicked.emit(issues.item(row))
        assert window.scene.selected_node_ids() == [out]
    finally:
        window.document.mark_saved()
        window.close()


def test_changing_the_data_settings_updates_the_mismatch(qtbot) -> None:
    project, _out = _sample_with_output_units(10)
    window = MainWindow(project, features=())
    try:
        assert _fit_lines(window) == []
        data = window.document.settings.data
        letters = dataclasses.replace(data.source, charset="letters")
        window.document.change_settings("Data", data=dataclasses.replace(data, source=letters))
        lines = _fit_lines(window)
        assert len(lines) == 1 and "The data have 26 classes (A, B," in lines[0]
        assert "gives 10 values" in lines[0]
        window.document.undo_stack.undo()
        assert _fit_lines(window) == []
    finally:
        window.document.mark_saved()
        window.close()
