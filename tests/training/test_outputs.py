"""Training outputs that survive a crash: atomic files, history on disk per epoch, folders
that cannot be written refused up front, failures as one-line results."""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import keras
import numpy as np
import pytest

from designer.training import Trainer, TrainingConfigError, TrainingOptions, TrainingSink
from designer.training.atomic import (
    clean_temporaries,
    temporaries,
    temporary_path,
    write_atomic,
    write_text_atomic,
)
from designer.training.console import train_model
from designer.training.history_files import CsvLog
from tests.training.killing import SaveReporting, tiny_model

from .util import blobs


def opts(**kw) -> TrainingOptions:
    base = {"solver": "adam", "max_epochs": 3, "mini_batch_size": 16, "shuffle": "never"}
    return TrainingOptions(**{**base, **kw})


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def dead_pid() -> int:
    """A pid no process has (above the kernel's maximum)."""
    return int(Path("/proc/sys/kernel/pid_max").read_text()) + 1


class FailingSave:
    """Makes the ``n``-th model save fail half-way (after the file was opened)."""

    def __init__(self, n: int = 1) -> None:
        self.n, self.saves = n, 0

    def __enter__(self) -> FailingSave:
        def hook() -> None:
            self.saves += 1
            if self.saves == self.n:
                raise OSError(28, "No space left on device (simulated)")

        SaveReporting.hook = hook
        return self

    def __exit__(self, *exc: object) -> None:
        SaveReporting.hook = None


# -- atomic files -------------------------------------------------------------------------
def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path):
    path = str(tmp_path / "result.json")
    write_text_atomic(path, '{"old": 1}')

    def half(tmp: str) -> None:
        with open(tmp, "w") as f:
            f.write('{"new"')
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_atomic(path, half)
    assert Path(path).read_text() == '{"old": 1}'
    assert os.listdir(tmp_path) == ["result.json"]


def test_stale_temporaries_of_dead_processes_are_removed_only(tmp_path):
    keep = ["history.csv", ".hidden", ".x.partial-abc.csv"]
    for name in keep:
        (tmp_path / name).write_text("mine")
    dead = tmp_path / f".epoch_001.keras.partial-{dead_pid()}-0a1b2c3d.keras"
    dead.write_text("half a zip")
    alive = Path(temporary_path(str(tmp_path / "model.keras")))
    alive.write_text("being written by this process")
    assert {pid for _, pid in temporaries(str(tmp_path))} == {dead_pid(), os.getpid()}
    assert clean_temporaries(str(tmp_path)) == 1
    assert sorted(os.listdir(tmp_path)) == sorted([*keep, alive.name])


# -- checkpoints and the final model (issue #12: truncated under their final names) -----
def test_a_checkpoint_save_failing_half_way_keeps_the_previous_checkpoint(tmp_path):
    x, y = blobs(32)
    ckpt = tmp_path / "ckpt"
    Trainer(tiny_model(), (x, y), None, opts(max_epochs=1, checkpoint_dir=str(ckpt))).run()
    before = (ckpt / "epoch_001.keras").read_bytes()
    with FailingSave(1):
        result = Trainer(
            tiny_model(), (x, y), None, opts(max_epochs=1, checkpoint_dir=str(ckpt))
        ).run()
    assert result.status == "failed" and result.stop_reason == "error"
    assert (
        result.message == "Training failed: OSError: [Errno 28] No space left on device (simulated)"
    )
    assert (ckpt / "epoch_001.keras").read_bytes() == before  # not a half-written zip
    assert os.listdir(ckpt) == ["epoch_001.keras"]  # and no temporary left behind
    assert result.folders == {"checkpoints": str(ckpt)}


def test_final_model_save_failing_keeps_the_old_model_and_reports(tmp_path):
    x, y = blobs(32)
    out = tmp_path / "run"
    train_model(tiny_model(), (x, y), None, opts(max_epochs=1), str(out), stream=io.StringIO())
    good = (out / "model.keras").read_bytes()
    printed = io.StringIO()
    with FailingSave(1):
        summary = train_model(tiny_model(), (x, y), None, opts(), str(out), stream=printed)
    assert summary["status"] == "failed" and summary["stop_reason"] == "save_failed"
    assert summary["message"] == (
        f"Could not write the training outputs to {out}: OSError: [Errno 28] No space left on "
        "device (simulated)"
    )
    assert f"[failed] {summary['message']}\n" in printed.getvalue()
    assert (out / "model.keras").read_bytes() == good
    assert [int(r["epoch"]) for r in rows(out / "history.csv")] == [1, 2, 3]  # this run's
    assert not temporaries(str(out))
    keras.saving.load_model(str(out / "model.keras"))


# -- history on disk as the run goes (issue #12: written only at the end) ---------------
def test_history_and_iterations_grow_as_each_epoch_ends(tmp_path):
    x, y = blobs(48)
    out = tmp_path / "run"
    seen: list[tuple[int, int, int]] = []

    class Look(TrainingSink):
        def on_epoch(self, summary):
            seen.append(
                (summary.epoch, len(rows(out / "history.csv")), len(rows(out / "iterations.csv")))
            )

    options = opts(validation_frequency="epoch")
    train_model(tiny_model(), (x, y), (x, y), options, str(out), sink=Look(), stream=io.StringIO())
    assert seen == [(1, 1, 3), (2, 2, 6), (3, 3, 9)]
    # The end of the run writes the files exactly as TrainingResult.write_csv does.
    result = Trainer(tiny_model(), (x, y), (x, y), options).run()
    result.write_csv(str(tmp_path / "expected.csv"))
    assert list(rows(out / "history.csv")[0]) == list(rows(tmp_path / "expected.csv")[0])
    assert (out / "history.csv").read_bytes().count(b"\r\n") == 4


