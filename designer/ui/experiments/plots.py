"""The Experiment Manager's plots: the chosen trials' curves overlaid, parallel coordinates
of every completed trial, and Optuna's parameter importance as bars."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QWidget

from designer.app.experiment_table import ParallelAxes
from designer.training.study import TrialRecord
from designer.ui.experiments.trials_model import column_title

PALETTE = ("#1565c0", "#c62828", "#2e7d32", "#6a1b9a", "#ef6c00", "#00838f", "#5d4037")


class CurvesPlot(pg.PlotWidget):
    """One line per chosen trial: a metric of its history against the epoch."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.showGrid(x=True, y=True, alpha=0.25)
        self.setLabel("bottom", "Epoch")
        self.getAxis("left").enableAutoSIPrefix(False)
        self.legend = self.addLegend(offset=(-10, 10))
        self.drawn: list[int] = []  # trial numbers drawn

    def show_trials(self, records: list[TrialRecord], metric: str) -> None:
        """Draw ``metric`` of each of ``records`` (those without it are left out)."""
        self.clear()
        self.legend.clear()
        self.setLabel("left", metric)
        self.drawn = []
        for i, record in enumerate(records):
            values = record.history.get(metric) or []
            points = [(e + 1, v) for e, v in enumerate(values) if v is not None]
            if not points:
                continue
            x, y = zip(*points, strict=True)
            colour = PALETTE[i % len(PALETTE)]
            self.plot(
                list(x),
                list(y),
                pen=pg.mkPen(colour, width=2),
                symbol="o",
                symbolSize=5,
                symbolBrush=colour,
                name=f"trial {record.number} ({record.state.lower()})",
            )
            self.drawn.append(record.number)


class ParallelPlot(pg.PlotWidget):
    """Parallel coordinates: an axis per parameter and the objective last; a line per
    completed trial, coloured from the worst (light) to the best (dark) objective."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.hideAxis("left")
        self.setMouseEnabled(x=False, y=False)
        self.setTitle("One line per completed trial; the darker, the better its objective")
        self.lines = 0

    def show_axes(self, axes: ParallelAxes, maximize: bool) -> None:
        """Draw ``axes`` (from :func:`designer.app.experiment_table.parallel_axes`)."""
        self.clear()
        count = len(axes.names)
        names = [column_title(n) for n in axes.names]
        self.getAxis("bottom").setTicks([list(enumerate(names))])
        for i in range(count):
            self.addItem(pg.InfiniteLine(i, angle=90, pen=pg.mkPen("#9e9e9e")))
            for position, label in axes.ticks[i] if i < len(axes.ticks) else []:
                text = pg.TextItem(label, color="#424242", anchor=(0, 0.5))
                text.setPos(i + 0.02, position)
                self.addItem(text)
        low, high = (min(axes.values), max(axes.values)) if axes.values else (0.0, 1.0)
        colours = pg.colormap.get("viridis")
        for (_number, positions), value in zip(axes.lines, axes.values, strict=True):
            share = 0.5 if high == low else (value - low) / (high - low)
            share = share if maximize else 1.0 - share  # the best trials are dark
            colour = colours.map(0.85 - 0.85 * share, mode="qcolor")
            self.plot(list(range(count)), positions, pen=pg.mkPen(colour, width=2))
        self.lines = len(axes.lines)
        self.setXRange(-0.35, max(count - 1, 1) + 0.45)
        self.setYRange(-0.05, 1.05)


class ImportancePlot(pg.PlotWidget):
    """Horizontal bars: each parameter's importance for the objective (they sum to 1)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, background="w")
        self.setLabel("bottom", "Importance (fANOVA)")
        self.setMouseEnabled(x=False, y=False)
        self.values: dict[str, float] = {}

    def show_importances(self, values: dict[str, float]) -> None:
        """Draw ``values`` (parameter -> importance), the most important on top."""
        self.clear()
        self.values = dict(values)
        ranked = sorted(values.items(), key=lambda kv: kv[1])
        if not ranked:
            self.getAxis("left").setTicks([[]])
            return
        ys = list(range(len(ranked)))
        bars = pg.BarGraphItem(
            x0=0, y=ys, height=0.6, width=[v for _, v in ranked], brush="#1565c0"
        )
        self.addItem(bars)
        self.getAxis("left").setTicks(
            [[(y, name) for y, (name, _) in zip(ys, ranked, strict=True)]]
        )
        self.setXRange(0, 1.0)
        self.setYRange(-0.6, len(ranked) - 0.4)
