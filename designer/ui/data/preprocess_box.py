"""The preprocessing box: what happens to every image, in words, with resize and rescale choices."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from designer.data.preprocess import RESIZE_MODES, PreprocessConfig, describe_preprocess

RESIZE_TEXT = {
    "stretch": "stretch to the input size",
    "crop": "centre-crop to the aspect, then scale",
    "pad": "keep the aspect, pad with black",
}
RESCALE_TEXT = {
    "none": "keep 0..255",
    "unit": "0..1 (divide by 255)",
    "symmetric": "-1..1",
    "preprocess_input": "the model's preprocess_input",
}


class PreprocessBox(QWidget):
    """Shows the preprocessing derived from the network's Input and edits resize/rescale."""

    changed = Signal(object)  # PreprocessConfig after a user edit

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.config: PreprocessConfig | None = None
        self._loading = False
        layout = QVBoxLayout(self)
        self.steps = QLabel("")
        self.steps.setWordWrap(True)
        layout.addWidget(self.steps)
        form = QFormLayout()
        layout.addLayout(form)
        self.resize_mode = QComboBox()
        for mode in RESIZE_MODES:
            self.resize_mode.addItem(RESIZE_TEXT[mode], mode)
        self.rescale = QComboBox()
        form.addRow("Resize", self.resize_mode)
        form.addRow("Values", self.rescale)
        layout.addStretch(1)
        self.resize_mode.currentIndexChanged.connect(self._edited)
        self.rescale.currentIndexChanged.connect(self._edited)

    def show_config(
        self,
        config: PreprocessConfig | None,
        reason: str = "",
        sizes: dict[str, int] | None = None,
        channels: int | None = None,
    ) -> None:
        """Show ``config`` (None: ``reason`` says why there is no image preprocessing)."""
        self.config = config
        self._loading = True
        try:
            self.resize_mode.setEnabled(config is not None)
            self.rescale.setEnabled(config is not None)
            self.rescale.clear()
            if config is None:
                self.steps.setText(reason)
                return
            for mode, text in RESCALE_TEXT.items():
                if mode != "preprocess_input" or config.preprocess_module:
                    label = (
                        text
                        if mode != "preprocess_input"
                        else f"keras.applications.{config.preprocess_module}.preprocess_input"
                    )
                    self.rescale.addItem(label, mode)
            self.rescale.setCurrentIndex(max(0, self.rescale.findData(config.rescale)))
            self.resize_mode.setCurrentIndex(max(0, self.resize_mode.findData(config.resize_mode)))
            self._describe(sizes, channels)
        finally:
            self._loading = False

    def _describe(self, sizes: dict[str, int] | None, channels: int | None) -> None:
        self._sizes, self._channels = sizes, channels
        assert self.config is not None
        size = (
            f"{self.config.image_size[0]}x{self.config.image_size[1]}"
            if self.config.image_size
            else "any size"
        )
        lines = describe_preprocess(self.config, sizes, channels)
        self.steps.setText(
            f"The network takes {size} images with {self.config.channels} "
            f"channel(s). Every image (training and validation):<ul>"
            + "".join(f"<li>{line}</li>" for line in lines)
            + "</ul>"
        )

    @property
    def text(self) -> str:
        """The description as shown (HTML)."""
        return self.steps.text()

    def _edited(self) -> None:
        if self._loading or self.config is None:
            return
        self.config = dataclasses.replace(
            self.config,
            resize_mode=self.resize_mode.currentData(),
            rescale=self.rescale.currentData(),
        )
        self._describe(getattr(self, "_sizes", None), getattr(self, "_channels", None))
        self.changed.emit(self.config)
