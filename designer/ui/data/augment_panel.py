"""Augmentation controls (every AugmentConfig option) with a live preview grid and Regenerate."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from designer.core.progress import ProgressReporter
from designer.data.augment import (
    FILL_MODES,
    AugmentConfig,
    describe_augmentation,
    preview_augmentation,
)
from designer.ui.common.param_widgets import widget_row
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.data.thumbs import ThumbnailGrid

# name -> (label, maximum, step, suffix) for the +- amounts
AMOUNTS: dict[str, tuple[str, float, float, str]] = {
    "rotation": ("Rotation +-", 180.0, 5.0, " deg"),
    "translate_x": ("Translation across +-", 0.5, 0.05, " of width"),
    "translate_y": ("Translation down +-", 0.5, 0.05, " of height"),
    "zoom": ("Zoom +-", 0.9, 0.05, ""),
    "shear_x": ("Shear across", 1.0, 0.05, ""),
    "shear_y": ("Shear down", 1.0, 0.05, ""),
    "brightness": ("Brightness +-", 1.0, 0.05, ""),
    "contrast": ("Contrast +-", 1.0, 0.05, ""),
    "hue": ("Hue shift", 1.0, 0.05, ""),
    "saturation": ("Saturation +-", 0.5, 0.05, ""),
    "noise": ("Gaussian noise std", 0.5, 0.01, " of range"),
    "blur": ("Blur sigma up to", 10.0, 0.5, " px"),
    "erasing": ("Random erasing probability", 1.0, 0.05, ""),
}
RANGES = {"scale": "Scale", "scale_x": "Horizontal scale", "scale_y": "Vertical scale"}
SECTIONS = (
    (
        "Geometry",
        (
            "flip",
            "rotation",
            "translate_x",
            "translate_y",
            "scale",
            "scale_x",
            "scale_y",
            "zoom",
            "shear_x",
            "shear_y",
            "random_crop",
        ),
    ),
    ("Colour", ("brightness", "contrast", "hue", "saturation")),
    ("Noise and occlusion", ("noise", "blur", "erasing")),
    ("Outside the image", ("fill_mode", "fill_value")),
)


def _spin(maximum: float, step: float, value: float = 0.0, minimum: float = 0.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(minimum, maximum)
    spin.setSingleStep(step)
    spin.setDecimals(2)
    spin.setValue(value)
    spin.setMaximumWidth(150)
    return spin


class RangeEdit(QWidget):
    """An optional (low, high) factor range: a tick box and two spin boxes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.on = QCheckBox()
        self.low, self.high = _spin(4.0, 0.05, 0.9, 0.05), _spin(4.0, 0.05, 1.1, 0.05)
        for w in (self.on, QLabel("from"), self.low, QLabel("to"), self.high):
            lay.addWidget(w)
        lay.addStretch(1)
        self.on.toggled.connect(self._enable)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        self.low.setEnabled(on)
        self.high.setEnabled(on)

    def value(self) -> tuple[float, float] | None:
        """The range, or None when off."""
        return (self.low.value(), self.high.value()) if self.on.isChecked() else None

    def set_value(self, value: Any) -> None:
        """Show a range (None switches it off)."""
        self.on.setChecked(value is not None)
        if value is not None:
            self.low.setValue(float(value[0]))
            self.high.setValue(float(value[1]))


