"""The training-outputs fuzz cases (tests/training/fuzz_outputs.py) through Hypothesis."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from designer.app.run_dirs import forget_confirmed
from tests.training.fuzz_outputs import one_case


@given(rng=st.randoms(use_true_random=False))
def test_training_outputs_fuzz(rng, tmp_path):
    workdir = Path(tempfile.mkdtemp(dir=tmp_path))
    try:
        outcome = one_case(rng, workdir)
    finally:
        forget_confirmed()
    assert outcome.split(":")[1] in ("ok", "refused")
