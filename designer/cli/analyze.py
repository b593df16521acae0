"""The ``analyze`` sub-command: ``analyze PATH [--json] [--batch-size N]``: the layers with their
shapes, parameters and cost (MACs, memory, receptive field), the totals, errors and warnings."""

from __future__ import annotations

import argparse
import json
from typing import Any

from designer.cli.main import EXIT_ERRORS, EXIT_OK, add_unsafe_argument

DEFAULT_MODEL_BATCH = 32  # for a model file, which has no training options


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number; received {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a number of at least 1; received {value}")
    return value


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``analyze`` command to an argparse subparsers object."""
    p = subparsers.add_parser("analyze", help="analyse a project or a .keras/.h5 model")
    p.add_argument("path", help="project file (.ndproj/.json) or Keras model (.keras/.h5)")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--batch-size",
        type=_positive,
        default=None,
        metavar="N",
        help="samples at once for the peak and training memory (default: the project's "
        f"mini-batch size, {DEFAULT_MODEL_BATCH} for a model file)",
    )
    add_unsafe_argument(p)
    p.set_defaults(func=cmd_analyze)
    return p


def cmd_analyze(args: argparse.Namespace) -> int:
    """`analyze PATH [--json] [--batch-size N]`: table of layers, totals, errors and warnings."""
    from designer.app.files import is_model_path, open_path
    from designer.core.analysis import analyze
    from designer.core.cost import network_cost, optimizer_slots

    unsafe = getattr(args, "unsafe", False)
    project = open_path(args.path, allow_unsafe=unsafe, read_only_ok=True)
    graph = project.graph
    report = analyze(graph)
    options = project.settings.training
    batch = args.batch_size or (
        DEFAULT_MODEL_BATCH if is_model_path(args.path) else options.mini_batch_size
    )
    cost = network_cost(graph, report, batch, optimizer_slots(options.solver, options.momentum))
    if args.json:
        data = summary(graph, report, cost)
        if project.read_only:
            data["read_only"] = project.read_only
        print(json.dumps(data, indent=1))
    else:
        print_table(graph, report, cost, project.read_only)
        for note in project.import_notes:
            print(f"note: {note}")
    return EXIT_OK if report.ok else EXIT_ERRORS


def summary(graph: Any, report: Any, cost: Any) -> dict[str, Any]:
    """What ``analyze --json`` prints."""
    rows = []
    for nid in graph.topological_order():
        node, info = graph.node(nid), report.nodes[nid]
        row = {
            "name": node.name,
            "type": node.label,
            "output_shape": list(info.shape) if info.shape else None,
            "params": info.params,
        }
        layer = cost.layers.get(nid)
        row.update(layer.to_dict() if layer is not None else _no_cost())
        rows.append(row)
    return {
        "layers": rows,
        "total_params": report.total_params,
        "trainable_params": report.trainable_params,
        **cost.to_dict(),
        "errors": [i.to_dict(graph) for i in report.errors],
        "warnings": [i.to_dict(graph) for i in report.warnings],
    }


def _no_cost() -> dict[str, Any]:
    keys = ("macs", "elementwise_ops", "weight_bytes", "activation_bytes", "receptive_field")
    return dict.fromkeys(keys)


def print_table(graph: Any, report: Any, cost: Any, read_only: str | None = None) -> None:
    """The table view: one line per layer, then the totals, errors and warnings, and why the
    network is ``read_only`` (:mod:`designer.app.read_only`) when it is."""
    from designer.core.cost import format_bytes, format_count
    from designer.core.diagnostics import format_shape

    table = [("Name", "Type", "Output shape", "Params", "MACs", "Memory")]
    for nid in graph.topological_order():
        node, info = graph.node(nid), report.nodes[nid]
        label = info.labels[0] if info.labels else ""
        layer = cost.layers.get(nid)
        table.append(
            (
                node.name,
                node.label,
                format_shape(info.shape, label),
                f"{info.params:,}",
                format_count(layer.macs) if layer else "?",
                format_bytes(layer.activation_bytes) if layer else "?",
            )
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for i, row in enumerate(table):
        print(
            "  ".join(
                cell.ljust(w) if j < 3 else cell.rjust(w)
                for j, (cell, w) in enumerate(zip(row, widths, strict=True))
            )
        )
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        f"\nTotal parameters: {report.total_params:,} (trainable {report.trainable_params:,}, "
        f"non-trainable {report.non_trainable_params:,})"
    )
    print(cost_line(cost))
    for title, issues in (("Errors", report.errors), ("Warnings", report.warnings)):
        if issues:
            print(f"\n{title} ({len(issues)}):")
            for issue in issues:
                print(f"  - {issue.message}")
    if read_only:
        print(f"\nRead-only: the network was {read_only}.")
    elif report.ok:
        print("\nNo errors: the network can be built.")


def cost_line(cost: Any) -> str:
    """The totals of a cost in one sentence."""
    from designer.core.cost import format_bytes, format_count

    text = (
        f"Cost: {format_count(cost.total_macs)} MACs per sample, weights "
        f"{format_bytes(cost.weight_bytes)}, peak activations "
        f"{format_bytes(cost.peak_activation_bytes)} and training memory about "
        f"{format_bytes(cost.training_memory_bytes)} at batch size {cost.batch_size}"
    )
    if cost.uncounted:
        text += f" ({len(cost.uncounted)} layers not counted)"
    return text
