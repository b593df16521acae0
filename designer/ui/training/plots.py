"""The two curves of the Training Progress window: accuracy (or RMSE) above, loss below; for a
detector, its validation mAP above (measured per epoch only) and its loss with the box and
class losses below.

Per plot: the raw per-iteration values as a faint line, an exponentially smoothed line, the
validation points joined by a dashed line, dotted vertical lines at epoch ends, a labelled
dashed line where a later training phase starts and, after the run, a marker with the final
validation value. A run stored in a project is drawn from its per-epoch values instead (the
training line with a point per epoch, the same validation line and marker). Long runs are decimated before drawing (min/max per bucket for the raw
line), so 100,000 iterations redraw in a few milliseconds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtWidgets import QWidget

MAX_POINTS = 2000  # points drawn per line at most
MAX_EPOCH_LINES = 50
SMOOTHING = 0.7  # weight of the previous smoothed value
MAP50 = "map50"  # a detector's headline metric: COCO mAP at IoU 0.5 (0..1), per epoch


def is_detection(names: Sequence[str]) -> bool:
    """Whether metric names (a run's, or a stored history's columns) are a detector's."""
    return MAP50 in names or f"val_{MAP50}" in names


def is_percent(key: str) -> bool:
    """Whether a metric (``val_`` or not) is a share shown in percent: accuracies, mAPs."""
    name = key.removeprefix("val_")
    return name.endswith("accuracy") or name in (MAP50, "map")


def pick_metric(names: list[str]) -> str | None:
    """The metric plotted above the loss: a detector's mAP@0.5, an accuracy, else an
    RMSE/MAE, else None."""
    if is_detection(names):
        return MAP50
    for suffix in ("accuracy", "rmse", "mae"):
        for name in names:
            if name.endswith(suffix) and not name.startswith("val_"):
                return name
    return None


def metric_label(name: str | None) -> tuple[str, float]:
    """(axis title, scale factor) for a metric name; accuracies are shown in percent."""
    if name is None:
        return "", 1.0
    if name.endswith("accuracy"):
        return "Accuracy (%)", 100.0
    if name == MAP50:
        return "mAP (%)", 100.0
    return name.upper() if name.endswith(("rmse", "mae")) else name, 1.0


def smooth(values: np.ndarray, weight: float = SMOOTHING) -> np.ndarray:
    """Exponential moving average starting at the first value; NaNs carry the last value."""
    y = np.asarray(values, dtype=float)
    if y.size == 0:
        return y
    bad = ~np.isfinite(y)
    if bad.any():
        idx = np.where(bad, 0, np.arange(len(y)))
        np.maximum.accumulate(idx, out=idx)
        y = y[idx]
        if not math.isfinite(y[0]):
            return np.full(len(y), np.nan)
    from scipy.signal import lfilter  # 0.9 s to import: not with the window

    out, _ = lfilter([1.0 - weight], [1.0, -weight], y, zi=[weight * y[0]])
    return out


