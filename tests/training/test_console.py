"""Terminal progress printer and train_model for the CLI."""

from __future__ import annotations

import io
import json
import os

import keras

from designer.training import Trainer, TrainingOptions
from designer.training.console import ConsoleProgressSink, format_seconds, train_model

from .util import blobs, classifier


class FakeTty(io.StringIO):
    def isatty(self):
        return True


def test_train_model_writes_files_and_prints_json(tmp_path):
    x, y = blobs(48)
    out = io.StringIO()
    options = TrainingOptions(
        solver="adam", max_epochs=2, mini_batch_size=16, validation_frequency="epoch"
    )
    summary = train_model(
        classifier(), (x, y), (x, y), options, str(tmp_path / "run"), json=True, stream=out
    )
    printed = json.loads(out.getvalue())
    assert printed == json.loads(json.dumps(summary))
    assert summary["epochs"] == 2 and summary["status"] == "finished"
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(summary["final"])
    assert "val_accuracy" in summary["best"] and summary["samples_per_second"] > 0
    assert sorted(os.listdir(tmp_path / "run")) == [
        "history.csv",
        "iterations.csv",
        "model.keras",
        "result.json",
    ]
    model = keras.saving.load_model(str(tmp_path / "run" / "model.keras"))
    assert model.output_shape == (None, 3)


def test_printer_without_tty_prints_epoch_lines_only(tmp_path):
    x, y = blobs(48)
    out = io.StringIO()
    options = TrainingOptions(solver="adam", max_epochs=2, mini_batch_size=16)
    train_model(classifier(), (x, y), None, options, str(tmp_path), stream=out)
    text = out.getvalue()
    assert "\r" not in text
    lines = text.splitlines()
    assert lines[0] == f"Output: {tmp_path}"
    assert lines[1].startswith("Training: 2 epoch(s), 3 iterations/epoch, 6 iterations")
    assert sum(line.startswith("Epoch ") for line in lines) == 2
    assert any(line.startswith("[finished]") for line in lines)


def test_printer_on_a_tty_redraws_a_bar():
    x, y = blobs(48)
    out = FakeTty()
    sink = ConsoleProgressSink(out, min_interval=0.0)
    Trainer(
        classifier(), (x, y), None, TrainingOptions(max_epochs=1, mini_batch_size=16), sink
    ).run()
    text = out.getvalue()
    assert text.count("\r") == 3 and "] 100% epoch 1/1 iter 3 loss" in text and "ETA 0:00" in text
    assert format_seconds(3725) == "1:02:05" and format_seconds(None) == "--:--"
