"""``python main.py train``: JSON summary, files written, exit codes (real training, tiny data)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from designer.app.project import load_project, save_project
from designer.cli import main
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def tiny_project(tmp_path: Path, samples: int = 200, **training) -> Path:
    """The sample project with fewer digits (and changed options), saved as JSON."""
    project = load_project(SAMPLE)
    edit_sections(project, data={"source": {"num_samples": samples}}, training=training)
    return save_project(project, tmp_path / "tiny.json")


def test_train_json_summary_and_files(tmp_path, capsys):
    path = tiny_project(tmp_path)
    out = tmp_path / "out"
    code = main(["train", str(path), "--epochs", "1", "--out", str(out), "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    summary = json.loads(captured.out.strip().splitlines()[-1])
    assert {"epochs", "final", "best", "seconds", "samples_per_second"} <= set(summary)
    assert summary["epochs"] == 1 and summary["status"] == "finished"
    assert 0.0 <= summary["final"]["val_accuracy"] <= 1.0
    assert "Epoch 1/1" in captured.err  # progress goes to stderr with --json
    for name in ("model.keras", "history.csv", "iterations.csv", "result.json"):
        assert (out / name).stat().st_size > 0
    with open(out / "history.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1 and "val_loss" in rows[0]


def test_train_prints_progress_without_json(tmp_path, capsys):
    path = tiny_project(tmp_path, samples=100)
    code = main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "o")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Epoch 1/1" in out and "Saved" in out


def test_unusable_input_exits_2(tmp_path, capsys):
    assert main(["train", str(tmp_path / "missing.json"), "--json"]) == 2
    assert "error" in json.loads(capsys.readouterr().out)
    project = load_project(SAMPLE)
    edit_sections(project, data={"source": None})
    path = save_project(project, tmp_path / "nodata.json")
    assert main(["train", str(path), "--out", str(tmp_path / "o")]) == 2
    assert "no training data" in capsys.readouterr().err
    assert main(["train", str(path), "--epochs", "0"]) == 2


def test_nan_loss_exits_1(tmp_path, capsys):
    project = load_project(SAMPLE)
    edit_sections(project, data={"source": {"num_samples": 100}})
    for node in project.graph.nodes:
        if node.params.get("activation") == "tanh":
            project.graph.set_params(node.id, activation="relu")
    edit_sections(
        project, training={"solver": "sgdm", "initial_learn_rate": 1e6, "mini_batch_size": 32}
    )
    path = save_project(project, tmp_path / "nan.json")
    code = main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "o"), "--json"])
    captured = capsys.readouterr()
    assert code == 1
    assert json.loads(captured.out.strip().splitlines()[-1])["stop_reason"] == "nan"
    assert "NaN" in captured.err


def test_a_checkpoint_folder_from_the_file_needs_the_users_choice(tmp_path, capsys, monkeypatch):
    from designer.app.run_dirs import forget_confirmed

    outside = tmp_path / "elsewhere"
    path = tiny_project(tmp_path, samples=60, checkpoint_dir=str(outside))
    forget_confirmed()
    assert main(["train", str(path), "--epochs", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert str(outside) in err and "--checkpoint-dir" in err and not outside.exists()
    monkeypatch.chdir(tmp_path)
    try:
        code = main(["train", str(path), "--epochs", "1", "--out", "o", "--checkpoint-dir", "mine"])
    finally:
        forget_confirmed()
    assert code == 0
    assert "Checkpoints: " + str(tmp_path / "mine") in capsys.readouterr().out
    assert list((tmp_path / "mine").iterdir()) and not outside.exists()
