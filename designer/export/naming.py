"""Export file names: a project's name made safe as a file name stem. No Qt, no Keras."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

#: At most this many characters: 4 UTF-8 bytes each, with suffixes and staging names, stays
#: well under the 255-byte limit of common file systems.
MAX_STEM = 48
_SEPARATORS = re.compile(r"(?:[^\w-]|_)+")  # anything but letters, digits and '-', and '_'


def file_stem(name: str, fallback: str = "model") -> str:
    """``name`` as a file name stem: each run of characters other than (unicode) letters,
    digits and ``-`` becomes one ``_``, none at either end, at most MAX_STEM characters;
    ``fallback`` when nothing is left. ``"Digits CNN (pretrained)"`` -> ``"Digits_CNN_pretrained"``.
    """
    stem = _SEPARATORS.sub("_", unicodedata.normalize("NFC", name))[:MAX_STEM].strip("_-")
    return stem or fallback


def weights_name(script: Path) -> str:
    """File name of the weights saved beside a generated script (``net.py`` -> ``net.weights.h5``)."""
    return f"{script.stem}.weights.h5"
