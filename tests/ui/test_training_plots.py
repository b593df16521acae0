"""The curves stay cheap for long runs; regression results show a scatter and RMSE."""

from __future__ import annotations

import time

import numpy as np
from PySide6.QtWidgets import QVBoxLayout, QWidget

from designer.training.history import TrainingResult
from designer.training.results import RegressionResult
from designer.ui.training.plots import MAX_POINTS, TrainingPlots, decimate, smooth
from designer.ui.training.results_panel import ResultsPanel


def snapshot(n: int) -> dict:
    it = np.arange(1, n + 1, dtype=float)
    rng = np.random.default_rng(0)
    loss = 2.0 * np.exp(-it / (n / 4)) + rng.normal(0, 0.05, n)
    acc = 1 - loss / 3
    val_it = it[::500]
    return {
        "iteration": it,
        "loss": loss,
        "learning_rate": np.full(n, 0.01),
        "metrics": {"accuracy": acc},
        "val_iteration": val_it,
        "val_metrics": {"loss": loss[::500], "accuracy": acc[::500]},
    }


def test_hundred_thousand_iterations_redraw_quickly(qtbot):
    holder = QWidget()  # as in the progress window: the plots inside another widget
    qtbot.addWidget(holder)
    plots = TrainingPlots(holder)
    QVBoxLayout(holder).addWidget(plots)
    holder.resize(800, 600)
    holder.show()
    plots.start(["loss", "accuracy"])
    snap = snapshot(100_000)
    plots.update_from(snap)  # warm up
    t = time.perf_counter()
    for _ in range(5):
        plots.update_from(snap)
        holder.grab()  # paint as well
    per_redraw = (time.perf_counter() - t) / 5
    assert per_redraw < 0.1, f"{per_redraw * 1000:.0f} ms per redraw"
    x, y = plots.loss_curve.raw.getData()
    assert len(x) <= MAX_POINTS
    # The peaks survive decimation: the raw line still reaches the extreme values.
    assert np.nanmax(y) == np.max(snap["loss"]) and np.nanmin(y) == np.min(snap["loss"])
    _, acc = plots.metric_curve.smooth.getData()
    assert 90 < np.nanmax(acc) < 101  # accuracy drawn in percent
    plots.mark_epochs(list(range(1000, 100_001, 1000)))  # 100 epochs: at most 50 lines
    assert 0 < len(plots.epoch_lines) <= 2 * 50


def test_smooth_and_decimate():
    y = np.array([1.0, np.nan, 3.0, 3.0])
    s = smooth(y, 0.5)
    assert s[0] == 1.0 and s[1] == 1.0 and s[2] == 2.0 and s[3] == 2.5
    x = np.arange(10.0)
    assert decimate(x, x, 20)[0] is x
    xs, ys = decimate(np.arange(1000.0), np.arange(1000.0), 100, peaks=False)
    assert len(xs) <= 101 and xs[-1] == 999


def test_regression_results_show_scatter_and_rmse(qtbot):
    panel = ResultsPanel()
    qtbot.addWidget(panel)
    true = np.linspace(-15, 15, 50)[:, None]
    reg = RegressionResult(true, true + 2.0)
    result = TrainingResult(
        status="finished",
        stop_reason="max_epochs",
        message="Finished",
        final={"loss": 4.0, "val_rmse": 2.0},
    )
    panel.show_results(result, reg)
    assert panel.views.currentWidget() is panel.scatter
    assert "RMSE 2" in panel.scatter.getPlotItem().titleLabel.text
    assert "Validation RMSE 2" in panel.summary.text()
    items = panel.scatter.getPlotItem().listDataItems()
    assert len(items[0].getData()[0]) == 50


def test_mark_phases_draws_one_labelled_line_per_plot(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.start(["loss", "accuracy"])
    plots.update_from(snapshot(3000))
    plots.mark_epochs([1000, 2000, 3000])
    plots.mark_phases([1501])
    assert [(plot, line.value()) for plot, line in plots.phase_lines] == [
        (plots.top, 1501),
        (plots.bottom, 1501),
    ]
    assert all(line.label.textItem.toPlainText() == "phase 2" for _, line in plots.phase_lines)
    assert len(plots.epoch_lines) == 6  # the phase lines are apart from the epoch lines
    plots.mark_phases([1501])  # unchanged: nothing redrawn
    assert len(plots.phase_lines) == 2
    plots.start(["loss"])  # a new run clears them
    assert plots.phase_lines == [] and plots._phases_marked == []


def test_loss_axis_shows_real_values_without_si_scaling(qtbot):
    plots = TrainingPlots()
    qtbot.addWidget(plots)
    plots.resize(600, 400)
    plots.show()
    plots.start(["loss", "accuracy"])
    snap = snapshot(200)
    snap["loss"] = snap["loss"] / 1000  # a well-trained network: losses around 0.001
    plots.update_from(snap)
    plots.bottom.setYRange(0.0, 0.002, padding=0)
    axis = plots.bottom.getAxis("left")
    assert axis.labelText == "Loss" and "x0.001" not in axis.labelString()
    assert axis.autoSIPrefixScale == 1.0  # tick labels are the real values
