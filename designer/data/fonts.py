"""Font files on this machine that draw the ten digits as digits, checked by rendering them.

File names do not tell a text font from a dingbat font (URW's D050000L maps '0'..'9' to
pencils and check marks) or from one without Latin digits (which draws missing-glyph boxes),
so each font is tried once per process: ten distinct, non-empty glyphs, none the font's
missing-glyph drawing, each with the enclosed counters of a digit ('8' has two, '1' none).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", os.path.expanduser("~/.fonts"))
FONT_SUFFIXES = (".ttf", ".otf")
DIGITS = "0123456789"
_THIN = ("ExtraLight",)  # draw digits, but too faint for the synthetic data's thinning
#: Counters (enclosed holes) of '0'..'9' in ordinary typefaces: 0 may be slashed, 4 open.
_COUNTERS = ({1, 2}, {0}, {0}, {0}, {0, 1}, {0}, {1}, {0}, {2}, {1})
_MISSING = "\uffff"  # a non-character: a font draws its missing-glyph box (or nothing)
_SIZE = 64


def font_files() -> list[str]:
    """Every TrueType/OpenType file under FONT_DIRS, sorted (not checked)."""
    found = []
    for root in FONT_DIRS:
        if os.path.isdir(root):
            found += [str(p) for p in Path(root).rglob("*") if p.suffix.lower() in FONT_SUFFIXES]
    return sorted(found)


def find_fonts() -> list[str]:
    """The font files usable for Latin digits and letters: those that :func:`draws_digits`."""
    return [p for p in font_files() if not any(s in p for s in _THIN) and draws_digits(p)]


def _bitmap(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    """``char`` drawn centred on a 2*_SIZE square, as booleans."""
    img = Image.new("L", (2 * _SIZE, 2 * _SIZE), 0)
    ImageDraw.Draw(img).text((_SIZE, _SIZE), char, fill=255, font=font, anchor="mm")
    return np.asarray(img) >= 128


def _counters(glyph: np.ndarray) -> int:
    """Enclosed background regions of a glyph (4-connected, specks under 4 pixels ignored)."""
    from scipy import ndimage

    labels, _ = ndimage.label(~np.pad(glyph, 1))  # label 1: the outside, from pixel (0, 0)
    return int((np.bincount(labels.ravel())[2:] >= 4).sum())


@functools.cache
def draws_digits(path: str) -> bool:
    """Whether the font file ``path`` draws '0'..'9' as ten distinct, non-empty digit shapes
    (not dingbats, not missing-glyph boxes); checked once per path in this process."""
    try:
        font = ImageFont.truetype(path, _SIZE)
        glyphs = [_bitmap(font, ch) for ch in DIGITS]
        missing = _bitmap(font, _MISSING)
    except (OSError, ValueError):  # not loadable, or bitmap-only sizes (colour emoji)
        return False
    if any(not g.any() or np.array_equal(g, missing) for g in glyphs):
        return False
    if len({g.tobytes() for g in glyphs}) < len(glyphs):
        return False
    return all(_counters(g) in ok for g, ok in zip(glyphs, _COUNTERS, strict=True))
