"""``train --workers N``: N local worker processes with MultiWorkerMirroredStrategy (real
processes, real Keras, tiny data)."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from designer.app.project import load_project, save_project
from designer.cli import main
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def _project(tmp_path: Path, name: str = "tiny.json", **data) -> Path:
    project = load_project(SAMPLE)
    edit_sections(
        project,
        data=data or {"source": {"num_samples": 256}},
        training={"solver": "adam", "initial_learn_rate": 0.005, "mini_batch_size": 32},
    )
    return save_project(project, tmp_path / name)


def _scratch() -> set[str]:
    return {p.name for p in Path(tempfile.gettempdir()).glob("nd-worker*")}


def _summary(text: str) -> dict:
    return json.loads(text.strip().splitlines()[-1])


def test_two_workers_train_like_one(tmp_path, capsys):
    path = _project(tmp_path)
    scratch = _scratch()
    one, two = tmp_path / "one", tmp_path / "two"
    assert main(["train", str(path), "--epochs", "2", "--out", str(one), "--json"]) == 0
    single = _summary(capsys.readouterr().out)
    code = main(
        ["train", str(path), "--workers", "2", "--epochs", "2", "--out", str(two), "--json"]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = _summary(captured.out)
    assert summary["workers"] == 2 and summary["status"] == "finished"
    assert summary["epochs"] == 2
    assert "2 workers with MultiWorkerMirroredStrategy" in captured.err  # the chief's progress
    for key in ("accuracy", "val_accuracy"):
        assert abs(summary["final"][key] - single["final"][key]) < 0.3, (summary, single)
    assert summary["final"]["val_accuracy"] > 0.3  # it learned (10 classes)
    assert (two / "model.keras").stat().st_size > 0
    models = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("model.keras"))
    assert models == [Path("one/model.keras"), Path("two/model.keras")]  # the chief's only
    assert _scratch() <= scratch  # the other worker's folders are gone


def test_a_failing_run_ends_every_worker_with_the_chiefs_code(tmp_path, capsys, monkeypatch):
    project = load_project(SAMPLE)
    edit_sections(project, data={"source": None})
    path = save_project(project, tmp_path / "nodata.json")
    out = tmp_path / "o"
    code = main(["train", str(path), "--workers", "2", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 2
    summary = _summary(captured.out)
    assert summary["workers"] == 2 and "no training data" in summary["error"]
    assert "no training data" in captured.err
    assert not (out / "model.keras").exists()
    assert main(["train", str(path), "--workers", "0"]) == 2
    assert "--workers expects an integer >= 1" in capsys.readouterr().err
    monkeypatch.delenv("TF_CONFIG", raising=False)  # a worker started by hand needs one
    assert main(["train", str(_project(tmp_path)), "--environment", "multi-worker"]) == 2
    assert "expects the environment variable TF_CONFIG" in capsys.readouterr().err
