"""The ``train`` command line: ``train PROJECT [--epochs N] [--out DIR] [--json]
[--workers N] [--environment ENV]``.

Exit codes: 0 trained (finished, or stopped early by early stopping), 1 the run failed (NaN
loss, out of memory, an error inside fit, a worker of a multi-worker run ended), 2 unusable
input (no project, no data, network errors, invalid options, no TF_CONFIG).

``--workers N`` (N > 1) trains with N local worker processes (docs/multi_worker.md); each is
``train PROJECT --environment multi-worker`` with its own TF_CONFIG, the command a cluster
machine runs.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
from pathlib import Path
from typing import IO, Any, TextIO

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
    p.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="train with N data-parallel worker processes on this machine "
        "(MultiWorkerMirroredStrategy; default: the project's workers option, 1)",
    )
    from designer.training.options import ENVIRONMENTS

    p.add_argument(
        "--environment",
        choices=ENVIRONMENTS,
        default=None,
        help="execution environment, overriding the project's; multi-worker: this process "
        "is one worker of the cluster in $TF_CONFIG",
    )
    # A worker started by a multi-worker run: its events as JSON lines, and "stop N" lines.
    p.add_argument("--events-fd", type=int, default=None, help=argparse.SUPPRESS)
    p.add_argument("--events", default=None, help=argparse.SUPPRESS)
    p.add_argument("--control-stdin", action="store_true", help=argparse.SUPPRESS)
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
    workers = getattr(args, "workers", None)
    if workers is not None and workers < 1:
        return _fail(
            f"--workers expects an integer >= 1, received {workers}",
            as_json,
            out,
            err,
            EXIT_UNUSABLE,
        )
    if workers is not None and workers > 1:
        return launch_workers(args, workers, out, err)
    from designer.app.project import ProjectError, load_project
    from designer.app.project_run import ProjectRunError, prepare_run
    from designer.app.run_dirs import RunFolderError, confirm_run_folders
    from designer.cli.main import unsafe_hint
    from designer.training import multi_worker
    from designer.training.console import train_model
    from designer.training.trainer import TrainingConfigError

    try:
        project = load_project(args.project, allow_unsafe=args.unsafe)
        confirm_run_folders(project, args.checkpoint_dir, args.tensorboard_dir)
    except (ProjectError, RunFolderError) as exc:
        return _fail(str(exc) + unsafe_hint(exc), as_json, out, err, EXIT_UNUSABLE)
    environment = getattr(args, "environment", None)
    training = project.settings.training
    multi = (environment or training.execution_environment) == "multi-worker"
    if workers is None and training.workers > 1 and not multi:
        return launch_workers(args, training.workers, out, err)
    role = None
    if multi:  # before anything starts TensorFlow (building the network does)
        try:
            from designer.cli.experiment import limit_threads  # ND_WORKER_THREADS' share

            limit_threads()
            multi_worker.strategy()
            role = multi_worker.worker_role()
        except multi_worker.MultiWorkerError as exc:
            return _fail(str(exc), as_json, out, err, EXIT_UNUSABLE)
        if getattr(args, "control_stdin", False):
            _follow_stop_requests()
    try:
        run = prepare_run(project, args.epochs)
        if environment is not None:
            run.options = run.options.replace(execution_environment=environment)
    except ProjectRunError as exc:
        return _fail(str(exc) + unsafe_hint(exc), as_json, out, err, EXIT_UNUSABLE)
    out_dir = args.out or f"{Path(args.project).stem}-training"
    scratch = None
    if role is not None and not role.is_chief:  # only the chief's outputs are kept
        out_dir = scratch = tempfile.mkdtemp(prefix="nd-worker-out-")
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
    events = _events_stream(args)
    try:
        from designer.training.event_stream import EventStreamSink

        summary = train_model(
            run.model,
            run.data.train,
            run.data.validation,
            run.options,
            out_dir,
            json=as_json,
            sink=EventStreamSink(events) if events is not None else None,
            stream=io.StringIO() if as_json and role is not None else out,
        )
    except TrainingConfigError as exc:
        return _fail(str(exc), as_json, out, err, EXIT_UNUSABLE)
    finally:
        if events is not None:
            with contextlib.suppress(OSError):
                events.close()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)
    if as_json and role is not None:
        print(json.dumps({**summary, "workers": role.count}), file=out)
    if summary.get("status") == "failed":
        print(f"error: training failed ({summary.get('stop_reason')})", file=err)
        return EXIT_FAILED
    return EXIT_OK


def _events_stream(args: argparse.Namespace) -> IO[str] | None:
    """The stream for the hidden ``--events-fd`` / ``--events`` (JSON lines), if any."""
    fd, path = getattr(args, "events_fd", None), getattr(args, "events", None)
    if fd is not None:
        return os.fdopen(fd, "w", encoding="utf-8", buffering=1)
    if path:
        return open(path, "a", encoding="utf-8", buffering=1)  # closed by handle()
    return None


def _follow_stop_requests() -> None:
    """A launched worker: obey the parent's ``stop N`` lines on stdin, and end when stdin
    closes without the run having ended (the parent is gone: no orphan holds the cores)."""
    from designer.training import multi_worker

    def follow() -> None:
        for line in sys.stdin:
            parts = line.split()
            if len(parts) == 2 and parts[0] == "stop" and parts[1].isdigit():
                multi_worker.request_stop_at(int(parts[1]))
        os._exit(EXIT_FAILED)

    threading.Thread(target=follow, name="stop-requests", daemon=True).start()


def launch_workers(args: argparse.Namespace, workers: int, out: TextIO, err: TextIO) -> int:
    """``--workers N``: N local workers; print the chief's output, exit with its code."""
    from designer.app.multi_worker_run import MultiWorkerRun

    as_json = bool(getattr(args, "json", False))
    if not Path(args.project).is_file():
        return _fail(f"no project file {args.project}", as_json, out, err, EXIT_UNUSABLE)
    extra = []
    for flag, value in (
        ("--checkpoint-dir", args.checkpoint_dir),
        ("--tensorboard-dir", args.tensorboard_dir),
    ):
        if value:
            extra += [flag, os.path.abspath(value)]
    run = MultiWorkerRun(
        os.path.abspath(args.project),
        workers,
        epochs=args.epochs,
        out_dir=os.path.abspath(args.out or f"{Path(args.project).stem}-training"),
        allow_unsafe=args.unsafe,
        json=as_json,
        stdout=out,
        stderr=err,
        extra_args=extra,
    )
    print(f"Training with {workers} local workers (MultiWorkerMirroredStrategy)", file=err)
    previous = _on_sigterm()
    try:
        code = run.run()
    except KeyboardInterrupt as exc:  # Ctrl+C, or SIGTERM (see _on_sigterm)
        message = "stopped: every worker was ended"
        if as_json:
            print(json.dumps({"error": message, "workers": workers}), file=out)
        print(f"error: {message}", file=err)
        return 143 if isinstance(exc, _Terminated) else 130
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
        run.close()
    summary = run.summary
    if as_json:
        summary = summary if summary is not None else {"error": run.message or "no summary"}
        print(json.dumps({**summary, "workers": workers}), file=out)
    if run.message:
        print(f"error: {run.message}", file=err)
    return code


class _Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the launcher waits."""


def _on_sigterm() -> Any:
    """SIGTERM ends the launcher as Ctrl+C does (every worker is then ended); the previous
    handler, None off the main thread."""

    def interrupt(signum: int, frame: Any) -> None:
        raise _Terminated

    try:
        return signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread
        return None
