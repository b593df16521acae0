"""Insight > Compression Report…: runs in a worker, shows the table; Cancel stops it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from designer.app.project import Project
from designer.core.graph import LayerGraph
from designer.ui.insight.compression_dialog import CompressionActions


def digits_project() -> Project:
    g = LayerGraph()
    ids = [
        g.add("Input", shape=[8, 8, 1]),
        g.add("Conv2D", filters=4, kernel_size=3, activation="relu", name="conv"),
        g.add("Flatten"),
        g.add("Dense", units=10, activation="softmax", name="head"),
    ]
    for a, b in zip(ids, ids[1:], strict=False):
        g.connect(a, b)
    return Project.from_sections(
        g,
        "digits",
        data={"source": {"kind": "sklearn-digits"}, "split": {"validation_percent": 20.0}},
        training={"solver": "adam", "initial_learn_rate": 0.01, "mini_batch_size": 128, "seed": 0},
    )


@pytest.fixture
def dialog(window, qtbot):
    window.set_project(digits_project())
    actions = CompressionActions(window)
    assert actions.action in window.menu("&Insight").actions()
    actions.action.trigger()
    dialog = actions.dialog
    qtbot.waitExposed(dialog)
    yield dialog
    dialog.reject()
    window.document.mark_saved()


def test_report_runs_and_fills_the_table(dialog, qtbot) -> None:
    dialog.sparsity_edit.setText("50")
    dialog.epochs_spin.setValue(1)
    dialog.samples_spin.setValue(200)
    qtbot.mouseClick(dialog.run_button, Qt.MouseButton.LeftButton)
    assert not dialog.run_button.isEnabled() and dialog.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.status.text().startswith("Done: 200 validation samples"), dialog.status.text()
    assert dialog.table.rowCount() == 5
    assert [dialog.cell(r, 0) for r in range(5)] == [
        "Keras float32",
        "TFLite float32",
        "TFLite full int8",
        "Pruned 50 %",
        "Pruned 50 % + fine-tune 1 epoch",
    ]
    assert dialog.cell(1, 1).endswith("KiB") and dialog.cell(2, 1).endswith("KiB")
    assert dialog.cell(3, 4) == "50.0 %" and dialog.cell(4, 2).endswith("%")
    assert dialog.layer_table.rowCount() >= 2  # conv and head at least
    layers = {dialog.layer_table.item(r, 0).text() for r in range(dialog.layer_table.rowCount())}
    assert {"conv", "head"} <= layers
    assert "Left in float32: nothing" in dialog.notes.toPlainText()
    assert dialog.progress.value() == 1000 and dialog.run_button.isEnabled()


def test_cancel_stops_the_report(dialog, qtbot) -> None:
    dialog.run()
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.worker is None, timeout=120_000)
    assert dialog.status.text() == "Cancelled: no report."
    assert dialog.table.rowCount() == 0 and dialog.report is None


def test_bad_sparsities_are_refused(dialog) -> None:
    dialog.sparsity_edit.setText("half")
    assert dialog.run() is None
    assert "'half'" in dialog.status.text() and "c62828" in dialog.status.styleSheet()
