"""One experiment trial, and the worker loop that runs trials of a study in this process.

A worker is a process (``main.py experiment-worker``) that opens a study, asks Optuna for a
trial, trains the project with the trial's values, reports the objective after every epoch
(so a pruner can stop a bad trial early) and records the outcome: history, final metrics,
duration and the trained model in the trial's folder, or the error of a failed trial.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from designer.app.experiment_params import project_with
from designer.app.project import Project, load_project
from designer.app.project_run import epoch_history, prepare_run
from designer.training.events import EpochSummary, MultiSink, TrainingSink
from designer.training.experiment_spec import ExperimentSpec
from designer.training.file_lock import exclusive
from designer.training.study import (
    FOLDER_ATTR,
    PROJECT_ATTR,
    StudyError,
    finished_count,
    open_study,
    suggest,
)

WORKER_ATTR = "nd_worker"  # user attribute: the tag of the worker that ran the trial
TRIALS_FOLDER_ATTR = "nd_folder"  # study attribute: where trial folders go


class TrialFailed(RuntimeError):
    """The trial's training failed (NaN loss, out of memory, unusable values)."""


def metric_of(values: dict[str, float], val: dict[str, float] | None, objective: str) -> Any:
    """The objective's value in an epoch's logs (``val_*`` read from the validation)."""
    if objective.startswith("val_"):
        return (val or {}).get(objective.removeprefix("val_"))
    return values.get(objective)


class PruningSink(TrainingSink):
    """Reports the objective to the trial after every epoch and stops a pruned run."""

    def __init__(self, trial: optuna.Trial, objective: str) -> None:
        self.trial, self.objective = trial, objective
        self.trainer: Any = None
        self.pruned_at: int | None = None
        self.reported = 0

    def on_epoch(self, summary: EpochSummary) -> None:
        """Report; ask the pruner; stop the trainer when it says so."""
        value = metric_of(summary.train, summary.val, self.objective)
        if value is None:
            return
        self.trial.report(float(value), summary.epoch)
        self.reported += 1
        if self.trial.should_prune() and self.trainer is not None:
            self.pruned_at = summary.epoch
            self.trainer.stop()


@dataclass
class TrialContext:
    """What every trial of one worker shares."""

    project: Project
    spec: ExperimentSpec
    folder: Path
    epochs: int | None
    tag: str = ""


def run_trial(trial: optuna.Trial, context: TrialContext) -> float:
    """Train one trial; returns the objective (raises TrialPruned or TrialFailed)."""
    from designer.training.console import output_files, write_outputs
    from designer.training.history_files import HistoryFileSink
    from designer.training.trainer import Trainer

    params = suggest(trial, context.spec)
    folder = context.folder / f"trial-{trial.number:03d}"
    folder.mkdir(parents=True, exist_ok=True)
    attrs: tuple[tuple[str, Any], ...] = (
        (FOLDER_ATTR, str(folder)),
        (WORKER_ATTR, context.tag),
        ("pid", os.getpid()),
        ("host", socket.gethostname()),
    )
    for key, value in attrs:
        trial.set_user_attr(key, value)
    start = time.perf_counter()
    try:
        run = prepare_run(project_with(context.project, params), context.epochs)
        # Validation once per epoch: the pruner and the curves get a point every epoch.
        options = run.options.replace(
            checkpoint_dir=None, tensorboard_dir=None, validation_frequency="epoch"
        )
        files = output_files(str(folder))
        pruning = PruningSink(trial, context.spec.objective)
        log = HistoryFileSink(files["history"], files["iterations"])
        trainer = Trainer(
            run.model, run.data.train, run.data.validation, options, MultiSink(log, pruning)
        )
        pruning.trainer = trainer
        result = trainer.run()
        write_outputs(run.model, result, files)
    except Exception as exc:
        _fail(trial, " ".join(str(exc).split()) or type(exc).__name__, start)
        raise
    trial.set_user_attr("seconds", time.perf_counter() - start)
    trial.set_user_attr("epochs", result.epochs_completed)
    trial.set_user_attr("metrics", {k: _finite(v) for k, v in result.final.items()})
    trial.set_user_attr("history", epoch_history(result.epochs))
    if result.status == "failed":
        _fail(trial, result.message or "training failed", start)
        raise TrialFailed(result.message or "training failed")
    if pruning.pruned_at is not None:
        raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_at}")
    objective = _objective_value(result, context.spec)
    if objective is None:
        message = (
            f"the objective {context.spec.objective!r} is not among the run's metrics "
            f"({', '.join(sorted(result.final)) or 'none'})"
        )
        _fail(trial, message, start)
        raise TrialFailed(message)
    return objective


