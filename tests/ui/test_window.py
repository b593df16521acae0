"""The designer window: library search, quick add, clipboard, delete, freeze, badges, files."""

from __future__ import annotations

from pathlib import Path

import keras
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QMessageBox

from designer.app.project import Project, save_project
from designer.core.graph import LayerGraph

from .conftest import answer_next_message_box
from .test_build_by_mouse import drag_link, drop_from_library


def _chain(window) -> list[str]:
    g = LayerGraph()
    ids = [g.add("Input", shape=[8]), g.add("Dense", units=4), g.add("Dense", units=2)]
    g.connect(ids[0], ids[1])
    g.connect(ids[1], ids[2])
    from designer.core.layout import auto_layout

    auto_layout(g)
    window.set_project(Project(graph=g, name="chain"))
    return ids


def test_library_search_filters_as_you_type(window, qtbot) -> None:
    panel = window.library
    assert "Conv2D" in panel.visible_labels() and "LSTM" in panel.visible_labels()
    qtbot.keyClicks(panel.search, "lstm")
    assert "LSTM" in panel.visible_labels() and "Conv2D" not in panel.visible_labels()
    panel.search.clear()
    qtbot.keyClicks(panel.search, "recurrent")
    assert {"LSTM", "GRU", "SimpleRNN"} <= set(panel.visible_labels())
    assert panel.item_for("LSTM").toolTip(0)  # one-line help as tooltip


def test_double_click_adds_at_view_centre(window, qtbot) -> None:
    item = window.library.item_for("Dropout")
    window.library.tree.itemDoubleClicked.emit(item, 0)
    (node,) = window.document.graph.nodes
    assert node.type == "Dropout"
    center = window.view.view_center()
    assert abs(node.pos[0] + 95 - center.x()) < 2 and abs(node.pos[1] + 37 - center.y()) < 2


def test_tab_opens_quick_add_and_enter_adds(window, qtbot) -> None:
    window.view.setFocus()
    qtbot.keyClick(window.view, Qt.Key.Key_Tab)
    assert window.quick_add.isVisible()
    qtbot.keyClicks(window.quick_add.search, "batchnorm")
    qtbot.keyClick(window.quick_add.search, Qt.Key.Key_Return)
    assert [n.type for n in window.document.graph.nodes] == ["BatchNormalization"]


