"""Training from the main window: Train button, live curves, Stop, Pause, NaN guard, results,
exports and closing while training (real Qt widgets, real Keras, tiny synthetic digits)."""

from __future__ import annotations

import csv
import functools
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from designer.app.project import Project, load_project, save_project
from designer.app.transfer_run import CombinedTwoPhase, make_two_phase
from designer.core.edits import Move, SetParams
from designer.data.images import ImageFolderConfig
from designer.data.synthetic import write_image_folder
from designer.ui.document.commands import GraphCommand
from designer.ui.training.info_panel import NO_RESULTS
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
    assert window.statusBar().currentMessage() == "Training finished after 1 epoch"
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


STORED = {
    "status": "finished",
    "stop_reason": "max_epochs",
    "message": "Finished after 2 epochs",
    "epochs": 2,
    "seconds": 75.0,
    "trained_at": "2025-01-02T03:04:05",
    "final": {"loss": 0.25, "val_loss": 0.5, "val_accuracy": 0.875},
    "confusion": {
        "class_names": [str(d) for d in range(10)],
        "matrix": [[7 if i == j else 0 for j in range(10)] for i in range(10)],
        "precision": [1.0] * 10,
        "recall": [1.0] * 10,
        "accuracy": 1.0,
    },
}


def test_show_training_progress_after_reopening_shows_the_stored_results(qtbot, window, tmp_path):
    window.install_features("training")
    actions = window.training
    window.open_project(Project(name="untrained"), modified=False)
    actions.show_action.trigger()  # no results yet: the window says so
    progress = actions.progress
    assert progress is not None and progress.isVisible()
    assert progress.info.text("status") == NO_RESULTS and not progress.tabs.isTabEnabled(1)
    # A project saved with results, opened from its file as in a later session.
    path = save_project(edit_sections(sample(), results=STORED), tmp_path / "trained.ndproj")
    window.open_project(load_project(path), modified=False)
    actions.show_action.trigger()
    assert progress.isVisible() and progress.shown_project is window.document.project
    assert progress.info.text("status") == "Training finished after 2 epochs"
    assert (progress.info.text("epoch"), progress.info.text("elapsed")) == ("2", "1:15")
    final = progress.findChild(type(progress.info.message), "final_val_accuracy")
    assert final is not None and final.text() == "87.50 %"
    assert "not the curves" in progress.info.note.text()
    assert progress.tabs.isTabEnabled(1)
    results = progress.results
    assert (results.matrix.rowCount(), results.matrix.columnCount()) == (11, 11)
    assert results.matrix.item(3, 3).text() == "7"
    assert "Training finished after 2 epochs" in results.summary.text()


def two_phase_project(tmp_path):
    """The LeNet-5 sample on a folder of 60 digit images: a tf.data pipeline that skips
    undecodable files, so TensorFlow cannot tell its length."""
    write_image_folder(tmp_path / "digits", 60, seed=1)
    source = ImageFolderConfig(str(tmp_path / "digits")).to_dict()
    return edit_sections(sample(), data={"source": source}, training={"mini_batch_size": 16})


@leaves_saved
def test_two_phase_progress_counts_both_phases(qtbot, window, tmp_path):
    actions = training_window(window, two_phase_project(tmp_path))
    project = window.document.project
    progress = actions.progress_window()

    def make_trainer(run, sink, token):
        return CombinedTwoPhase(make_two_phase(project, run, 3, sink=sink, cancel=token))

    with qtbot.waitSignal(progress.finished, timeout=120_000):
        progress.start(make_trainer=make_trainer, title="Two-Phase Transfer Learning")
    assert progress.result.status == "finished" and progress.result.epochs_completed == 6
    per_epoch = progress.sink.infos[0].iterations_per_epoch  # counted before phase 1
    total = 6 * per_epoch  # 3 epochs per phase
    assert [(i.all_epochs, i.all_iterations) for i in progress.sink.infos] == [(6, total)] * 2
    info = progress.info
    assert info.text("iteration") == f"{total} of {total}"
    assert info.text("max_iterations") == str(total) and info.text("per_epoch") == str(per_epoch)
    assert info.text("epoch") == "6 of 6"
    assert info.text("status") == "Finished after 6 epochs"
    assert window.statusBar().currentMessage() == "Training finished after 6 epochs"
    assert "Finished: " not in progress.results.summary.text()


@leaves_saved
def test_no_eta_while_paused_or_after_stop(qtbot, window):
    progress = start_long_run(qtbot, window, iterations=3)
    bar = progress.info.progress
    qtbot.waitUntil(lambda: "ETA" in bar.format(), timeout=10_000)
    qtbot.mouseClick(progress.pause_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: progress.info.state == "paused", timeout=10_000)  # status arrived
    qtbot.waitUntil(lambda: progress._drawn_version == progress.sink.version, timeout=5_000)
    assert "ETA" not in bar.format() and "paused" in bar.format()
    qtbot.mouseClick(progress.pause_button, Qt.MouseButton.LeftButton)
    count = len(progress.sink.iterations)
    qtbot.waitUntil(lambda: len(progress.sink.iterations) > count + 2, timeout=10_000)
    qtbot.waitUntil(lambda: "ETA" in bar.format(), timeout=10_000)  # running again
    qtbot.mouseClick(progress.stop_button, Qt.MouseButton.LeftButton)
    assert "ETA" not in bar.format()
    qtbot.waitUntil(lambda: not progress.running, timeout=30_000)
    assert progress.result.status == "stopped" and "ETA" not in bar.format()


@leaves_saved
def test_first_edit_during_training_shows_a_notice(qtbot, window):
    progress = start_long_run(qtbot, window, iterations=2)
    graph = window.document.graph
    dense = next(n for n in graph.nodes if n.type == "Dense")
    assert progress.edit_notice.isHidden()
    window.document.push(GraphCommand(graph, [Move({dense.id: (5.0, 5.0)})], "Move"))
    assert progress.edit_notice.isHidden()  # moving a layer changes nothing trained
    window.document.push(GraphCommand(graph, [SetParams(dense.id, {"units": 90})], "Units"))
    assert progress.edit_notice.isVisible() and "as it was when it started" in (
        progress.edit_notice.text()
    )
    assert "edited during training" in window.statusBar().currentMessage()
    window.document.undo_stack.undo()  # the network is as it was again
    assert progress.edit_notice.isHidden()
    progress.stop()
    qtbot.waitUntil(lambda: not progress.running, timeout=30_000)
