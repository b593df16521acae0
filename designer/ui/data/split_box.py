"""The "Validation and test data" box of the import dialog: a share of the data or separate data."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from designer.data.splits import SplitConfig
from designer.ui.common.param_widgets import widget_row

MODES = (("percent", "Percent of the data"), ("separate", "Separate folder/file"))


#: The config keys of the first and second path of each kind of datastore (None: no such path).
PATH_KEYS = {
    "image-folder": ("path", None),
    "image-regression": ("csv_path", "image_folder"),
    "segmentation": ("images_path", "masks_path"),
    "numpy": ("path", "y_path"),
    "idx": ("images_path", "labels_path"),
    "csv-table": ("path", None),
    "sequences": ("path", "y_path"),
}


def stored_paths(source: dict[str, Any]) -> tuple[str, str]:
    """The first and second path (or "") that a stored datastore config dict reads."""
    first, second = PATH_KEYS.get(source.get("kind", ""), (None, None))
    return (
        str(source.get(first) or "") if first else "",
        str(source.get(second) or "") if second else "",
    )


def source_path(source: dict[str, Any] | None) -> str:
    """The folder or file a stored datastore config dict reads (for the path fields)."""
    if not source:
        return ""
    path = stored_paths(source)[0]
    if (
        source.get("kind") == "segmentation"
        and os.path.basename(os.path.normpath(path)) == "images"
    ):
        return os.path.dirname(os.path.normpath(path))  # a folder with images/ and masks/
    return path


class SplitBox(QGroupBox):
    """Percentages (validation, test, stratify, seed) or paths of separate validation/test data.

    ``changed`` fires when the mode or a separate path changes (what a scan has to open).
    """

    changed = Signal()

    def __init__(
        self, split: SplitConfig, browse: Callable[[QLineEdit], None], parent: QWidget | None = None
    ) -> None:
        super().__init__("Validation and test data", parent)
        self.form = QFormLayout(self)
        self.mode = QComboBox()
        for key, label in MODES:
            self.mode.addItem(label, key)
        self.validation = QDoubleSpinBox()
        self.validation.setRange(0, 90)
        self.validation.setSuffix(" %")
        self.validation.setValue(split.validation_percent)
        self.test = QDoubleSpinBox()
        self.test.setRange(0, 90)
        self.test.setSuffix(" %")
        self.test.setValue(split.test_percent)
        self.stratify = QCheckBox("same class shares in every part (stratify)")
        self.stratify.setChecked(split.stratify)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(split.seed)
        self.validation_path = QLineEdit(source_path(split.validation_source))
        self.validation_path.setPlaceholderText(
            "validation data of the same kind, e.g. /data/flowers-val"
        )
        self.validation_browse = QPushButton("Browse...")
        self.test_path = QLineEdit(source_path(split.test_source))
        self.test_path.setPlaceholderText("optional: test data of the same kind")
        self.test_browse = QPushButton("Browse...")
        self.form.addRow("Validation data from", self.mode)
        self.form.addRow("Validation", self.validation)
        self.form.addRow("Test", self.test)
        self.form.addRow("", self.stratify)
        self.form.addRow("Seed", self.seed)
        self.form.addRow(
            "Validation path", widget_row(self.validation_path, self.validation_browse)
        )
        self.form.addRow("Test path", widget_row(self.test_path, self.test_browse))
        self.validation_browse.clicked.connect(lambda: browse(self.validation_path))
        self.test_browse.clicked.connect(lambda: browse(self.test_path))
        self.mode.currentIndexChanged.connect(self._update_rows)
        for signal in (
            self.mode.currentIndexChanged,
            self.validation_path.textChanged,
            self.test_path.textChanged,
        ):
            signal.connect(self.changed)
        self.mode.setCurrentIndex(max(0, self.mode.findData(split.mode)))
        self._update_rows()

    @property
    def separate(self) -> bool:
        """True when validation (and test) data come from separate paths."""
        return self.mode.currentData() == "separate"

    def set_mode(self, mode: str) -> None:
        """Choose "percent" or "separate"."""
        self.mode.setCurrentIndex(self.mode.findData(mode))

    def paths(self) -> tuple[str, str]:
        """The separate validation and test paths ("" when empty)."""
        return self.validation_path.text().strip(), self.test_path.text().strip()

    def _update_rows(self) -> None:
        separate = self.separate
        for widget in (self.validation, self.test, self.stratify, self.seed):
            self.form.setRowVisible(widget, not separate)
        for field in (self.validation_path, self.test_path):
            self.form.setRowVisible(field.parentWidget(), separate)

    def split(
        self,
        validation_source: dict[str, Any] | None = None,
        test_source: dict[str, Any] | None = None,
    ) -> SplitConfig:
        """The split the fields describe, with the separate sources' config dicts."""
        config = SplitConfig(
            validation_percent=self.validation.value(),
            test_percent=self.test.value(),
            seed=self.seed.value(),
            stratify=self.stratify.isChecked(),
        )
        if self.separate:
            config = dataclasses.replace(
                config,
                mode="separate",
                validation_source=validation_source,
                test_source=test_source,
            )
        return config
