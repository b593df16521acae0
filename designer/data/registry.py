"""From configs to datastores, and from a path to the config of the kind it looks like."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from designer.core.progress import ProgressReporter
from designer.data.arrays import (
    CsvTableConfig,
    IdxConfig,
    NumpyConfig,
    open_csv_table,
    open_idx,
    open_numpy,
)
from designer.data.base import DataConfig, Datastore
from designer.data.builtin import (
    SklearnDigitsConfig,
    SyntheticConfig,
    open_sklearn_digits,
    open_synthetic,
)
from designer.data.detection import DetectionConfig, DetectionStore, find_layout
from designer.data.imageio import IMAGE_EXTENSIONS, is_image_file, list_images, load_mask
from designer.data.images import (
    ImageFolderConfig,
    ImageFolderStore,
    ImageRegressionConfig,
    ImageRegressionStore,
)
from designer.data.kerasdatasets import DATASETS, KerasDatasetConfig, open_keras_dataset
from designer.data.npfiles import npz_keys
from designer.data.segmentation import SegmentationConfig, SegmentationStore
from designer.data.sequences import SequenceConfig, SequenceStore
from designer.data.shapes import ShapesConfig, open_shapes
from designer.data.summary import DataError
from designer.data.tables import read_csv

Opener = Callable[[Any, ProgressReporter | None], Datastore]

KINDS: dict[str, tuple[type[DataConfig], Opener]] = {
    "image-folder": (ImageFolderConfig, lambda c, p: ImageFolderStore(c, p)),
    "image-regression": (ImageRegressionConfig, lambda c, p: ImageRegressionStore(c, p)),
    "segmentation": (SegmentationConfig, lambda c, p: SegmentationStore(c, p)),
    "detection": (DetectionConfig, lambda c, p: DetectionStore(c, p)),
    "shapes": (ShapesConfig, lambda c, p: open_shapes(c, p)),
    "numpy": (NumpyConfig, lambda c, p: open_numpy(c)),
    "idx": (IdxConfig, lambda c, p: open_idx(c)),
    "csv-table": (CsvTableConfig, lambda c, p: open_csv_table(c)),
    "sequences": (SequenceConfig, lambda c, p: SequenceStore(c)),
    "keras-dataset": (KerasDatasetConfig, lambda c, p: open_keras_dataset(c, p)),
    "synthetic": (SyntheticConfig, lambda c, p: open_synthetic(c, p)),
    "sklearn-digits": (SklearnDigitsConfig, lambda c, p: open_sklearn_digits(c)),
}


def config_from_dict(data: dict[str, Any]) -> DataConfig:
    """Rebuild any datastore config from its ``to_dict`` form (dispatch on ``kind``)."""
    kind = data.get("kind") if isinstance(data, dict) else None
    if kind not in KINDS:
        raise DataError(
            f"expected a data config with kind among {sorted(KINDS)}, received {kind!r}"
        )
    return KINDS[kind][0].from_dict(data)


def open_datastore(
    config: DataConfig | dict[str, Any], progress: ProgressReporter | None = None
) -> Datastore:
    """Open (scan or load) the datastore a config describes."""
    if isinstance(config, dict):
        config = config_from_dict(config)
    if config.kind not in KINDS:
        raise DataError(f"expected a datastore config, received {type(config).__name__}")
    return KINDS[config.kind][1](config, progress)


def _idx_pair(path: Path) -> IdxConfig:
    name = path.name
    for a, b in (
        ("images-idx3", "labels-idx1"),
        ("images.idx3", "labels.idx1"),
        ("images", "labels"),
    ):
        if a in name:
            other = path.with_name(name.replace(a, b))
            if other.exists():
                return IdxConfig(str(path), str(other))
    raise DataError(f"expected a labels IDX file next to '{path}' (e.g. '...labels-idx1-ubyte')")


def _npy_pair(path: Path) -> NumpyConfig:
    stem = path.stem
    for cand in (
        stem.replace("x", "y").replace("X", "Y"),
        stem + "_labels",
        "y",
        "labels",
        "targets",
    ):
        other = path.with_name(cand + ".npy")
        if cand != stem and other.exists():
            return NumpyConfig(str(path), str(other))
    raise DataError(
        f"expected a labels .npy next to '{path}' (e.g. 'y.npy' or '{stem}_labels.npy')"
    )


def _segmentation(root: Path) -> SegmentationConfig:
    images, masks = root / "images", root / "masks"
    top = 0
    for m in list_images(masks)[:50]:
        raw = load_mask(m)
        if raw.ndim == 3:
            raise DataError(
                f"masks in '{masks}' are colour images; give class names and a colour map explicitly"
            )
        top = max(top, int(raw.max()))
    names = tuple(f"class{k}" for k in range(top + 1))
    return SegmentationConfig(str(images), str(masks), names)


def detect(path: str) -> DataConfig:
    """Guess the datastore config for a path (a folder, a file, or 'keras:mnist'-style names)."""
    lower = path.lower()
    if lower.startswith("keras:"):
        name = path.split(":", 1)[1]
        if name not in DATASETS:
            raise DataError(
                f"expected keras:<name> with a name among {list(DATASETS)}, received '{path}'"
            )
        return KerasDatasetConfig(name=name)
    if lower in ("synthetic:digits", "synthetic:letters", "builtin:digits", "builtin:letters"):
        return SyntheticConfig(charset=lower.split(":")[1], num_samples=2000)
    if lower in ("sklearn:digits", "builtin:sklearn-digits"):
        return SklearnDigitsConfig()
    if lower in ("synthetic:shapes", "builtin:shapes"):
        return ShapesConfig()
    p = Path(path)
    if not p.exists():
        raise DataError(f"expected a data folder or file at '{path}', but there is nothing there")
    if p.is_dir():
        subdirs = sorted(d for d in p.iterdir() if d.is_dir() and not d.name.startswith("."))
        names = {d.name for d in subdirs}
        if {"images", "masks"} <= names:
            return _segmentation(p)
        layout = find_layout(path)
        if layout is not None:
            return DetectionConfig(path, layout[0], layout[1])
        idx = sorted(f for f in p.iterdir() if "idx3" in f.name and "images" in f.name)
        if idx:
            return _idx_pair(idx[0])
        if subdirs:
            return ImageFolderConfig(str(p))
        loose = list_images(p, recursive=False)
        raise DataError(
            f"expected one subfolder per class in '{path}', received "
            + (f"{len(loose)} images without class folders" if loose else "no subfolders")
        )
    if lower.endswith(".json"):
        layout = find_layout(path)
        if layout is None:
            raise DataError(
                f"expected a COCO annotation file at '{path}' (an object with 'images', "
                "'annotations' and 'categories'), received other JSON"
            )
        return DetectionConfig(str(p.parent), "coco", layout[1])
    if lower.endswith(".npz"):
        keys = set(npz_keys(path))
        if "lengths" in keys:
            return SequenceConfig(path)
        return NumpyConfig(path)
    if lower.endswith(".npy"):
        return _npy_pair(p)
    if "idx3" in lower or lower.endswith((".idx", "-ubyte", "-ubyte.gz")):
        return _idx_pair(p)
    if lower.endswith((".csv", ".tsv", ".txt")):
        table = read_csv(path)
        first = table.column(0)[: min(20, len(table.rows))]
        folder = os.path.dirname(os.path.abspath(path))
        if all(is_image_file(v) for v in first) and any(
            os.path.isfile(os.path.join(folder, v)) or os.path.isabs(v) for v in first
        ):
            return ImageRegressionConfig(path)
        return CsvTableConfig(path)
    if lower.endswith(IMAGE_EXTENSIONS):
        raise DataError(
            f"'{path}' is a single image; expected a folder with one subfolder per class"
        )
    raise DataError(
        f"cannot tell the kind of data in '{path}'; expected a folder, .npz, .npy, IDX, .csv "
        "or a COCO .json"
    )
