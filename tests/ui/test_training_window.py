"""Training from the main window: Train button, live curves, Stop, Pause, NaN guard, results,
exports and closing while training (real Qt widgets, real Keras, tiny synthetic digits)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from designer.app.project import load_project
from tests.fixtures import edit_sections, plain

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def leaves_saved(test):
    """Mark the document saved when the test ends, pass or fail: pytest-qt closes the window
    before fixture teardown, and a modified document would then wait on a save prompt."""

    @functools.wraps(test)
    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        finally:
            actions = kwargs["window"].training
            progress = actions.progress if actions is not None else None
            if progress is not None and progress.running:
                progress.stop()
                kwargs["qtbot"].waitUntil(lambda: not progress.running, timeout=30_000)
            kwargs["window"].document.mark_saved()

    return wrapper


def sample(samples: int = 300, **training):
    """The bundled LeNet-5 project with fewer digits and changed options."""
    project = load_project(SAMPLE)
    return edit_sections(
        project,
        data={"source": {"num_samples": samples}},
        training={"max_epochs": 1, "validation_frequency": 2, **training},
    )


def training_window(window, project):
    window.install_features("training")
    window.open_project(project, modified=False)
    return window.training


def click_train(qtbot, window, actions):
    toolbar = window.toolbar
    button = toolbar.widgetForAction(actions.train_action)
    assert button is not None
    qtbot.waitUntil(button.isVisible, timeout=2_000)  # laid out after install_features()
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    return actions.progress


def start_long_run(qtbot, window, iterations: int):
    """Start a 30-epoch run from the Train button; return its progress window once
    ``iterations`` mini-batches have run."""
    actions = training_window(
        window, sample(3000, max_epochs=30, mini_batch_size=16, validation_frequency="epoch")
    )
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(
        lambda: progress.sink is not None and len(progress.sink.iterations) >= iterations,
        timeout=60_000,
    )
    return progress


@leaves_saved
def test_train_button_trains_and_shows_results(qtbot, window, tmp_path):
    actions = training_window(window, sample())
    titles = [a.text() for a in window.menu("&Training").actions()]
    assert "&Options..." in titles and "&Train" in titles
    with qtbot.waitSignal(window.document.modifiedChanged, timeout=60_000):
        progress = click_train(qtbot, window, actions)
        qtbot.waitUntil(lambda: not progress.running, timeout=60_000)
    assert progress.isVisible() and progress.result.status == "finished"
    # The curves received every iteration (300 digits, 80 % for training, batches of 64).
    x, _ = progress.plots.loss_curve.raw.getData()
    assert x is not None and len(x) == 4
    vx, _ = progress.plots.metric_curve.val.getData()
    assert list(vx) == [2, 4]
    assert progress.plots.epoch_lines and progress.info.text("epoch") == "1 of 1"
    assert "%" in progress.findChild(type(progress.info.message), "final_val_accuracy").text()
    # Weights and results went back into the project.
    assert window.document.modified
    project = window.document.project
    assert all(n.weights is not None for n in project.graph.nodes if n.type in ("Conv2D", "Dense"))
    assert plain(project, "results")["status"] == "finished" and "confusion" in plain(
        project, "results"
    )
    # Results tab: a 10-class confusion matrix plus the precision row and recall column.
    assert progress.tabs.isTabEnabled(1)
    progress.tabs.setCurrentIndex(1)
    results = progress.results
    assert (results.matrix.rowCount(), results.matrix.columnCount()) == (11, 11)
    assert results.samples.count() == 60
    first = results.samples.item(0)
    cm = results.evaluation
    if (cm.y_true != cm.y_pred).any():  # errors come first
        assert first.foreground().color().name() == "#c00000"
    # Clicking a diagonal cell shows just that cell's samples.
    row = int(cm.matrix.diagonal().argmax())
    item = results.matrix.item(row, row)
    rect = results.matrix.visualItemRect(item)
    qtbot.mouseClick(results.matrix.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert results.samples.count() == cm.matrix[row, row]
    assert "predicted" in results.samples_title.text()
    # Exports.
    progress.export_plot(str(tmp_path / "curves.png"))
    progress.export_plot(str(tmp_path / "curves.svg"))
    progress.export_history(str(tmp_path / "history.csv"))
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
    assert "<svg" in (tmp_path / "curves.svg").read_text()
    with open(tmp_path / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 and rows[1]["val_accuracy"] and not rows[0]["val_accuracy"]


@leaves_saved
def test_pause_resume_and_stop_mid_training(qtbot, window):
    progress = start_long_run(qtbot, window, iterations=3)
    qtbot.mouseClick(progress.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: progress.sink.status == "paused", timeout=10_000)
    assert progress.pause_button.text() == "Resume"
    count = len(progress.sink.iterations)
    qtbot.wait(400)
    assert len(progress.sink.iterations) == count  # nothing happens while paused
    qtbot.mouseClick(progress.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(progress.sink.iterations) > count + 2, timeout=10_000)
    qtbot.waitUntil(lambda: progress.plots.points_drawn > 0, timeout=5_000)  # the timer redraws
    qtbot.mouseClick(progress.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not progress.running, timeout=30_000)
    result = progress.result
    assert result.status == "stopped" and result.stop_reason == "stopped"
    total = 30 * 150
    assert len(progress.sink.iterations) < total
    assert "Stopped by the user" in progress.info.text("status")


@leaves_saved
def test_nan_loss_is_explained(qtbot, window):
    project = sample(200, solver="sgdm", initial_learn_rate=1e6, mini_batch_size=32)
    for node in project.graph.nodes:
        if node.params.get("activation") == "tanh":
            project.graph.set_params(node.id, activation="relu")
    actions = training_window(window, project)
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(lambda: not progress.running, timeout=60_000)
    assert progress.result.status == "failed"
    assert progress.info.message.isVisible() and "NaN" in progress.info.message.text()
    box = progress.failure_box
    assert box is not None and box.isVisible() and "learning rate" in box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    assert all(n.weights is None for n in window.document.project.graph.nodes)


@leaves_saved
def test_unusable_project_shows_the_reason(qtbot, window):
    project = edit_sections(sample(), data={"source": None})
    actions = training_window(window, project)
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(lambda: not progress.running, timeout=30_000)
    assert "no training data" in progress.info.message.text()
    progress.failure_box.button(QMessageBox.StandardButton.Ok).click()


@leaves_saved
def test_closing_while_training_asks_and_stops(qtbot, window):
    progress = start_long_run(qtbot, window, iterations=2)
    progress.close()
    assert progress.isVisible() and progress.running  # not closed yet: it asks
    box = progress.close_box
    assert "still running" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: not progress.isVisible(), timeout=30_000)
    assert not progress.running and progress.result.status == "stopped"