def test_copy_paste_duplicate_cut_keep_inner_links(window, qtbot) -> None:
    ids = _chain(window)
    graph = window.document.graph
    window.select_nodes(ids[1:])
    qtbot.keyClick(window.view, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.view, Qt.Key.Key_V, Qt.KeyboardModifier.ControlModifier)
    assert len(graph) == 5 and len(graph.links()) == 3  # the copied pair keeps its link
    pasted = window.scene.selected_node_ids()
    assert len(pasted) == 2 and {graph.node(n).name for n in pasted} == {"dense_2", "dense_3"}
    qtbot.keyClick(window.view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert len(graph) == 7
    qtbot.keyClick(window.view, Qt.Key.Key_X, Qt.KeyboardModifier.ControlModifier)
    assert len(graph) == 5
    window.document.undo_stack.undo()
    assert len(graph) == 7


def test_delete_key_removes_selection_and_undo_restores(window, qtbot) -> None:
    ids = _chain(window)
    before = window.document.graph.to_dict()
    window.select_nodes([ids[1]])
    qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert ids[1] not in window.document.graph and not window.document.graph.links()
    window.document.undo_stack.undo()
    assert window.document.graph.to_dict() == before
    assert len(window.scene.links) == 2


def _mouse(
    widget, kind: QEvent.Type, pos: QPoint, button: Qt.MouseButton, buttons: Qt.MouseButton
) -> None:
    """Send one mouse event with the buttons held (QTest's moves carry no buttons)."""
    point = QPointF(pos)
    event = QMouseEvent(
        kind,
        point,
        QPointF(widget.mapToGlobal(pos)),
        button,
        buttons,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(widget, event)


def test_drag_is_one_undo_step(window, qtbot) -> None:
    ids = _chain(window)
    item = window.scene.nodes[ids[1]]
    before = window.document.graph.node(ids[1]).pos
    start = window.view.mapFromScene(item.sceneBoundingRect().center())
    steps = window.document.undo_stack.count()
    vp = window.view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton
    _mouse(vp, QEvent.Type.MouseButtonPress, start, left, left)
    for dx in (10, 30, 60):
        _mouse(vp, QEvent.Type.MouseMove, start + QPoint(dx, 0), none, left)
    _mouse(vp, QEvent.Type.MouseButtonRelease, start + QPoint(60, 0), left, none)
    scale = window.view.transform().m11()
    assert item.pos().x() == pytest.approx(before[0] + 60 / scale, abs=2 / scale)  # it moved
    moved = window.document.graph.node(ids[1]).pos
    assert moved == (round(item.pos().x(), 1), round(item.pos().y(), 1))  # the graph followed
    assert window.document.undo_stack.count() == steps + 1  # one step for the whole drag
    window.document.undo_stack.undo()
    assert window.document.graph.node(ids[1]).pos == before
    assert item.pos().toTuple() == pytest.approx(before)


def test_error_badge_and_tooltip(window, qtbot) -> None:
    a = drop_from_library(window, qtbot, "Feature input", QPointF(0, 0))
    c = drop_from_library(window, qtbot, "Conv2D", QPointF(0, 200))
    drag_link(window, qtbot, a, c)
    window.document.analyse_now()
    item = window.scene.nodes[c]
    assert item.severity == "error"
    assert "expects 4-D input" in item.toolTip()
    assert window.scene.nodes[a].severity == "warning" or window.scene.nodes[a].severity is None
    issues = [window.analysis.issues.item(i).text() for i in range(window.analysis.issues.count())]
    assert any("4-D input" in text for text in issues)
    window.analysis.issues.itemClicked.emit(window.analysis.issues.item(0))
    assert window.scene.selected_node_ids() == [c]


def test_freeze_draws_a_lock_and_counts_frozen_params(window, qtbot) -> None:
    ids = _chain(window)
    window.select_nodes([ids[1]])
    window.actions_by_name["freeze"].trigger()
    assert not window.document.graph.node(ids[1]).trainable
    window.document.analyse_now()
    assert window.scene.nodes[ids[1]].frozen
    assert window.document.report.non_trainable_params == 36


def test_properties_summary_when_nothing_selected(window, qtbot) -> None:
    _chain(window)
    window.scene.clearSelection()
    window.properties.show_selection([])
    text = window.properties.summary_label.text()
    assert "Layers: 3" in text and "Parameters: 46" in text and "can be built" in text


def test_rename_through_properties_and_refuse_duplicates(window, qtbot) -> None:
    ids = _chain(window)
    window.select_nodes([ids[2]])
    edit = window.properties.name_edit
    edit.setText("dense")  # taken
    edit.editingFinished.emit()
    assert window.document.graph.node(ids[2]).name == "dense_1"
    assert "already exists" in window.properties.error_label.text()
    edit.setText("head")
    edit.editingFinished.emit()
    assert window.document.graph.node(ids[2]).name == "head"


def test_title_shows_name_and_modified_marker(window, qtbot) -> None:
    _chain(window)
    assert window.windowTitle().startswith("chain[*]") and not window.isWindowModified()
    drop_from_library(window, qtbot, "Dense", QPointF(300, 0))
    assert window.isWindowModified()


def test_close_with_unsaved_changes_asks(window, qtbot) -> None:
    drop_from_library(window, qtbot, "Dense", QPointF(0, 0))
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Cancel, seen)
    assert not window.close()
    assert seen and "Save the changes" in seen[0] and window.isVisible()
    answer_next_message_box(QMessageBox.StandardButton.Discard, seen)
    assert window.close()


def test_open_keras_model_imports_laid_out(window, qtbot, tmp_path: Path) -> None:
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    model.save(tmp_path / "small.keras")
    assert window.files.open(tmp_path / "small.keras", ask=False)
    assert len(window.document.graph) == 3 and window.document.modified
    assert len({n.pos for n in window.document.graph.nodes}) == 3


def test_damaged_project_is_refused_and_current_kept(window, qtbot, tmp_path: Path) -> None:
    ids = _chain(window)
    bad = tmp_path / "bad.ndproj"
    bad.write_bytes(b"PK\x03\x04garbage")
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Ok, seen)
    assert not window.files.open(bad, ask=False)
    assert seen and "damaged" in seen[0]
    assert ids[0] in window.document.graph


def test_autosave_copy_is_kept_from_other_windows_while_this_one_runs(window, qtbot) -> None:
    from designer.ui.shell.file_actions import RecoveryStore

    _chain(window)
    drop_from_library(window, qtbot, "Dense", QPointF(300, 0))
    path = window.files.autosave()
    assert path is not None and path.exists()
    other = RecoveryStore()  # a second window: this one is still running
    copies, forget = other.claim_dead()
    assert path not in copies
    forget()
    assert path.exists()
    window.files.discard_recovery()  # a clean close removes this window's copies
    assert not path.exists()


