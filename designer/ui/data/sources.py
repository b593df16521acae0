"""The "where is the data" form of the import dialog: kind, paths and kind-specific options."""

from __future__ import annotations

import csv
import dataclasses
import os
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QWidget,
)

from designer.data.arrays import CsvTableConfig, IdxConfig, NumpyConfig
from designer.data.base import DataConfig
from designer.data.builtin import SklearnDigitsConfig, SyntheticConfig
from designer.data.detection import DetectionConfig
from designer.data.images import ImageFolderConfig, ImageRegressionConfig
from designer.data.kerasdatasets import DATASETS, KerasDatasetConfig
from designer.data.registry import detect
from designer.data.segmentation import SegmentationConfig
from designer.data.sequences import SequenceConfig
from designer.data.shapes import ShapesConfig
from designer.data.summary import DataError
from designer.ui.common.param_widgets import widget_row
from designer.ui.data.colormap_editor import ColormapEditor
from designer.ui.data.split_box import stored_paths

# (kind, label, what the path is: "dir", "file" or "" for none)
KIND_CHOICES: tuple[tuple[str, str, str], ...] = (
    ("auto", "Detect from the path", "any"),
    ("image-folder", "Image folder (one subfolder per class)", "dir"),
    ("image-regression", "Images + CSV of regression targets", "file"),
    ("segmentation", "Segmentation (folder with images/ and masks/)", "dir"),
    ("detection", "Object detection (COCO, Pascal VOC or YOLO folder)", "dir"),
    ("numpy", "Arrays (.npz, or .npy of X)", "file"),
    ("idx", "IDX files (MNIST format, images file)", "file"),
    ("csv-table", "CSV table (feature and target columns)", "file"),
    ("sequences", "Sequences (.npz with lengths, .npy or long CSV)", "file"),
    ("keras-dataset", "keras.datasets (MNIST, CIFAR, ...)", ""),
    ("synthetic", "Built-in synthetic digits / letters", ""),
    ("sklearn-digits", "scikit-learn digits (8x8)", ""),
    ("shapes", "Generated shapes (object detection, COCO format)", ""),
)
_SECOND = {
    "image-regression": "Image folder (optional)",
    "segmentation": "Masks folder (optional)",
    "numpy": "Labels .npy (for a .npy of X)",
    "idx": "Labels IDX file",
    "sequences": "Targets .npy (for a .npy)",
}
_TASKS = ("auto", "classification", "regression")


