"""The font check of the synthetic characters: digits drawn as digits, not dingbats or boxes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from designer.data import synthetic
from designer.data.fonts import FONT_SUFFIXES, draws_digits, find_fonts, font_files


def fonts_on_this_machine() -> list[str]:
    """The module's own discovery plus fontconfig's list (where fc-list exists)."""
    found = set(font_files())
    if shutil.which("fc-list"):
        listed = subprocess.run(
            ["fc-list", "--format", "%{file}\\n"], capture_output=True, text=True, check=True
        ).stdout
        found |= {p for p in listed.splitlines() if Path(p).suffix.lower() in FONT_SUFFIXES}
    return sorted(found)


def installed(*names: str) -> list[str]:
    """Font files on this machine whose file name contains one of ``names`` (any case)."""
    return [p for p in fonts_on_this_machine() if any(n.lower() in p.lower() for n in names)]


def test_every_font_on_this_machine_is_checked_and_only_good_ones_are_used() -> None:
    fonts = fonts_on_this_machine()
    if not fonts:
        pytest.skip("no TrueType/OpenType font on this machine")
    verdicts = {path: draws_digits(path) for path in fonts}
    assert all(isinstance(v, bool) for v in verdicts.values())
    used = synthetic.find_fonts()  # what the synthetic characters are drawn with
    assert used and all(verdicts.get(p, draws_digits(p)) for p in used)
    assert not {p for p, ok in verdicts.items() if not ok} & set(used)


def test_dingbat_font_is_rejected() -> None:
    """Issue 13: D050000L (URW's Zapf Dingbats) was used, its pencils labelled as digits."""
    dingbats = installed("D050000L", "Dingbat")
    if not dingbats:
        pytest.skip("no dingbat font installed (apt-get install fonts-urw-base35 provides one)")
    for path in dingbats:
        assert not draws_digits(path), path
        assert path not in synthetic.find_fonts()


def test_font_without_latin_digits_is_rejected() -> None:
    """A CJK fallback font draws missing-glyph boxes for '0'..'9'."""
    fallback = installed("DroidSansFallback")
    if not fallback:
        pytest.skip("no font without Latin digits installed (fonts-droid-fallback provides one)")
    assert not any(draws_digits(p) for p in fallback)


def test_dejavu_sans_is_accepted_and_the_check_is_cached() -> None:
    dejavu = installed("DejaVuSans.ttf")
    if not dejavu:
        pytest.skip("DejaVu Sans is not installed (apt-get install fonts-dejavu-core)")
    assert draws_digits(dejavu[0]) and dejavu[0] in find_fonts()
    hits = draws_digits.cache_info().hits
    assert draws_digits(dejavu[0]) and draws_digits.cache_info().hits == hits + 1


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    not_a_font = tmp_path / "broken.ttf"
    not_a_font.write_bytes(b"not a font")
    assert not draws_digits(str(not_a_font))
    assert not draws_digits(str(tmp_path / "absent.otf"))
