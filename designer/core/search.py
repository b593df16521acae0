"""Finding a layer type by what a person types: words, abbreviations, small typos.

"maxpool2" finds MaxPooling2D, "gap2" GlobalAveragePooling2D, "bnorm" BatchNormalization,
"dropuot" Dropout, "attention" MultiHeadAttention (from its help text). Used by the Layer
Library's search box and the quick-add popup; a score ranks the matches.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher

_WORD = re.compile(r"[a-z0-9]+")


def normalise(text: str) -> str:
    """Lower case, letters and digits only ("Max Pooling-2D" -> "maxpooling2d")."""
    return "".join(_WORD.findall(text.lower()))


def initials(name: str) -> str:
    """The capitals and digits of a CamelCase name ("GlobalAveragePooling2D" -> "gap2d")."""
    return "".join(c for c in name if c.isupper() or c.isdigit()).lower()


def _subsequence(query: str, text: str) -> bool:
    it = iter(text)
    return all(c in it for c in query)


def word_score(word: str, names: list[str], other: str) -> float:
    """How well one typed word matches: 0 when it does not."""
    word = normalise(word)
    if not word:
        return 1.0
    best = 0.0
    for name in names:
        flat = normalise(name)
        share = len(word) / max(len(flat), 1)  # shorter names rank first ("conv": Conv1D)
        if flat.startswith(word):
            best = max(best, 10.0 + 3.0 * share)
        elif word in flat:
            best = max(best, 8.0 + 2.0 * share)
        elif initials(name).startswith(word):
            best = max(best, 7.0)
        elif len(word) >= 3 and flat[:1] == word[:1] and _subsequence(word, flat):
            best = max(best, 2.0 + 5.0 * share)
        elif len(word) >= 4 and SequenceMatcher(None, word, flat[: len(word) + 1]).ratio() >= 0.75:
            best = max(best, 3.0)  # a typo
    if best == 0.0 and word in normalise(other):
        best = 1.0
    return best


def match_score(text: str, names: list[str], other: str = "") -> float:
    """The score of ``text`` against an item called ``names`` (label, type) with ``other``
    words (category, help); 0 unless every typed word matches."""
    total = 0.0
    for word in text.split():
        score = word_score(word, names, other)
        if score == 0.0:
            return 0.0
        total += score
    return total if text.split() else 1.0
