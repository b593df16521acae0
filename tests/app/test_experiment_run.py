"""The experiment runner: a stopped experiment keeps the trial it was running and a resume
runs it again with the same values; a worker that dies mid-trial fails only that trial,
with the reason, and a new worker finishes the budget."""

from __future__ import annotations

import os
import signal
import threading

import optuna
import pytest

from designer.app.experiment_run import ExperimentRun, default_plan
from designer.app.project import load_project
from designer.training.experiment_spec import ExperimentSpec
from designer.training.study import INTERRUPTED, open_study
from tests.experiment_fixtures import SPACE, dropout_project

RUNNING = optuna.trial.TrialState.RUNNING


def _wait_for(condition, runner: threading.Thread) -> None:
    """Wait until ``condition()`` holds (or the runner ended, which fails the test)."""
    done = threading.Event()
    while not condition():
        if not runner.is_alive():
            pytest.fail("the experiment ended before the awaited state")
        done.wait(0.2)


def _start(run: ExperimentRun) -> tuple[threading.Thread, dict]:
    box: dict = {}
    thread = threading.Thread(target=lambda: box.setdefault("study", run.run()), daemon=True)
    thread.start()
    return thread, box


def _running_trials(plan) -> list:
    try:
        study, _ = open_study(plan.storage, plan.study)
    except ValueError:  # not created yet
        return []
    return [t for t in study.get_trials(deepcopy=False, states=(RUNNING,)) if t.params]


@pytest.fixture
def experiment(tmp_path):
    project = load_project(dropout_project(tmp_path, samples=120))
    # Trials of 15 epochs: long enough to be caught running, which is all the test waits for.
    spec = ExperimentSpec.from_dict({**SPACE, "strategy": "random", "trials": 2, "epochs": 15})
    plan = default_plan(project, spec, parallel=1, study="stop-resume")
    return project, spec, plan


def test_stop_resume_and_a_worker_that_dies(experiment):
    project, spec, plan = experiment
    run = ExperimentRun(project, spec, plan)
    thread, _ = _start(run)
    _wait_for(lambda: _running_trials(plan), thread)
    run.cancel.cancel()
    thread.join(120)
    assert not thread.is_alive() and run.stopped
    study, _ = open_study(plan.storage, plan.study)
    stopped = [t for t in study.trials if t.user_attrs.get(INTERRUPTED)]
    assert len(stopped) == 1 and stopped[0].state == optuna.trial.TrialState.FAIL
    waiting = study.get_trials(states=(optuna.trial.TrialState.WAITING,))
    assert [t.system_attrs["fixed_params"] for t in waiting] == [stopped[0].params]

    # Resume; its worker is killed mid-trial: that trial fails with the reason (it counts),
    # a new worker runs the rest of the budget.
    records = []
    resume = ExperimentRun(project, spec, plan, on_trial=records.append)
    thread, box = _start(resume)
    _wait_for(lambda: _running_trials(plan), thread)
    victim = _running_trials(plan)[0]
    assert victim.user_attrs["retry_of"] == stopped[0].number  # the queued one runs first
    os.kill(victim.user_attrs["pid"], signal.SIGKILL)
    thread.join(300)
    assert not thread.is_alive()
    crashed = [r for r in records if "exit code -9" in r.error]
    assert len(crashed) == 1 and crashed[0].state == "FAIL"
    assert sorted(r.state for r in records) == ["COMPLETE", "FAIL"]
    final = box["study"].get_trials()
    assert len([t for t in final if not t.user_attrs.get(INTERRUPTED)]) == 2
