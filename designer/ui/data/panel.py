"""The Data dock: summary, sample preview, preprocessing and augmentation of the project's data,
and the Data menu that opens it (:class:`DataActions`)."""

from __future__ import annotations

from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from designer.app.data_settings import chosen_preprocess, effective_preprocess
from designer.app.settings import DataSection, ProjectSettings
from designer.core.progress import ProgressReporter
from designer.data.augment import AugmentConfig
from designer.data.base import Datastore
from designer.data.preprocess import PreprocessConfig, prepare_numpy
from designer.data.registry import open_datastore
from designer.data.segmentation import (
    SegmentationConfig,
    colorize_mask,
    default_colormap,
    mask_colours,
)
from designer.data.splits import SplitConfig
from designer.data.summary import DataError, DataSummary
from designer.ui.common import keras_warmup
from designer.ui.common.shell import Shell
from designer.ui.common.worker import TaskRunner, Worker
from designer.ui.data.augment_panel import AugmentPanel
from designer.ui.data.import_dialog import ImportDialog, summary_lines
from designer.ui.data.preprocess_box import PreprocessBox
from designer.ui.data.split_box import source_path
from designer.ui.data.thumbs import ClassBars, ThumbnailGrid
from designer.ui.document.document import Document

PREVIEW_COUNT = 16
AUGMENT_SAMPLES = 4


