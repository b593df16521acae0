"""The Activations dock: selecting a block shows its feature maps; a click enlarges a channel."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.ui.insight.activations_dock import ActivationsActions


def digits_cnn() -> tuple[LayerGraph, dict[str, str]]:
    g = LayerGraph()
    ids = {
        "input": g.add("Input", shape=[8, 8, 1]),
        "conv_a": g.add("Conv2D", filters=4, kernel_size=3, activation="relu", name="conv_a"),
        "conv_b": g.add("Conv2D", filters=6, kernel_size=3, name="conv_b"),
        "flat": g.add("Flatten", name="flat"),
        "head": g.add("Dense", units=10, activation="softmax", name="head"),
    }
    order = list(ids.values())
    for a, b in zip(order, order[1:], strict=False):
        g.connect(a, b)
    return g, ids


@pytest.fixture
def dock_window(window, qtbot):
    graph, ids = digits_cnn()
    project = Project.from_sections(graph, "act", data={"source": {"kind": "sklearn-digits"}})
    window.set_project(project)
    actions = ActivationsActions(window)
    yield window, actions, ids
    actions.panel.cancel()
    window.document.mark_saved()


def wait_for_layer(qtbot, panel, name: str) -> None:
    qtbot.waitUntil(
        lambda: panel.worker is None and panel.layer == name and panel.maps is not None,
        timeout=60_000,
    )


def test_menu_entry_shows_the_dock_with_the_first_convolution(dock_window, qtbot) -> None:
    window, actions, _ = dock_window
    assert actions.action in window.menu("&Insight").actions()
    assert not actions.dock.isVisible()
    actions.action.trigger()
    assert actions.dock.isVisible()
    panel = actions.panel
    wait_for_layer(qtbot, panel, "conv_a")
    assert panel.maps.shape == (6, 6, 4)
    assert panel.grid.pixmap() is not None and not panel.grid.pixmap().isNull()
    assert panel.input_caption.text() == "sample 0 of 1797: 0"
    assert panel.sample_spin.maximum() == 1796


def test_selecting_a_block_shows_its_maps_and_a_click_enlarges(dock_window, qtbot) -> None:
    window, actions, ids = dock_window
    panel = actions.show_dock()
    wait_for_layer(qtbot, panel, "conv_a")
    window.select_nodes([ids["conv_b"]])
    wait_for_layer(qtbot, panel, "conv_b")
    assert panel.maps.shape == (4, 4, 6)
    assert "conv_b: 6 feature maps of 4x4" in panel.status.text()
    grid = panel.grid
    assert (grid.layout_info.rows, grid.layout_info.columns) == (2, 3)
    assert grid.pixmap().width() == grid.layout_info.shape[1] * grid.factor
    x, y = grid.tile_center(4)
    with qtbot.waitSignal(grid.channelClicked) as clicked:
        qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert clicked.args == [4] and panel.channel == 4
    lo, hi = float(panel.maps[..., 4].min()), float(panel.maps[..., 4].max())
    assert panel.range_label.text() == f"channel 4: min {lo:.4g}, max {hi:.4g}"
    big = panel.enlarged.pixmap()
    assert big.width() >= 4 * 8 and big.width() == big.height()  # 4x4 shown at least 8x
    # a Dense layer: bars, and a click on a bar names the unit
    window.select_nodes([ids["head"]])
    wait_for_layer(qtbot, panel, "head")
    assert grid.layout_info.kind == "bars" and panel.maps.shape == (10,)
    x, y = grid.tile_center(7)
    qtbot.mouseClick(grid, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    assert panel.range_label.text() == f"unit 7: {float(panel.maps[7]):.4g}"


def test_next_sample_image_file_and_errors(dock_window, qtbot, tmp_path) -> None:
    window, actions, ids = dock_window
    panel = actions.show_dock()
    wait_for_layer(qtbot, panel, "conv_a")
    first = panel.maps.copy()
    qtbot.mouseClick(panel.next_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: panel.worker is None and panel.current is not None and panel.current.index == 1,
        timeout=60_000,
    )
    assert panel.input_caption.text() == "sample 1 of 1797: 1"
    assert not np.array_equal(first, panel.maps)
    path = tmp_path / "bright.png"
    Image.fromarray(np.full((8, 8), 255, np.uint8), "L").save(path)
    panel.set_image(str(path))
    qtbot.waitUntil(
        lambda: panel.worker is None and panel.input_caption.text() == "bright.png",
        timeout=60_000,
    )
    # an edit that breaks the network: the dock says so instead of showing stale maps
    window.document.graph.disconnect(ids["conv_a"], ids["conv_b"], 0)
    qtbot.waitUntil(lambda: panel.worker is None and panel.maps is None, timeout=60_000)
    assert "errors" in panel.status.text() and "c62828" in panel.status.styleSheet()


def test_dock_opens_on_the_block_already_selected(dock_window, qtbot) -> None:
    window, actions, ids = dock_window
    window.select_nodes([ids["conv_b"]])
    panel = actions.show_dock()
    wait_for_layer(qtbot, panel, "conv_b")
    panel.follow_check.setChecked(False)  # no longer follows: the layer stays
    window.select_nodes([ids["conv_a"]])
    assert panel.layer_box.currentData() == "conv_b"
