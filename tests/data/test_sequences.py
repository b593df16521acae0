"""Sequence datastores: padding, masking advice, many-to-one and per-step targets."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.sequences import SequenceConfig, SequenceStore
from designer.data.summary import DataError


def test_npz_variable_lengths_are_padded(tmp_path) -> None:
    x = np.random.default_rng(0).normal(size=(6, 10, 2)).astype(np.float32)
    lengths = np.array([10, 4, 7, 10, 3, 5])
    np.savez(tmp_path / "s.npz", x=x, y=np.array([0, 1, 0, 1, 0, 1]), lengths=lengths)
    store = SequenceStore(SequenceConfig(str(tmp_path / "s.npz"), pad_value=-1.0))
    assert store.task == "sequence-classification" and len(store) == 6
    seq, label = store.get(1)
    assert seq.shape == (10, 2) and label == 1
    assert np.all(seq[4:] == -1.0) and np.allclose(seq[:4], x[1, :4])
    notes = " ".join(store.summary().notes)
    assert "Masking(mask_value=-1.0)" in notes
    short = SequenceStore(SequenceConfig(str(tmp_path / "s.npz"), max_length=5, truncating="pre"))
    assert short.arrays()[0].shape == (6, 5, 2)


def test_long_csv_many_to_one_and_per_step(tmp_path) -> None:
    path = tmp_path / "s.csv"
    rows = ["id,t1,t2,label"]
    for sid, n, lab in (("a", 3, "walk"), ("b", 5, "run"), ("c", 2, "walk")):
        rows += [f"{sid},{i},{i * 2},{lab}" for i in range(n)]
    path.write_text("\n".join(rows) + "\n")
    store = SequenceStore(SequenceConfig(str(path)))
    assert store.class_names == ["run", "walk"] and store.labels.tolist() == [1, 0, 1]
    assert store.arrays()[0].shape == (3, 5, 2)
    per_step = SequenceStore(SequenceConfig(str(path), mode="per-step"))
    assert per_step.task == "sequence-to-sequence" and per_step.arrays()[1].shape == (3, 5)


def test_label_changing_inside_a_sequence_is_refused(tmp_path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("id,v,label\na,1,x\na,2,y\n")
    with pytest.raises(DataError, match="sequence 'a'.*one label per sequence"):
        SequenceStore(SequenceConfig(str(path)))
    with pytest.raises(DataError, match="mode among"):
        SequenceStore(SequenceConfig(str(path), mode="sideways"))
