"""The trials table, its CSV and the parallel-coordinates placement (pure data)."""

from __future__ import annotations

import csv

from designer.app.experiment_table import parallel_axes, trial_table, write_trials_csv
from designer.training.study import TrialRecord

RECORDS = [
    TrialRecord(0, "COMPLETE", {"lr": 0.001, "solver": "adam"}, 0.8, {"val_accuracy": 0.8}, 3.2),
    TrialRecord(1, "COMPLETE", {"lr": 0.1, "solver": "sgdm"}, 0.6, {"val_accuracy": 0.6}, 2.5),
    TrialRecord(2, "FAIL", {"lr": 1.0, "solver": "sgdm"}, None, {}, 0.4, error="NaN loss"),
]


def test_table_columns_rows_and_csv(tmp_path):
    table = trial_table(RECORDS)
    assert table.columns == [
        "trial",
        "state",
        "value",
        "seconds",
        "epochs",
        "lr",
        "solver",
        "val_accuracy",
        "error",
    ]
    assert table.rows[2][1] == "FAIL" and table.rows[2][-1] == "NaN loss"
    path = write_trials_csv(RECORDS, tmp_path / "trials.csv")
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["trial"] for r in rows] == ["0", "1", "2"]
    assert rows[0]["lr"] == "0.001" and rows[2]["value"] == ""


def test_parallel_axes_place_numbers_log_and_categories_evenly():
    axes = parallel_axes(RECORDS, "val_accuracy")
    assert axes.names == ["lr", "solver", "val_accuracy"]
    assert [n for n, _ in axes.lines] == [0, 1]  # completed trials only
    (_, first), (_, second) = axes.lines
    assert first[0] == 0.0 and second[0] == 1.0  # lr on a log axis: 1e-3 .. 1e-1
    assert {first[1], second[1]} == {0.0, 1.0}  # two categories
    assert first[2] == 1.0 and second[2] == 0.0  # the objective
    assert [label for _, label in axes.ticks[1]] == ["adam", "sgdm"]
    assert parallel_axes([]).lines == []
