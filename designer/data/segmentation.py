"""Semantic segmentation datastore: an images folder and a masks folder of pixel labels."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.base import DataConfig
from designer.data.imageio import (
    list_images,
    load_image,
    load_mask,
    majority_channels,
    scan_images,
    size_counts,
)
from designer.data.images import _ImageFileStore
from designer.data.summary import DataError, DataSummary, Problem, imbalance_message


@dataclass(frozen=True)
class SegmentationConfig(DataConfig):
    """Images and masks matched by file stem; masks hold class indices or colours of ``colormap``."""

    kind = "segmentation"
    images_path: str = ""
    masks_path: str = ""
    class_names: tuple[str, ...] = ()
    colormap: tuple[tuple[int, int, int], ...] | None = None  # RGB per class, for colour masks
    mask_suffix: str = ""  # e.g. "_mask" when masks are named "cat1_mask.png" for "cat1.jpg"
    channels: int | None = None


def default_colormap(num_classes: int) -> list[tuple[int, int, int]]:
    """A distinct RGB colour per class (class 0, the background, black), for mask previews."""
    base = [
        (0, 0, 0),
        (230, 25, 75),
        (60, 180, 75),
        (255, 225, 25),
        (0, 130, 200),
        (245, 130, 48),
        (145, 30, 180),
        (70, 240, 240),
        (240, 50, 230),
        (210, 245, 60),
    ]
    rng = np.random.default_rng(7)
    while len(base) < num_classes:
        r, g, b = (int(v) for v in rng.integers(0, 256, 3))
        base.append((r, g, b))
    return base[:num_classes]


def mask_colours(config: SegmentationConfig, num_classes: int) -> list[tuple[int, int, int]]:
    """The config's colour map when it has a colour per class, else ``default_colormap``."""
    if config.colormap is not None and len(config.colormap) == num_classes:
        return [(int(r), int(g), int(b)) for r, g, b in config.colormap]
    return default_colormap(num_classes)


def colorize_mask(mask: np.ndarray, colormap: list[tuple[int, int, int]]) -> np.ndarray:
    """Class-index mask (H, W) to an RGB uint8 picture with the colour map."""
    table = np.array(colormap, dtype=np.uint8)
    return table[np.clip(mask, 0, len(table) - 1)]


