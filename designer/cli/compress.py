"""The ``compress`` command line: the compression report of a project's network.

``compress PROJECT [--sparsities 0.5,0.8] [--fine-tune-epochs 1] [--samples N] [--no-int8]
[--json]``: int8 post-training quantisation with TFLite against float32 (sizes, accuracy,
agreement, error per layer, layers left in float) and magnitude pruning at each sparsity with
the accuracy before and after a short fine-tune, on the project's validation data (the
report of Insight > Compression Report). Exit codes: 0 done, 1 the network cannot be built,
2 unusable input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from designer.cli.robustness import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_UNUSABLE,
    fail_with,
    terminal_progress,
)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``compress`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "compress",
        help="int8 quantisation and magnitude pruning of a project's network: size, accuracy",
    )
    p.add_argument("path", metavar="PROJECT", help="project file (.ndproj/.json) with data")
    p.add_argument(
        "--sparsities",
        default="0.5,0.8",
        help="comma-separated fractions of the weights to prune (default 0.5,0.8; '' for none)",
    )
    p.add_argument(
        "--fine-tune-epochs", type=int, default=1, help="epochs after pruning (default 1)"
    )
    p.add_argument(
        "--samples", type=int, default=2000, help="validation samples measured (default 2000)"
    )
    p.add_argument("--no-int8", action="store_true", help="skip the TFLite int8 quantisation")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    p.set_defaults(func=handle)
    return p


def parse_sparsities(text: str) -> tuple[float, ...]:
    """``"0.5, 0.8"`` as (0.5, 0.8); ValueError naming a value outside (0, 1)."""
    values = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            value = float(part)
        except ValueError:
            raise ValueError(
                f"--sparsities expects numbers between 0 and 1, received {part!r}"
            ) from None
        if not 0 < value < 1:
            raise ValueError(f"--sparsities expects fractions between 0 and 1, received {part}")
        values.append(value)
    return tuple(values)


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``compress``: the report's lines, or its JSON."""
    from designer.app.files import open_path
    from designer.app.insight_runs import project_compression
    from designer.app.project import ProjectError
    from designer.app.project_run import ProjectRunError
    from designer.cli.main import unsafe_hint
    from designer.core.build import BuildError
    from designer.core.progress import Cancelled, ProgressReporter
    from designer.data.summary import DataError, one_line
    from designer.insight.compression import summary_lines
    from designer.insight.pruning import CompressionError

    out = out or sys.stdout
    err = err or sys.stderr
    as_json = bool(args.json)
    try:
        sparsities = parse_sparsities(args.sparsities)
        if args.samples < 1 or args.fine_tune_epochs < 0:
            raise ValueError("--samples expects >= 1 and --fine-tune-epochs >= 0")
    except ValueError as exc:
        return fail_with(str(exc), as_json, out, err, EXIT_UNUSABLE)
    try:
        project = open_path(args.path, allow_unsafe=args.unsafe)
        report = project_compression(
            project,
            sparsities,
            args.fine_tune_epochs,
            quantise=not args.no_int8,
            max_samples=args.samples,
            progress=ProgressReporter(terminal_progress(err)),
        )
    except BuildError as exc:
        return fail_with(one_line(str(exc)), as_json, out, err, EXIT_FAILED)
    except (ProjectError, ProjectRunError, DataError, CompressionError) as exc:
        return fail_with(
            f"{one_line(str(exc))}{unsafe_hint(exc)}", as_json, out, err, EXIT_UNUSABLE
        )
    except (Cancelled, KeyboardInterrupt):
        return fail_with("interrupted", as_json, out, err, EXIT_INTERRUPTED)
    if as_json:
        print(json.dumps(report.to_dict(), indent=1), file=out)
    else:
        for line in summary_lines(report):
            print(line, file=out)
    return EXIT_OK