def decimate(
    x: np.ndarray, y: np.ndarray, max_points: int = MAX_POINTS, peaks: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """At most ``max_points`` points: min and max of each bucket (``peaks``) or every k-th."""
    n = len(x)
    if n <= max_points:
        return x, y
    if not peaks:
        step = math.ceil(n / max_points)
        idx = np.arange(0, n, step)
        if idx[-1] != n - 1:
            idx = np.append(idx, n - 1)
        return x[idx], y[idx]
    buckets = max_points // 2
    size = math.ceil(n / buckets)
    pad = size * buckets - n
    yy = np.concatenate([y, np.full(pad, np.nan)]).reshape(buckets, size)
    xx = np.concatenate([x, np.full(pad, x[-1])]).reshape(buckets, size)
    with np.errstate(invalid="ignore"), _quiet():
        lo, hi = np.nanmin(yy, axis=1), np.nanmax(yy, axis=1)
    xs = np.stack([xx[:, 0], xx[:, -1]], axis=1).reshape(-1)
    ys = np.stack([lo, hi], axis=1).reshape(-1)
    return xs, ys


class _quiet:
    """Silence numpy's all-NaN-slice warnings inside a block."""

    def __enter__(self) -> None:
        import warnings

        self._ctx = warnings.catch_warnings()
        self._ctx.__enter__()
        warnings.simplefilter("ignore", RuntimeWarning)

    def __exit__(self, *exc: Any) -> None:
        self._ctx.__exit__(*exc)


class _Curve:
    """The lines of one plot: raw, smoothed, validation, final marker."""

    def __init__(
        self, plot: pg.PlotItem, colour: str, faint: str, text_anchor: tuple[float, float]
    ) -> None:
        self.plot = plot
        self.raw = plot.plot(pen=pg.mkPen(faint, width=1), name="Training")
        self.smooth = plot.plot(pen=pg.mkPen(colour, width=2), name="Smoothed training")
        self.val = plot.plot(
            pen=pg.mkPen("k", width=1.5, style=Qt.PenStyle.DashLine),
            symbol="o",
            symbolSize=6,
            symbolBrush="k",
            symbolPen="k",
            name="Validation",
        )
        self.final = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(colour), pen=pg.mkPen("k"))
        self.final_text = pg.TextItem(anchor=text_anchor, color="k")
        plot.addItem(self.final)
        plot.addItem(self.final_text)
        self.colour, self.faint = colour, faint

    def clear(self) -> None:
        for item in (self.raw, self.smooth, self.val):
            item.setData([], [])
        self.raw.setPen(pg.mkPen(self.faint, width=1))  # as live runs draw it
        self.raw.setSymbol(None)
        self.final.setData([], [])
        self.final_text.setText("")

    def show_epochs(self, x: np.ndarray, train: np.ndarray | None, val: np.ndarray | None) -> int:
        """Per-epoch values (a stored run): the training line in the plot's colour with a point
        per epoch, the validation line as live runs draw it; returns the points drawn."""
        drawn = 0
        if train is not None:
            self.raw.setPen(pg.mkPen(self.colour, width=2))
            self.raw.setSymbol("o")
            self.raw.setSymbolSize(5)
            self.raw.setSymbolBrush(self.colour)
            self.raw.setSymbolPen(self.colour)
            self.raw.setData(x, train, connect="finite")
            drawn += len(train)
        if val is not None:  # joined from one validated epoch to the next, as live
            known = np.isfinite(x) & np.isfinite(val)
            self.val.setData(x[known], val[known])
            drawn += int(known.sum())
        return drawn

    def mark_final(self, x: float, y: float, scale: float) -> None:
        """The final marker and its text at (x, y) (y already scaled)."""
        if not (math.isfinite(x) and math.isfinite(y)):
            return
        self.final.setData([x], [y])
        self.final_text.setText(f"Final {y:.2f}%" if scale == 100.0 else f"Final {y:.4g}")
        self.final_text.setPos(x, y)


class _Series:
    """One more metric in a plot, in its own colour: the smoothed training values as a line,
    the validation values as a dashed line with points (a detector's box and class losses,
    its mAP@[.5:.95])."""

    def __init__(
        self, plot: pg.PlotItem, key: str, name: str, colour: str, symbol: str, scale: float = 1.0
    ) -> None:
        self.key, self.name, self.scale = key, name, scale
        self.train = pg.PlotDataItem(pen=pg.mkPen(colour, width=1.5))
        self.val = pg.PlotDataItem(
            pen=pg.mkPen(colour, width=1.2, style=Qt.PenStyle.DashLine),
            symbol=symbol,
            symbolSize=6,
            symbolBrush=colour,
            symbolPen=colour,
        )
        for item in (self.train, self.val):
            plot.addItem(item)  # unnamed: the plot's legend lists it only for a detector

    def legend(self, trained: bool) -> list[tuple[pg.PlotDataItem, str]]:
        """The legend entries: the training line (when there is one) and the validation."""
        entries = [(self.train, f"{self.name.capitalize()} (smoothed)")] if trained else []
        return [*entries, (self.val, f"Validation {self.name}")]

    def clear(self) -> None:
        self.train.setData([], [])
        self.val.setData([], [])

    def update_from(self, snap: dict[str, Any]) -> int:
        """Draw from a RecordingSink snapshot; returns the points drawn."""
        x, drawn = snap["iteration"], 0
        y = snap["metrics"].get(self.key)
        if y is not None and len(x):
            sx, sy = decimate(x, smooth(y) * self.scale, peaks=False)
            self.train.setData(sx, sy, connect="finite")
            drawn += len(sx)
        val = snap["val_metrics"].get(self.key)
        if val is not None and len(snap["val_iteration"]):
            self.val.setData(snap["val_iteration"], val * self.scale, connect="finite")
            drawn += len(val)
        return drawn

    def show_history(self, x: np.ndarray, history: Mapping[str, Sequence[float | None]]) -> int:
        """Draw a stored run's per-epoch values; returns the points drawn."""
        drawn = 0
        for item, key in ((self.train, self.key), (self.val, f"val_{self.key}")):
            if key in history:
                y = _column(history[key]) * self.scale
                known = np.isfinite(x) & np.isfinite(y)
                item.setData(x[known], y[known])
                drawn += int(known.sum())
        return drawn


