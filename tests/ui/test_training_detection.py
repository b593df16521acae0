"""A detector in the Training Progress window: validation mAP above, the loss with its box and
class parts below, and in the Results tab the mAP summary and the validation images with
their boxes, errors first (real Qt widgets, real Keras, a tiny detector on generated shapes)."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.app.project import Project
from designer.app.settings import RunResults
from designer.training.detection_results import DetectionResult, match_image
from designer.training.events import RunInfo
from designer.training.history import TrainingResult
from designer.training.trainer import DETECTOR_METRICS
from designer.ui.training.info_panel import TrainingInfoPanel
from designer.ui.training.plots import TrainingPlots
from designer.ui.training.results_panel import (
    DETECTION_THUMB,
    NOT_KEPT,
    ResultsPanel,
    detection_picture,
)
from designer.zoo.classic.tiny_detector import build_tiny_detector_graph
from tests.fixtures import plain
from tests.ui.test_training_window import click_train, leaves_saved, training_window

NAMES = ["circle", "square", "triangle"]


def data_of(item) -> tuple[list[float], list[float]]:
    x, y = item.getData()
    return ([] if x is None else [float(v) for v in x]), ([] if y is None else list(y))


def legend_texts(plot) -> list[str]:
    return [label.text for _, label in plot.legend.items]


def shows(plot, first: float, last: float) -> bool:
    """Whether ``plot`` shows the iterations from ``first`` to ``last``, little more."""
    lo, hi = plot.viewRange()[0]
    return lo <= first and last <= hi < last + (last - first) / 4


def shown_plots(qtbot) -> tuple[QWidget, TrainingPlots]:
    """Plots inside a shown widget, as in the progress window (keep the widget alive)."""
    holder = QWidget()
    qtbot.addWidget(holder)
    plots = TrainingPlots(holder)
    QVBoxLayout(holder).addWidget(plots)
    holder.resize(700, 500)
    holder.show()
    qtbot.waitExposed(holder)
    return holder, plots


def detector_snapshot() -> dict:
    """20 iterations of a detector's losses and two per-epoch validations with mAP."""
    it = np.arange(1, 21, dtype=float)
    box, cls = 1.0 / it, 2.0 / it
    val = {"loss": [2.0, 1.0], "box_loss": [0.6, 0.3], "class_loss": [1.4, 0.7]}
    return {
        "iteration": it,
        "loss": box + cls,
        "learning_rate": np.full(20, 0.01),
        "metrics": {"box_loss": box, "class_loss": cls},
        "val_iteration": np.array([10.0, 20.0]),
        "val_metrics": {
            **{k: np.array(v) for k, v in val.items()},
            "map50": np.array([0.2, 0.5]),
            "map": np.array([0.1, 0.3]),
        },
    }


def test_plots_draw_a_detectors_map_and_losses(qtbot):
    holder, plots = shown_plots(qtbot)
    plots.start(list(DETECTOR_METRICS))
    assert plots.top.isVisible() and plots.top.getAxis("left").labelText == "mAP (%)"
    snap = detector_snapshot()
    plots.update_from(snap)
    # No training values of mAP: the top plot has the validation points only, in percent.
    assert data_of(plots.metric_curve.val) == ([10.0, 20.0], [20.0, 50.0])
    assert data_of(plots.metric_curve.raw) == data_of(plots.metric_curve.smooth) == ([], [])
    assert data_of(plots.map_series.val) == ([10.0, 20.0], [10.0, 30.0])
    assert legend_texts(plots.top) == ["Validation mAP@0.5", "Validation mAP@[.5:.95]"]
    # Below: the loss as always, and the box and class losses as lines of their own.
    assert len(data_of(plots.loss_curve.raw)[0]) == 20
    for series, key in ((plots.box_series, "box_loss"), (plots.class_series, "class_loss")):
        x, y = data_of(series.train)
        assert x == list(snap["iteration"]) and y[0] == snap["metrics"][key][0]
        assert data_of(series.val) == ([10.0, 20.0], list(snap["val_metrics"][key]))
    bottom = legend_texts(plots.bottom)
    assert "Box loss (smoothed)" in bottom and "Validation class loss" in bottom
    pens = {s.train.opts["pen"].color().name() for s in (plots.box_series, plots.class_series)}
    assert len(pens | {plots.loss_curve.smooth.opts["pen"].color().name()}) == 3
    plots.show_final(snap)
    assert list(plots.metric_curve.final.getData()[1]) == [50.0]
    assert plots.metric_curve.final_text.toPlainText() == "Final 50.00%"
    # Both plots show the iterations from the first one, which only the losses have.
    holder.grab()
    qtbot.waitUntil(lambda: all(shows(plot, 1.0, 20.0) for plot in (plots.top, plots.bottom)))
    low, high = plots.top.viewRange()[1]  # the mAPs from 0 to the highest, for small ones
    assert low <= 0.0 and 50.0 <= high < 60.0

    # A classification run afterwards: its plots exactly as before.
    plots.start(["loss", "accuracy"])
    assert plots.series == [] and data_of(plots.box_series.train) == ([], [])
    assert legend_texts(plots.top) == ["Training", "Smoothed training", "Validation"]
    assert legend_texts(plots.bottom) == ["Training", "Smoothed training", "Validation"]
    assert plots.top.getAxis("left").labelText == "Accuracy (%)"


