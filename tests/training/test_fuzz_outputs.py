"""The training-outputs fuzz cases (tests/training/fuzz_outputs.py) through Hypothesis."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from designer.app.run_dirs import forget_confirmed
from tests.training.fuzz_outputs import one_case


@given(seed=st.integers(0, 2**32 - 1))
def test_training_outputs_fuzz(seed, tmp_path):
    workdir = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        outcome = one_case(random.Random(seed), workdir)
    finally:
        forget_confirmed()
    assert outcome.split(":")[1] in ("ok", "refused")
