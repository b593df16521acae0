"""The canvas on big networks, each figure beside a bare-Qt baseline from the same run.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/canvas.py            # everything
    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/canvas.py --skip-models

Parts:

- layout: grandalf's Sugiyama layout against the fast layered layout (``core/layout.py``) on
  chains and residual networks; the designer uses grandalf up to ``SUGIYAMA_MAX`` layers.
- open a 10,000-layer project (a chain of Dense layers, saved laid out): file to a painted
  window, peak memory (``ru_maxrss``, with the resident size before opening for reference),
  the frame time while panning (scroll bar moved, ``viewport().repaint()``) and while zooming,
  at the zoom the window opens at and at "fit all", and an edit's round trip (a SetParams and
  an AddNode pushed to the document -> analysis brought up to date (only what the edit
  reaches is evaluated again) -> scene and panels updated -> repaint), beside one whole
  analysis. Each in a child process of its own so that peak memory is its own.
- start-up (unless ``--skip-startup``): process start to the window's first paint and to the
  analysis shown, beside a bare PySide6 window and ``import keras`` (``benchmarks/startup.py``).
- the baseline: a bare PySide6 QGraphicsView with one plain QGraphicsRectItem per layer and
  one QGraphicsLineItem per link at the same places, measured the same way (open = items made,
  window shown and painted; edit = one rectangle's brush changed and repainted).
- models (unless ``--skip-models``): the sample, ResNet50 and DenseNet201 from ``.keras``
  files and projects, and two gallery tiles: open time, edit round trip, readable zoom.

Targets (issue #13): the 10k project open in under 5 s with memory under 1.5 GB, smooth
panning (a frame well under 16 ms), an edit round trip under 100 ms.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Windows opened here save their geometry, recent files and recovery copies: into a folder of
# this run, never into the user's settings (child processes inherit it).
_SCRATCH = tempfile.mkdtemp(prefix="nd-bench-")
for _key, _sub in (("XDG_CONFIG_HOME", "config"), ("ND_RECOVERY_DIR", "recovery")):
    os.environ.setdefault(_key, os.path.join(_SCRATCH, _sub))

WINDOW = (1400, 900)


# ---------------------------------------------------------------------------- the networks
def chain_graph(n: int):
    """An Input and ``n - 1`` Dense layers in a chain (built without per-edit checks)."""
    from designer.core.graph import LayerGraph

    graph = LayerGraph()
    prev = graph.add("Input", name="input", shape=[16])
    for i in range(1, n):
        nid = graph.add("Dense", name=f"dense_{i}", units=16)
        graph.add_trusted_link(prev, nid, 0)
        prev = nid
    return graph


def residual_graph(n: int):
    """Residual blocks (two Dense and an Add) in a chain, about ``n`` layers."""
    from designer.core.graph import LayerGraph

    graph = LayerGraph()
    prev = graph.add("Input", name="input", shape=[16])
    i = 0
    while len(graph) < n:
        i += 1
        a = graph.add("Dense", name=f"block{i}_a", units=16)
        b = graph.add("Dense", name=f"block{i}_b", units=16)
        add = graph.add("Add", name=f"block{i}_add")
        graph.add_trusted_link(prev, a, 0)
        graph.add_trusted_link(a, b, 0)
        graph.add_trusted_link(b, add, 0)
        graph.add_trusted_link(prev, add, 1)
        prev = add
    return graph


def write_chain_project(n: int, path: Path) -> Path:
    """The ``n``-layer chain, laid out, saved as a project."""
    from designer.app.project import Project, save_project
    from designer.core.layout import auto_layout

    graph = chain_graph(n)
    auto_layout(graph)
    return save_project(Project(graph, f"chain of {n}"), path)


# ---------------------------------------------------------------------------- layout
def layout_part(sizes: list[int], grandalf_max: int) -> None:
    """Seconds of each layout method on chains and residual networks."""
    from designer.core.layout import SUGIYAMA_MAX, layout_positions

    print(f"\nLayout (grandalf Sugiyama up to {SUGIYAMA_MAX} layers, then layered):")
    for make in (chain_graph, residual_graph):
        for n in sizes:
            graph = make(n)
            row = [f"  {make.__name__[:-6]:<9}{len(graph):6d} layers:"]
            for method in ("layered", "sugiyama"):
                if method == "sugiyama" and len(graph) > grandalf_max:
                    row.append(f"{method} (skipped above {grandalf_max})")
                    continue
                start = time.perf_counter()
                try:
                    layout_positions(graph, method=method)
                except RecursionError:  # grandalf recurses once per layer
                    row.append(f"{method} RecursionError")
                    continue
                row.append(f"{method} {time.perf_counter() - start:6.3f} s")
            print("  ".join(row), flush=True)


# ---------------------------------------------------------------------------- children
def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    """ru_maxrss; the children are started before the parent imports anything big, since
    Linux carries the parent's peak over into a child."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _frames(app, view, steps: int = 30) -> dict[str, float]:
    """Median ms of a pan step (the scroll bar moved, Qt scrolls and paints what came into
    view), of a full repaint and of a zoom step (everything drawn afresh)."""
    bar = view.verticalScrollBar()
    app.processEvents()
    pans, repaints, zooms = [], [], []
    for i in range(steps):
        start = time.perf_counter()
        bar.setValue(bar.value() + (37 if i % 2 == 0 else -23))
        app.processEvents()
        pans.append(time.perf_counter() - start)
    for _ in range(steps):
        start = time.perf_counter()
        view.viewport().repaint()
        repaints.append(time.perf_counter() - start)
    for i in range(steps):
        factor = 1.1 if i % 2 == 0 else 1 / 1.1
        start = time.perf_counter()
        view.scale(factor, factor)
        app.processEvents()
        view.viewport().repaint()
        zooms.append(time.perf_counter() - start)
    return {
        "pan": statistics.median(pans) * 1000,
        "repaint": statistics.median(repaints) * 1000,
        "zoom": statistics.median(zooms) * 1000,
    }