def test_plots_draw_a_stored_detectors_history(qtbot):
    holder, plots = shown_plots(qtbot)
    history = {
        "epoch": [1, 2, 3],
        "iteration": [10, 20, 30],
        "loss": [3.0, 2.0, 1.5],
        "box_loss": [1.0, 0.8, 0.6],
        "class_loss": [2.0, 1.2, 0.9],
        "val_loss": [2.5, 1.9, 1.4],
        "val_box_loss": [0.9, 0.7, 0.5],
        "val_class_loss": [1.6, 1.2, 0.9],
        "val_map50": [0.1, None, 0.4],
        "val_map": [0.05, 0.1, 0.2],
    }
    plots.start([*history])
    plots.show_history(history)
    assert plots.metric == "map50"
    assert data_of(plots.metric_curve.val) == ([10.0, 30.0], [10.0, 40.0])
    assert list(plots.metric_curve.final.getData()[1]) == [40.0]
    assert data_of(plots.map_series.val)[1] == [5.0, 10.0, 20.0]
    assert data_of(plots.box_series.train) == ([10.0, 20.0, 30.0], [1.0, 0.8, 0.6])
    assert data_of(plots.class_series.val) == ([10.0, 20.0, 30.0], [1.6, 1.2, 0.9])
    assert sorted({line.value() for _, line in plots.epoch_lines}) == [10, 20, 30]


def test_info_panel_names_a_detectors_metrics(qtbot):
    panel = TrainingInfoPanel()
    qtbot.addWidget(panel)
    panel.reset("every 50 iterations")
    info = RunInfo(
        epochs=2,
        iterations_per_epoch=5,
        total_iterations=10,
        batch_size=16,
        num_samples=80,
        outputs=["bbox_regression", "cls_logits"],
        metrics=list(DETECTOR_METRICS),
    )
    panel.set_info(info)
    assert panel.text("validation").startswith("every epoch")
    panel.set_final({"box_loss": 0.5, "val_map50": 0.4567, "val_map": 0.2})
    rows = {
        panel.final_form.itemAt(i, panel.final_form.ItemRole.LabelRole).widget().text(): (
            panel.final_form.itemAt(i, panel.final_form.ItemRole.FieldRole).widget().text()
        )
        for i in range(panel.final_form.rowCount())
    }
    assert rows == {
        "Training box loss:": "0.5",
        "Validation mAP@0.5:": "45.67 %",
        "Validation mAP@[.5:.95]:": "20.00 %",
    }


def hand_made_result() -> DetectionResult:
    """Two 64x64 images: one with a missed square and a false triangle, one all found."""
    first = match_image(
        0,
        {"boxes": np.array([[4, 4, 24, 24], [36, 36, 60, 60]]), "labels": np.array([0, 1])},
        {
            "boxes": np.array([[5, 5, 24, 24], [30, 2, 50, 20]]),
            "labels": np.array([0, 2]),
            "scores": np.array([0.9, 0.7]),
        },
    )
    second = match_image(
        1,
        {"boxes": np.array([[10, 10, 40, 40]]), "labels": np.array([1])},
        {"boxes": np.array([[11, 10, 40, 41]]), "labels": np.array([1]), "scores": np.array([0.8])},
    )
    first.image = np.full((64, 64, 3), 60, np.uint8)
    second.image = np.full((64, 64, 3), 120, np.uint8)
    per_class = {"circle": 1.0, "square": 0.5}
    return DetectionResult(NAMES, 0.5, 0.25, per_class, [first, second])


def test_results_panel_shows_detections_errors_first(qtbot):
    result = hand_made_result()
    assert result.images[0].missed == [1] and result.images[0].false == [1]
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    qtbot.waitExposed(panel)
    finished = TrainingResult("finished", "max_epochs", "Finished", final={"val_map50": 0.5})
    panel.show_results(finished, result)
    assert panel.views.currentWidget() is panel.detection_view
    text = panel.summary.text()
    assert "mAP@0.5 50.00%, mAP@[.5:.95] 25.00% on 2 images" in text
    assert "circle 100.00%, square 50.00%" in text
    assert "3 objects: 1 missed, 1 false detections" in text and "val_map50 50.00%" in text
    grid = panel.samples
    assert grid.count() == 2 and grid.iconSize().width() == DETECTION_THUMB
    worst, good = grid.item(0), grid.item(1)
    assert worst.text() == "1 missed, 1 false" and worst.foreground().color().name() == "#c00000"
    assert "missed square at (36, 36)-(60, 60)" in worst.toolTip()
    assert "false triangle (0.70) at (30, 2)-(50, 20)" in worst.toolTip()
    assert good.text() == "all 1 found" and good.foreground().color().name() == "#0a7a0a"
    assert not worst.icon().isNull() and not panel.all_button.isVisible()
    # The worst image is shown large; clicking the other thumbnail shows that one.
    view = panel.detection_view
    assert view.shown is result.images[0] and view.picture.pixmap().width() > DETECTION_THUMB
    assert "missed square" in view.caption.text()
    rect = grid.visualItemRect(good)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: view.shown is result.images[1])
    assert "1 of 1 found" in view.caption.text()


