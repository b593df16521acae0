"""Collapsible groups: layers named after one block fold into one block and back."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt

from designer.app.project import Project
from designer.core.build import build_model
from designer.core.graph import LayerGraph
from designer.core.layout import auto_layout
from designer.ui.shell.main_window import MainWindow


def _blocks(count: int) -> LayerGraph:
    """An input and ``count`` residual blocks named like Keras' (``block1_a``, ...)."""
    graph = LayerGraph()
    prev = graph.add("Input", name="input", shape=[8])
    for b in range(1, count + 1):
        a = graph.add("Dense", name=f"block{b}_a", units=8, activation="relu")
        c = graph.add("Dense", name=f"block{b}_b", units=8)
        add = graph.add("Add", name=f"block{b}_add")
        graph.connect(prev, a)
        graph.connect(a, c)
        graph.connect(c, add, 0)
        graph.connect(prev, add, 1)
        prev = add
    graph.connect(prev, graph.add("Dense", name="head", units=3, activation="softmax"))
    auto_layout(graph)
    return graph


def _window(qtbot, graph: LayerGraph) -> MainWindow:
    window = MainWindow(Project(name="blocks", graph=graph), features=())
    qtbot.addWidget(window)
    window.resize(1200, 800)
    window.show()
    qtbot.waitExposed(window)
    return window


def test_clicking_a_group_name_collapses_its_layers_and_undo_restores_them(qtbot) -> None:
    window = _window(qtbot, _blocks(3))
    graph = window.document.graph
    before = graph.to_dict()
    x = np.random.default_rng(0).normal(size=(4, 8)).astype("float32")
    model = build_model(graph)
    expected = model.predict(x, verbose=0)
    window.view.set_zoom(0.05)  # zoomed out: the group frames and their names show
    window.scene.detail.refresh_groups()
    frame = window.scene.detail.groups["block2"]
    label = frame.label
    spot = window.view.mapFromScene(label.sceneBoundingRect().center())
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=spot)
    qtbot.waitUntil(lambda: any(n.type == "Model" for n in graph.nodes))
    group = next(n for n in graph.nodes if n.type == "Model")
    assert group.name == "block2" and len(graph) == len(before["nodes"]) - 3 + 1
    assert not any(n.name.startswith("block2_") for n in graph.nodes)
    report = window.document.analyse_now()
    assert report.ok, [i.message for i in report.issues]
    collapsed = build_model(graph)
    assert collapsed.count_params() == model.count_params()
    # the same layers, the same weights: the same answers
    for layer in model.layers:
        if layer.weights and not layer.name.startswith("block2_"):
            collapsed.get_layer(layer.name).set_weights(layer.get_weights())
    inner = collapsed.get_layer("block2")
    for name in ("block2_a", "block2_b"):
        inner.get_layer(name).set_weights(model.get_layer(name).get_weights())
    np.testing.assert_allclose(collapsed.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    window.document.undo_stack.undo()
    assert graph.to_dict() == before
    window.document.undo_stack.redo()
    assert any(n.type == "Model" for n in graph.nodes)
    window.document.mark_saved()


def test_collapse_from_the_menu_of_a_block_named_after_its_group(qtbot) -> None:
    window = _window(qtbot, _blocks(2))
    graph = window.document.graph
    member = next(n.id for n in graph.nodes if n.name == "block1_b")
    window.select_nodes([member])
    menu = window.edits.context_menu(window.scene.nodes[member], QPointF(10, 10))
    assert window.actions_by_name["collapse"] in menu.actions()
    window.actions_by_name["collapse"].trigger()
    assert [n.name for n in graph.nodes if n.type == "Model"] == ["block1"]
    window.document.mark_saved()
