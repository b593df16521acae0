"""Import + layout + analysis of big keras.applications networks, one-edit re-analysis, and
build_model against the keras.applications constructor.

    .venv/bin/python benchmarks/analysis.py [--repeat 3]

Targets (2-core machine): DenseNet201 import + layout + analysis < 1.5 s; one-edit
re-analysis < 50 ms; build_model within 1.5x of constructing the same keras.applications model.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras

from designer.core.analysis import analyze
from designer.core.build import build_model, graph_from_model
from designer.core.graph import LayerGraph
from designer.core.layout import layout_positions

MODELS = {
    "DenseNet201": keras.applications.DenseNet201,
    "EfficientNetB7": keras.applications.EfficientNetB7,
}


def timed(fn, *args, **kwargs):
    """(seconds, result) of one call."""
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def bench(name: str, repeat: int) -> None:
    """Print the figures for one network."""
    factory = MODELS[name]
    ctor, model = timed(factory, weights=None)
    rows: dict[str, list[float]] = {
        k: []
        for k in (
            "import",
            "layout",
            "analysis",
            "total",
            "fresh_analysis",
            "edit_same_shape",
            "edit_shape_change",
            "build",
            "constructor",
        )
    }
    for _ in range(repeat):
        t_import, graph = timed(graph_from_model, model)
        t_layout, _pos = timed(layout_positions, graph)
        t_analysis, report = timed(analyze, graph)
        rows["import"].append(t_import)
        rows["layout"].append(t_layout)
        rows["analysis"].append(t_analysis)
        rows["total"].append(t_import + t_layout + t_analysis)
        fresh = LayerGraph.from_dict(graph.to_dict())  # as when opening a saved project
        rows["fresh_analysis"].append(timed(analyze, fresh)[0])
        dense = next(n for n in graph.nodes if n.type == "Conv2D")
        graph.set_params(dense.id, activation="relu")  # shape unchanged: one layer again
        rows["edit_same_shape"].append(timed(analyze, graph)[0])
        conv = [n for n in graph.nodes if n.type == "Conv2D"][-3]
        graph.set_params(conv.id, filters=conv.params["filters"] + 8)  # changes shapes below
        t_edit, r2 = timed(analyze, graph)
        rows["edit_shape_change"].append(t_edit)
        graph.set_params(conv.id, filters=conv.params["filters"] - 8)
        rows["build"].append(timed(build_model, graph)[0])
        rows["constructor"].append(timed(factory, weights=None)[0])
        assert report.ok and report.total_params == model.count_params()
    med = {k: statistics.median(v) for k, v in rows.items()}
    print(
        f"\n{name}: {len(graph)} layers, {report.total_params:,} parameters "
        f"(first constructor call {ctor:.2f} s)"
    )
    for key in ("import", "layout", "analysis", "total", "fresh_analysis"):
        print(f"  {key:<22} {med[key] * 1000:8.1f} ms")
    print(
        f"  {'edit, same shapes':<22} {med['edit_same_shape'] * 1000:8.1f} ms  (recomputed 1 layer)"
    )
    print(
        f"  {'edit, shapes change':<22} {med['edit_shape_change'] * 1000:8.1f} ms  "
        f"(recomputed {r2.recomputed} layers)"
    )
    print(f"  build_model            {med['build']:8.2f} s")
    print(f"  keras.applications     {med['constructor']:8.2f} s")
    print(f"  ratio build/constructor {med['build'] / med['constructor']:7.2f}x  (target <= 1.5x)")


def main() -> None:
    """Run every network."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", nargs="*", default=list(MODELS))
    args = parser.parse_args()
    print(
        f"keras {keras.__version__}, backend {keras.backend.backend()}, {os.cpu_count()} CPUs; "
        f"median of {args.repeat}"
    )
    for name in args.models:
        bench(name, args.repeat)


if __name__ == "__main__":
    main()