class AugmentPanel(QWidget):
    """Edits an AugmentConfig; previews it on sample images in a worker thread."""

    changed = Signal(object)  # AugmentConfig, after a user edit
    previewed = Signal()  # a new preview grid is shown

    def __init__(self, tasks: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.preview_seed = 0
        self.samples: list[np.ndarray] = []
        self.sample_boxes: list[tuple[np.ndarray, np.ndarray]] | None = None  # detection
        self.class_names: list[str] = []
        self.versions = 4
        self._loading = False
        self._worker: Worker | None = None
        self._pending = False
        self._seed_extra: int | None = None
        layout = QVBoxLayout(self)
        self.controls: dict[str, QWidget] = {}
        self.flip_x = QCheckBox("left-right")
        self.flip_y = QCheckBox("top-bottom")
        self.crop_on = QCheckBox()
        self.crop = _spin(1.0, 0.05, 0.8, 0.1)
        self.fill_mode = QComboBox()
        self.fill_mode.addItems(FILL_MODES)
        self.fill_value = _spin(255.0, 1.0)
        preview_row = QHBoxLayout()
        preview_row.addWidget(QLabel("<b>Preview</b> (4 random versions of each image)"))
        preview_row.addStretch(1)
        self.regenerate_button = QPushButton("Regenerate")
        self.regenerate_button.setToolTip("Draw new random transforms")
        preview_row.addWidget(self.regenerate_button)
        layout.addLayout(preview_row)
        self.grid = ThumbnailGrid(columns=self.versions, size=56)
        layout.addWidget(self.grid)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.description = QLabel("no augmentation")
        self.description.setWordWrap(True)
        layout.addWidget(self.description)
        form = QFormLayout()
        layout.addLayout(form)
        for section, names in SECTIONS:
            form.addRow(QLabel(f"<b>{section}</b>"))
            for name in names:
                self._add_row(form, name)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.refresh_preview)
        self.regenerate_button.clicked.connect(self.regenerate)
        self._connect_edits()

    def _add_row(self, form: QFormLayout, name: str) -> None:
        if name == "flip":
            form.addRow("Reflection", widget_row(self.flip_x, self.flip_y, stretch=True))
        elif name in AMOUNTS:
            label, maximum, step, suffix = AMOUNTS[name]
            spin = _spin(maximum, step)
            spin.setSuffix(suffix)
            self.controls[name] = spin
            form.addRow(label, spin)
        elif name in RANGES:
            self.controls[name] = RangeEdit()
            form.addRow(RANGES[name], self.controls[name])
        elif name == "random_crop":
            self.crop.setEnabled(False)
            self.crop_on.toggled.connect(self.crop.setEnabled)
            form.addRow(
                "Random crop",
                widget_row(self.crop_on, "keep", self.crop, "of each side", stretch=True),
            )
        elif name == "fill_mode":
            self.fill_mode.setMaximumWidth(150)
            form.addRow("Fill mode", self.fill_mode)
        elif name == "fill_value":
            form.addRow("Fill value (constant)", self.fill_value)

    def _connect_edits(self) -> None:
        signals = [
            self.flip_x.toggled,
            self.flip_y.toggled,
            self.crop_on.toggled,
            self.crop.valueChanged,
            self.fill_mode.currentIndexChanged,
            self.fill_value.valueChanged,
        ]
        for w in self.controls.values():
            if isinstance(w, RangeEdit):
                signals += [w.on.toggled, w.low.valueChanged, w.high.valueChanged]
            else:
                signals.append(w.valueChanged)
        for signal in signals:
            signal.connect(self._edited)

    # ------------------------------------------------------------------ config
    def config(self) -> AugmentConfig:
        """The AugmentConfig the controls describe."""
        values: dict[str, Any] = {n: w.value() for n, w in self.controls.items()}
        return AugmentConfig(
            flip_x=self.flip_x.isChecked(),
            flip_y=self.flip_y.isChecked(),
            random_crop=self.crop.value() if self.crop_on.isChecked() else None,
            fill_mode=self.fill_mode.currentText(),
            fill_value=self.fill_value.value(),
            seed=self._seed_extra,
            **values,
        )

    def set_config(self, config: AugmentConfig) -> None:
        """Show ``config`` in the controls (without emitting ``changed``)."""
        self._loading = True
        try:
            self.flip_x.setChecked(config.flip_x)
            self.flip_y.setChecked(config.flip_y)
            for name, widget in self.controls.items():
                value = getattr(config, name)
                if isinstance(widget, RangeEdit):
                    widget.set_value(value)
                else:
                    widget.setValue(float(value))
            self.crop_on.setChecked(config.random_crop is not None)
            if config.random_crop is not None:
                self.crop.setValue(config.random_crop)
            self.fill_mode.setCurrentText(config.fill_mode)
            self.fill_value.setValue(config.fill_value)
            self._seed_extra = config.seed
        finally:
            self._loading = False
        self._describe()
        self._timer.start()

    def _edited(self) -> None:
        if self._loading:
            return
        self._describe()
        self.changed.emit(self.config())
        self._timer.start()

    def _describe(self) -> None:
        channels = (
            int(self.samples[0].shape[-1]) if self.samples and self.samples[0].ndim == 3 else 3
        )
        self.description.setText("; ".join(describe_augmentation(self.config(), channels)))

    # ------------------------------------------------------------------ preview
    def set_samples(
        self,
        samples: list[np.ndarray],
        boxes: list[tuple[np.ndarray, np.ndarray]] | None = None,
        class_names: list[str] | None = None,
    ) -> None:
        """The images (uint8, already resized for the network) the preview augments; with
        ``boxes`` (xyxy pixel boxes and labels per image, object detection) the boxes are
        moved with the pixels and drawn in their class colours."""
        self.samples = [np.asarray(s) for s in samples]
        self.sample_boxes = list(boxes) if boxes is not None else None
        self.class_names = list(class_names or [])
        self._describe()
        self.refresh_preview()

    def regenerate(self) -> None:
        """New random transforms in the preview."""
        self.preview_seed += 1
        self.refresh_preview()

    def refresh_preview(self) -> None:
        """Recompute the preview grid in a worker (coalesced while one runs)."""
        self._timer.stop()
        if not self.samples:
            self.grid.clear()
            self.status.setText("Import image data to preview the augmentation.")
            return
        if self._worker is not None:
            self._pending = True
            return
        config, samples, seed, versions = (
            self.config(),
            list(self.samples),
            self.preview_seed,
            self.versions,
        )

        boxes, names = self.sample_boxes, self.class_names

        def work(reporter: ProgressReporter) -> list[list[np.ndarray]]:
            reporter(0, 1, "augmenting")
            if boxes is None:
                return preview_augmentation(config, samples, versions, seed)
            return boxed_previews(config, samples, boxes, names, versions, seed)

        self.status.setText("Computing the preview...")
        self._worker = self.tasks.start(work, self._show_preview, self._preview_failed)

    def _preview_done(self) -> bool:
        self._worker = None
        if self._pending:
            self._pending = False
            self.refresh_preview()
            return False
        return True

    def _show_preview(self, grids: list[list[np.ndarray]]) -> None:
        if not self._preview_done():
            return
        self.status.setText("")
        images = [img for row in grids for img in row]
        self.grid.set_images(images)
        self.previewed.emit()

    def _preview_failed(self, message: str, details: str) -> None:
        if not self._preview_done():
            return
        self.grid.clear()
        self.status.setText(f"<span style='color:#b00020'>Cannot preview: {message}</span>")
        self.status.setToolTip(details)


def boxed_previews(
    config: AugmentConfig,
    samples: list[np.ndarray],
    boxes: list[tuple[np.ndarray, np.ndarray]],
    class_names: list[str],
    versions: int,
    seed: int,
) -> list[list[np.ndarray]]:
    """Augmented copies of detection samples with their moved boxes drawn on them."""
    from designer.data.box_augment import preview_box_augmentation
    from designer.data.box_drawing import draw_boxes

    rows = []
    for image, (b, labels) in zip(samples, boxes, strict=True):
        copies = preview_box_augmentation(config, image, b, labels, versions, seed)
        rows.append([draw_boxes(pic, pb, pl, class_names, width=1) for pic, pb, pl in copies])
    return rows