class TrainingPlots(pg.GraphicsLayoutWidget):
    """Accuracy/RMSE (or a detector's mAP) and loss plots fed with RecordingSink snapshots."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("w")
        self.metric: str | None = None
        self.scale = 1.0
        self.top = self.addPlot(row=0, col=0)
        self.bottom = self.addPlot(row=1, col=0)
        for plot in (self.top, self.bottom):
            # No grid: pyqtgraph draws grid lines in Python on every repaint, which made a
            # redraw ~25 ms instead of ~4 ms and slowed training through the GIL.
            plot.setLabel("bottom", "Iteration")
            for side in ("left", "bottom"):  # real values: no "Loss (x0.001)" SI scaling
                plot.getAxis(side).enableAutoSIPrefix(False)
        self.bottom.setLabel("left", "Loss")
        self.bottom.setXLink(self.top)
        self.top.addLegend(offset=(-10, -10), labelTextColor="k")  # lower right: curves rise
        self.bottom.addLegend(offset=(-10, 10), labelTextColor="k")
        self.metric_curve = _Curve(self.top, "#0072BD", "#9ccbec", (1.0, -0.1))
        self.loss_curve = _Curve(self.bottom, "#D95319", "#f2b9a0", (1.0, 1.1))
        # a detector's other lines: mAP@[.5:.95] above, its two losses below
        self.map_series = _Series(self.top, "map", "mAP@[.5:.95]", "#0072BD", "s", 100.0)
        self.box_series = _Series(self.bottom, "box_loss", "box loss", "#77AC30", "t")
        self.class_series = _Series(self.bottom, "class_loss", "class loss", "#7E2F8E", "d")
        self.series: list[_Series] = []  # those of the current run
        # An unseen line at 0 over the iterations so far: with a point per epoch only, the mAP
        # plot still spans them as the loss does (the two share the x axis, and either one's
        # automatic range would otherwise clip the other's), and its range starts at 0.
        self.span = pg.PlotDataItem(pen=pg.mkPen(0, 0, 0, 0))
        self.top.addItem(self.span)
        self.epoch_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._epochs_marked: list[int] = []
        self.phase_lines: list[tuple[pg.PlotItem, pg.InfiniteLine]] = []
        self._phases_marked: list[int] = []
        self.points_drawn = 0

    def start(self, metric_names: list[str]) -> None:
        """Clear the plots for a new run whose metrics are ``metric_names``."""
        self.metric = pick_metric(metric_names)
        label, self.scale = metric_label(self.metric)
        self.top.setLabel("left", label or "Metric")
        self.top.setVisible(self.metric is not None)
        for plot in (self.top, self.bottom):
            plot.setLabel("bottom", "Iteration")
        detector = self.metric == MAP50
        if self.scale == 100.0 and not detector:
            self.top.setYRange(0, 100, padding=0.02)
        else:  # a detector's early mAPs are a few percent: from 0 to the highest one
            self.top.enableAutoRange(axis="y")
        # a detector's mAP rises from 0 at the left: its legend goes upper left
        self.top.legend.setOffset((10, 10) if detector else (-10, -10))
        self.metric_curve.clear()
        self.loss_curve.clear()
        lines = [self.map_series, self.box_series, self.class_series]
        self.series = lines if detector else []
        for series in lines:
            series.clear()
        self.span.setData([], [])
        self._fill_legends()
        self._remove_epoch_lines()
        self._epochs_marked.clear()
        self.mark_phases([])

    def _fill_legends(self) -> None:
        """Name the lines in the legends: as always, or a detector's mAPs and losses."""
        top, loss = self.metric_curve, self.loss_curve
        if self.series:
            top_entries = [(top.val, "Validation mAP@0.5"), *self.map_series.legend(False)]
            bottom_entries = [
                (loss.raw, "Training loss"),
                (loss.smooth, "Smoothed training loss"),
                (loss.val, "Validation loss"),
                *self.box_series.legend(True),
                *self.class_series.legend(True),
            ]
        else:
            top_entries, bottom_entries = _plain_legend(top), _plain_legend(loss)
        for plot, entries in ((self.top, top_entries), (self.bottom, bottom_entries)):
            legend = plot.legend
            if [(sample.item, label.text) for sample, label in legend.items] != entries:
                legend.clear()
                legend.setColumnCount(2 if len(entries) > 4 else 1)
                for item, name in entries:
                    legend.addItem(item, name)

    def _remove_epoch_lines(self) -> None:
        for plot, line in self.epoch_lines:
            plot.removeItem(line)
        self.epoch_lines.clear()

    def update_from(self, snap: dict[str, Any]) -> None:
        """Redraw from a RecordingSink snapshot."""
        x = snap["iteration"]
        drawn = 0
        for curve, y, val, scale in self._pairs(snap):
            if y is not None and len(x):
                rx, ry = decimate(x, y * scale)
                curve.raw.setData(rx, ry, connect="finite")
                sx, sy = decimate(x, smooth(y * scale), peaks=False)
                curve.smooth.setData(sx, sy, connect="finite")
                drawn += len(rx) + len(sx)
            if val is not None and len(snap["val_iteration"]):
                curve.val.setData(snap["val_iteration"], val * scale, connect="finite")
                drawn += len(val)
        for series in self.series:
            drawn += series.update_from(snap)
        self._span(x)
        self.points_drawn = drawn

    def _span(self, x: np.ndarray) -> None:
        """A detector's mAP plot spans the iterations ``x`` and starts at 0."""
        known = x[np.isfinite(x)]
        if self.series and len(known):
            self.span.setData([known[0], known[-1]], [0.0, 0.0])

    def _pairs(
        self, snap: dict[str, Any]
    ) -> list[tuple[_Curve, np.ndarray | None, np.ndarray | None, float]]:
        """(curve, training values, validation values, scale) per plot with values (a
        detector's mAP has validation values only)."""
        pairs: list[tuple[_Curve, np.ndarray | None, np.ndarray | None, float]] = [
            (self.loss_curve, snap["loss"], snap["val_metrics"].get("loss"), 1.0)
        ]
        metric = self.metric
        if metric is not None and (metric in snap["metrics"] or metric in snap["val_metrics"]):
            train, val = snap["metrics"].get(metric), snap["val_metrics"].get(metric)
            pairs.append((self.metric_curve, train, val, self.scale))
        return pairs

    def mark_epochs(self, ends: list[int]) -> None:
        """Dotted vertical lines at the given epoch-end iterations (at most 50, evenly spread)."""
        step = max(1, math.ceil(len(ends) / MAX_EPOCH_LINES))
        wanted = ends[step - 1 :: step]
        if wanted == self._epochs_marked:
            return
        self._remove_epoch_lines()
        pen = pg.mkPen((120, 120, 120), width=1, style=Qt.PenStyle.DotLine)
        for it in wanted:
            for plot in (self.top, self.bottom):
                line = pg.InfiniteLine(pos=it, angle=90, pen=pen, movable=False)
                plot.addItem(line, ignoreBounds=True)
                self.epoch_lines.append((plot, line))
        self._epochs_marked = list(wanted)

    def mark_phases(self, starts: list[int]) -> None:
        """A dashed vertical line labelled "phase 2" (3, ...) where each later phase starts."""
        if list(starts) == self._phases_marked:
            return
        for plot, line in self.phase_lines:
            plot.removeItem(line)
        self.phase_lines.clear()
        pen = pg.mkPen((120, 40, 160), width=2, style=Qt.PenStyle.DashLine)
        for k, it in enumerate(starts, 2):
            for plot in (self.top, self.bottom):
                line = pg.InfiniteLine(
                    pos=it,
                    angle=90,
                    pen=pen,
                    movable=False,
                    label=f"phase {k}",
                    labelOpts={
                        "position": 0.95,
                        "color": (120, 40, 160),
                        "anchors": [(0, 0), (0, 0)],
                    },
                )
                plot.addItem(line, ignoreBounds=True)
                self.phase_lines.append((plot, line))
        self._phases_marked = list(starts)

    def show_final(self, snap: dict[str, Any]) -> None:
        """Mark the last validation value of each plot (or the last smoothed training value)."""
        for curve, y, val, scale in self._pairs(snap):
            if val is not None and len(val) and math.isfinite(val[-1]):
                xv, yv = snap["val_iteration"][-1], val[-1] * scale
            elif y is not None and len(y):
                xv, yv = snap["iteration"][-1], smooth(y)[-1] * scale
            else:
                continue
            curve.mark_final(float(xv), float(yv), scale)

    def show_history(self, history: Mapping[str, Sequence[float | None]]) -> None:
        """Draw a stored run's per-epoch curves (a project's ``RunResults.history``): per plot
        the training values and the ``val_`` ones at each epoch's last iteration, dotted
        lines at the epoch ends and the final marker, as a live run draws them at epoch
        granularity. Call :meth:`start` first with the history's metric names."""
        n = max((len(v) for v in history.values()), default=0)
        if n == 0:
            return
        x_key = next((k for k in ("iteration", "epoch") if k in history), None)
        x = _column(history[x_key]) if x_key else np.arange(1.0, n + 1)
        if x_key == "epoch":
            self.top.setLabel("bottom", "Epoch")
            self.bottom.setLabel("bottom", "Epoch")
        drawn = 0
        plots = [(self.loss_curve, "loss", 1.0)]
        if self.metric is not None:
            plots.append((self.metric_curve, self.metric, self.scale))
        for curve, key, scale in plots:
            train = _column(history[key]) * scale if key in history else None
            val = _column(history[f"val_{key}"]) * scale if f"val_{key}" in history else None
            drawn += curve.show_epochs(x, train, val)
            for y in (val, train):  # the last validation value, else the last training one
                last = _last_finite(x, y)
                if last is not None:
                    curve.mark_final(*last, scale)
                    break
        for series in self.series:
            drawn += series.show_history(x, history)
        self._span(x)
        self.points_drawn = drawn
        self.mark_epochs([int(v) for v in x if math.isfinite(v)] if x_key == "iteration" else [])

    def export(self, path: str) -> None:
        """Save both plots as PNG (any other suffix than .svg) or SVG."""
        if path.lower().endswith(".svg"):
            self._export_svg(path)
            return
        from pyqtgraph.exporters import ImageExporter

        ImageExporter(self.ci).export(path)

    def _export_svg(self, path: str) -> None:
        # pyqtgraph 0.14's SVGExporter cannot parse the path data Qt 6.12 writes, so the
        # scene is rendered through Qt's own SVG generator instead.
        from PySide6.QtGui import QPainter
        from PySide6.QtSvg import QSvgGenerator

        rect = self.ci.sceneBoundingRect()
        generator = QSvgGenerator()
        generator.setFileName(path)
        generator.setSize(QSize(int(rect.width()), int(rect.height())))
        generator.setViewBox(QRectF(0, 0, rect.width(), rect.height()))
        generator.setTitle("Training progress")
        painter = QPainter(generator)
        try:
            self.scene().render(painter, QRectF(0, 0, rect.width(), rect.height()), rect)
        finally:
            painter.end()


def _plain_legend(curve: _Curve) -> list[tuple[pg.PlotDataItem, str]]:
    """The legend entries of a classification or regression plot."""
    return [(curve.raw, "Training"), (curve.smooth, "Smoothed training"), (curve.val, "Validation")]


def _column(values: Sequence[float | None]) -> np.ndarray:
    """A stored column as floats, None as NaN."""
    return np.array([math.nan if v is None else v for v in values], dtype=float)


def _last_finite(x: np.ndarray, y: np.ndarray | None) -> tuple[float, float] | None:
    """(x, y) of the last point where both are finite, if any."""
    if y is None:
        return None
    good = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    return (float(x[good[-1]]), float(y[good[-1]])) if len(good) else None
