"""Overhead of training from the GUI: Trainer + Qt sink in a worker thread while an offscreen
Qt event loop redraws the Training Progress curves, against a plain ``model.fit`` script.

Same CNN (same initial weights), data, batch size and optimizer as
``benchmarks/training_overhead.py``; runs alternate; throughput is measured over epochs 2..E
(epoch 1 includes graph tracing in both). Prints both, their ratio (target >= 0.97) and how
often the curves were redrawn.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/training_overhead_qt.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np
from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from training_overhead import BATCH, _clock, _rates, fresh, make_cnn, make_data, run_plain

from designer.training import Trainer, TrainingOptions
from designer.ui.common.worker import TaskRunner
from designer.ui.training.plots import TrainingPlots
from designer.ui.training.progress_window import REDRAW_MS
from designer.ui.training.qt_sink import QtTrainingSink

_TASKS: list[TaskRunner] = []  # one runner for all runs, as in the main window


class ClockedQtSink(QtTrainingSink):
    """The GUI's sink, plus wall/CPU clocks at epoch ends."""

    def __init__(self) -> None:
        super().__init__()
        self.ends: list[tuple[float, float]] = []

    def on_epoch(self, summary) -> None:
        self.ends.append(_clock())
        super().on_epoch(summary)


def run_trainer_qt(template, x, y, epochs) -> tuple[float, float, int]:
    """Throughput of the Trainer + Qt sink in a TaskRunner worker with live, throttled plots."""
    model = fresh(template)
    holder = QWidget()
    plots = TrainingPlots(holder)
    QVBoxLayout(holder).addWidget(plots)
    holder.resize(1000, 650)
    holder.show()
    plots.start(["loss", "accuracy"])
    sink = ClockedQtSink()
    redraws = [0, -1]  # count, last version drawn

    def redraw() -> None:
        if sink.version == redraws[1] or os.environ.get("NO_REDRAW"):
            return
        redraws[1] = sink.version
        plots.update_from(sink.snapshot())
        plots.mark_epochs([e.iteration for e in list(sink.epochs)])
        if not os.environ.get("NO_PAINT"):
            holder.repaint()  # paint now, as a visible window would
        redraws[0] += 1

    timer = QTimer()
    timer.setInterval(REDRAW_MS)
    timer.timeout.connect(redraw)
    options = TrainingOptions(
        solver="adam",
        initial_learn_rate=0.001,
        mini_batch_size=BATCH,
        max_epochs=epochs,
        shuffle="every-epoch",
        l2_regularization=0.0,
        metrics=["accuracy"],
    )
    loop = QEventLoop()
    tasks = _TASKS[0] if _TASKS else _TASKS.append(TaskRunner()) or _TASKS[0]
    failures: list[str] = []
    tasks.start(
        lambda _reporter: Trainer(model, (x, y), None, options, sink).run(),
        lambda _result: loop.quit(),
        lambda msg, _details: (failures.append(msg), loop.quit()),
    )
    timer.start()
    loop.exec()
    timer.stop()
    redraw()
    holder.close()
    if failures:
        raise RuntimeError(failures[0])
    assert len(sink.iterations) == epochs * int(np.ceil(len(x) / BATCH))
    wall, cpu = _rates(len(x), epochs, sink.ends)
    return wall, cpu, redraws[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    if args.epochs < 2:
        parser.error("--epochs expects at least 2 (epoch 1 includes tracing)")
    app = QApplication.instance() or QApplication([])
    x, y = make_data()
    template = make_cnn()
    plain, gui = [], []
    for r in range(args.runs):
        order = ("plain", "gui") if r % 2 == 0 else ("gui", "plain")
        for what in order:
            if what == "plain":
                plain.append(run_plain(template, x, y, args.epochs))
            else:
                gui.append(run_trainer_qt(template, x, y, args.epochs))
        print(
            f"run {r + 1}: plain fit {plain[-1][0]:7.0f}/s wall {plain[-1][1]:7.0f}/s CPU | "
            f"GUI trainer {gui[-1][0]:7.0f}/s wall {gui[-1][1]:7.0f}/s CPU, "
            f"{gui[-1][2]} redraws",
            flush=True,
        )
    for i, what in ((0, "wall"), (1, "CPU")):
        p = statistics.median(r[i] for r in plain)
        t = statistics.median(r[i] for r in gui)
        print(
            f"median samples per {what} second: plain model.fit {p:7.0f}, Trainer + Qt sink + "
            f"live plots {t:7.0f}; ratio {t / p:.3f} (target >= 0.97)"
        )
    del app


if __name__ == "__main__":
    main()