def child_designer(path: str) -> dict:
    """Open the project in a MainWindow; every figure of the designer side."""
    from PySide6.QtWidgets import QApplication

    from designer.app.project import load_project
    from designer.ui.document.commands import AddNode, SetParams
    from designer.ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(features=())
    window.resize(*WINDOW)
    window.show()
    app.processEvents()
    before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    project = load_project(path)
    loaded = time.perf_counter() - start
    window.set_project(project)
    view = window.view
    if hasattr(view, "fit_readable"):
        view.fit_readable()
    app.processEvents()
    window.grab()  # forces a full paint
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    out = {
        "layers": len(window.document.graph),
        "items": len(window.scene.nodes),
        "open": seconds,
        "open_cpu": cpu,
        "load": loaded,
        "rss_before": before,
        "peak": _peak_mb(),
        "text_px": view.block_text_px(),
        "opened": _frames(app, view),
    }
    view.fit_all()
    app.processEvents()
    out["fit_all"] = _frames(app, view)
    if hasattr(view, "fit_readable"):
        view.fit_readable()
    app.processEvents()
    out.update(_edits(app, window, SetParams, AddNode))
    out["peak_end"] = _peak_mb()
    window.document.mark_saved()
    return out


def _edits(app, window, set_params, add_node, repeat: int = 9) -> dict[str, float]:
    """Median ms of a parameter edit and of an added layer, through to the repaint: the
    command pushed, the analysis brought up to date (the edited layer and what its change
    reaches, as the document's timer does it at the next event turn), the scene and the
    panels updated, the canvas repainted. Also a layer put on a link (the network order
    changes in the middle) and the whole analysis once, for comparison."""
    from designer.core import edits
    from designer.core.analysis import analyze
    from designer.ui.document.commands import GraphCommand

    document, graph = window.document, window.document.graph
    node = next(n for n in graph.nodes if n.type in ("Conv2D", "Dense"))
    window.view.center_on_node(node.id)
    times, analysis, adds, add_analysis, evaluated = [], [], [], [], []
    for i in range(repeat):
        start = time.perf_counter()
        document.push(set_params(graph, node.id, {"activation": "relu" if i % 2 else "tanh"}))
        document.analyse_now()  # what the coalescing timer does at the next event turn
        app.processEvents()
        window.view.viewport().repaint()
        times.append(time.perf_counter() - start)
        analysis.append(document.last_analysis_ms)
        evaluated.append(len(document.live.visited))
    for _ in range(repeat):
        start = time.perf_counter()
        document.push(add_node(graph, "Dense", (400.0, 100.0)))
        document.analyse_now()
        app.processEvents()
        window.view.viewport().repaint()
        adds.append(time.perf_counter() - start)
        add_analysis.append(document.last_analysis_ms)
    inserts = []
    for i in range(repeat):
        fed = [n for n in document.report.order if graph.inputs_of(n)]
        link = graph.inputs_of(fed[(len(fed) // 2 + 3 * i) % len(fed)])[0]
        nid = graph.new_id()
        steps = [
            edits.Disconnect(link.src, link.dst, link.port),
            edits.AddLayer("Activation", None, (400.0, 100.0), {"activation": "relu"}, nid),
            edits.Connect(link.src, nid, 0, link.src_port),
            edits.Connect(nid, link.dst, link.port),
        ]
        start = time.perf_counter()
        document.push(GraphCommand(graph, steps, "Insert"))
        document.analyse_now()
        app.processEvents()
        window.view.viewport().repaint()
        inserts.append(time.perf_counter() - start)
    start = time.perf_counter()
    analyze(graph)
    whole = (time.perf_counter() - start) * 1000
    ms = statistics.median(times) * 1000
    return {
        "edit": ms,
        "edit_analysis": statistics.median(analysis),
        "edit_evaluated": statistics.median(evaluated),
        "add": statistics.median(adds) * 1000,
        "add_analysis": statistics.median(add_analysis),
        "insert": statistics.median(inserts) * 1000,
        "whole_analysis": whole,
    }


def child_baseline(path: str) -> dict:
    """The same places as plain QGraphicsRectItems and QGraphicsLineItems in a bare view."""
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QBrush, QColor, QPainter
    from PySide6.QtWidgets import QApplication, QGraphicsScene, QGraphicsView

    app = QApplication.instance() or QApplication(sys.argv[:1])
    nodes, links = _plain_graph(path)
    view = QGraphicsView()
    view.setRenderHints(QPainter.RenderHint.Antialiasing)
    view.resize(*WINDOW)
    view.show()
    app.processEvents()
    before = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    scene = QGraphicsScene()
    rects = {}
    brush = QBrush(QColor("#3b6fb6"))
    for nid, (x, y) in nodes.items():
        rects[nid] = scene.addRect(QRectF(x, y, 190, 74), brush=brush)
    for src, dst in links:
        (ax, ay), (bx, by) = nodes[src], nodes[dst]
        scene.addLine(ax + 95, ay + 74, bx + 95, by)
    view.setScene(scene)
    first = next(iter(nodes.values()))
    view.scale(0.84, 0.84)
    view.centerOn(first[0] + 95, first[1] + 300)
    app.processEvents()
    view.grab()
    out = {
        "layers": len(rects),
        "open": time.perf_counter() - start,
        "open_cpu": time.process_time() - cpu,
        "rss_before": before,
        "peak": _peak_mb(),
    }
    out["opened"] = _frames(app, view)
    view.resetTransform()
    rect = scene.itemsBoundingRect()
    view.fitInView(rect)
    app.processEvents()
    out["fit_all"] = _frames(app, view)
    view.resetTransform()
    view.scale(0.84, 0.84)
    view.centerOn(first[0] + 95, first[1] + 300)
    item = list(rects.values())[1]
    times = []
    for i in range(9):
        start = time.perf_counter()
        item.setBrush(QBrush(QColor("#c0504d" if i % 2 else "#3b6fb6")))
        app.processEvents()
        view.viewport().repaint()
        times.append(time.perf_counter() - start)
    out["edit"] = out["add"] = statistics.median(times) * 1000
    out["peak_end"] = _peak_mb()
    return out


def _plain_graph(path: str) -> tuple[dict[str, tuple[float, float]], list[tuple[str, str]]]:
    """Positions and links straight from the project file (no designer, no Keras imported)."""
    import zipfile

    with zipfile.ZipFile(path) as archive:
        data = json.loads(archive.read("project.json"))
    graph = data["graph"]
    nodes = {n["id"]: tuple(n.get("pos", (0.0, 0.0))) for n in graph["nodes"]}
    return nodes, [(link[0], link[1]) for link in graph["links"]]


def run_child(kind: str, path: Path) -> dict:
    """One measurement in a fresh process (its own peak memory)."""
    result = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode or not lines:
        raise SystemExit(f"the {kind} child failed:\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])


def big_part(n: int, folder: Path) -> None:
    """The n-layer project: designer against the bare-Qt baseline."""
    path = folder / f"chain{n}.ndproj"
    run_child(f"write:{n}", path)
    ours, base = run_child("designer", path), run_child("baseline", path)
    print(f"\n{n:,}-layer project ({ours['items']:,} blocks on the canvas) — designer | bare Qt:")
    rows = [
        ("open, file to painted window", "open", "s", "target < 5 s"),
        ("  the same in CPU seconds", "open_cpu", "s", "(less sensitive to a busy machine)"),
        ("peak memory (ru_maxrss)", "peak", "MB", "target < 1500 MB"),
        ("resident before opening", "rss_before", "MB", "Python, Qt, Keras loaded"),
    ]
    for label, key, unit, note in rows:
        print(f"  {label:<34} {ours[key]:9.2f} {unit:<3}| {base[key]:9.2f} {unit:<3} {note}")
    for zoom in ("opened", "fit_all"):
        for what in ("pan", "repaint", "zoom"):
            label = f"{what} frame at {'the opening' if zoom == 'opened' else 'fit-all'} zoom"
            print(
                f"  {label:<34} {ours[zoom][what]:9.2f} ms | {base[zoom][what]:9.2f} ms "
                f"(median; 16 ms is 60 frames/s)"
            )
    print(
        f"  {'edit round trip (SetParams)':<34} {ours['edit']:9.2f} ms | {base['edit']:9.2f} ms "
        f"target < 100 ms; analysis alone {ours['edit_analysis']:.1f} ms "
        f"({ours['edit_evaluated']:.0f} layer(s) evaluated)"
    )
    print(
        f"  {'add a layer (AddNode)':<34} {ours['add']:9.2f} ms | {base['add']:9.2f} ms "
        f"target < 100 ms; analysis alone {ours['add_analysis']:.1f} ms"
    )
    print(f"  {'put a layer on a link':<34} {ours['insert']:9.2f} ms")
    print(f"  whole analysis (analyze) for comparison {ours['whole_analysis']:.0f} ms")
    print(
        f"  load_project alone {ours['load']:.2f} s; opening zoom puts block text at "
        f"{ours['text_px']:.1f} px; peak memory after the edits {ours['peak_end']:.0f} MB "
        f"(baseline {base['peak_end']:.0f} MB)"
    )


# ---------------------------------------------------------------------------- models
def models_part(folder: Path) -> None:
    """Open time, edit round trip and readable zoom for real networks."""
    import keras
    from PySide6.QtWidgets import QApplication

    from designer.app.files import open_path
    from designer.app.project import save_project
    from designer.ui.app import SAMPLE
    from designer.ui.document.commands import AddNode, SetParams
    from designer.ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    cases: list[tuple[str, Path]] = [("LeNet-5 sample", Path(SAMPLE))]
    for name, factory in (
        ("ResNet50", keras.applications.ResNet50),
        ("DenseNet201", keras.applications.DenseNet201),
    ):
        path = folder / f"{name}.keras"
        factory(weights=None).save(path)
        project = folder / f"{name}.ndproj"
        save_project(open_path(path), project)
        cases += [(f"{name} .keras", path), (f"{name} .ndproj", project)]
    print("\nNetworks (open = file to painted window at the readable zoom):")
    for name, path in cases:
        start = time.perf_counter()
        window = MainWindow(features=())
        window.resize(*WINDOW)
        window.files.open(path, ask=False)
        window.view.fit_readable()
        window.show()
        app.processEvents()
        window.grab()
        seconds = time.perf_counter() - start
        figures = _edits(app, window, SetParams, AddNode)
        print(
            f"  {name:<20} {len(window.document.graph):4d} layers: open {seconds:5.2f} s; "
            f"edit {figures['edit']:5.1f} ms (analysis {figures['edit_analysis']:.1f}); "
            f"add {figures['add']:5.1f} ms; insert {figures['insert']:5.1f} ms; "
            f"text {window.view.block_text_px():.1f} px; "
            f"{len(window.scene.groups)} group frames"
        )
        window.document.mark_saved()
        window.close()


def main() -> None:
    """Run the parts asked for."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--layers", type=int, default=10_000)
    parser.add_argument("--skip-models", action="store_true")
    parser.add_argument("--skip-layout", action="store_true")
    parser.add_argument("--skip-startup", action="store_true")
    parser.add_argument("--grandalf-max", type=int, default=2000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, path = args.child
        if kind.startswith("write:"):
            write_chain_project(int(kind.split(":")[1]), Path(path))
            figures: dict = {}
        else:
            figures = child_designer(path) if kind == "designer" else child_baseline(path)
        print(json.dumps(figures))
        return
    folder = Path(tempfile.mkdtemp(prefix="nd-canvas-"))
    if not args.skip_startup:
        from startup import startup_part  # benchmarks/startup.py, beside this file

        print("== start-up: process start to first paint and to the analysis shown")
        startup_part(runs=3)
    big_part(args.layers, folder)  # first: children start from a small parent
    if not args.skip_layout:
        layout_part([1000, 2000, args.layers], args.grandalf_max)
    if not args.skip_models:
        models_part(folder)


if __name__ == "__main__":
    main()
