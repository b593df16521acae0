"""Image datastores: a folder with one subfolder per class, and images with CSV regression targets."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from designer.core.progress import ProgressReporter
from designer.data.base import DataConfig, Datastore
from designer.data.imageio import (
    list_images,
    load_image,
    majority_channels,
    scan_images,
    size_counts,
)
from designer.data.summary import (
    DataError,
    DataSummary,
    Problem,
    class_problems,
    count_classes,
    imbalance_message,
)
from designer.data.tables import read_csv


@dataclass(frozen=True)
class ImageFolderConfig(DataConfig):
    """Images in ``path/<class name>/...``; labels come from the subfolder names."""

    kind = "image-folder"
    path: str = ""
    recursive: bool = True
    channels: int | None = None  # None: the most common channel count of the files
    class_names: tuple[str, ...] | None = None  # fixes order/subset (e.g. a validation folder)


class _ImageFileStore(Datastore):
    """Shared parts of the stores whose samples are image files."""

    is_image = True

    def __init__(self) -> None:
        self._paths: list[str] = []
        self._problems: list[Problem] = []
        self._sizes: dict[str, int] = {}
        self.channels = 3

    def __len__(self) -> int:
        return len(self._paths)

    @property
    def file_paths(self) -> list[str]:
        """Readable image file per sample."""
        return list(self._paths)

    @property
    def image_sizes(self) -> dict[str, int]:
        """Number of readable images per 'HxWxC' size."""
        return dict(self._sizes)

    @property
    def problems(self) -> list[Problem]:
        """Problems found during the scan (corrupt files, missing files)."""
        return list(self._problems)

    def unreadable(self, index: int, error: DataError) -> None:
        """Note sample ``index`` as skipped: it passed the scan but failed to decode later."""
        path = self._paths[index]
        if all(p.path != path for p in self._problems):
            self._problems.append(
                Problem("corrupt-file", f"skipped unreadable image: {error}", path)
            )

    def _scan(self, paths: list[str], progress: ProgressReporter | None) -> list[bool]:
        infos, problems = scan_images(paths, progress)
        self._problems.extend(problems)
        self._sizes = size_counts(infos)
        self.channels = majority_channels(infos)
        return [info is not None for info in infos]


def _check_channels(channels: int | None) -> None:
    if channels not in (None, 1, 3):
        raise DataError(
            f"expected 1 or 3 image channels (or none: the files'), received {channels}"
        )


class ImageFolderStore(_ImageFileStore):
    """Datastore over an image folder with one subfolder per class."""

    config: ImageFolderConfig
    task = "classification"

    def __init__(self, config: ImageFolderConfig, progress: ProgressReporter | None = None) -> None:
        super().__init__()
        self.config = config
        _check_channels(config.channels)
        root = Path(config.path)
        if not root.is_dir():
            raise DataError(
                f"expected an image folder at '{config.path}', but there is no such folder"
            )
        found = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        names = list(config.class_names) if config.class_names else found
        if not names:
            loose = list_images(root, recursive=False)
            hint = f" (it holds {len(loose)} images directly)" if loose else ""
            raise DataError(
                f"expected one subfolder per class in '{config.path}', received no subfolders{hint}"
            )
        missing = [n for n in names if n not in found]
        if missing:
            raise DataError(
                f"expected class folders {missing} in '{config.path}', received folders {found}"
            )
        self.class_names = names
        paths: list[str] = []
        labels: list[int] = []
        for k, name in enumerate(names):
            files = list_images(root / name, config.recursive)
            paths += files
            labels += [k] * len(files)
        if not paths:
            raise DataError(
                f"expected image files (PNG, JPEG, BMP, TIFF, GIF) in the class folders of "
                f"'{config.path}', received none"
            )
        ok = self._scan(paths, progress)
        self._paths = [p for p, good in zip(paths, ok, strict=True) if good]
        self._labels = np.array(
            [lab for lab, good in zip(labels, ok, strict=True) if good], np.int64
        )
        if not self._paths:
            raise DataError(
                f"expected readable images in '{config.path}', but all {len(paths)} image files "
                f"are unreadable (e.g. '{paths[0]}')"
            )
        if config.channels is not None:
            self.channels = int(config.channels)
        self._counts = count_classes(self._labels, self.class_names)
        self._problems += class_problems(self._counts, f"'{config.path}'")

    @property
    def labels(self) -> np.ndarray:
        """Class index per sample."""
        return self._labels

    @property
    def targets(self) -> np.ndarray:
        """Class index per sample."""
        return self._labels

    def get(self, index: int) -> tuple[np.ndarray, int]:
        """Decoded image (uint8 H, W, C) and its class index."""
        return load_image(self._paths[index], self.channels), int(self._labels[index])

    def summary(self) -> DataSummary:
        """Classes with counts, image sizes, imbalance and corrupt files."""
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=self.config.path,
            classes=list(self.class_names),
            class_counts=dict(self._counts),
            image_sizes=dict(self._sizes),
            imbalance_warning=imbalance_message(self._counts),
            problems=list(self._problems),
        )


@dataclass(frozen=True)
class ImageRegressionConfig(DataConfig):
    """Images listed in a CSV (file name column + one or more numeric target columns)."""

    kind = "image-regression"
    csv_path: str = ""
    image_folder: str | None = None  # None: file names are relative to the CSV's folder
    file_column: str | None = None  # None: the first column
    target_columns: tuple[str, ...] | None = None  # None: every other column
    channels: int | None = None


class ImageRegressionStore(_ImageFileStore):
    """Datastore of images with numeric regression targets from a CSV."""

    config: ImageRegressionConfig
    task = "regression"

    def __init__(
        self, config: ImageRegressionConfig, progress: ProgressReporter | None = None
    ) -> None:
        super().__init__()
        self.config = config
        _check_channels(config.channels)
        self.class_names = []
        table = read_csv(config.csv_path)
        file_col = config.file_column if config.file_column is not None else table.header[0]
        table.index(file_col)
        targets = list(config.target_columns or [h for h in table.header if h != file_col])
        if not targets:
            raise DataError(
                f"expected at least one target column besides '{file_col}' in '{config.csv_path}'"
            )
        self.target_names = targets
        values = np.stack([table.numeric(t, "a number for regression") for t in targets], axis=1)
        folder = config.image_folder or os.path.dirname(os.path.abspath(config.csv_path))
        paths, keep = [], []
        for i, name in enumerate(table.column(file_col)):
            path = name if os.path.isabs(name) else os.path.join(folder, name)
            if os.path.isfile(path):
                paths.append(path)
                keep.append(i)
            else:
                self._problems.append(
                    Problem("missing-file", f"line {i + 2} names a file that does not exist", path)
                )
        if not paths:
            raise DataError(
                f"expected image files named in column '{file_col}' of '{config.csv_path}' "
                f"under '{folder}', found none of them"
            )
        ok = self._scan(paths, progress)
        self._paths = [p for p, good in zip(paths, ok, strict=True) if good]
        rows = [k for k, good in zip(keep, ok, strict=True) if good]
        self._targets = values[rows].astype(np.float32)
        if config.channels is not None:
            self.channels = int(config.channels)

    @property
    def targets(self) -> np.ndarray:
        """Target vector per sample, float32 (N, number of target columns)."""
        return self._targets

    def get(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Decoded image (uint8 H, W, C) and its target vector."""
        return load_image(self._paths[index], self.channels), self._targets[index]

    def summary(self) -> DataSummary:
        """Target names and ranges, image sizes and problems."""
        notes = (
            [
                f"{name}: min {self._targets[:, j].min():.4g}, max {self._targets[:, j].max():.4g}, "
                f"mean {self._targets[:, j].mean():.4g}"
                for j, name in enumerate(self.target_names)
            ]
            if len(self)
            else []
        )
        return DataSummary(
            kind=self.config.kind,
            task=self.task,
            num_samples=len(self),
            source=self.config.csv_path,
            image_sizes=dict(self._sizes),
            target_names=list(self.target_names),
            problems=list(self._problems),
            notes=notes,
        )
