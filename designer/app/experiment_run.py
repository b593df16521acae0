"""Running an experiment: a study in its storage, K worker processes, stop and resume.

Each worker is a separate process (``python -m designer experiment-worker``), so a crashed
trial takes no other trial and not the window down; the runner shares the remaining budget
among them, restarts a worker that died, records the trial it was running as failed with
the reason, and on stop ends every worker and keeps the trials they were running for the
next run (marked interrupted, then queued again with the same values). Used by the CLI's
``experiment`` and by the Experiment Manager window (on a worker thread). No Qt.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import optuna

from designer.app.custom_code import loaded_code
from designer.app.experiment_trial import TRIALS_FOLDER_ATTR, WORKER_ATTR, budget_of
from designer.app.project import Project, save_project
from designer.core.progress import CancelToken
from designer.training.experiment_spec import ExperimentSpec
from designer.training.study import (
    INTERRUPTED,
    TrialRecord,
    create_study,
    finished_count,
    trial_records,
)

POLL_S = 0.5


@dataclass(frozen=True)
class ExperimentPlan:
    """Where and how an experiment runs."""

    storage: str
    study: str
    folder: Path  # the study's folder: project snapshot, trial folders, worker logs
    parallel: int = 1
    epochs: int | None = None


def default_plan(project: Project, spec: ExperimentSpec, **overrides: object) -> ExperimentPlan:
    """The plan for ``project``: a SQLite file and a folder beside it (in the current folder
    for an unsaved project), the study named after the project, one worker per free core."""
    base = project.path.resolve().parent if project.path else Path.cwd()
    stem = project.path.stem if project.path else "experiment"
    storage = str(overrides.get("storage") or f"sqlite:///{base / (stem + '-experiments.db')}")
    study = str(overrides.get("study") or stem)
    folder = Path(str(overrides.get("folder") or base / f"{stem}-experiments" / study))
    parallel = overrides.get("parallel")
    epochs = overrides.get("epochs") or spec.epochs
    return ExperimentPlan(
        storage,
        study,
        folder,
        int(parallel) if isinstance(parallel, int) else default_parallel(),
        int(epochs) if isinstance(epochs, int) else None,
    )


def default_parallel() -> int:
    """One worker per GPU when there are GPUs, else one per free core."""
    gpus = visible_gpus()
    if gpus:
        return len(gpus)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = round(os.getloadavg()[0]) if hasattr(os, "getloadavg") else 0
    return max(1, (cores or 1) - busy)


def visible_gpus() -> list[str]:
    """GPU ids this machine offers (CUDA_VISIBLE_DEVICES, else nvidia-smi), without TF."""
    env = os.environ.get("CUDA_VISIBLE_DEVICES")
    if env is not None:
        return [g for g in env.split(",") if g.strip() and g.strip() != "-1"]
    if shutil.which("nvidia-smi") is None:
        return []
    try:
        out = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    return [str(i) for i, line in enumerate(out.stdout.splitlines()) if line.startswith("GPU")]


def prepare_study(project: Project, spec: ExperimentSpec, plan: ExperimentPlan) -> optuna.Study:
    """Create (or reopen, for a resume) the study; on creation the project is saved as a
    snapshot in the study's folder, which every worker trains."""
    plan.folder.mkdir(parents=True, exist_ok=True)
    snapshot = plan.folder / "project.ndproj"
    if not snapshot.exists():
        save_project(project, snapshot)
    epochs = plan.epochs or project.settings.training.max_epochs
    study = create_study(plan.storage, plan.study, spec, str(snapshot), epochs)
    if TRIALS_FOLDER_ATTR not in study.user_attrs:
        study.set_user_attr(TRIALS_FOLDER_ATTR, str(plan.folder.resolve()))
    if spec.strategy == "grid":
        queue_grid(study, spec)
    return study


