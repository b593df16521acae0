"""The gallery's small dialogs: network options, missing weights, and the weights mirror."""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from designer import zoo
from designer.app.gallery import PRETRAINED, BuildRequest
from designer.zoo.entry import ZooEntry
from designer.zoo.weights import is_offline

KEY_MIRROR = "zoo/weights_mirror"
KEY_OFFLINE = "zoo/offline"
ANY = 0  # spin box value shown as "any" (a None dimension)


def apply_settings(settings: QSettings) -> None:
    """Give the zoo the mirror and offline choice stored in ``settings``."""
    zoo.set_mirror(str(settings.value(KEY_MIRROR, "") or "") or None)
    offline = str(settings.value(KEY_OFFLINE, "false")).lower() in ("true", "1")
    zoo.set_offline(True if offline else None)  # None: $ND_WEIGHTS_OFFLINE decides


def weights_status(entry: ZooEntry, include_top: bool = True) -> str:
    """Where the pretrained weights would come from, in one or two words."""
    if entry.bundled_weights:
        return "included"
    if entry.weights_file(include_top) is None:
        return "none for these options"
    if zoo.is_cached(entry.name, include_top):
        return "in cache"
    if zoo.get_mirror():
        return "from mirror"
    return "not cached" if is_offline() else "download"


STATUS_SENTENCE = {
    "included": "Pretrained weights ship with Network Designer.",
    "none for these options": "No pretrained weights exist for these options.",
    "in cache": "Pretrained weights are in the Keras cache.",
    "from mirror": "Pretrained weights will be fetched from the mirror (see Settings).",
    "not cached": "Pretrained weights are not cached and downloads are off.",
    "download": "Pretrained weights will be downloaded when the network opens.",
}


class OptionsDialog(QDialog):
    """The options step before a zoo network is built: weights, classifier, input, classes."""

    def __init__(self, entry: ZooEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setWindowTitle(f"Open {entry.display_name}")
        self.setMinimumWidth(440)
        title = QLabel(f"<b>{entry.display_name}</b> ({entry.year})<br>{entry.description}")
        title.setWordWrap(True)
        cite = QLabel(str(entry.citation))
        cite.setWordWrap(True)
        cite.setStyleSheet("color: #666; font-size: 9pt")
        self.weights = QComboBox()
        if entry.has_pretrained:
            source = "bundled" if entry.bundled_weights else "ImageNet"
            self.weights.addItem(f"Pretrained ({source})", PRETRAINED)
        self.weights.addItem("Random (untrained)", None)
        self.include_top = QCheckBox("Include the classifier (top layers)")
        self.include_top.setChecked(True)
        self.dims: list[QSpinBox] = []
        dims_row = QHBoxLayout()
        for i, dim in enumerate(entry.input_shape):
            spin = QSpinBox()
            spin.setRange(ANY, 4096)
            spin.setSpecialValueText("any")
            spin.setValue(dim or ANY)
            self.dims.append(spin)
            if i:
                dims_row.addWidget(QLabel("x"))
            dims_row.addWidget(spin)
        self.classes = QSpinBox()
        self.classes.setRange(1, 100_000)
        self.classes.setValue(entry.num_classes)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555")
        form = QFormLayout()
        form.addRow("Weights:", self.weights)
        form.addRow("", self.include_top)
        form.addRow("Input size:", dims_row)
        form.addRow("Classes:", self.classes)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (title, cite):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(self.buttons)
        self.weights.currentIndexChanged.connect(self._update)
        self.include_top.toggled.connect(self._update)
        self._update()

    @property
    def pretrained(self) -> bool:
        """True when pretrained weights are chosen."""
        return self.weights.currentData() == PRETRAINED

    def _update(self) -> None:
        top = self.include_top.isChecked()
        locked_shape = self.pretrained and (top or bool(self.entry.bundled_weights))
        notes = []
        if locked_shape:
            for spin, dim in zip(self.dims, self.entry.input_shape, strict=True):
                spin.setValue(dim or ANY)
            self.classes.setValue(self.entry.num_classes)
            notes.append(
                "The pretrained network keeps its input size"
                + (
                    " and classes; untick the classifier to use another input size (transfer "
                    "learning)."
                    if not self.entry.bundled_weights
                    else "."
                )
            )
        for spin, dim in zip(self.dims, self.entry.input_shape, strict=True):
            spin.setEnabled(not locked_shape and dim is not None)
        if self.pretrained and self.entry.keras_application and len(self.dims) == 3:
            self.dims[2].setValue(3)
            self.dims[2].setEnabled(False)
        self.classes.setEnabled(top and not self.pretrained)
        if self.pretrained:
            notes.append(STATUS_SENTENCE[weights_status(self.entry, top)])
        self.note.setText(" ".join(notes))

    def request(self) -> BuildRequest:
        """The chosen options."""
        shape = tuple(spin.value() or None for spin in self.dims)
        top = self.include_top.isChecked()
        return BuildRequest(
            self.entry.name,
            shape,
            self.classes.value() if top else None,
            top,
            self.weights.currentData(),
        )


class WeightsMissingBox(QMessageBox):
    """Says which weights file is missing and where to put it; offers random or a file."""

    def __init__(self, display_name: str, message: str, parent: QWidget | None = None) -> None:
        super().__init__(
            QMessageBox.Icon.Warning,
            "Pretrained weights not available",
            f"The pretrained weights of {display_name} are not on this computer "
            "and could not be downloaded.",
            parent=parent,
        )
        self.setInformativeText(
            f"{message}\n\nA mirror (URL or folder) can be set in the gallery's Settings..."
        )
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.random_button = self.addButton(
            "Open with random weights", QMessageBox.ButtonRole.AcceptRole
        )
        self.file_button = self.addButton(
            "Load weights from file...", QMessageBox.ButtonRole.ActionRole
        )
        self.cancel_button = self.addButton(QMessageBox.StandardButton.Cancel)
        self.setDefaultButton(self.random_button)


class MirrorSettingsDialog(QDialog):
    """Where pretrained weights come from: a mirror (URL or folder) and the offline switch."""

    def __init__(self, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.setWindowTitle("Pretrained weights settings")
        self.mirror = QLineEdit(str(settings.value(KEY_MIRROR, "") or ""))
        self.mirror.setPlaceholderText("https://host/keras-weights/  or  /shared/weights")
        browse = QPushButton("Folder...")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.mirror, 1)
        row.addWidget(browse)
        self.offline = QCheckBox("Never download from the official servers (offline)")
        self.offline.setChecked(str(settings.value(KEY_OFFLINE, "false")).lower() in ("true", "1"))
        info = QLabel(
            "Weights are looked for in the Keras cache, then in the mirror (same file names as "
            f"keras.applications), then on the official servers.\nKeras cache: "
            f"{zoo.keras_cache_dir() / 'models'}"
        )
        info.setWordWrap(True)
        info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Mirror (URL or folder):", row)
        form.addRow("", self.offline)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(info)
        layout.addWidget(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder holding weights files")
        if folder:
            self.mirror.setText(folder)

    def accept(self) -> None:
        """Store the choices and apply them to the zoo."""
        self.settings.setValue(KEY_MIRROR, self.mirror.text().strip())
        self.settings.setValue(KEY_OFFLINE, "true" if self.offline.isChecked() else "false")
        self.settings.sync()
        apply_settings(self.settings)
        super().accept()
