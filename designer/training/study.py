"""Optuna's side of an experiment: storages, samplers, pruners, suggestions and trial records.

A study lives in an Optuna storage given by URL: ``sqlite:///path.db`` (the default, one file
beside the project), any SQLAlchemy URL (``postgresql://user@host/db``) or a journal file
(``journal:///path/experiment.log``, or any path ending in ``.log``). Every process that opens
the same storage and study name shares its trials: workers on many machines need only the URL.
The study keeps the experiment's definition and the project it trains in its user attributes,
so a worker needs nothing else.
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import optuna

from designer.training.experiment_spec import ExperimentError, ExperimentSpec, Parameter

SPEC_ATTR, PROJECT_ATTR, FOLDER_ATTR = "nd_experiment", "nd_project", "nd_trial_folder"
INTERRUPTED = "interrupted"  # user attribute of a trial stopped with its study, to run again

optuna.logging.set_verbosity(optuna.logging.WARNING)
logging.getLogger("optuna").propagate = True


class StudyError(ValueError):
    """A storage or study cannot be opened or used; the message says which and why."""


def storage_for(url: str, *, heartbeat: bool = True) -> optuna.storages.BaseStorage:
    """The Optuna storage behind ``url`` (SQLAlchemy URL or journal file); StudyError when
    it cannot be opened. RDB storages get a heartbeat, so a worker that dies (a machine off,
    a killed process) has its running trial marked failed after a grace period."""
    try:
        if url.startswith("journal:") or (url.endswith(".log") and "://" not in url):
            from optuna.storages.journal import JournalFileBackend, JournalStorage

            path = url.removeprefix("journal:").removeprefix("//")
            os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
            return JournalStorage(JournalFileBackend(path))
        if "://" not in url:
            raise StudyError(
                f"expected a storage URL such as sqlite:///experiments.db, "
                f"postgresql://host/db or journal:///path/experiment.log; received {url!r}"
            )
        if url.startswith("sqlite:///"):
            folder = os.path.dirname(os.path.abspath(url.removeprefix("sqlite:///")))
            os.makedirs(folder, exist_ok=True)
        kwargs: dict[str, Any] = {}
        if heartbeat:
            kwargs = {"heartbeat_interval": 20, "grace_period": 90}
        return _rdb_storage(url, kwargs)
    except StudyError:
        raise
    except Exception as exc:  # SQLAlchemy, a missing driver, a locked or damaged file
        raise StudyError(f"cannot open the experiment storage {url}: {_one_line(exc)}") from exc


def _rdb_storage(url: str, kwargs: dict[str, Any], attempts: int = 5) -> Any:
    """An RDBStorage; tried again when another process is creating the same new database
    at the same moment (its schema stamp then collides with ours)."""
    import sqlalchemy.exc

    for attempt in range(attempts):
        try:
            with warnings.catch_warnings():  # the heartbeat is "experimental" since Optuna 2.9
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                return optuna.storages.RDBStorage(url, engine_kwargs=_engine_kwargs(url), **kwargs)
        except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.OperationalError):
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def _engine_kwargs(url: str) -> dict[str, Any]:
    # Several processes write one SQLite file: wait for its lock instead of failing at once.
    return {"connect_args": {"timeout": 60}} if url.startswith("sqlite") else {}


def sampler_for(spec: ExperimentSpec, worker: int | None = 0) -> optuna.samplers.BaseSampler:
    """The sampler of the spec's strategy (grid points come from each parameter). Each worker
    seeds its own (the spec's seed plus its index, None: unseeded), so that parallel workers
    do not draw the same values."""
    seed = None if spec.seed is None or worker is None else spec.seed + worker
    if spec.strategy == "grid":
        space = {p.target: p.grid_values() for p in spec.parameters}
        return optuna.samplers.GridSampler(space, seed=seed)
    if spec.strategy == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(5, spec.trials))


def pruner_for(spec: ExperimentSpec, epochs: int) -> optuna.pruners.BasePruner:
    """The pruner fed with the objective after every epoch."""
    if spec.pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    if spec.pruner == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=1, max_resource=max(epochs, 1))
    return optuna.pruners.NopPruner()


def create_study(
    url: str, name: str, spec: ExperimentSpec, project_path: str, epochs: int
) -> optuna.Study:
    """Create the study ``name`` in ``url``, or open it when it exists (a resume): the
    spec and project path are stored with it; a spec that differs from the stored one is
    refused, since its trials would not compare."""
    spec.check()
    storage = storage_for(url)
    try:
        study = optuna.create_study(
            storage=storage,
            study_name=name,
            direction=spec.resolved_direction,
            sampler=sampler_for(spec),
            pruner=pruner_for(spec, epochs),
            load_if_exists=True,
        )
    except Exception as exc:
        raise StudyError(f"cannot create the study {name!r} in {url}: {_one_line(exc)}") from exc
    stored = study.user_attrs.get(SPEC_ATTR)
    if stored is None:
        study.set_user_attr(SPEC_ATTR, spec.to_dict())
        study.set_user_attr(PROJECT_ATTR, os.path.abspath(project_path))
        study.set_user_attr("nd_epochs", epochs)
    elif ExperimentSpec.from_dict(stored).parameters != spec.parameters:
        raise StudyError(
            f"the study {name!r} in {url} varies {_targets(stored)}, this experiment varies "
            f"{', '.join(p.target for p in spec.parameters)}: choose another study name"
        )
    return study


def open_study(url: str, name: str, worker: int | None = 0) -> tuple[optuna.Study, ExperimentSpec]:
    """Open an existing study made by :func:`create_study` (for a worker that joins it;
    ``worker`` seeds its sampler, see :func:`sampler_for`)."""
    storage = storage_for(url)
    try:
        names = [s.study_name for s in optuna.get_all_study_summaries(storage)]
    except Exception as exc:
        raise StudyError(f"cannot read the studies in {url}: {_one_line(exc)}") from exc
    if name not in names:
        raise StudyError(
            f"no study named {name!r} in {url} (it holds: {', '.join(names) or 'none'})"
        )
    probe = optuna.load_study(study_name=name, storage=storage)
    raw = probe.user_attrs.get(SPEC_ATTR)
    if raw is None:
        raise StudyError(f"the study {name!r} was not made by Network Designer's experiments")
    spec = ExperimentSpec.from_dict(raw)
    epochs = int(probe.user_attrs.get("nd_epochs", 1))
    study = optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=sampler_for(spec, worker),
        pruner=pruner_for(spec, epochs),
    )
    return study, spec


def read_study(url: str, name: str) -> optuna.Study | None:
    """The study ``name`` for reading (no heartbeat, no sampler), or None while it does not
    exist yet (a SQLite file not yet written is not created); StudyError when the storage
    cannot be read."""
    if url.startswith("sqlite:///") and not os.path.exists(url.removeprefix("sqlite:///")):
        return None
    storage = storage_for(url, heartbeat=False)
    try:
        names = {s.study_name for s in optuna.get_all_study_summaries(storage)}
        if name not in names:
            return None
        return optuna.load_study(study_name=name, storage=storage)
    except Exception as exc:
        raise StudyError(f"cannot read the study {name!r} in {url}: {_one_line(exc)}") from exc


def suggest(trial: optuna.Trial, spec: ExperimentSpec) -> dict[str, Any]:
    """The trial's values of every parameter, by target."""
    return {p.target: _suggest_one(trial, p, spec.strategy) for p in spec.parameters}


def _suggest_one(trial: optuna.Trial, p: Parameter, strategy: str) -> Any:
    if strategy == "grid" or p.kind in ("list", "choice"):
        values = p.grid_values() if strategy == "grid" else list(p.values)
        return trial.suggest_categorical(p.target, values)
    assert p.low is not None and p.high is not None
    if p.integer:
        step = int(p.step) if p.step else 1
        return trial.suggest_int(p.target, int(p.low), int(p.high), step=step, log=p.kind == "log")
    return trial.suggest_float(p.target, p.low, p.high, step=p.step, log=p.kind == "log")


@dataclass(frozen=True)
class TrialRecord:
    """One trial as the table, the CSV and ``--json`` show it."""

    number: int
    state: str  # COMPLETE, PRUNED, FAIL, RUNNING, WAITING
    params: dict[str, Any]
    value: float | None
    metrics: dict[str, float | None] = field(default_factory=dict)
    seconds: float | None = None
    error: str = ""
    folder: str = ""
    history: dict[str, list[float | None]] = field(default_factory=dict)
    epochs: int = 0

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` form: number, params, value, state (and what else is known)."""
        out: dict[str, Any] = {
            "number": self.number,
            "params": self.params,
            "value": self.value,
            "state": self.state,
        }
        if self.metrics:
            out["metrics"] = self.metrics
        if self.seconds is not None:
            out["seconds"] = round(self.seconds, 3)
        if self.error:
            out["error"] = self.error
        if self.folder:
            out["folder"] = self.folder
        return out


def trial_records(study: optuna.Study) -> list[TrialRecord]:
    """Every trial of ``study``, by number."""
    return [record_of(t) for t in study.get_trials(deepcopy=False)]


def record_of(trial: optuna.trial.FrozenTrial) -> TrialRecord:
    """The TrialRecord of one Optuna trial."""
    attrs = trial.user_attrs
    seconds = attrs.get("seconds")
    if seconds is None and trial.datetime_start and trial.datetime_complete:
        seconds = (trial.datetime_complete - trial.datetime_start).total_seconds()
    value = trial.value if trial.values is not None and len(trial.values) == 1 else None
    if value is None and trial.intermediate_values:  # pruned: its last report
        value = trial.intermediate_values[max(trial.intermediate_values)]
    return TrialRecord(
        number=trial.number,
        state=trial.state.name,
        params=dict(trial.params or trial.system_attrs.get("fixed_params", {})),  # or queued
        value=_finite_or_none(value),
        metrics=dict(attrs.get("metrics", {})),
        seconds=seconds,
        error=str(attrs.get("error", "")),
        folder=str(attrs.get(FOLDER_ATTR, "")),
        history=dict(attrs.get("history", {})),
        epochs=int(attrs.get("epochs", len(trial.intermediate_values))),
    )


def best_record(study: optuna.Study) -> TrialRecord | None:
    """The best completed trial, or None before the first one completes."""
    try:
        return record_of(study.best_trial)
    except ValueError:
        return None


def finished_count(study: optuna.Study) -> int:
    """Trials that count against the budget: completed, pruned, and failed for a reason of
    their own (an interrupted trial is run again on resume, so it does not count)."""
    states = (
        optuna.trial.TrialState.COMPLETE,
        optuna.trial.TrialState.PRUNED,
        optuna.trial.TrialState.FAIL,
    )
    return sum(
        1
        for t in study.get_trials(deepcopy=False, states=states)
        if not t.user_attrs.get(INTERRUPTED)
    )


def importances(study: optuna.Study) -> dict[str, float]:
    """Optuna's fANOVA importance of each parameter (needs two completed trials; {} before,
    or when every completed trial has the same values)."""
    done = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len(done) < 2:
        return {}
    try:
        evaluator = optuna.importance.FanovaImportanceEvaluator(seed=0)
        return dict(optuna.importance.get_param_importances(study, evaluator=evaluator))
    except (RuntimeError, ValueError, ZeroDivisionError):
        return {}


def _targets(raw: Any) -> str:
    try:
        return ", ".join(p.target for p in ExperimentSpec.from_dict(raw).parameters)
    except ExperimentError:
        return "other parameters"


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:300]


def dumps(value: Any) -> str:
    """JSON text of a record's plain data (NaN never written)."""
    return json.dumps(value, allow_nan=False, default=str)