def queue_grid(study: optuna.Study, spec: ExperimentSpec) -> int:
    """Queue the grid points the study has not tried or queued yet, as many as its budget
    leaves, so that parallel workers each take a different one (Optuna hands a queued trial
    to one worker only); returns how many were queued."""
    import itertools

    taken = set()
    for trial in study.get_trials(deepcopy=False):
        if trial.user_attrs.get(INTERRUPTED):
            continue  # queued again under another number
        params = trial.params or trial.system_attrs.get("fixed_params", {})
        taken.add(_key(params))
    targets = [p.target for p in spec.parameters]
    room = budget_of(spec) - len(taken)
    count = 0
    for values in itertools.product(*(p.grid_values() for p in spec.parameters)):
        params = dict(zip(targets, values, strict=True))
        if count < room and _key(params) not in taken:
            study.enqueue_trial(params)
            count += 1
    return count


def _key(params: dict[str, object]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, repr(v)) for k, v in params.items()))


@dataclass
class _Worker:
    tag: str
    quota: int
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class ExperimentRun:
    """An experiment being run by this process: ``run()`` blocks until the budget is spent,
    the time is up or ``cancel`` is set (then the workers are ended and their trials kept
    for a resume). ``on_trial(record)`` hears every trial that finishes."""

    project: Project
    spec: ExperimentSpec
    plan: ExperimentPlan
    cancel: CancelToken = field(default_factory=CancelToken)
    on_trial: Callable[[TrialRecord], None] | None = None
    python: str = sys.executable
    allow_unsafe: bool = False
    workers: list[_Worker] = field(default_factory=list)
    stopped: bool = False
    started: int = 0  # workers started so far (each one's index seeds its sampler)

    def run(self) -> optuna.Study:
        """Run the experiment; returns its study."""
        study = prepare_study(self.project, self.spec, self.plan)
        recover_interrupted(study, alive=_alive_here)
        remaining = budget_of(self.spec) - finished_count(study)
        deadline = None if self.spec.timeout_s is None else time.monotonic() + self.spec.timeout_s
        seen = {r.number for r in trial_records(study) if r.state not in ("RUNNING", "WAITING")}
        for quota in _shares(remaining, self.plan.parallel):
            self.workers.append(self._start(quota, deadline))
        try:
            while self.workers:
                if self.cancel.cancelled:
                    self.stop(study)
                    break
                self._reap(study, deadline)
                seen = self._report(study, seen)
                time.sleep(POLL_S)
        finally:
            if self.workers:  # an error in the runner itself: leave no worker behind
                self.stop(study)
        self._report(study, seen)
        return study

    def _start(self, quota: int, deadline: float | None) -> _Worker:
        index = self.started
        self.started += 1
        tag = f"w{index}-{uuid.uuid4().hex[:8]}"
        logs = self.plan.folder / "workers"
        logs.mkdir(parents=True, exist_ok=True)
        log = logs / f"{tag}.log"
        command = [
            self.python,
            "-m",
            "designer",
            "experiment-worker",
            "--storage",
            self.plan.storage,
            "--study",
            self.plan.study,
            "--trials",
            str(quota),
            "--tag",
            tag,
        ]
        if deadline is not None:
            command += ["--timeout", f"{max(deadline - time.monotonic(), 1.0):.1f}"]
        if self.allow_unsafe:
            command.append("--unsafe")
        for code in loaded_code():  # the custom layer code this process was given runs there too
            command += ["--custom-objects", str(code.path)]
        with open(log, "ab") as out:
            process = subprocess.Popen(
                command, stdout=out, stderr=subprocess.STDOUT, env=self._env(index)
            )
        return _Worker(tag, quota, process, log)

    def _env(self, index: int) -> dict[str, str]:
        env = dict(os.environ)
        gpus = visible_gpus()
        if gpus:  # one GPU per worker, in turn
            env["CUDA_VISIBLE_DEVICES"] = gpus[index % len(gpus)]
        cores = os.cpu_count() or 1
        env["ND_WORKER_THREADS"] = str(max(1, cores // max(self.plan.parallel, 1)))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        return env

    def _reap(self, study: optuna.Study, deadline: float | None) -> None:
        """Collect the workers that ended; a crashed one's trial is failed with the reason and
        a new worker takes over what it had left."""
        for worker in list(self.workers):
            code = worker.process.poll()
            if code is None:
                continue
            self.workers.remove(worker)
            if code == 0:
                continue
            reason = f"its worker process ended with exit code {code} ({_last_line(worker.log)})"
            fail_running(study, worker.tag, reason, interrupted=False)
            left = worker.quota - _ran_by(study, worker.tag)
            if left > 0 and not self.cancel.cancelled and _has_time(deadline):
                self.workers.append(self._start(left, deadline))

    def _report(self, study: optuna.Study, seen: set[int]) -> set[int]:
        if self.on_trial is None:
            return seen
        for record in trial_records(study):
            if record.state not in ("RUNNING", "WAITING") and record.number not in seen:
                seen = seen | {record.number}
                self.on_trial(record)
        return seen

    def stop(self, study: optuna.Study) -> None:
        """End every worker now; their running trials are kept for a resume."""
        self.stopped = True
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.process.terminate()
        for worker in self.workers:
            try:
                worker.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.process.kill()
                worker.process.wait()
            fail_running(study, worker.tag, "stopped with the experiment", interrupted=True)
        self.workers = []


def _shares(total: int, parts: int) -> list[int]:
    """``total`` trials shared among at most ``parts`` workers (no worker with none)."""
    parts = max(1, min(parts, total))
    if total <= 0:
        return []
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def _has_time(deadline: float | None) -> bool:
    return deadline is None or time.monotonic() < deadline


def _ran_by(study: optuna.Study, tag: str) -> int:
    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.user_attrs.get(WORKER_ATTR) == tag and t.state.is_finished()
    )


def fail_running(study: optuna.Study, tag: str | None, reason: str, *, interrupted: bool) -> int:
    """Mark the running trials of worker ``tag`` (None: any) failed with ``reason``; an
    interrupted one is queued again with the same values. Returns how many."""
    return sum(
        fail_trial(study, trial, reason, interrupted=interrupted)
        for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if tag is None or trial.user_attrs.get(WORKER_ATTR) == tag
    )


def recover_interrupted(study: optuna.Study, alive: Callable[[str, int], bool]) -> int:
    """Before a resume: trials left RUNNING by processes of this machine that no longer
    exist (a runner killed outright) are interrupted and queued again."""
    count = 0
    for trial in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,)):
        host, pid = trial.user_attrs.get("host"), trial.user_attrs.get("pid")
        if isinstance(host, str) and isinstance(pid, int) and not alive(host, pid):
            reason = "its process ended before the trial did"
            count += fail_trial(study, trial, reason, interrupted=True)
    return count


def fail_trial(
    study: optuna.Study, trial: optuna.trial.FrozenTrial, reason: str, *, interrupted: bool
) -> int:
    """Fail one running trial with ``reason`` (an interrupted one is queued again with its
    values); 1, or 0 when it finished in the meantime."""
    storage = study._storage  # the storage API: a trial another process was running
    try:
        storage.set_trial_user_attr(trial._trial_id, "error", reason)
        if interrupted:
            storage.set_trial_user_attr(trial._trial_id, INTERRUPTED, True)
        storage.set_trial_state_values(trial._trial_id, optuna.trial.TrialState.FAIL)
    except RuntimeError:
        return 0
    if interrupted and trial.params:
        study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
    return 1


def _alive_here(host: str, pid: int) -> bool:
    """False only for a process of this machine that is gone (another machine's: alive)."""
    import socket

    if host != socket.gethostname():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    return lines[-1][:300] if lines else "no output"
