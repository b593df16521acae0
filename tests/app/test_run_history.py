"""The per-epoch curves a project keeps of its last run (RunResults.history): filled from a
run, NaN kept as null, capped, saved and read back the same; files without them still load."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from designer.app.project import load_project, save_project
from designer.app.project_run import epoch_history, prepare_run, run_results, store_results
from designer.app.settings import MAX_HISTORY_EPOCHS, ProjectSettings, RunResults, SettingsError
from designer.training.history import TrainingResult
from designer.training.trainer import Trainer
from tests.fixtures import edit_sections

SAMPLE = Path(__file__).resolve().parents[2] / "designer" / "resources" / "samples" / "lenet5.json"


def epoch_rows(losses, accuracies, val_losses, per_epoch: int = 4):
    """Epoch rows as the trainer's history writes them."""
    return [
        {
            "epoch": e,
            "iteration": e * per_epoch,
            "learning_rate": 0.001,
            "elapsed": 0.5 * e,
            "loss": loss,
            "accuracy": acc,
            **({"val_loss": val} if val is not None else {}),
            "phase": "fine-tune",
        }
        for e, (loss, acc, val) in enumerate(zip(losses, accuracies, val_losses, strict=True), 1)
    ]


def diverged_run() -> TrainingResult:
    """A three-epoch run whose loss went to NaN and inf; no validation in the first epoch."""
    rows = epoch_rows([0.9, math.nan, math.inf], [0.5, 0.25, 0.125], [None, 1.5, math.nan])
    return TrainingResult(
        "failed", "nan", "The loss became NaN", epochs=rows, final={"loss": math.nan}, seconds=2.0
    )


def test_a_run_keeps_its_per_epoch_curves_with_nan_as_null():
    results = run_results(diverged_run(), None)
    assert results.history == {
        "epoch": [1, 2, 3],
        "iteration": [4, 8, 12],
        "loss": [0.9, None, None],
        "accuracy": [0.5, 0.25, 0.125],
        "val_loss": [None, 1.5, None],
    }  # time, learning rate and the phase's name are no curves
    plain = results.to_dict()
    again = RunResults.from_dict(json.loads(json.dumps(plain, allow_nan=False)))
    assert again == results and again.history == results.history


def test_curves_survive_a_save_and_a_load(tmp_path):
    project = load_project(SAMPLE)
    project.settings = project.settings.replace(results=run_results(diverged_run(), None))
    for name in ("trained.ndproj", "trained.json"):
        again = load_project(save_project(project, tmp_path / name))
        assert again.settings == project.settings
        assert again.settings.results.history["loss"] == [0.9, None, None]
    # As plain data: null in the file, and the section reads back equal (settings' own check).
    sections = project.settings.to_dict()
    assert sections["results"]["history"]["val_loss"] == [None, 1.5, None]
    assert ProjectSettings.from_dict(json.loads(json.dumps(sections))) == project.settings


def test_results_written_before_the_curves_load_without_them():
    old = {
        "status": "finished",
        "stop_reason": "max_epochs",
        "message": "Finished after 2 epochs",
        "epochs": 2,
        "trained_at": "2025-01-02T03:04:05",
        "final": {"loss": 0.25},
    }
    results = RunResults.from_dict(old)
    assert results.history == {} and "history" not in results.to_dict()
    assert RunResults.from_dict({**old, "history": None}) == results
    assert ProjectSettings.from_dict({"results": old}).results == results


def test_long_runs_keep_evenly_spread_epochs():
    n = 2500
    rows = epoch_rows([1.0 / e for e in range(1, n + 1)], [0.5] * n, [0.75] * n)
    history = epoch_history(rows)
    assert len(history["epoch"]) == MAX_HISTORY_EPOCHS
    assert history["epoch"][0] == 1 and history["epoch"][-1] == n
    assert history["epoch"] == sorted(set(history["epoch"]))
    results = RunResults.from_dict({"status": "finished", "epochs": n, "history": history})
    assert RunResults.from_dict(json.loads(json.dumps(results.to_dict()))) == results


@pytest.mark.parametrize(
    ("history", "says"),
    [
        ([1, 2], "expected history as an object"),
        ({"loss": 0.5}, "expected loss as a list"),
        ({"loss": [0.5, "x"]}, "finite numbers or null, received 'x'"),
        ({"loss": [0.5, True]}, "finite numbers or null, received True"),
        ({"loss": [math.nan]}, "finite numbers or null, received nan"),
        ({"loss": [0.5, 0.4], "val_loss": [0.6]}, "one value per epoch"),
        ({"loss": [0.5] * (MAX_HISTORY_EPOCHS + 1)}, "at most 1000 epochs of loss"),
    ],
)
def test_unfit_curves_are_refused_by_name(history, says):
    with pytest.raises(SettingsError, match="results") as caught:
        ProjectSettings.from_dict({"results": {"status": "finished", "history": history}})
    assert says in str(caught.value)


def test_a_real_run_stores_the_curves_it_drew(tmp_path):
    project = edit_sections(
        load_project(SAMPLE),
        data={"source": {"num_samples": 120}},
        training={"max_epochs": 2, "mini_batch_size": 32, "validation_frequency": "epoch"},
    )
    run = prepare_run(project)
    result = Trainer(run.model, run.data.train, run.data.validation, run.options).run()
    assert result.status == "finished"
    store_results(project, run, result)
    again = load_project(save_project(project, tmp_path / "trained.ndproj"))
    history = again.settings.results.history
    steps = run.data.steps_per_epoch
    assert history["epoch"] == [1, 2] and history["iteration"] == [steps, 2 * steps]
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        assert history[key] == pytest.approx([row[key] for row in result.epochs]), key
