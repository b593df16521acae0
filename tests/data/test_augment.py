"""Augmentation: repeatable previews, fresh draws, every option runs, config round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from designer.data.augment import (
    AugmentConfig,
    build_augmenter,
    describe_augmentation,
    preview_augmentation,
)
from designer.data.summary import DataError
from designer.data.synthetic import generate_characters

EVERYTHING = AugmentConfig(
    flip_x=True,
    flip_y=True,
    rotation=20,
    translate_x=0.1,
    translate_y=0.1,
    scale=(0.9, 1.1),
    scale_x=(0.95, 1.05),
    scale_y=(0.95, 1.05),
    zoom=0.1,
    shear_x=0.1,
    shear_y=0.1,
    random_crop=0.9,
    brightness=0.2,
    contrast=0.2,
    hue=0.1,
    saturation=0.2,
    noise=0.03,
    blur=1.0,
    erasing=0.5,
    fill_mode="constant",
)


def _samples(channels: int = 1) -> list[np.ndarray]:
    images = generate_characters(3, seed=0).images
    return list(np.repeat(images, channels, axis=-1))


def test_preview_repeats_for_a_seed_and_changes_with_another() -> None:
    a = preview_augmentation(EVERYTHING, _samples(3), versions=2, seed=1)
    b = preview_augmentation(EVERYTHING, _samples(3), versions=2, seed=1)
    c = preview_augmentation(EVERYTHING, _samples(3), versions=2, seed=2)
    assert len(a) == 3 and len(a[0]) == 2 and a[0][0].shape == (28, 28, 3)
    assert a[0][0].dtype == np.uint8
    assert all(
        np.array_equal(x, y) for r, s in zip(a, b, strict=True) for x, y in zip(r, s, strict=True)
    )
    assert not all(
        np.array_equal(x, y) for r, s in zip(a, c, strict=True) for x, y in zip(r, s, strict=True)
    )
    assert not np.array_equal(a[0][0], a[0][1])  # the versions differ


def test_each_call_draws_new_transforms_and_stays_in_range() -> None:
    aug = build_augmenter(AugmentConfig(rotation=30, noise=0.05, brightness=0.3), channels=1)
    batch = np.stack(_samples()).astype(np.float32)
    one, two = np.asarray(aug(batch)), np.asarray(aug(batch))
    assert not np.allclose(one, two)
    assert one.min() >= 0 and one.max() <= 255


def test_off_config_builds_nothing_and_grey_skips_colour() -> None:
    assert build_augmenter(AugmentConfig(), 1) is None
    assert describe_augmentation(AugmentConfig()) == ["no augmentation"]
    aug = build_augmenter(AugmentConfig(hue=0.2), channels=1)
    assert "skipped" in aug.notes[0]
    lines = describe_augmentation(EVERYTHING, 3)
    assert any("rotation" in t for t in lines) and any("erasing" in t for t in lines)


def test_config_round_trip_and_bad_values() -> None:
    restored = AugmentConfig.from_dict(json.loads(json.dumps(EVERYTHING.to_dict())))
    assert restored == EVERYTHING
    with pytest.raises(DataError, match="fill mode"):
        build_augmenter(AugmentConfig(rotation=5, fill_mode="mirror"))
    with pytest.raises(DataError, match="scale range"):
        build_augmenter(AugmentConfig(scale=(1.2, 0.8)))
    with pytest.raises(DataError, match="unknown keys"):
        AugmentConfig.from_dict({"kind": "augment", "rotate": 5})
