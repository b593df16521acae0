"""``experiment`` and ``experiment-worker``: hyper-parameter sweeps with Optuna.

``experiment PROJECT [--space SPACE.json] [--strategy grid|random|tpe] [--trials N]
[--parallel K] [--storage URL] [--study NAME] [--json]`` runs the project's experiment (or
the one in SPACE.json) with K worker processes and prints one line per finished trial; the
same storage and study again continues it. ``experiment-worker --storage URL --study NAME``
joins a study from another process or machine.

Exit codes: 0 the experiment ran (some trials may have failed; see their state), 1 every
trial failed, 2 unusable input (no project, an invalid space, a storage that cannot open).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any, TextIO

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def register(subparsers: Any) -> None:
    """Add ``experiment`` and ``experiment-worker``."""
    from designer.cli.main import add_unsafe_argument
    from designer.training.experiment_spec import PRUNERS, STRATEGIES

    p = subparsers.add_parser(
        "experiment",
        help="run a hyper-parameter experiment (Optuna): trials in parallel processes, "
        "stored in a study that a second run continues",
    )
    p.add_argument("project", metavar="PROJECT", help="project file (.ndproj or .json)")
    p.add_argument("--space", metavar="SPACE.json", help="the experiment (else the project's)")
    p.add_argument("--strategy", choices=STRATEGIES, help="grid, random or tpe (Bayesian)")
    p.add_argument("--trials", type=int, help="trials the study aims for in all")
    p.add_argument("--parallel", type=int, help="trials at once (default: one per free core)")
    p.add_argument("--storage", metavar="URL", help="Optuna storage URL (default: SQLite file)")
    p.add_argument("--study", metavar="NAME", help="study name (default: the project's name)")
    p.add_argument("--epochs", type=int, help="epochs per trial")
    p.add_argument("--objective", help="metric to optimise (val_loss, val_accuracy, ...)")
    p.add_argument("--pruner", choices=PRUNERS, help="stop bad trials early")
    p.add_argument("--timeout", type=float, metavar="S", help="wall-time budget in seconds")
    p.add_argument(
        "--apply",
        metavar="TRIAL",
        help="instead of running: write trial TRIAL's values ('best' or a number) into PROJECT",
    )
    p.add_argument(
        "--with-weights", action="store_true", help="with --apply: the trial's weights too"
    )
    p.add_argument("--json", action="store_true", help="print the outcome as one JSON object")
    add_unsafe_argument(p)
    p.set_defaults(func=handle)
    w = subparsers.add_parser(
        "experiment-worker", help="join an experiment's study and run some of its trials"
    )
    w.add_argument("--storage", required=True, metavar="URL", help="the study's storage URL")
    w.add_argument("--study", required=True, metavar="NAME", help="the study's name")
    w.add_argument("--trials", type=int, help="trials to run (default: until the budget)")
    w.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    w.add_argument("--project", help="the project file, where its stored path differs here")
    w.add_argument("--folder", help="folder for the trials, where the stored one differs here")
    w.add_argument("--tag", default="", help=argparse.SUPPRESS)
    add_unsafe_argument(w)
    w.set_defaults(func=handle_worker)


def _fail(message: str, as_json: bool, out: TextIO, code: int = EXIT_UNUSABLE) -> int:
    if as_json:
        print(json.dumps({"error": message}), file=out)
    print(f"error: {message}", file=sys.stderr)
    return code


def read_spec(project: Any, args: argparse.Namespace) -> Any:
    """The experiment to run: SPACE.json or the project's, with the flags applied."""
    from designer.training.experiment_spec import ExperimentError, ExperimentSpec

    spec = project.settings.experiment
    if args.space:
        try:
            data = json.loads(Path(args.space).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ExperimentError(f"cannot read the space file {args.space}: {exc}") from exc
        spec = ExperimentSpec.from_dict(data)
    changes = {
        key: getattr(args, flag)
        for key, flag in (
            ("strategy", "strategy"),
            ("trials", "trials"),
            ("epochs", "epochs"),
            ("objective", "objective"),
            ("pruner", "pruner"),
            ("timeout_s", "timeout"),
        )
        if getattr(args, flag) is not None
    }
    spec = spec.replace(**changes) if changes else spec
    if spec.empty:
        raise ExperimentError(
            "the experiment varies nothing: add parameters in the Experiment Manager (or "
            "right-click a parameter > Vary in experiment...), or pass --space SPACE.json"
        )
    spec.check()
    return spec


def trial_line(record: Any) -> str:
    """One line per finished trial: number, state, value, time and values."""
    value = "-" if record.value is None else f"{record.value:.6g}"
    seconds = "" if record.seconds is None else f" ({record.seconds:.1f} s)"
    params = " ".join(f"{k}={_short(v)}" for k, v in record.params.items())
    error = f" error: {record.error}" if record.error and record.state == "FAIL" else ""
    return f"trial {record.number} {record.state} value {value}{seconds} {params}{error}".rstrip()


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def handle(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``experiment``; returns the exit code."""
    out = out or sys.stdout
    as_json = bool(args.json)
    from designer.app.experiment_run import ExperimentRun, default_plan
    from designer.app.project import ProjectError, load_project
    from designer.training.experiment_spec import ExperimentError
    from designer.training.study import StudyError

    for flag in ("trials", "parallel", "epochs"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            return _fail(f"--{flag} expects an integer >= 1, received {value}", as_json, out)
    try:
        project = load_project(args.project, allow_unsafe=args.unsafe)
        spec = read_spec(project, args)
        plan = default_plan(
            project, spec, storage=args.storage, study=args.study, parallel=args.parallel
        )
        if args.apply:
            return apply_trial_to_file(project, plan, args, out)
        run = ExperimentRun(project, spec, plan, allow_unsafe=args.unsafe)
        if not as_json:
            run.on_trial = lambda record: print(trial_line(record), file=out, flush=True)
            print(
                f"Experiment {plan.study!r} in {plan.storage}: {spec.strategy}, "
                f"{spec.trials} trial(s), {plan.parallel} at once",
                file=out,
                flush=True,
            )
        previous = signal.signal(signal.SIGTERM, lambda *_: run.cancel.cancel())
        try:
            study = run.run()
        except KeyboardInterrupt:
            run.cancel.cancel()
            study = None
        finally:
            signal.signal(signal.SIGTERM, previous)
    except (ProjectError, ExperimentError, StudyError) as exc:
        return _fail(str(exc), as_json, out)
    if study is None or run.stopped:
        print(
            "Stopped; the trials it was running are kept: run the same command again to resume",
            file=sys.stderr if as_json else out,
        )
        if study is None:
            return EXIT_OK
    return _summary(study, as_json, out)


def _summary(study: Any, as_json: bool, out: TextIO) -> int:
    from designer.training.study import best_record, trial_records

    records = trial_records(study)
    best = best_record(study)
    if as_json:
        payload = {
            "best": None
            if best is None
            else {"params": best.params, "value": best.value, "trial": best.number},
            "trials": [r.to_dict() for r in records],
            "study": study.study_name,
        }
        print(json.dumps(payload, allow_nan=False, default=str), file=out)
    elif best is not None:
        print(f"Best: trial {best.number}, value {best.value:.6g}, {best.params}", file=out)
    else:
        print("No trial completed", file=out)
    finished = [r for r in records if r.state in ("COMPLETE", "PRUNED", "FAIL")]
    if finished and all(r.state == "FAIL" for r in finished):
        return EXIT_FAILED
    return EXIT_OK


def handle_worker(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run ``experiment-worker``: trials of an existing study in this process."""
    out = out or sys.stdout
    limit_threads()
    from designer.app.experiment_trial import run_worker
    from designer.app.project import ProjectError
    from designer.training.study import StudyError, record_of

    if args.trials is not None and args.trials < 1:
        return _fail(f"--trials expects an integer >= 1, received {args.trials}", False, out)
    try:
        ran = run_worker(
            args.storage,
            args.study,
            trials=args.trials,
            timeout_s=args.timeout,
            project_path=args.project,
            folder=args.folder,
            tag=args.tag,
            allow_unsafe=args.unsafe,
            on_trial=lambda t: print(trial_line(record_of(t)), file=out, flush=True),
        )
    except (ProjectError, StudyError) as exc:
        return _fail(str(exc), False, out)
    print(f"Worker ran {ran} trial(s) of {args.study!r}", file=out)
    return EXIT_OK


def limit_threads() -> None:
    """Use the worker's share of the cores (ND_WORKER_THREADS, set by the runner), so that
    K workers on one machine do not each start a thread per core."""
    threads = os.environ.get("ND_WORKER_THREADS")
    if not threads or not threads.isdigit():
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(int(threads))
        tf.config.threading.set_inter_op_parallelism_threads(min(2, int(threads)))
    except RuntimeError:  # TF already running: keep its threads
        pass


def apply_trial_to_file(project: Any, plan: Any, args: argparse.Namespace, out: TextIO) -> int:
    """``--apply TRIAL``: write a trial's values (``--with-weights``: and weights) into the
    project file."""
    from designer.app.experiment_apply import applied_trial, apply_trial
    from designer.app.project import save_project
    from designer.training.experiment_spec import ExperimentError
    from designer.training.study import best_record, open_study, trial_records

    study, _ = open_study(plan.storage, plan.study)
    if args.apply == "best":
        record = best_record(study)
        if record is None:
            raise ExperimentError(f"the study {plan.study!r} has no completed trial yet")
    else:
        wanted = int(args.apply) if args.apply.isdigit() else -1
        record = next((r for r in trial_records(study) if r.number == wanted), None)
        if record is None:
            raise ExperimentError(f"expected --apply best or a trial number, received {args.apply}")
    apply_trial(project, applied_trial(project, record, args.with_weights))
    save_project(project, args.project)
    what = "values and weights" if args.with_weights else "values"
    if args.json:
        print(json.dumps({"applied": record.to_dict(), "project": args.project}), file=out)
    else:
        print(
            f"Applied trial {record.number}'s {what} to {args.project}: {record.params}", file=out
        )
    return EXIT_OK
