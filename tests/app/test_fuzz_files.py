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


_REPLAY = """
import random, sys, tempfile
from pathlib import Path
import tests.fuzz.model_files as cases
with tempfile.TemporaryDirectory() as tmp:
    print(cases.one_case(random.Random(int(sys.argv[1])), Path(tmp)))
"""


def test_an_h5_file_that_hangs_the_hdf5_library_is_refused_in_time() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    seed = "4376"  # benchmarks/fuzz.py model_files: a mutated attribute that h5py never reads
    result = subprocess.run(
        [sys.executable, "-c", _REPLAY, seed],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.stdout.strip().splitlines()[-1] == "refused:ProjectError", result.stderr[-2000:]
