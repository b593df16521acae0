"""Splits: stratified by class, reproducible for a seed, disjoint and complete."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.splits import SplitConfig, split_for, split_indices
from designer.data.summary import DataError


def test_stratified_reproducible_disjoint() -> None:
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    a = split_indices(100, labels, 20, 10, seed=3)
    b = split_indices(100, labels, 20, 10, seed=3)
    c = split_indices(100, labels, 20, 10, seed=4)
    assert a.to_dict() == b.to_dict()
    assert a.to_dict() != c.to_dict()
    assert np.bincount(labels[a.validation]).tolist() == [10, 6, 4]
    assert np.bincount(labels[a.test]).tolist() == [5, 3, 2]
    every = np.concatenate([a.train, a.validation, a.test])
    assert sorted(every.tolist()) == list(range(100))


def test_unstratified_and_separate_mode() -> None:
    s = split_indices(10, None, 30, seed=0)
    assert len(s.validation) == 3 and len(s.train) == 7
    sep = split_for(SplitConfig(mode="separate"), 5, None)
    assert sep.train.tolist() == [0, 1, 2, 3, 4] and len(sep.validation) == 0


def test_bad_percentages_are_refused() -> None:
    with pytest.raises(DataError, match="no training data"):
        split_indices(10, None, 60, 40)
    with pytest.raises(DataError, match="percentages"):
        split_indices(10, None, -5)
    with pytest.raises(DataError, match="split mode"):
        split_for(SplitConfig(mode="folds"), 10, None)
