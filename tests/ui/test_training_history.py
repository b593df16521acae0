"""A project keeps the curves of its last run: trained in the window, saved, reopened, and
"Show Training Progress" draws the stored per-epoch values (real Qt, real Keras, tiny data)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtWidgets import QLabel

from designer.app.project import load_project, save_project
from tests.fixtures import edit_sections
from tests.ui.test_training_window import STORED, click_train, leaves_saved, sample, training_window


def data_of(item) -> tuple[list[float], list[float]]:
    x, y = item.getData()
    return ([] if x is None else list(x)), ([] if y is None else list(y))


def as_drawn(values, scale: float = 1.0) -> list[float]:
    return [math.nan if v is None else v * scale for v in values]


def same(a: list[float], b: list[float]) -> bool:
    return np.allclose(np.asarray(a, float), np.asarray(b, float), equal_nan=True)


@leaves_saved
def test_reopened_project_shows_the_curves_of_its_last_run(qtbot, window, tmp_path):
    actions = training_window(
        window, sample(200, max_epochs=3, mini_batch_size=32, validation_frequency="epoch")
    )
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(lambda: not progress.running, timeout=120_000)
    assert progress.result.status == "finished" and progress.result.epochs_completed == 3
    live = progress.result.epochs
    path = save_project(window.document.project, tmp_path / "trained.ndproj")
    window.document.mark_saved()

    # A later session: the project opened from its file, then Training > Show Training Progress.
    window.open_project(load_project(path), modified=False)
    actions.show_action.trigger()
    project = window.document.project
    assert progress.isVisible() and progress.shown_project is project
    results = project.settings.results
    history = results.history
    assert history["epoch"] == [1, 2, 3]
    for key in ("iteration", "loss", "accuracy", "val_loss", "val_accuracy"):
        assert same(history[key], [row[key] for row in live]), key

    plots = progress.plots
    x = [float(i) for i in history["iteration"]]
    assert (plots.metric, plots.scale) == ("accuracy", 100.0)
    for curve, key, scale in (
        (plots.loss_curve, "loss", 1.0),
        (plots.metric_curve, "accuracy", 100.0),
    ):
        tx, ty = data_of(curve.raw)
        vx, vy = data_of(curve.val)
        assert tx == x and same(ty, as_drawn(history[key], scale)), key
        assert vx == x and same(vy, as_drawn(history[f"val_{key}"], scale)), key
        assert data_of(curve.smooth) == ([], [])  # no per-iteration values kept to smooth
        fx, fy = curve.final.getData()
        assert list(fx) == [x[-1]] and same(list(fy), [history[f"val_{key}"][-1] * scale])
    assert sorted({line.value() for _, line in plots.epoch_lines}) == x
    when = results.trained_at.replace("T", " ")
    assert when and f"curves of the run of {when}" in progress.info.note.text()
    assert "not the curves" not in progress.info.note.text()
    final = progress.findChild(QLabel, "final_val_accuracy")
    assert final is not None and final.text().endswith("%")


def test_stored_results_without_curves_leave_the_plots_empty(qtbot, window, tmp_path):
    """A file written before the curves were kept: the summary, and the note that says so."""
    window.install_features("training")
    path = save_project(edit_sections(sample(), results=STORED), tmp_path / "old.ndproj")
    window.open_project(load_project(path), modified=False)
    window.training.show_action.trigger()
    progress = window.training.progress
    assert window.document.project.settings.results.history == {}
    assert "not the curves" in progress.info.note.text()
    for curve in (progress.plots.loss_curve, progress.plots.metric_curve):
        assert data_of(curve.raw) == ([], []) and data_of(curve.val) == ([], [])
    assert progress.plots.epoch_lines == []


@leaves_saved
def test_a_new_run_after_stored_curves_draws_live_again(qtbot, window, tmp_path):
    """Stored curves restyle the training line; a run started afterwards draws as live runs do."""
    history = {"epoch": [1, 2], "iteration": [3, 6], "loss": [1.0, None], "val_loss": [1.2, 0.9]}
    project = edit_sections(sample(), results={**STORED, "history": history})
    actions = training_window(window, project)
    actions.show_action.trigger()
    plots = actions.progress.plots
    assert plots.metric is None  # no training accuracy stored: the loss plot only
    tx, ty = data_of(plots.loss_curve.raw)
    assert tx == [3.0, 6.0] and same(ty, [1.0, math.nan])
    assert plots.loss_curve.raw.opts["symbol"] == "o"
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(lambda: not progress.running, timeout=120_000)
    assert progress.result.status == "finished"
    assert plots.loss_curve.raw.opts["symbol"] is None
    x, _ = data_of(plots.loss_curve.raw)
    assert len(x) == len(progress.result.iterations["iteration"])