def _scrolled(widget: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setWidget(widget)
    return area


class DataPanel(QWidget):
    """Everything about the project's data; follows ``document.projectChanged``."""

    def __init__(
        self, document: Document, tasks: TaskRunner, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.document, self.tasks = document, tasks
        self.store: Datastore | None = None
        self.summary: DataSummary | None = None
        self.preview_seed = 0
        self._worker: Worker | None = None
        self._loading_project: Any = None
        self._shown_data: DataSection | None = None  # the data section the dock shows
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.headline = QLabel("")
        self.headline.setWordWrap(True)
        top.addWidget(self.headline, 1)
        self.import_button = QPushButton("Import data...")
        top.addWidget(self.import_button)
        layout.addLayout(top)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.tabs.addTab(_scrolled(self._summary_tab()), "Summary")
        self.tabs.addTab(_scrolled(self._preview_tab()), "Preview")
        self.preprocess = PreprocessBox()
        self.tabs.addTab(_scrolled(self.preprocess), "Preprocessing")
        self.augment = AugmentPanel(tasks)
        self.tabs.addTab(_scrolled(self.augment), "Augmentation")
        self.import_button.clicked.connect(self.open_import)
        self.preprocess.changed.connect(self._preprocess_edited)
        self.augment.changed.connect(self._augment_edited)
        document.projectChanged.connect(self.reload)
        document.settingsChanged.connect(self._settings_changed)
        document.analysed.connect(lambda _report: self.update_preprocess())
        self.reload()

    def _summary_tab(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        self.facts = QLabel("")
        self.facts.setWordWrap(True)
        self.facts.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        lay.addWidget(self.facts)
        self.bars = ClassBars()
        lay.addWidget(self.bars)
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #a05a00;")
        lay.addWidget(self.warning)
        self.problems = QListWidget()
        self.problems.setMaximumHeight(120)
        self.problems.setVisible(False)
        lay.addWidget(self.problems)
        lay.addStretch(1)
        return page

    def _preview_tab(self) -> QWidget:
        page = QWidget()
        lay = QVBoxLayout(page)
        row = QHBoxLayout()
        self.other_samples = QPushButton("Other samples")
        row.addWidget(self.other_samples)
        row.addStretch(1)
        lay.addLayout(row)
        self.preview_grid = ThumbnailGrid(columns=4, size=64, adaptive=True)
        lay.addWidget(self.preview_grid)
        self.preview_text = QLabel("")
        self.preview_text.setWordWrap(True)
        self.preview_text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.preview_text)
        lay.addStretch(1)
        self.other_samples.clicked.connect(self.next_samples)
        return page

    # ------------------------------------------------------------------ loading
    def reload(self) -> None:
        """Read the project's data sections and open its datastore in a worker."""
        self.store, self.summary = None, None
        settings = self.document.settings
        self._shown_data = settings.data
        self.augment.set_config(settings.augmentation)
        self._clear_views()
        config = settings.data.source
        if config is None:
            self._set_headline("No data yet: use Data > Import data... to choose training data.")
            self.update_preprocess()
            return
        self._set_headline("Loading the project's data...")
        self._loading_project = self.document.project
        if keras_warmup.waiting():  # not beside Keras' import: it would slow both down
            keras_warmup.when_ready(self._reload_if_current)
            return
        self._open_source(config)

    def _reload_if_current(self) -> None:
        if self.document.project is self._loading_project:
            self.reload()

    def _open_source(self, config: Any) -> None:
        """Open the datastore of ``config`` in a worker."""

        def work(reporter: ProgressReporter) -> Datastore:
            return open_datastore(config, reporter)

        # bound methods (not closures), so the results arrive on the GUI thread
        self._worker = self.tasks.start(work, self._loaded, self._load_failed)

    def _loaded(self, store: Datastore) -> None:
        if self.document.project is self._loading_project:
            self.set_store(store)

    def _load_failed(self, message: str, details: str) -> None:
        if self.document.project is self._loading_project:
            self._set_headline(f"Cannot open the project's data: {message}", error=True)
            self.headline.setToolTip(details)

    def _settings_changed(self, settings: ProjectSettings) -> None:
        """Follow a settings edit (or its undo); the data are opened again only when their
        section changed, and only after the edit is complete (an import shows its store)."""
        if self.augment.config() != settings.augmentation:
            self.augment.set_config(settings.augmentation)
        QTimer.singleShot(0, self._follow_data)

    def _follow_data(self) -> None:
        if self.document.settings.data != self._shown_data:
            self.reload()
        else:
            self.update_preprocess()

    def _set_headline(self, text: str, error: bool = False) -> None:
        self.headline.setStyleSheet("color: #b00020;" if error else "")
        self.headline.setText(text)
        self.headline.setToolTip("")

    def _clear_views(self) -> None:
        self.facts.setText("")
        self.bars.set_counts({})
        self.warning.setText("")
        self.problems.clear()
        self.problems.setVisible(False)
        self.preview_grid.clear()
        self.preview_text.setText("")
        self.augment.set_samples([])

    def set_store(self, store: Datastore) -> None:
        """Show an opened datastore (the project's data)."""
        self._shown_data = self.document.settings.data
        self.store, self.summary = store, store.summary()
        self._set_headline(
            f"{self.summary.num_samples} samples of {self.summary.kind} data ({self.summary.task})"
        )
        self._show_summary(self.summary)
        self.update_preprocess()
        self._show_previews()

    def _show_summary(self, summary: DataSummary) -> None:
        lines = summary_lines(summary) + split_lines(self.document.settings.data.split)
        self.facts.setText("<br>".join(lines))
        self.bars.set_counts(summary.class_counts)
        self.warning.setText(summary.imbalance_warning or "")
        self.problems.clear()
        for problem in summary.problems:
            where = f"  [{problem.path}]" if problem.path else ""
            self.problems.addItem(f"{problem.severity}: {problem.message}{where}")
        self.problems.setVisible(bool(summary.problems))

    # ------------------------------------------------------------------ previews
    def next_samples(self) -> None:
        """Show other random samples."""
        self.preview_seed += 1
        self._show_previews()

    def _show_previews(self) -> None:
        store = self.store
        if store is None:
            return
        try:
            samples = store.preview(PREVIEW_COUNT, self.preview_seed)
        except (DataError, OSError) as exc:
            self.preview_text.setText(f"Cannot read samples: {exc}")
            return
        if not store.is_image:
            self.preview_grid.clear()
            self.preview_text.setText(
                "<br>".join(
                    f"{_short(x)} &rarr; {store.describe_target(y)}" for x, y in samples[:10]
                )
            )
            self.augment.set_samples([])
            return
        self.preview_text.setText("")
        from designer.data.box_drawing import draw_boxes  # detection previews: on first use
        from designer.data.detection_pipeline import resize_boxes

        images, captions = [], []
        count = max(2, len(store.class_names))
        config = getattr(store, "config", None)
        colours = (
            mask_colours(config, count)
            if isinstance(config, SegmentationConfig)
            else default_colormap(count)
        )
        for x, y in samples:
            images.append(x)
            if store.task == "segmentation":
                captions.append("image")
                images.append(colorize_mask(np.asarray(y), colours))
                captions.append("mask")
            elif store.task == "detection":  # the boxes drawn in their class colours
                images[-1] = draw_boxes(x, y["boxes"], y["labels"], store.class_names)
                captions.append(store.describe_target(y))
            else:
                captions.append(store.describe_target(y))
        self.preview_grid.set_images(images, captions)
        config = self.preprocess.config
        chosen = samples[:AUGMENT_SAMPLES]
        raw = [x for x, _ in chosen]
        prepared = [prepare_numpy(x, config) if config else x for x in raw]
        if store.task == "detection":
            boxes = [
                (
                    resize_boxes(y["boxes"], x.shape[:2], p.shape[:2], config.resize_mode)
                    if config
                    else np.asarray(y["boxes"]),
                    np.asarray(y["labels"]),
                )
                for (x, y), p in zip(chosen, prepared, strict=True)
            ]
            self.augment.set_samples(prepared, boxes, list(store.class_names))
        else:
            self.augment.set_samples(prepared)

    # ------------------------------------------------------------------ settings
    def update_preprocess(self) -> None:
        """Derive the preprocessing from the network's Input (keeping the user's choices)."""
        config, reason = effective_preprocess(self.document.project)
        sizes = getattr(self.store, "image_sizes", None) if self.store is not None else None
        channels = getattr(self.store, "channels", None) if self.store is not None else None
        if self.store is not None and not self.store.is_image:
            config, reason = None, "the data are not images: no image preprocessing"
        self.preprocess.show_config(config, reason, sizes, channels)

    def _preprocess_edited(self, config: PreprocessConfig) -> None:
        module = self.document.settings.preprocessing.module
        self.document.change_settings(
            "Preprocessing", preprocessing=chosen_preprocess(config, module)
        )
        self._show_previews()

    def _augment_edited(self, config: AugmentConfig) -> None:
        self.document.change_settings("Augmentation", merge=True, augmentation=config)

    def open_import(self) -> ImportDialog:
        """Show the import dialog (non-modal); the dock shows the data it stores."""
        dialog = ImportDialog(self.document, self.tasks, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.imported.connect(self.set_store)
        dialog.show()
        return dialog

    def show_augmentation(self) -> None:
        """Bring the Augmentation tab forward."""
        self.tabs.setCurrentIndex(3)


def split_lines(split: SplitConfig) -> list[str]:
    """Where the validation (and test) data come from, for the summary."""
    if split.mode != "separate":
        return [
            f"split: {split.validation_percent:g} % validation, {split.test_percent:g} % "
            f"test{', stratified' if split.stratify else ''}, seed {split.seed}"
        ]
    lines = [
        "split: all of it for training; validation from separate data "
        + _where(split.validation_source)
    ]
    if split.test_source:
        lines.append("test from separate data " + _where(split.test_source))
    return lines


def _where(source: dict[str, Any] | None) -> str:
    if not source:
        return "(none chosen)"
    return source_path(source) or f"({source.get('kind', 'unknown kind')})"


def _short(x: Any) -> str:
    arr = np.asarray(x)
    if arr.ndim == 1 and arr.size <= 6:
        return "[" + ", ".join(f"{float(v):.3g}" for v in arr) + "]"
    return f"array {arr.shape}"


class DataActions(QObject):
    """The Data dock and the Data menu ("Import data...", "Augmentation...") of a main window."""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.panel = DataPanel(shell.document, shell.tasks)
        self.dock = shell.add_dock(self.panel, "Data", Qt.DockWidgetArea.RightDockWidgetArea)
        menu = shell.menu("&Data")
        for text, slot, tip in (
            ("&Import data...", self.import_data, "Choose training data of any kind"),
            ("&Augmentation...", self.augmentation, "Random transforms of training images"),
        ):
            action = QAction(text, self)
            action.setStatusTip(tip)
            action.triggered.connect(slot)
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(self.dock.toggleViewAction())

    def import_data(self) -> ImportDialog:
        """Show the dock and open the Import dialog."""
        self.dock.show()
        self.dock.raise_()
        return self.panel.open_import()

    def augmentation(self) -> None:
        """Show the dock's Augmentation tab."""
        self.dock.show()
        self.dock.raise_()
        self.panel.show_augmentation()
