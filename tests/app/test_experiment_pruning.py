"""Pruning in a worker running in this process: after two good trials, a trial whose
validation loss lags their median is stopped early and recorded as pruned; a trial with
values the project refuses fails with the reason."""

from __future__ import annotations

from designer.app.experiment_run import default_plan, prepare_study
from designer.app.experiment_trial import run_worker
from designer.app.project import load_project
from designer.training.experiment_spec import ExperimentSpec
from designer.training.study import trial_records
from tests.experiment_fixtures import dropout_project


def test_median_pruner_stops_a_lagging_trial_and_bad_values_fail(tmp_path):
    project = load_project(dropout_project(tmp_path, samples=160))
    spec = ExperimentSpec.from_dict(
        {
            "parameters": [
                {"target": "training.initial_learn_rate", "kind": "log", "low": 1e-6, "high": 1},
                {"target": "training.mini_batch_size", "kind": "list", "values": [0, 32]},
            ],
            "strategy": "random",
            "trials": 4,
            "objective": "val_loss",
            "pruner": "median",
            "epochs": 4,
        }
    )
    plan = default_plan(project, spec, parallel=1, study="pruning")
    study = prepare_study(project, spec, plan)
    for lr, batch in ((0.003, 32), (0.003, 32), (1e-6, 32), (0.003, 0)):
        study.enqueue_trial({"training.initial_learn_rate": lr, "training.mini_batch_size": batch})
    assert run_worker(plan.storage, plan.study, trials=4) == 4
    records = trial_records(study)
    assert [r.state for r in records] == ["COMPLETE", "COMPLETE", "PRUNED", "FAIL"]
    assert records[0].epochs == 4 and records[2].epochs < 4
    assert len(records[0].history["val_loss"]) == 4
    assert "mini_batch_size" in records[3].error