def test_a_run_that_fails_mid_epoch_keeps_the_finished_epochs_on_disk(tmp_path):
    x, y = blobs(48)
    out = tmp_path / "run"

    class Boom(TrainingSink):
        def on_iteration(self, point):
            if point.iteration == 5:
                raise ValueError("the data went away\nsecond line of detail")

    summary = train_model(
        tiny_model(), (x, y), None, opts(), str(out), sink=Boom(), stream=io.StringIO()
    )
    assert summary["status"] == "failed"
    assert [r["epoch"] for r in rows(out / "history.csv")] == ["1"]
    assert [r["iteration"] for r in rows(out / "iterations.csv")] == ["1", "2", "3", "4", "5"]
    result = (out / "result.json").read_text()
    assert '"message": "Training failed: ValueError: the data went away"' in result


def test_csv_log_widens_its_header_when_a_column_appears(tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("an older run's file\n")
    log = CsvLog(str(path))
    log.append([{"epoch": 1, "loss": 0.5}])
    log.append([{"epoch": 2, "loss": 0.25}])
    log.append([{"epoch": 3, "loss": 0.125, "val_loss": 'a "quoted", odd\nvalue'}])
    log.append([{"epoch": 4, "val_loss": 1.0}])
    log.close()
    assert rows(path) == [
        {"epoch": "1", "loss": "0.5", "val_loss": ""},
        {"epoch": "2", "loss": "0.25", "val_loss": ""},
        {"epoch": "3", "loss": "0.125", "val_loss": 'a "quoted", odd\nvalue'},
        {"epoch": "4", "loss": "", "val_loss": "1.0"},
    ]
    assert not temporaries(str(tmp_path))


# -- where the files go, and folders that cannot be used --------------------------------
def test_train_model_prints_and_returns_its_folders(tmp_path):
    x, y = blobs(32)
    printed = io.StringIO()
    options = opts(
        max_epochs=1, checkpoint_dir=str(tmp_path / "c"), tensorboard_dir=str(tmp_path / "tb")
    )
    summary = train_model(tiny_model(), (x, y), None, options, str(tmp_path / "o"), stream=printed)
    folders = {"output": "o", "checkpoints": "c", "tensorboard": "tb"}
    assert summary["folders"] == {k: str(tmp_path / v) for k, v in folders.items()}
    lines = printed.getvalue().splitlines()
    assert lines[:3] == [
        f"Output: {tmp_path / 'o'}",
        f"Checkpoints: {tmp_path / 'c'}",
        f"TensorBoard logs: {tmp_path / 'tb'}",
    ]


@pytest.mark.parametrize("option", ["checkpoint_dir", "tensorboard_dir"])
def test_a_folder_that_cannot_be_created_is_refused_before_training(tmp_path, option):
    x, y = blobs(32)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(TrainingConfigError) as info:
        Trainer(tiny_model(), (x, y), None, opts(**{option: str(blocker / "sub")})).run()
    assert str(info.value) == (
        f"{option}: expected a folder that training can write to, received {blocker / 'sub'} "
        "(Not a directory)"
    )
    with pytest.raises(TrainingConfigError, match="output folder: expected a folder"):
        train_model(tiny_model(), (x, y), None, opts(), str(blocker), stream=io.StringIO())


def test_folder_options_must_be_paths():
    from designer.training.options import OptionsError

    with pytest.raises(OptionsError, match=r"checkpoint_dir: expected a folder path or None, rec"):
        TrainingOptions(checkpoint_dir=["../.."])
    with pytest.raises(OptionsError, match=r"tensorboard_dir: expected a folder path"):
        TrainingOptions.from_dict({"tensorboard_dir": "tb\x00"})


# -- failures reach the caller as one line ----------------------------------------------
def test_nan_loss_stops_with_an_explanation_and_writes_what_was_done(tmp_path):
    x, y = blobs(48)
    x[20, 0] = np.nan  # in the second mini-batch
    summary = train_model(tiny_model(), (x, y), None, opts(), str(tmp_path), stream=io.StringIO())
    assert summary["status"] == "failed" and summary["stop_reason"] == "nan"
    result = (tmp_path / "result.json").read_text()
    assert "the loss became NaN. Try a lower initial learning rate" in result
    assert [r["epoch"] for r in rows(tmp_path / "history.csv")] == ["1"]


def test_a_sink_failing_before_the_first_iteration_is_a_config_error():
    x, y = blobs(32)

    class Broken(TrainingSink):
        def on_start(self, info):
            raise KeyError("metrics")

    with pytest.raises(TrainingConfigError) as info:
        Trainer(tiny_model(), (x, y), None, opts(), Broken()).run()
    assert str(info.value) == "Training could not start: KeyError: metrics"
