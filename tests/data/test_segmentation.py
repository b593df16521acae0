"""Segmentation datastore: index masks, colour masks, mismatches, and aligned augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from designer.data.segmentation import SegmentationConfig, SegmentationStore, colorize_mask
from designer.data.summary import DataError
from tests.data.conftest import save


def _write(tmp_path, colour: bool = False) -> None:
    cmap = [(0, 0, 0), (255, 0, 0), (0, 255, 0)]
    for i in range(4):
        img = np.zeros((16, 16, 3), np.uint8)
        mask = np.zeros((16, 16), np.uint8)
        mask[:, 8:] = 1 + i % 2  # right half is class 1 or 2
        img[mask > 0] = 200
        save(tmp_path / "images" / f"s{i}.png", img)
        if colour:
            save(tmp_path / "masks" / f"s{i}_mask.png", np.array(cmap, np.uint8)[mask])
        else:
            save(tmp_path / "masks" / f"s{i}_mask.png", mask)


def test_index_masks(tmp_path) -> None:
    _write(tmp_path)
    cfg = SegmentationConfig(
        str(tmp_path / "images"), str(tmp_path / "masks"), ("bg", "a", "b"), mask_suffix="_mask"
    )
    store = SegmentationStore(cfg)
    assert len(store) == 4 and store.task == "segmentation"
    img, mask = store.get(1)
    assert img.shape == (16, 16, 3) and mask.shape == (16, 16) and set(np.unique(mask)) == {0, 2}
    counts = store.summary().class_counts
    assert counts["bg"] == 4 * 128 and counts["a"] == 2 * 128
    assert colorize_mask(mask, [(0, 0, 0), (1, 1, 1), (9, 9, 9)])[0, 15].tolist() == [9, 9, 9]


def test_colour_masks_and_errors(tmp_path) -> None:
    _write(tmp_path, colour=True)
    cmap = ((0, 0, 0), (255, 0, 0), (0, 255, 0))
    cfg = SegmentationConfig(
        str(tmp_path / "images"),
        str(tmp_path / "masks"),
        ("bg", "a", "b"),
        colormap=cmap,
        mask_suffix="_mask",
    )
    _, mask = SegmentationStore(cfg).get(0)
    assert set(np.unique(mask)) == {0, 1}
    no_map = SegmentationConfig(
        cfg.images_path, cfg.masks_path, ("bg", "a", "b"), mask_suffix="_mask"
    )
    with pytest.raises(DataError, match="colour image"):
        SegmentationStore(no_map).get(0)
    with pytest.raises(DataError, match="no pair"):
        SegmentationStore(SegmentationConfig(cfg.images_path, cfg.masks_path, ("bg", "a", "b")))


def test_augmented_masks_follow_images(tmp_path) -> None:
    from designer.data.augment import AugmentConfig
    from designer.data.pipeline import make_training_data
    from designer.data.preprocess import PreprocessConfig
    from designer.data.splits import SplitConfig

    _write(tmp_path)
    store = SegmentationStore(
        SegmentationConfig(
            str(tmp_path / "images"), str(tmp_path / "masks"), ("bg", "a", "b"), mask_suffix="_mask"
        )
    )
    data = make_training_data(
        store,
        SplitConfig(validation_percent=0),
        PreprocessConfig(rescale="none"),
        AugmentConfig(flip_x=True, rotation=30, seed=1),
        batch_size=4,
        shuffle=False,
    )
    x, y = next(iter(data.train))
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (4, 16, 16, 3) and y.shape == (4, 16, 16) and y.dtype == np.int32
    # bright pixels are the labelled ones: the mask moved with its image
    agree = ((x[..., 0] > 100) == (y > 0)).mean()
    assert agree > 0.9