_CRASHING_WINDOW = """
import os, signal, sys
from designer.app.project import Project, save_project
from designer.core.graph import LayerGraph
from designer.ui.shell.file_actions import RecoveryStore
graph = LayerGraph()
for units in (4, 5, 6, 7):
    graph.add("Dense", units=units)
save_project(Project(name="lost", graph=graph), RecoveryStore().copy_path("unsaved"))
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_recovery_copy_of_a_killed_window_is_offered_once(window, qtbot) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, "-c", _CRASHING_WINDOW], cwd=root, timeout=120)
    assert result.returncode == -9
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Yes, seen)
    assert window.files.offer_recovery()
    assert seen and "Recover" in seen[0]
    assert window.document.project.name == "lost" and len(window.document.graph) == 4
    assert window.document.modified and window.document.project.path is None
    assert not window.files.offer_recovery()  # recovered copies are gone


def test_zoom_and_fit(window, qtbot) -> None:
    _chain(window)
    zoom = window.view.zoom
    window.actions_by_name["zoom_in"].trigger()
    assert window.view.zoom > zoom
    window.actions_by_name["fit"].trigger()
    rect = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    assert rect.contains(window.scene.itemsBoundingRect())


def test_screenshot_cli_renders_the_sample(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "shot.png"
    result = subprocess.run(
        [sys.executable, str(root / "main.py"), "--screenshot", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    from PySide6.QtGui import QImage

    image = QImage(str(out))
    assert image.width() >= 1000 and image.height() >= 600


def test_saved_sample_project_opens(window, qtbot, tmp_path: Path) -> None:
    g = LayerGraph()
    g.add("Input", shape=[4])
    path = save_project(Project(graph=g, name="one"), tmp_path / "one.ndproj")
    assert window.files.open(path, ask=False)
    assert window.windowTitle().startswith("one")


def test_nested_model_group_expands_from_the_menu_and_undo_collapses(
    window, qtbot, tmp_path: Path
) -> None:
    inner_in = keras.Input((6,))
    backbone = keras.Model(inner_in, keras.layers.Dense(4, name="feat")(inner_in), name="backbone")
    x = keras.Input((6,))
    model = keras.Model(x, keras.layers.Dense(2, name="head")(backbone(x)))
    model.save(tmp_path / "nested.keras")
    assert window.files.open(tmp_path / "nested.keras", ask=False)
    graph = window.document.graph
    group = graph.find("backbone")
    assert group.type == "Model"
    window.select_nodes([group.id])
    window.actions_by_name["expand"].trigger()
    assert graph.find("backbone") is None and graph.find("feat").group == "backbone"
    assert "feat" in {item._title for item in window.scene.nodes.values()}
    window.select_nodes([graph.find("feat").id])
    window.actions_by_name["collapse"].trigger()
    group = graph.find("backbone")
    assert group is not None and group.subgraph.find("feat") is not None
    assert graph.find("feat") is None
    window.document.undo_stack.undo()  # back to expanded
    assert graph.find("feat") is not None and graph.find("backbone") is None
    window.document.undo_stack.undo()  # back to the imported group
    assert graph.find("backbone") is not None and graph.find("feat") is None


def test_summary_survives_an_edit_before_the_next_analysis(window, qtbot) -> None:
    ids = _chain(window)
    window.scene.clearSelection()
    window.document.graph.remove(ids[0])  # the last report still names this Input
    window.properties.show_selection([])
    assert "Inputs:" in window.properties.summary_label.text()


def test_features_are_installed_explicitly_with_what_they_need(window) -> None:
    assert (window.gallery, window.data, window.training, window.transfer, window.export) == (
        None,
        None,
        None,
        None,
        None,
    )
    with pytest.raises(ValueError, match="unknown feature 'nope'"):
        window.install_features("nope")
    window.install_features("transfer")  # trains in the training feature's window
    assert window.training is not None and window.transfer.training is window.training
    assert window.transfer.freeze_action in window.edits.layer_actions
    before = list(window.menu("&Training").actions())
    window.install_features("training")  # once only
    assert window.menu("&Training").actions() == before


def test_screenshot_of_an_unreadable_file_says_why_and_exits(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = subprocess.run(
        [sys.executable, str(root / "main.py"), "--screenshot", str(tmp_path / "s.png"), str(bad)],
        capture_output=True,
        text=True,
        timeout=300,  # before the fix a modal dialog waited forever
    )
    assert result.returncode == 2
    assert "error: bad.json is damaged" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "s.png").exists()
