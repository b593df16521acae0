"""Time from start to an interactive window, and an edit's round trip to the scene.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/canvas.py

"Open" = open the file (sample project, a .keras model imported and laid out, or the same
network saved as a project) or a start-page tile (random weights: no variables are made), analyse, build the scene and paint the window once. For .keras
files most of the time is Keras' own ``keras.saving.load_model`` (printed for reference); the
project format (.ndproj) reads weights lazily and shows what the designer itself costs. "Edit round trip" = a parameter edit through the
undo stack -> graph event -> analysis -> items and analysis table updated -> repaint.
Targets: DenseNet201 (708 layers) opens from a project in about a second, from a .keras file
in under 3 s; an edit round trip under 50 ms.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
from PySide6.QtWidgets import QApplication

from designer.app.files import open_path
from designer.app.project import save_project
from designer.ui.app import SAMPLE
from designer.ui.document.commands import SetParams
from designer.ui.shell.main_window import MainWindow


def timed_open(app: QApplication, fill) -> tuple[float, MainWindow]:
    """Seconds from a new window, through ``fill(window)`` (what opens the network), to the
    window painted once."""
    start = time.perf_counter()
    window = MainWindow(load_extensions=False)
    window.resize(1400, 900)
    fill(window)
    window.show()
    app.processEvents()
    window.grab()  # forces a full paint
    return time.perf_counter() - start, window


def open_file(window: MainWindow, path: Path) -> None:
    """Open a project or model file, as File > Open does."""
    window.files.open(path, ask=False)


def open_tile(window: MainWindow, entry: str) -> None:
    """Open a zoo entry with random weights, as a start-page tile does (no variables made)."""
    from designer.app.gallery import BuildRequest, build_project

    window.set_project(build_project(BuildRequest(entry)))


def edit_round_trip(app: QApplication, window: MainWindow, repeat: int = 20) -> float:
    """Median ms of a parameter edit reaching the scene and the analysis table."""
    graph = window.document.graph
    node = next(n for n in graph.nodes if n.type in ("Conv2D", "Dense"))
    key = "activation"
    times = []
    for i in range(repeat):
        value = "relu" if i % 2 else "tanh"
        start = time.perf_counter()
        window.document.push(SetParams(graph, node.id, {key: value}))
        window.document.analyse_now()  # what the coalescing timer does at the next event turn
        app.processEvents()
        window.view.viewport().repaint()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def main() -> None:
    """Print the figures for the sample, ResNet50 and DenseNet201."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    folder = Path(tempfile.mkdtemp())
    cases = [("LeNet-5 sample", SAMPLE)]
    for name, factory in (
        ("ResNet50", keras.applications.ResNet50),
        ("DenseNet201", keras.applications.DenseNet201),
    ):
        path = folder / f"{name}.keras"
        factory(weights=None).save(path)
        start = time.perf_counter()
        keras.saving.load_model(path)
        print(f"{name}: keras.saving.load_model alone takes {time.perf_counter() - start:.2f} s")
        project = folder / f"{name}.ndproj"
        save_project(open_path(path), project)
        cases += [(f"{name} .keras", path), (f"{name} .ndproj", project)]
    openers = [(name, lambda w, path=path: open_file(w, path)) for name, path in cases]
    openers += [
        (f"{entry} gallery", lambda w, entry=entry: open_tile(w, entry))
        for entry in ("densenet201", "efficientnet_b7")
    ]
    for name, fill in openers:
        seconds, window = timed_open(app, fill)
        ms = edit_round_trip(app, window)
        print(
            f"{name:<24} {len(window.document.graph):4d} layers: open {seconds:5.2f} s "
            f"(target < 3 s); edit round trip {ms:5.1f} ms (target < 50 ms); "
            f"analysis {window.document.last_analysis_ms:.1f} ms"
        )
        window.document.mark_saved()
        window.close()


if __name__ == "__main__":
    main()
