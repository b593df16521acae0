"""Fixtures for the data tests: small image folders and files written by the tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image


def save(path: Path, array: np.ndarray) -> str:
    """Write a uint8 array as an image file (format from the extension)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(array).save(path)
    return str(path)


@pytest.fixture
def digits_folder(tmp_path: Path) -> Path:
    """60 synthetic digits in one subfolder per class (6 per class), 28x28 grey PNG."""
    from designer.data.synthetic import write_image_folder

    write_image_folder(tmp_path / "digits", 60, seed=1)
    return tmp_path / "digits"


@pytest.fixture
def mixed_folder(tmp_path: Path) -> Path:
    """Two classes in every supported format, nested, plus one corrupt file."""
    rng = np.random.default_rng(0)
    root = tmp_path / "mixed"
    for cls, n in (("cat", 6), ("dog", 5)):
        for i in range(n):
            ext = ["png", "jpg", "bmp", "tiff", "gif", "jpeg"][i % 6]
            sub = root / cls / ("nested" if i % 2 else "")
            arr = rng.integers(0, 255, (20 + i, 24, 3), dtype=np.uint8)
            save(sub / f"{cls}{i}.{ext}", arr)
    (root / "dog" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage that is not an image")
    (root / "dog" / "notes.txt").write_text("ignored: not an image")
    return root
