"""``transfer MODEL_OR_PROJECT --data PATH [--freeze-until LAYER] [--two-phase] [--epochs N]
--out PROJECT``: replace the head for the data's classes, freeze, train, save the project.

Exit codes: 0 trained, 1 the run failed, 2 unusable input (file, data, layer name, options).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any, TextIO

from designer.cli.train import _fail

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``transfer`` sub-command."""
    p = subparsers.add_parser(
        "transfer", help="transfer learning: new head for the data's classes, freeze, train"
    )
    p.add_argument("path", metavar="MODEL_OR_PROJECT", help=".keras/.h5 model or project file")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    p.add_argument("--data", required=True, help="data folder/file or synthetic:letters etc.")
    p.add_argument(
        "--freeze-until",
        default=None,
        metavar="LAYER",
        help="freeze every layer up to this one (default: all but the new head)",
    )
    p.add_argument(
        "--two-phase",
        action="store_true",
        help="train the head first, then fine-tune the last layers at 1/10 the rate",
    )
    p.add_argument(
        "--unfreeze-last",
        type=int,
        default=2,
        metavar="N",
        help="layers with weights that phase 2 fine-tunes (default 2)",
    )
    p.add_argument("--epochs", type=int, default=3, help="epochs per phase (default 3)")
    p.add_argument(
        "--samples",
        type=int,
        default=None,
        help="number of samples of synthetic data (default: the data's own)",
    )
    p.add_argument("--extra-dense", type=int, default=None, metavar="UNITS")
    p.add_argument("--dropout", type=float, default=None, metavar="RATE")
    p.add_argument(
        "--out", required=True, metavar="PROJECT", help="project file to write (.ndproj)"
    )
    p.add_argument(
        "--feature-extraction",
        action="store_true",
        help="head-only run: compute the frozen backbone's features once and train "
        "only the head (faster; needs data without augmentation)",
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=handle)
    return p


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``transfer``; returns the exit code."""
    from designer.app.files import open_path
    from designer.app.project import ProjectError, save_project
    from designer.app.project_run import ProjectRunError, prepare_run
    from designer.app.settings import DataSection
    from designer.app.transfer_run import run_transfer
    from designer.cli.main import unsafe_hint
    from designer.core.errors import GraphError
    from designer.core.transfer import find_head, freeze_until, replace_head
    from designer.data.registry import detect, open_datastore
    from designer.data.splits import SplitConfig
    from designer.data.summary import DataError

    out, err = out or sys.stdout, err or sys.stderr
    as_json = bool(args.json)
    if args.epochs < 1 or args.unfreeze_last < 1:
        return _fail(
            "--epochs and --unfreeze-last expect integers >= 1", as_json, out, err, EXIT_UNUSABLE
        )
    if not str(args.out).endswith(".ndproj"):
        return _fail(
            f"--out must end in .ndproj; received {args.out}", as_json, out, err, EXIT_UNUSABLE
        )
    try:
        project = open_path(args.path, allow_unsafe=args.unsafe)
        config = detect(args.data)
        if args.samples and hasattr(config, "num_samples"):
            config = dataclasses.replace(config, num_samples=args.samples)
        store = open_datastore(config)
        graph = project.graph
        regression = store.task == "regression"
        replace_head(
            graph,
            len(store.class_names) if not regression else 1,
            regression,
            args.extra_dense,
            args.dropout,
        )
        if args.freeze_until:
            node = graph.find(args.freeze_until)
            if node is None:
                raise GraphError(
                    f"--freeze-until: no layer named '{args.freeze_until}'; layers: "
                    f"{[n.name for n in graph.nodes]}"
                )
            freeze_until(graph, node.id)
        else:
            freeze_until(graph, find_head(graph).anchor)
        data = DataSection(config, SplitConfig(validation_percent=20.0))
        project.settings = project.settings.replace(data=data)
        run = prepare_run(project, args.epochs)
    except (ProjectError, DataError, GraphError, ProjectRunError, ValueError) as exc:
        return _fail(str(exc) + unsafe_hint(exc), as_json, out, err, EXIT_UNUSABLE)
    if args.feature_extraction and args.two_phase:
        return _fail(
            "--feature-extraction trains the head only; leave out --two-phase",
            args.json,
            out,
            err,
            EXIT_UNUSABLE,
        )
    try:
        summary = run_transfer(
            project,
            run,
            args.two_phase,
            args.epochs,
            args.unfreeze_last,
            feature_extraction=args.feature_extraction,
        )
    except ValueError as exc:  # e.g. no frozen backbone, or augmented data, for features
        return _fail(str(exc), args.json, out, err, EXIT_UNUSABLE)
    project.path = None
    try:
        saved = save_project(project, args.out)
    except (ProjectError, OSError) as exc:
        return _fail(f"cannot write {args.out}: {exc}", as_json, out, err, EXIT_UNUSABLE)
    summary = {
        "out": str(saved),
        "data": args.data,
        "classes": len(store.class_names),
        "head": [n.name for n in graph.nodes if n.name.startswith("new_")],
        **summary,
    }
    if as_json:
        print(json.dumps(summary), file=out)
    else:
        _print(summary, out)
    return EXIT_FAILED if summary["status"] == "failed" else EXIT_OK


def _print(summary: dict[str, Any], out: TextIO) -> None:
    print(
        f"Transfer learning on {summary['data']} ({summary['classes']} classes): "
        f"new head {', '.join(summary['head'])}; frozen {len(summary['frozen'])} layers",
        file=out,
    )
    for phase in summary["phases"]:
        final = phase.get("final", {})
        shown = ", ".join(f"{k} {v:.4f}" for k, v in final.items() if isinstance(v, float))
        print(f"  phase {phase['phase']}: {phase.get('epochs')} epochs, {shown}", file=out)
    acc = summary.get("validation_accuracy")
    if acc is not None:
        print(f"Validation accuracy: {acc:.4f}", file=out)
    print(f"Saved {summary['out']} ({summary['status']})", file=out)