class SegmentationStore(_ImageFileStore):
    """Datastore of (image, mask) pairs; masks come back as int32 (H, W) class indices."""

    config: SegmentationConfig
    task = "segmentation"

    def __init__(
        self, config: SegmentationConfig, progress: ProgressReporter | None = None
    ) -> None:
        super().__init__()
        self.config = config
        if not config.class_names:
            raise DataError("expected class names for the mask values of a segmentation datastore")
        self.class_names = list(config.class_names)
        if config.colormap is not None and len(config.colormap) != len(self.class_names):
            raise DataError(
                f"expected one colour per class ({len(self.class_names)}), "
                f"received {len(config.colormap)} colours"
            )
        for folder, what in ((config.images_path, "images"), (config.masks_path, "masks")):
            if not Path(folder).is_dir():
                raise DataError(f"expected a folder of {what} at '{folder}', but there is none")
        masks = {}
        for m in list_images(config.masks_path):
            stem = Path(m).stem
            if config.mask_suffix and stem.endswith(config.mask_suffix):
                stem = stem[: -len(config.mask_suffix)]
            masks[stem] = m
        pairs = []
        for img in list_images(config.images_path):
            mask = masks.get(Path(img).stem)
            if mask is None:
                self._problems.append(Problem("missing-mask", "image has no mask", img))
            else:
                pairs.append((img, mask))
        if not pairs:
            raise DataError(
                f"expected masks in '{config.masks_path}' named like the images in "
                f"'{config.images_path}' (suffix '{config.mask_suffix}'), found no pair"
            )
        kept = self._scan_pairs(pairs, progress)
        if not kept:
            raise DataError(
                f"expected readable images with masks of their size in '{config.images_path}' "
                f"and '{config.masks_path}', but all {len(pairs)} pairs were skipped "
                f"(e.g. '{self._problems[-1].path}': {self._problems[-1].message})"
            )
        self._paths = [p[0] for p in kept]
        self._mask_paths = [p[1] for p in kept]
        self._unknown_colours: dict[str, tuple[int, ...]] = {}  # mask -> a colour not in the map
        if config.channels is not None:
            self.channels = int(config.channels)

    def _scan_pairs(
        self, pairs: list[tuple[str, str]], progress: ProgressReporter | None
    ) -> list[tuple[str, str]]:
        """The pairs whose image and mask are readable and of one size (the others reported)."""
        images, image_problems = scan_images([p[0] for p in pairs], progress)
        masks, mask_problems = scan_images([p[1] for p in pairs])
        self._problems += image_problems + mask_problems
        kept, infos = [], []
        for pair, image, mask in zip(pairs, images, masks, strict=True):
            if image is None or mask is None:
                continue
            if (image.height, image.width) != (mask.height, mask.width):
                self._problems.append(
                    Problem(
                        "mask-size",
                        f"skipped: the mask is {mask.height}x{mask.width}; expected the size of "
                        f"its image {image.height}x{image.width}",
                        pair[1],
                    )
                )
                continue
            kept.append(pair)
            infos.append(image)
        self._sizes = size_counts(infos)
        self.channels = majority_channels(infos)
        return kept

    @property
    def mask_paths(self) -> list[str]:
        """Mask file per sample."""
        return list(self._mask_paths)

    def load_mask(self, index: int) -> np.ndarray:
        """Mask of sample ``index`` as int32 (H, W) class indices."""
        raw = load_mask(self._mask_paths[index])
        if raw.ndim == 3:
            if self.config.colormap is None:
                raise DataError(
                    f"mask '{self._mask_paths[index]}' is a colour image; expected index values "
                    "or a colour map in the config"
                )
            raw = raw[..., :3]
            out = np.zeros(raw.shape[:2], np.int32)
            known = np.zeros(raw.shape[:2], bool)
            for k, colour in enumerate(self.config.colormap):
                hit = np.all(raw == np.array(colour, np.uint8), axis=-1)
                out[hit] = k
                known |= hit
            if not known.all() and self._mask_paths[index] not in self._unknown_colours:
                self._unknown_colours[self._mask_paths[index]] = tuple(
                    int(v) for v in raw[~known][0]
                )
            return out
        n = len(self.class_names)
        if raw.max() >= n:
            raise DataError(
                f"mask '{self._mask_paths[index]}' holds value {int(raw.max())}; expected class "
                f"indices 0..{n - 1} for {n} classes"
            )
        return raw.astype(np.int32)

    def get(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Image (uint8 H, W, C) and mask (int32 H, W); DataError when their sizes differ."""
        img = load_image(self._paths[index], self.channels)
        mask = self.load_mask(index)
        if img.shape[:2] != mask.shape:
            raise DataError(
                f"mask '{self._mask_paths[index]}' is {mask.shape[0]}x{mask.shape[1]}; expected "
                f"the size of its image {img.shape[0]}x{img.shape[1]}"
            )
        return img, mask

    def pixel_counts(self, max_samples: int = 200) -> dict[str, int]:
        """Pixels per class over up to ``max_samples`` masks."""
        counter: Counter[int] = Counter()
        for i in range(min(len(self), max_samples)):
            values, counts = np.unique(self.load_mask(i), return_counts=True)
            counter.update(dict(zip(values.tolist(), counts.tolist(), strict=True)))
        return {name: counter.get(k, 0) for k, name in enumerate(self.class_names)}

    def summary(self) -> DataSummary:
        """Classes with pixel counts, image sizes and problems."""
        counts = self.pixel_counts()
        problems = list(self._problems)
        first = self.class_names[0]
        problems += [
            Problem(
                "unknown-colour",
                f"mask has colour {colour}, which is not in the colour "
                f"map; those pixels count as class '{first}'",
                path,
            )
            for path, colour in self._unknown_colours.items()
        ]
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=os.pathsep.join([self.config.images_path, self.config.masks_path]),
            classes=list(self.class_names),
            class_counts=counts,
            image_sizes=dict(self._sizes),
            imbalance_warning=imbalance_message(counts, ratio=20.0),
            problems=problems,
            notes=["class counts are pixels (over the first 200 masks)"],
        )
