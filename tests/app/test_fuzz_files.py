"""Mangled project and model files (tests/fuzz/project_files.py, model_files.py) through
Hypothesis: each opens, or is refused with a ProjectError; the good file beside it is untouched."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.fuzz import model_files, project_files

OUTCOMES = ("ok", "refused:")


@given(seed=st.integers(0, 2**32 - 1))
def test_mangled_project_files_load_or_are_refused(tmp_path: Path, seed: int) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as workdir:
        assert project_files.one_case(random.Random(seed), Path(workdir)).startswith(OUTCOMES)


@settings(max_examples=12)  # each case saves and reads a real .keras/.h5 model
@given(seed=st.integers(0, 2**32 - 1))
def test_mangled_model_files_open_or_are_refused(tmp_path: Path, seed: int) -> None:
    with tempfile.TemporaryDirectory(dir=tmp_path) as workdir:
        assert model_files.one_case(random.Random(seed), Path(workdir)).startswith(OUTCOMES)
