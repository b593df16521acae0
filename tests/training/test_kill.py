"""Issue #12: a checkpoint or model.keras written while the process is killed stayed
truncated under its final name, and the history was written only at the end. Here a child
trains and is killed with SIGKILL at random moments (during iterations, right after an
epoch, half-way through a model save, while the final files are written)."""

from __future__ import annotations

from tests.training.killing import EPOCHS, kill_runs


def test_every_file_survives_kill_9(tmp_path):
    tally = kill_runs(tmp_path, kills=16, seed=12)
    assert tally.kills == 16 and tally.completed >= 1
    assert tally.truncated == []
    assert tally.missing_rows == []
    assert tally.stale == []  # each run removed the temporaries of the run killed before it
    assert tally.moments.get("saving", 0) >= 2  # some kills did land inside a model save
    assert tally.checkpoints >= EPOCHS and tally.histories == tally.runs
