"""The data fuzz cases (tests/fuzz/data.py) through Hypothesis: random folders and files
opened as ``data inspect`` and training do, a one-line DataError or a consistent store."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.data import one_case


@given(seed=st.integers(0, 2**32 - 1))
def test_random_data_opens_or_is_refused_in_one_line(tmp_path: Path, seed: int) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as workdir:
        assert one_case(random.Random(seed), Path(workdir)) in ("ok", "refused:DataError")
