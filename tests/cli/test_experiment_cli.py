"""``main.py experiment`` and ``experiment-worker`` on a tiny sample project: trials in two
processes at once, a worker started separately joining the same SQLite study, a second
invocation continuing the study, and the best trial applied to the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from designer.app.project import load_project
from designer.cli import main
from tests.experiment_fixtures import dropout_project, write_space

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _json(capsys) -> dict:
    return json.loads(capsys.readouterr().out.strip().splitlines()[-1])


def test_parallel_trials_a_joining_worker_a_resume_and_apply(tmp_path, capsys):
    project = dropout_project(tmp_path, name="tiny.ndproj")  # .ndproj: it can keep weights
    space = write_space(tmp_path, trials=2)  # a grid of 4 points, 2 of them for now
    storage = f"sqlite:///{tmp_path / 'study.db'}"
    common = ["--space", str(space), "--storage", storage, "--study", "lr-drop", "--json"]

    assert main(["experiment", str(project), "--parallel", "2", *common]) == 0
    first = _json(capsys)
    assert [t["state"] for t in first["trials"]] == ["COMPLETE", "COMPLETE"]
    assert first["trials"][0]["params"] != first["trials"][1]["params"]  # one point each
    assert first["best"]["trial"] in (0, 1) and 0.0 <= first["best"]["value"] <= 1.0
    for trial in first["trials"]:
        assert os.path.isfile(os.path.join(trial["folder"], "model.keras"))
        assert set(trial["params"]) == {"training.initial_learn_rate", "layer.drop.rate"}

    # A worker started on its own (as on another machine) joins the same study.
    worker = subprocess.run(
        [sys.executable, "-m", "designer", "experiment-worker", "--storage", storage]
        + ["--study", "lr-drop", "--trials", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    assert "trial 2 COMPLETE" in worker.stdout

    # The same storage and study again: it continues to the new budget.
    assert main(["experiment", str(project), "--trials", "4", "--parallel", "1", *common]) == 0
    resumed = _json(capsys)
    assert [t["number"] for t in resumed["trials"]] == [0, 1, 2, 3]
    assert all(t["state"] == "COMPLETE" for t in resumed["trials"])
    assert len({json.dumps(t["params"], sort_keys=True) for t in resumed["trials"]}) == 4

    args = ["experiment", str(project), "--apply", "best", "--with-weights", *common]
    assert main(args) == 0
    applied = _json(capsys)["applied"]
    assert applied["number"] == resumed["best"]["trial"]
    changed = load_project(project)
    params = resumed["best"]["params"]
    assert changed.settings.training.initial_learn_rate == params["training.initial_learn_rate"]
    assert changed.graph.find("drop").params["rate"] == params["layer.drop.rate"]
    assert changed.graph.find("f5").weights is not None  # the trial's trained weights


def test_unusable_input_exits_2(tmp_path, capsys):
    project = dropout_project(tmp_path)
    assert main(["experiment", str(project), "--json"]) == 2  # nothing varies
    assert "varies nothing" in _json(capsys)["error"]
    bad = write_space(tmp_path, strategy="sometimes")
    assert main(["experiment", str(project), "--space", str(bad)]) == 2
    assert "strategy" in capsys.readouterr().err
    assert main(["experiment", str(project), "--trials", "0"]) == 2
    args = ["experiment-worker", "--storage", f"sqlite:///{tmp_path / 'none.db'}", "--study", "x"]
    assert main(args) == 2
    assert "no study named 'x'" in capsys.readouterr().err
    assert main(["experiment-worker", "--storage", "not a url", "--study", "x"]) == 2
    assert "expected a storage URL" in capsys.readouterr().err
