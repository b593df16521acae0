"""The ``data`` command line: ``data inspect PATH [--json]``."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from designer.data.base import DataConfig
from designer.data.summary import DataError, DataSummary, one_line


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``data`` sub-command (with its ``inspect`` action) to an argparse subparsers object."""
    data = subparsers.add_parser("data", help="inspect datasets")
    actions = data.add_subparsers(dest="data_action", metavar="ACTION")
    actions.required = True
    inspect = actions.add_parser(
        "inspect",
        help="detect the kind of data at PATH and report samples, classes, sizes and problems",
    )
    inspect.add_argument(
        "path",
        metavar="PATH",
        help="folder or file (.npz/.npy/IDX/.csv; a COCO, Pascal VOC or YOLO detection folder "
        "or COCO .json), or keras:mnist, synthetic:digits, synthetic:shapes, sklearn:digits",
    )
    inspect.add_argument("--json", action="store_true", help="print the summary as JSON")
    inspect.set_defaults(func=handle)
    return data


def inspect_path(path: str) -> tuple[DataConfig, DataSummary]:
    """Detect the kind of data at ``path``, open it and return its config and summary."""
    from designer.data.registry import detect, open_datastore

    config = detect(path)
    return config, open_datastore(config).summary()


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``data inspect``: print a table or JSON; 0 when usable, 2 with a one-line message if not."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        config, summary = inspect_path(args.path)
    except DataError as exc:
        message = one_line(str(exc) or "unusable data")
        if getattr(args, "json", False):
            print(json.dumps({"error": message, "path": args.path}), file=out)
        print(f"error: {message}", file=err)
        return 2
    if args.json:
        print(json.dumps({**summary.to_dict(), "config": config.to_dict()}, indent=2), file=out)
    else:
        print(summary.format_table(), file=out)
    refusal = summary.refusal  # the rule a training run applies too
    if refusal is not None:
        print(f"error: {refusal}", file=err)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point: ``python -m designer.cli.data inspect PATH``."""
    parser = argparse.ArgumentParser(prog="data")
    sub = parser.add_subparsers(dest="command")
    register(sub)
    args = parser.parse_args(["data", *(argv if argv is not None else sys.argv[1:])])
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
