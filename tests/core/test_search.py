"""Finding layer types by what people type: abbreviations, typos, words of the help."""

from __future__ import annotations

import pytest

from designer.core.catalog import library
from designer.core.search import match_score


def best(text: str) -> list[str]:
    """Labels of the library entries matching ``text``, best first."""
    scored = [
        (match_score(text, [e.label, e.type_name], f"{e.category} {e.help}"), -i, e.label)
        for i, e in enumerate(library())
    ]
    return [label for score, _i, label in sorted(scored, reverse=True) if score > 0]


@pytest.mark.parametrize(
    "typed, first",
    [
        ("maxpool2", "MaxPooling2D"),
        ("gap2", "GlobalAveragePooling2D"),
        ("bnorm", "BatchNormalization"),
        ("dropuot", "Dropout"),
        ("flaten", "Flatten"),
        ("dense", "Dense"),
        ("lstm", "LSTM"),
        ("pool 2d", "MaxPooling2D"),
        ("relu", "ReLU"),
    ],
)
def test_the_layer_a_person_means_comes_first(typed: str, first: str) -> None:
    assert best(typed)[0] == first


def test_every_word_must_match_and_nonsense_finds_nothing() -> None:
    assert best("xyzzy") == []
    assert best("conv xyzzy") == []
    assert set(best("conv 3d")[:1]) == {"Conv3D"}
    assert len(best("")) == len(library())