def test_detection_picture_dashes_missed_objects():
    item = hand_made_result().images[0]
    picture = detection_picture(item, NAMES, 128)  # twice the image's size
    assert picture.shape == (128, 128, 3)
    bottom_edge = picture[120, 76:116]  # the missed square's (36..60 in the image, 1 px wide)
    white = (bottom_edge == 255).all(axis=1)
    assert 0.3 < white.mean() < 0.7  # dashed: white segments with gaps
    left_edge = picture[26:46, 10]  # the circle found, solid in its colour (below its label)
    assert (left_edge != 60).any(axis=1).all() and not (left_edge == 255).all(axis=1).any()


def test_stored_detection_results_show_the_summary(qtbot):
    stored = RunResults.from_dict(
        {
            "status": "finished",
            "stop_reason": "max_epochs",
            "message": "Finished after 1 epoch",
            "epochs": 1,
            "final": {"loss": 1.5, "val_map50": 0.5},
            "detection": hand_made_result().to_dict(),
        }
    )
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    panel.show_stored(stored)
    assert "mAP@0.5 50.00%" in panel.summary.text()
    assert "val_map50 50.00%" in panel.summary.text()
    assert panel.samples_title.text() == NOT_KEPT and panel.samples.count() == 0
    assert panel.views.currentWidget() is panel.detection_view


def tiny_detector_project() -> Project:
    graph, _ = build_tiny_detector_graph((128, 128, 3), 3)
    return Project.from_sections(
        graph,
        "det",
        data={"source": {"kind": "shapes", "images": 48}},
        training={
            "max_epochs": 1,
            "mini_batch_size": 16,
            "solver": "adam",
            "initial_learn_rate": 0.002,
        },
    )


@leaves_saved
def test_detector_trains_in_the_window(qtbot, window, tmp_path, monkeypatch):
    monkeypatch.setenv("ND_CACHE_DIR", str(tmp_path / "cache"))
    actions = training_window(window, tiny_detector_project())
    progress = click_train(qtbot, window, actions)
    qtbot.waitUntil(lambda: not progress.running, timeout=180_000)
    assert progress.result.status == "finished", progress.result.message
    plots = progress.plots
    iterations = int(progress.result.epochs[-1]["iteration"])
    # Above: the epoch's validation mAP@0.5 and mAP@[.5:.95], in percent.
    assert plots.top.isVisible() and plots.top.getAxis("left").labelText == "mAP (%)"
    for item in (plots.metric_curve.val, plots.map_series.val):
        x, y = data_of(item)
        assert x == [iterations] and 0.0 <= y[0] <= 100.0
    # Below: the loss and its box and class parts for every iteration.
    assert len(data_of(plots.loss_curve.raw)[0]) == iterations
    for series in (plots.box_series, plots.class_series):
        x, y = data_of(series.train)
        assert len(x) == iterations and all(math.isfinite(v) for v in y)
        assert data_of(series.val)[0] == [iterations]
    progress.grab()
    qtbot.waitUntil(lambda: shows(plots.top, 1.0, iterations))  # not just the epoch's end
    assert progress.info.text("validation").startswith("every epoch")
    final = progress.findChild(QLabel, "final_val_map50")
    assert final is not None and final.text().endswith("%")
    # Results: the summary, the images with their boxes; the project keeps the summary.
    assert progress.tabs.isTabEnabled(1)
    results = progress.results
    assert isinstance(results.evaluation, DetectionResult)
    assert "Validation mAP@0.5" in results.summary.text() and "AP@0.5 per class" in (
        results.summary.text()
    )
    assert results.samples.count() >= 1 and not results.samples.item(0).icon().isNull()
    assert results.detection_view.shown is results.evaluation.images[0]
    project = window.document.project
    assert all(n.weights is not None for n in project.graph.nodes if n.type == "Conv2D")
    assert "weights are now in the project" in progress.info.note.text()
    stored = plain(project, "results")
    assert stored["detection"]["images"] == len(results.evaluation.images)
    # Shown again from the project (as after reopening it): its per-epoch curves and summary.
    progress.show_stored(project)
    assert data_of(plots.metric_curve.val)[0] == [iterations]
    assert len(data_of(plots.box_series.train)[0]) == 1
    assert results.samples_title.text() == NOT_KEPT
    assert "Validation mAP@0.5" in results.summary.text()
