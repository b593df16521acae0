"""The ``train`` command line: ``train PROJECT [--epochs N] [--out DIR] [--json]``.

Exit codes: 0 trained (finished, or stopped early by early stopping), 1 the run failed (NaN
loss, out of memory, an error inside fit), 2 unusable input (no project, no data, network
errors, invalid options).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the ``train`` sub-command to an argparse subparsers object."""
    p = subparsers.add_parser(
        "train", help="train a project's network on its data; write the model and history"
    )
    p.add_argument("project", metavar="PROJECT", help="project file (.ndproj or .json)")
    from designer.cli.main import add_unsafe_argument

    add_unsafe_argument(p)
    for flag, what in (
        ("--checkpoint-dir", "checkpoints"),
        ("--tensorboard-dir", "TensorBoard logs"),
    ):
        p.add_argument(
            flag,
            metavar="DIR",
            default=None,
            help=f"folder for {what} (relative to the current folder); overrides the "
            "project's and counts as your choice of it",
        )
    p.add_argument(
        "--epochs",
        type=int,
        default=None,
        help="number of epochs (default: the project's max_epochs)",
    )
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="folder for model.keras, history.csv, iterations.csv and result.json "
        "(default: ./<project name>-training)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        help="print the summary as one JSON object (progress goes to stderr)",
    )
    p.set_defaults(func=handle)
    return p


def _fail(message: str, as_json: bool, out: TextIO, err: TextIO, code: int) -> int:
    if as_json:
        print(json.dumps({"error": message}), file=out)
    print(f"error: {message}", file=err)
    return code


def handle(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run ``train``; returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    as_json = bool(getattr(args, "json", False))
    if args.epochs is not None and args.epochs < 1:
        return _fail(
            f"--epochs expects an integer >= 1, received {args.epochs}",
            as_json,
            out,
            err,
            EXIT_UNUSABLE,
        )
    from designer.app.project import ProjectError, load_project
    from designer.app.project_run import ProjectRunError, prepare_run
    from designer.app.run_dirs import RunFolderError, confirm_run_folders
    from designer.cli.main import unsafe_hint
    from designer.training.console import train_model
    from designer.training.trainer import TrainingConfigError

    try:
        project = load_project(args.project, allow_unsafe=args.unsafe)
        confirm_run_folders(project, args.checkpoint_dir, args.tensorboard_dir)
        run = prepare_run(project, args.epochs)
    except (ProjectError, ProjectRunError, RunFolderError) as exc:
        return _fail(str(exc) + unsafe_hint(exc), as_json, out, err, EXIT_UNUSABLE)
    out_dir = args.out or f"{Path(args.project).stem}-training"
    try:
        Path(out_dir).mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return _fail(
            f"cannot create the output folder {out_dir}: {exc.strerror or exc}",
            as_json,
            out,
            err,
            EXIT_UNUSABLE,
        )
    try:
        summary = train_model(
            run.model,
            run.data.train,
            run.data.validation,
            run.options,
            out_dir,
            json=as_json,
            stream=out,
        )
    except TrainingConfigError as exc:
        return _fail(str(exc), as_json, out, err, EXIT_UNUSABLE)
    if summary.get("status") == "failed":
        print(f"error: training failed ({summary.get('stop_reason')})", file=err)
        return EXIT_FAILED
    return EXIT_OK
