"""Transfer learning in the real window: Replace Head wizard, freeze, undo/redo, two phases."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPointF
from PySide6.QtWidgets import QDialogButtonBox

from designer.core.weights import weight_arrays
from tests.fixtures import edit_sections


@pytest.fixture
def twin(qtbot):
    """A MainWindow with extensions, holding the pretrained digits_cnn and tiny letter data."""
    from designer.app.files import project_from_model
    from designer.data.builtin import SyntheticConfig
    from designer.ui.shell.main_window import MainWindow
    from designer.zoo import build_model

    project = project_from_model(build_model("digits_cnn", weights="pretrained"))
    edit_sections(
        project,
        data={
            "source": SyntheticConfig(charset="letters", num_samples=120).to_dict(),
            "split": {"validation_percent": 25},
        },
    )
    win = MainWindow()
    win.set_project(project)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.scene.clearSelection()  # no selection signal while the scene is torn down
    win.document.mark_saved()
    win.close()
    win.deleteLater()


def test_wizard_freeze_undo_redo_and_two_phase(twin, qtbot, tmp_path):
    window, graph = twin, twin.document.graph
    stack = window.document.undo_stack
    original = graph.to_dict()
    # Replace Head from the Network menu: the classes come from the project's data
    window.transfer.replace_action.trigger()
    dialog = window.transfer.dialog
    assert dialog.classes.value() == 26
    dialog.dropout.setChecked(True)
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    order = [graph.node(n).name for n in graph.topological_order()]
    assert order[-2:] == ["new_dropout", "new_fc"] and graph.find("predictions") is None
    assert graph.find("new_fc").params["units"] == 26 and stack.count() == 1
    head_dict = graph.to_dict()
    # Freeze Everything Up To Here, from the layer's context menu
    item = window.scene.nodes[graph.find("conv3").id]
    window.select_nodes([item.node_id])  # as a right-click on the layer does
    menu = window.edits.context_menu(item, QPointF(10, 10))
    texts = [a.text() for a in menu.actions()]
    assert "&Freeze Everything Up To Here" in texts and "&Unfreeze The Last N Blocks..." in texts
    menu.close()
    window.transfer.freeze_action.trigger()
    assert [n.name for n in graph.nodes if not n.trainable][-1] == "conv3" and stack.count() == 2
    assert window.document.analyse_now().nodes[graph.find("conv1").id].trainable == 0
    frozen_dict = graph.to_dict()
    stack.undo()
    assert graph.to_dict() == head_dict
    stack.undo()
    assert graph.to_dict() == original
    stack.redo()
    stack.redo()
    assert graph.to_dict() == frozen_dict
    window.transfer.unfreeze_last(3)  # new_fc, features and conv3: the last three with weights
    assert graph.find("conv3").trainable and stack.count() == 3
    stack.undo()
    assert not graph.find("conv3").trainable
    window.grab().save(str(tmp_path / "transfer.png"))
    # Two-phase training: phase 2 fine-tunes only conv3, conv1/conv2 stay bit-identical
    before = {n: weight_arrays(graph.find(n).weights) for n in ("conv1", "conv2", "conv3")}
    window.transfer.two_phase_action.trigger()
    run_dialog = window.transfer.run_dialog
    run_dialog.epochs.setValue(1)
    run_dialog.unfreeze.setValue(1)
    run_dialog.start_button.click()
    progress = window.training.progress  # the run goes to the Training Progress window
    assert progress.isVisible() and "Two-Phase" in progress.windowTitle()
    assert not run_dialog.isVisible()
    qtbot.waitUntil(lambda: window.transfer.last_summary is not None, timeout=60000)
    summary = window.transfer.last_summary
    assert summary["status"] == "finished", summary
    assert [p["phase"] for p in summary["phases"]] == ["frozen", "fine-tune"]
    assert "validation accuracy" in window.statusBar().currentMessage()
    # One continuous plot: points from both phases, one labelled line where phase 2 starts
    boundary = progress.sink.phases[1].first_iteration
    x, _ = progress.plots.loss_curve.raw.getData()
    assert x.min() < boundary <= x.max()
    assert (np.diff(progress.sink.snapshot()["iteration"]) == 1).all()  # continuous numbers
    assert progress.plots._phases_marked == [boundary]
    assert len(progress.plots.phase_lines) == 2  # one per plot
    assert all(
        line.label.textItem.toPlainText() == "phase 2" for _, line in progress.plots.phase_lines
    )
    assert progress.result.epochs_completed == 2 and progress.tabs.isTabEnabled(1)
    for name in ("conv1", "conv2"):
        for a, b in zip(weight_arrays(graph.find(name).weights), before[name], strict=True):
            np.testing.assert_array_equal(a, b)
    assert any(
        not np.array_equal(a, b)
        for a, b in zip(weight_arrays(graph.find("conv3").weights), before["conv3"], strict=True)
    )
    assert window.document.modified


def test_replace_head_is_on_the_toolbar(qtbot):
    from designer.app.project import Project
    from designer.ui.shell.main_window import MainWindow

    window = MainWindow(Project(name="t"))
    try:
        assert window.transfer.replace_action in window.toolbar.actions()
    finally:
        window.document.mark_saved()
        window.close()


def test_head_only_on_features_computed_once(twin, qtbot):
    """The dialog's feature-extraction method: refused without a frozen backbone; with one,
    the backbone runs once, the head trains, and the frozen weights stay bit-identical."""
    from PySide6.QtWidgets import QMessageBox

    from tests.ui.conftest import answer_next_message_box

    window, graph = twin, twin.document.graph
    window.transfer.replace_action.trigger()
    window.transfer.dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    window.transfer.two_phase_action.trigger()
    run_dialog = window.transfer.run_dialog
    run_dialog.method.setCurrentIndex(run_dialog.method.findData("features"))
    assert run_dialog.features_mode and not run_dialog.unfreeze.isVisible()
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Ok, seen)
    run_dialog.start_button.click()  # nothing frozen yet: refused, nothing starts
    assert seen and "frozen backbone" in seen[0]
    assert window.training.progress is None or not window.training.progress.running
    run_dialog.reject()
    window.select_nodes([graph.find("features").id])
    window.transfer.freeze_action.trigger()
    before = {
        n: weight_arrays(graph.find(n).weights) for n in ("conv1", "conv2", "conv3", "features")
    }
    edit_sections(
        window.document.project, training={"mini_batch_size": 15}
    )  # several iterations an epoch
    window.transfer.two_phase_action.trigger()
    run_dialog.epochs.setValue(3)
    run_dialog.start_button.click()
    progress = window.training.progress
    assert "Features" in progress.windowTitle()
    qtbot.waitUntil(lambda: window.transfer.last_summary is not None, timeout=60000)
    summary = window.transfer.last_summary
    assert summary["status"] == "finished", summary
    assert [p["phase"] for p in summary["phases"]] == ["features"]
    assert summary["feature_seconds"] > 0
    assert "features computed once" in window.statusBar().currentMessage()
    assert progress.result.epochs_completed == 3
    for name, arrays in before.items():
        for a, b in zip(weight_arrays(graph.find(name).weights), arrays, strict=True):
            np.testing.assert_array_equal(a, b)
    assert weight_arrays(graph.find("new_fc").weights)[0].shape == (128, 26)  # the head trained
    loss = np.asarray(progress.sink.snapshot()["loss"])
    per_epoch = len(loss) // 3
    assert per_epoch >= 6 and loss[-per_epoch:].mean() < loss[:per_epoch].mean()  # last vs first
