"""The Analysis dock's cost: MACs and Memory columns with a bar per layer, sorting by clicking a
header (numbers as numbers, a third click back to network order), the totals line, and edits
that touch only the rows whose figures changed."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QPoint, Qt

from designer.app.project import Project
from designer.core.layout import auto_layout
from designer.ui.document.commands import SetParams
from designer.ui.panels.analysis import MACS, MEMORY, NODE_ROLE
from designer.ui.panels.cost_bars import BAR_ROLE, CostBars
from tests.conftest import make_lenet
from tests.ui.test_analysis_panel import Spy

CONV1, CONV2 = 5 * 5 * 1 * 6 * 28 * 28, 5 * 5 * 6 * 16 * 10 * 10  # 117,600 and 240,000


def _open_lenet(window, qtbot) -> list[str]:
    graph, ids = make_lenet()
    auto_layout(graph)
    window.set_project(Project(graph=graph, name="lenet"))
    window.analysis.parentWidget().show()  # the dock
    qtbot.waitUntil(window.analysis.table.isVisible)
    return ids


def _column(panel, column: int, role=Qt.ItemDataRole.DisplayRole) -> list:
    proxy = panel.proxy
    return [proxy.index(row, column).data(role) for row in range(proxy.rowCount())]


def _click_header(panel, qtbot, column: int) -> None:
    header = panel.table.horizontalHeader()
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(
        header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, header.height() // 2)
    )


def test_macs_and_memory_columns_and_the_totals(window, qtbot) -> None:
    ids = _open_lenet(window, qtbot)
    panel = window.analysis
    headers = [panel.proxy.headerData(c, Qt.Orientation.Horizontal) for c in range(7)]
    assert headers == ["Name", "Type", "Activations", "Learnables", "MACs", "Memory", "Issues"]
    macs = _column(panel, MACS)
    assert macs[1] == "118 k" and macs[3] == "240 k" and macs[2] == "0"
    assert _column(panel, MEMORY)[1] == "18.4 KiB"  # 28x28x6 float32
    assert "117,600 multiply-accumulates" in panel.proxy.index(1, MACS).data(
        Qt.ItemDataRole.ToolTipRole
    )
    assert "receptive field 5×5" in panel.proxy.index(1, MACS).data(Qt.ItemDataRole.ToolTipRole)
    assert _column(panel, 6)[-1] == ""  # the issues stay in the last column
    batch = window.document.settings.training.mini_batch_size
    cost = panel.model.cost
    text = panel.totals.text()
    assert "417 k MACs" in text and "weights 241 KiB" in text
    assert f"(batch {batch})" in text and cost.batch_size == batch
    training = window.document.settings.training
    window.document.change_settings(
        "Mini-batch", training=dataclasses.replace(training, mini_batch_size=2)
    )
    assert panel.model.cost.batch_size == 2 and "(batch 2)" in panel.totals.text()
    assert panel.model.cost.peak_activation_bytes * batch == cost.peak_activation_bytes * 2
    assert [row[0] for row in panel.model.rows] == ids


def test_clicking_headers_sorts_by_number_then_back_to_network_order(window, qtbot) -> None:
    ids = _open_lenet(window, qtbot)
    panel = window.analysis
    _click_header(panel, qtbot, MACS)  # first click: the costliest first
    shown = _column(panel, MACS, NODE_ROLE)
    assert shown[:5] == [ids[3], ids[1], ids[6], ids[7], ids[8]]  # 240 k > 118 k > 48 k ...
    _click_header(panel, qtbot, MACS)
    assert _column(panel, MACS, NODE_ROLE)[-2:] == [ids[1], ids[3]]
    _click_header(panel, qtbot, MACS)  # third click: unsorted
    assert _column(panel, 0, NODE_ROLE) == ids
    _click_header(panel, qtbot, 0)  # text columns: A to Z first
    names = _column(panel, 0)
    assert names == sorted(names, key=str.lower)
    _click_header(panel, qtbot, MEMORY)  # memory by bytes: the 28x28x6 maps first
    assert _column(panel, MEMORY, NODE_ROLE)[:2] == [ids[1], ids[3]]
    document = window.document  # an edit re-sorts: conv2's 10x10x64 outputs are the largest
    document.push(SetParams(document.graph, ids[3], {"filters": 64}))
    document.analyse_now()
    assert _column(panel, MEMORY, NODE_ROLE)[:2] == [ids[3], ids[1]]
    assert _column(panel, MEMORY)[0] == "25 KiB"  # 10*10*64*4 = 25,600 bytes


def test_bars_are_proportional_and_painted_behind_the_number(window, qtbot) -> None:
    _open_lenet(window, qtbot)
    panel = window.analysis
    bars = _column(panel, MACS, BAR_ROLE)
    assert bars[3] == 1.0 and bars[1] == CONV1 / CONV2 and bars[0] == bars[2] == 0.0
    assert _column(panel, MEMORY, BAR_ROLE)[1] == 1.0  # the largest activations
    assert isinstance(panel.table.itemDelegateForColumn(MACS), CostBars)
    for column in range(MACS):  # the MACs column in sight
        panel.table.setColumnWidth(column, 30)
    panel.table.setColumnWidth(MACS, 120)
    for row, has_bar in ((3, True), (1, True), (2, False)):
        index = panel.proxy.index(row, MACS)
        panel.table.scrollTo(index)
        image = panel.table.viewport().grab().toImage()
        rect = panel.table.visualRect(index)
        assert image.rect().contains(rect), (image.rect(), rect)
        bar = CostBars.bar_rect(rect, bars[row] or 1.0)
        x = rect.left() + 6
        inside = image.pixelColor(x, bar.center().y())
        edge = image.pixelColor(x, rect.top() + 1)  # above the bar: the cell's background
        assert (inside != edge) is has_bar, (row, inside.name(), edge.name())


def test_an_edit_touches_only_the_rows_whose_cost_changed(window, qtbot) -> None:
    ids = _open_lenet(window, qtbot)
    panel, document = window.analysis, window.document
    spy = Spy(panel.model)
    document.push(SetParams(document.graph, ids[1], {"kernel_size": [3, 3]}))  # "same": shapes kept
    document.analyse_now()
    assert spy.resets == 0 and spy.changed == [(1, 1)]  # conv1's params and MACs only
    assert _column(panel, MACS)[1] == f"{3 * 3 * 6 * 784 / 1000:.3g} k"
    document.push(SetParams(document.graph, ids[3], {"filters": 8}))
    document.analyse_now()
    # conv2, the pooling and Flatten after it (smaller maps) and the first Dense (fewer inputs)
    assert spy.resets == 0 and spy.changed == [(1, 1), (3, 6)]
    assert panel.model.cost.layers[ids[6]].macs == 200 * 120