def _objective_value(result: Any, spec: ExperimentSpec) -> float | None:
    """The best value the run reached (its best epoch), else its final value."""
    best = result.best.get(spec.objective)
    value = best.get("value") if isinstance(best, dict) else result.final.get(spec.objective)
    return _finite(value)


def _fail(trial: optuna.Trial, message: str, start: float) -> None:
    trial.set_user_attr("error", message[:2000])
    trial.set_user_attr("seconds", time.perf_counter() - start)


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def trial_folder_of(study: optuna.Study, override: str | None = None) -> Path:
    """Where the study's trials keep their files (``override`` wins, for another machine)."""
    folder = override or study.user_attrs.get(TRIALS_FOLDER_ATTR)
    if not folder:
        raise StudyError(f"the study {study.study_name!r} names no folder for its trials")
    return Path(folder)


def run_worker(
    url: str,
    name: str,
    *,
    trials: int | None = None,
    timeout_s: float | None = None,
    project_path: str | None = None,
    folder: str | None = None,
    tag: str = "",
    allow_unsafe: bool = False,
    on_trial: Any = None,
) -> int:
    """Run trials of the study ``name`` until ``trials`` ran here (None: until the study's
    budget is reached) or ``timeout_s`` passed; returns how many ran. ``on_trial(frozen)``
    is called after each."""
    study, spec = open_study(url, name, worker_index(tag))
    path = project_path or study.user_attrs.get(PROJECT_ATTR)
    if not path:
        raise StudyError(f"the study {name!r} names no project to train")
    project = load_project(path, allow_unsafe=allow_unsafe)
    epochs = study.user_attrs.get("nd_epochs")
    context = TrialContext(project, spec, trial_folder_of(study, folder), epochs, tag or _tag())
    budget = budget_of(spec)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    ran = 0
    while trials is None or ran < trials:
        if trials is None and finished_count(study) + _running(study) >= budget:
            break
        if deadline is not None and time.monotonic() >= deadline:
            break
        frozen = _one_trial(study, context)
        if on_trial is not None:
            on_trial(frozen)
        ran += 1
    return ran


CLAIM_LOCK = ".claim.lock"  # in the trials folder: the workers of one machine take turns


def _one_trial(study: optuna.Study, context: TrialContext) -> optuna.trial.FrozenTrial:
    """Take the next trial (a queued grid point first) and run it. Taking one is done under
    a lock shared by the workers on this machine: with SQLite, Optuna's "queued -> running"
    is not atomic between processes, and two workers took the same grid point (one then
    failed with "Cannot tell a COMPLETE trial" and the other point stayed queued)."""
    with exclusive(context.folder / CLAIM_LOCK):
        trial = study.ask()
    try:
        value = run_trial(trial, context)
    except optuna.TrialPruned:
        return study.tell(trial, state=optuna.trial.TrialState.PRUNED)
    except Exception:  # run_trial recorded the reason on the trial
        return study.tell(trial, state=optuna.trial.TrialState.FAIL)
    return study.tell(trial, value)


def budget_of(spec: ExperimentSpec) -> int:
    """The number of trials the study aims for (a grid: at most its size)."""
    return min(spec.trials, spec.grid_size()) if spec.strategy == "grid" else spec.trials


def _running(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)))


def worker_index(tag: str) -> int | None:
    """The index in a runner's tag (``w1-3fa2c0d1`` -> 1); None for a worker that joined
    by hand (its sampler is then seeded at random)."""
    head = tag.split("-", 1)[0]
    return int(head[1:]) if head.startswith("w") and head[1:].isdigit() else None


def _tag() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"
