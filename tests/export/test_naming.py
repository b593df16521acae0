"""Export file names from project names: readable, safe on any file system, never empty."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from designer.export.formats import SUFFIXES
from designer.export.naming import MAX_STEM, file_stem


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("Digits CNN (pretrained)", "Digits_CNN_pretrained"),
        ("LeNet-5", "LeNet-5"),
        ("  a  __  b  ", "a_b"),
        ("../../etc/passwd", "etc_passwd"),
        ("C:\\models\\net", "C_models_net"),
        ("Réseau 数字 v1.5", "Réseau_数字_v1_5"),
        ("Cafe\u0301", "Café"),  # decomposed accent: composed, kept
        ("", "model"),
        ("(((***)))", "model"),
        ("..", "model"),
    ],
)
def test_file_stem_examples(name: str, stem: str) -> None:
    assert file_stem(name) == stem


@given(st.text(max_size=300))
def test_file_stem_is_always_a_valid_file_name(name: str) -> None:
    stem = file_stem(name)
    assert stem and stem not in {".", ".."} and len(stem) <= MAX_STEM
    assert not any(c in stem for c in '/\\\0:*?"<>|') and not stem.startswith(("-", "_"))
    assert file_stem(stem) == stem
    with tempfile.TemporaryDirectory() as folder:  # the file system accepts every suffix
        for suffix in {*SUFFIXES.values(), ".weights.h5"}:
            path = Path(folder) / f"{stem}{suffix}"
            path.touch()
            assert path.is_file() and path.parent == Path(folder)