def _csv_header(path: str) -> list[str]:
    """The first row of a CSV file (empty list when it cannot be read)."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            sample = f.read(4096)
            f.seek(0)
            delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
            return [c.strip() for c in next(csv.reader(f, delimiter=delimiter), [])]
    except (OSError, UnicodeDecodeError, csv.Error):
        return []


class SourceForm(QWidget):
    """Kind selector and the fields that kind needs; ``config()`` turns them into a DataConfig."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.form = QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.kind = QComboBox()
        for kind, label, _ in KIND_CHOICES:
            self.kind.addItem(label, kind)
        self.form.addRow("Kind", self.kind)
        self.path = QLineEdit()
        self.path.setPlaceholderText("a folder or file, e.g. /data/flowers")
        self.browse = QPushButton("Browse...")
        self.form.addRow("Path", widget_row(self.path, self.browse))
        self.path2 = QLineEdit()
        self.browse2 = QPushButton("Browse...")
        self.form.addRow("Labels", widget_row(self.path2, self.browse2))
        self.target = QComboBox()
        self.form.addRow("Target column", self.target)
        self.features = QListWidget()
        self.features.setMaximumHeight(90)
        self.form.addRow("Feature columns", self.features)
        self.sequence_column = QComboBox()
        self.form.addRow("Sequence id column", self.sequence_column)
        self.task = QComboBox()
        self.task.addItems(_TASKS)
        self.form.addRow("Task", self.task)
        self.class_names = QLineEdit()
        self.class_names.setPlaceholderText(
            "comma-separated; empty: class0, class1, ... from the masks"
        )
        self.form.addRow("Class names", self.class_names)
        self.colormap = ColormapEditor()
        self.form.addRow("Class colours", self.colormap)
        self.dataset = QComboBox()
        self.dataset.addItems(DATASETS)
        self.subset = QComboBox()
        self.subset.addItems(("train", "test", "all"))
        self.download = QCheckBox("download when not cached")
        self.download.setChecked(True)
        self.form.addRow("Dataset", widget_row(self.dataset, self.subset, self.download))
        self.charset = QComboBox()
        self.charset.addItems(("digits", "letters"))
        self.samples = QSpinBox()
        self.samples.setRange(10, 200_000)
        self.samples.setValue(2000)
        self.image_size = QSpinBox()
        self.image_size.setRange(8, 256)
        self.image_size.setValue(28)
        self.image_size.setSuffix(" px")
        self.form.addRow("Characters", widget_row(self.charset, self.samples, self.image_size))
        self.kind.currentIndexChanged.connect(self._update_rows)
        self.browse.clicked.connect(lambda: self.browse_path(self.path))
        self.browse2.clicked.connect(
            lambda: self._browse(
                self.path2,
                "dir" if self.current_kind in ("image-regression", "segmentation") else "file",
            )
        )
        self.path.editingFinished.connect(self.load_columns)
        self.class_names.textChanged.connect(
            lambda: self.colormap.set_names(self.segmentation_names())
        )
        self.colormap.colour_masks.toggled.connect(self.changed)
        # colours decode colour masks (the scan must be redone); index masks only show them
        self.colormap.changed.connect(
            lambda: self.colormap.colour_masks.isChecked() and self.changed.emit()
        )
        for signal in (
            self.kind.currentIndexChanged,
            self.path.textChanged,
            self.path2.textChanged,
            self.target.currentIndexChanged,
            self.features.itemChanged,
            self.sequence_column.currentIndexChanged,
            self.task.currentIndexChanged,
            self.class_names.textChanged,
            self.dataset.currentIndexChanged,
            self.subset.currentIndexChanged,
            self.download.toggled,
            self.charset.currentIndexChanged,
            self.samples.valueChanged,
            self.image_size.valueChanged,
        ):
            signal.connect(self.changed)
        self._update_rows()

    @property
    def current_kind(self) -> str:
        """The chosen kind key ("auto" to detect from the path)."""
        return self.kind.currentData()

    def set_kind(self, kind: str) -> None:
        """Choose a kind by key."""
        index = self.kind.findData(kind)
        if index < 0:
            raise DataError(
                f"expected a kind among {[k for k, _, _ in KIND_CHOICES]}, received '{kind}'"
            )
        self.kind.setCurrentIndex(index)

    def _path_role(self) -> str:
        return next(role for kind, _, role in KIND_CHOICES if kind == self.current_kind)

    def browse_path(self, field: QLineEdit) -> None:
        """Let the user pick a folder or file (as the kind reads) into ``field``."""
        self._browse(field, self._path_role())

    def _browse(self, field: QLineEdit, role: str) -> None:
        if role == "dir":
            chosen = QFileDialog.getExistingDirectory(self, "Choose a data folder", field.text())
        else:
            chosen, _ = QFileDialog.getOpenFileName(self, "Choose a data file", field.text())
        if chosen:
            field.setText(chosen)
            if field is self.path:
                self.load_columns()

    def segmentation_names(self) -> tuple[str, ...]:
        """The class names typed for segmentation masks (empty: found in the masks)."""
        return tuple(n.strip() for n in self.class_names.text().split(",") if n.strip())

    def _update_rows(self) -> None:
        kind = self.current_kind
        csv_like = kind in ("csv-table", "sequences")
        visible = {
            self.path: self._path_role() != "",
            self.path2: kind in _SECOND,
            self.target: csv_like,
            self.features: csv_like,
            self.sequence_column: kind == "sequences",
            self.task: kind in ("numpy", "csv-table", "sequences"),
            self.class_names: kind == "segmentation",
            self.colormap: kind == "segmentation",
            self.dataset: kind == "keras-dataset",
            self.charset: kind in ("synthetic", "shapes"),  # the row: charset, count, size
        }
        for widget, show in visible.items():
            row_widget = widget if widget.parent() is self else widget.parentWidget()
            self.form.setRowVisible(row_widget, show)
        self.charset.setVisible(kind != "shapes")
        generated = self.form.labelForField(self.charset.parentWidget())
        if generated is not None:
            generated.setText("Images" if kind == "shapes" else "Characters")
        if kind == "shapes" and (self.samples.value(), self.image_size.value()) == (2000, 28):
            self.samples.setValue(200)  # the shapes' own defaults, not the digits'
            self.image_size.setValue(128)
        label = self.form.labelForField(self.path2.parentWidget())
        if label is not None:
            label.setText(_SECOND.get(kind, "Labels"))
        self.load_columns()

    def load_columns(self) -> None:
        """Fill the column pickers from the CSV header at the path."""
        header = (
            _csv_header(self.path.text())
            if self.path.text().lower().endswith((".csv", ".tsv", ".txt"))
            else []
        )
        if header == [self.features.item(i).text() for i in range(self.features.count())]:
            return
        self.target.clear()
        self.target.addItem("(last column)", None)
        self.sequence_column.clear()
        self.sequence_column.addItem("(none: a row is a time step of one sequence)", None)
        self.features.clear()
        for name in header:
            self.target.addItem(name, name)
            self.sequence_column.addItem(name, name)
            item = QListWidgetItem(name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.features.addItem(item)

    def _feature_columns(self, exclude: set[str]) -> tuple[str, ...] | None:
        names = [self.features.item(i).text() for i in range(self.features.count())]
        checked = [
            n
            for i, n in enumerate(names)
            if self.features.item(i).checkState() == Qt.CheckState.Checked
        ]
        if all(
            self.features.item(i).checkState() == Qt.CheckState.Checked or n in exclude
            for i, n in enumerate(names)
        ):
            return None  # every column but the target (and the sequence id)
        chosen = tuple(n for n in checked if n not in exclude)
        if not chosen:
            raise DataError("expected at least one feature column ticked, received none")
        return chosen

    def builder(self, path: str | None = None) -> Callable[[], DataConfig]:
        """A function (safe to run in a worker) that makes the config from the current fields.

        With ``path``: the config of the same kind and options for that other path (separate
        validation or test data), which must then hold its labels itself (no second path).
        """
        separate = path is not None
        kind = self.current_kind
        path = (self.path.text() if path is None else path).strip()
        path2 = "" if separate else self.path2.text().strip()
        task = self.task.currentText()
        if separate and not self._path_role():
            raise DataError(
                f"expected a kind read from a folder or file for separate data, received "
                f"'{self.kind.currentText()}'"
            )
        if self._path_role() and not path:
            raise DataError("expected a path to the data, received an empty field")
        if kind == "auto":
            return lambda: detect(path)
        if kind == "image-folder":
            return lambda: ImageFolderConfig(path)
        if kind == "image-regression":
            return lambda: ImageRegressionConfig(path, image_folder=path2 or None)
        if kind == "segmentation":
            return self._segmentation_builder(path, path2)
        if kind == "detection":
            return lambda: DetectionConfig(path)
        if kind == "shapes":
            samples, size = self.samples.value(), self.image_size.value()
            return lambda: ShapesConfig(images=samples, size=size)
        if kind == "numpy":
            if not path2 and path.lower().endswith(".npy"):  # labels beside the X file
                return lambda: dataclasses.replace(detect(path), task=task)
            return lambda: NumpyConfig(path, y_path=path2 or None, task=task)
        if kind == "idx":
            return lambda: IdxConfig(path, path2) if path2 else detect(path)
        target = self.target.currentData()
        if kind == "csv-table":
            features = self._feature_columns({target} if target else set())
            return lambda: CsvTableConfig(
                path, target_column=target, feature_columns=features, task=task
            )
        if kind == "sequences":
            seq = self.sequence_column.currentData()
            features = self._feature_columns({c for c in (target, seq) if c})
            return lambda: SequenceConfig(
                path,
                y_path=path2 or None,
                task=task,
                sequence_column=seq,
                feature_columns=features,
                target_column=target,
            )
        if kind == "keras-dataset":
            name, subset = self.dataset.currentText(), self.subset.currentText()
            download = self.download.isChecked()
            return lambda: KerasDatasetConfig(name, subset, allow_download=download)
        if kind == "synthetic":
            charset, samples, size = (
                self.charset.currentText(),
                self.samples.value(),
                self.image_size.value(),
            )
            return lambda: SyntheticConfig(charset=charset, num_samples=samples, image_size=size)
        return SklearnDigitsConfig

    def show_config(self, config: DataConfig) -> None:
        """Fill the fields from a stored config (the project's data, when the dialog opens)."""
        fields = config.to_dict()
        self.set_kind(config.kind)
        for field, path in zip((self.path, self.path2), stored_paths(fields), strict=True):
            field.setText(path)
        self.load_columns()
        if "task" in fields:
            self.task.setCurrentText(fields["task"])
        if config.kind in ("csv-table", "sequences"):
            self.target.setCurrentIndex(max(0, self.target.findData(fields.get("target_column"))))
            if config.kind == "sequences":
                index = self.sequence_column.findData(fields.get("sequence_column"))
                self.sequence_column.setCurrentIndex(max(0, index))
            chosen = fields.get("feature_columns")
            for i in range(self.features.count()):
                item = self.features.item(i)
                ticked = chosen is None or item.text() in chosen
                item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)
        if config.kind == "segmentation":
            self.class_names.setText(", ".join(fields.get("class_names") or ()))
            self.colormap.set_colormap(fields.get("colormap"))
        if config.kind == "keras-dataset":
            self.dataset.setCurrentText(fields["name"])
            self.subset.setCurrentText(fields["subset"])
            self.download.setChecked(bool(fields["allow_download"]))
        if config.kind == "shapes":
            self.samples.setValue(int(fields["images"]))
            self.image_size.setValue(int(fields["size"]))
        if config.kind == "synthetic":
            self.charset.setCurrentText(fields["charset"])
            self.samples.setValue(int(fields["num_samples"]))
            self.image_size.setValue(int(fields["image_size"]))

    def _segmentation_builder(self, path: str, path2: str) -> Callable[[], DataConfig]:
        names, colours = self.segmentation_names(), tuple(self.colormap.colours())
        if self.colormap.colour_masks.isChecked():
            if not names:
                raise DataError(
                    "expected class names for colour masks (one per colour), received none"
                )
            images, masks = (
                (path, path2)
                if path2
                else (os.path.join(path, "images"), os.path.join(path, "masks"))
            )
            return lambda: SegmentationConfig(images, masks, names, colormap=colours)
        if not path2:
            return lambda: _with_colours(_with_names(detect(path), names), colours)
        if not names:
            raise DataError("expected class names for a separate masks folder, received none")
        return lambda: SegmentationConfig(path, path2, names, colormap=colours)

    def finish(self, config: DataConfig) -> DataConfig:
        """Give a scanned segmentation config the editor's current colours (for previews)."""
        return _with_colours(config, tuple(self.colormap.colours()))


def _with_names(config: DataConfig, names: tuple[str, ...]) -> DataConfig:
    """A detected segmentation config, with the user's class names when given."""
    if not isinstance(config, SegmentationConfig):
        raise DataError(
            f"expected a folder with images/ and masks/ subfolders, received {config.kind} data"
        )
    if names:
        config = dataclasses.replace(config, class_names=names)
    return config


def _with_colours(config: DataConfig, colours: tuple[tuple[int, int, int], ...]) -> DataConfig:
    """A segmentation config with ``colours`` as its colour map when there is one per class."""
    if (
        isinstance(config, SegmentationConfig)
        and colours
        and len(colours) == len(config.class_names)
    ):
        config = dataclasses.replace(config, colormap=colours)
    return config
