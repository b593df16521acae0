"""Synthetic digits and letters: determinism, variation ranges, speed, the image-folder writer."""

from __future__ import annotations

import time

import numpy as np
import pytest

from designer.data.summary import DataError
from designer.data.synthetic import Variation, generate_characters, write_image_folder


def test_same_seed_same_images_other_seed_other_images() -> None:
    a = generate_characters(40, seed=5)
    b = generate_characters(40, seed=5)
    c = generate_characters(40, seed=6)
    assert np.array_equal(a.images, b.images) and np.array_equal(a.labels, b.labels)
    assert not np.array_equal(a.images, c.images)


def test_shapes_balance_and_angle_range() -> None:
    data = generate_characters(200, seed=0, variation=Variation(rotation=10))
    assert data.images.shape == (200, 28, 28, 1) and data.images.dtype == np.uint8
    assert np.bincount(data.labels).tolist() == [20] * 10
    assert data.angles.min() >= -10 and data.angles.max() <= 10
    assert data.class_names == [str(i) for i in range(10)]
    # white glyph on a dark background, like MNIST
    assert data.images[:, 0, :, 0].mean() < 40 and data.images.max() > 200


def test_letters_have_26_classes() -> None:
    data = generate_characters(52, seed=0, charset="letters", size=32)
    assert data.images.shape == (52, 32, 32, 1)
    assert data.class_names[0] == "A" and len(data.class_names) == 26
    with pytest.raises(DataError, match="charset"):
        generate_characters(5, charset="greek")


def test_thousands_per_second() -> None:
    generate_characters(10, seed=0)  # templates are built once
    start = time.perf_counter()
    generate_characters(3000, seed=1)
    rate = 3000 / (time.perf_counter() - start)
    assert rate > 1000, f"expected thousands of images per second, measured {rate:.0f}"


def test_write_image_folder(tmp_path) -> None:
    paths = write_image_folder(tmp_path / "f", 30, seed=2)
    assert len(paths) == 30
    assert sorted(p.name for p in (tmp_path / "f").iterdir()) == [str(i) for i in range(10)]
    assert len(list((tmp_path / "f" / "7").glob("*.png"))) == 3
