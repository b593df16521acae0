"""Build LeNet-5 with the mouse only, check the analysis against Keras, undo/redo, save/reopen."""

from __future__ import annotations

from pathlib import Path

import keras
from PySide6.QtCore import QEvent, QMimeData, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QApplication

from designer.core.catalog import library
from designer.core.graph import LayerGraph
from designer.ui.panels.library import entry_mime

from .conftest import answer_next_message_box  # noqa: F401 - used by other tests


def drop_from_library(window, qtbot, label: str, scene_pos: QPointF) -> str:
    """Drag a Layer Library entry onto the canvas at ``scene_pos``; returns the new node id."""
    entry = next(e for e in library() if e.label == label)
    item = window.library.item_for(label)
    assert item is not None and not item.isHidden()
    mime: QMimeData = entry_mime(entry)
    viewport = window.view.viewport()
    point = window.view.mapFromScene(scene_pos)
    before = set(n.id for n in window.document.graph.nodes)
    enter = QDragEnterEvent(
        point,
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QDropEvent(
        QPointF(point),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        QEvent.Type.Drop,
    )
    QApplication.sendEvent(viewport, drop)
    (new,) = set(n.id for n in window.document.graph.nodes) - before
    return new


def drag_link(window, qtbot, src: str, dst: str, port: int = 0) -> None:
    """Press on ``src``'s output port, move, release on ``dst``'s input port."""
    scene = window.scene
    start = window.view.mapFromScene(scene.nodes[src].outputs[0].scene_center())
    end = window.view.mapFromScene(scene.nodes[dst].port_pos(True, port))
    viewport = window.view.viewport()
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=start)
    qtbot.mouseMove(viewport, pos=(start + end) / 2)
    qtbot.mouseMove(viewport, pos=end)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=end)


def set_param(window, node_id: str, key: str, value) -> None:
    """Select a block and change a parameter through its property widget."""
    window.select_nodes([node_id])
    editor = window.properties.editors[key]
    if hasattr(editor, "boxes"):
        for box, v in zip(editor.boxes, value, strict=True):
            box.setValue(v)
    elif hasattr(editor, "box") and hasattr(editor.box, "setCurrentText"):
        editor.box.setCurrentText(value)
    elif hasattr(editor, "box"):
        editor.box.setValue(value)
    else:
        editor.line.setText(", ".join(str(v) for v in value))
        editor.line.editingFinished.emit()


LENET = [
    ("Image input", {"shape": [28, 28, 1]}),
    ("Conv2D", {"filters": 6, "kernel_size": [5, 5], "padding": "same", "activation": "relu"}),
    ("AveragePooling2D", {}),
    ("Conv2D", {"filters": 16, "kernel_size": [5, 5], "activation": "relu"}),
    ("AveragePooling2D", {}),
    ("Flatten", {}),
    ("Dense", {"units": 120, "activation": "relu"}),
    ("Dense", {"units": 84, "activation": "relu"}),
    ("Dense", {"units": 10, "activation": "softmax"}),
]


def build_lenet_by_mouse(window, qtbot) -> list[str]:
    """The whole network through library drops, port drags and property widgets."""
    window.document.graph  # noqa: B018 - empty project from the fixture
    ids = []
    for i, (label, params) in enumerate(LENET):
        nid = drop_from_library(window, qtbot, label, QPointF(100, 40 + 140 * i))
        for key, value in params.items():
            set_param(window, nid, key, value)
        ids.append(nid)
        window.view.centerOn(window.scene.nodes[nid])
    for a, b in zip(ids, ids[1:], strict=False):
        window.view.centerOn(window.scene.nodes[a].sceneBoundingRect().bottomLeft())
        drag_link(window, qtbot, a, b)
    return ids


def test_build_lenet5_by_mouse_matches_keras(window, qtbot) -> None:
    ids = build_lenet_by_mouse(window, qtbot)
    graph = window.document.graph
    assert len(graph.links()) == 8
    report = window.document.analyse_now()
    assert report.ok, [i.message for i in report.errors]
    reference = keras.Sequential(
        [
            keras.Input((28, 28, 1)),
            keras.layers.Conv2D(6, 5, padding="same"),
            keras.layers.AveragePooling2D(2),
            keras.layers.Conv2D(16, 5),
            keras.layers.AveragePooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(120),
            keras.layers.Dense(84),
            keras.layers.Dense(10),
        ]
    )
    model = window.analysis.model
    rows = {r[0]: r[1] for r in model.rows}
    for nid, layer in zip(ids[1:], reference.layers, strict=True):
        name, _type, acts, learn, _issues = rows[nid]
        dims = "×".join(str(d) for d in layer.output.shape[1:])
        assert acts.startswith(dims), (name, acts, dims)
        assert learn == f"{layer.count_params():,}"
    assert "61,706 parameters" in window.analysis.totals.text()


def test_undo_everything_and_redo_everything(window, qtbot) -> None:
    build_lenet_by_mouse(window, qtbot)
    built = window.document.graph.to_dict()
    stack = window.document.undo_stack
    steps = stack.count()
    assert steps >= 9 + 8  # adds, links and parameter edits
    while stack.canUndo():
        stack.undo()
    assert window.document.graph.to_dict() == LayerGraph().to_dict() | {"name": "network"}
    assert not window.scene.nodes and not window.scene.links
    while stack.canRedo():
        stack.redo()
    assert window.document.graph.to_dict() == built
    assert len(window.scene.nodes) == 9 and len(window.scene.links) == 8


def test_typing_in_a_spin_box_is_one_undo_step(window, qtbot) -> None:
    nid = drop_from_library(window, qtbot, "Dense", QPointF(0, 0))
    window.select_nodes([nid])
    box = window.properties.editors["units"].box
    before = window.document.undo_stack.count()
    for value in (1, 12, 128):
        box.setValue(value)
    assert window.document.undo_stack.count() == before + 1
    window.document.undo_stack.undo()
    assert window.document.graph.node(nid).params["units"] == 10


def test_refused_link_explains_and_changes_nothing(window, qtbot) -> None:
    a = drop_from_library(window, qtbot, "Image input", QPointF(0, 0))
    d = drop_from_library(window, qtbot, "Dense", QPointF(0, 200))
    drag_link(window, qtbot, a, d)
    before = window.document.graph.to_dict()
    steps = window.document.undo_stack.count()
    window.view.centerOn(window.scene.nodes[d])
    drag_link(window, qtbot, d, a)  # into an Input: refused
    assert window.document.graph.to_dict() == before
    assert window.document.undo_stack.count() == steps
    assert "Link refused" in window.statusBar().currentMessage()


def test_save_and_reopen_gives_an_equal_graph(window, qtbot, tmp_path: Path) -> None:
    build_lenet_by_mouse(window, qtbot)
    built = window.document.graph.to_dict()
    path = tmp_path / "lenet.ndproj"
    assert window.files._write(path)
    assert not window.document.modified and "[*]" in window.windowTitle()
    assert window.files.new()
    assert len(window.document.graph) == 1
    assert window.files.open(path, ask=False)
    assert window.document.graph.to_dict() == built
    assert str(path.resolve()) in window.files.recent()


def test_invalid_value_is_refused_with_a_message(window, qtbot) -> None:
    nid = drop_from_library(window, qtbot, "Reshape", QPointF(0, 0))
    window.select_nodes([nid])
    editor = window.properties.editors["target_shape"]
    editor.line.setText("[1, 2")  # not a list of integers
    editor.line.editingFinished.emit()
    assert window.properties.error_label.text()
    assert window.document.graph.node(nid).params["target_shape"] == [-1]
