"""Results after training: final and best metrics, the confusion matrix with per-class
precision and recall (click a cell to see its examples), a grid of validation samples with
predicted and true labels (errors first), for regression a predicted-vs-true scatter, and for
a detector its mAP and the validation images with their boxes (errors first; click one to
see it large)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QBrush, QColor, QIcon, QImage, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from designer.data.box_drawing import draw_boxes
from designer.training.detection_results import DetectionResult, ImageDetections
from designer.training.events import status_sentence
from designer.training.history import TrainingResult
from designer.training.results import ConfusionResult, RegressionResult
from designer.ui.training.plots import is_percent

if TYPE_CHECKING:
    from designer.app.settings import RunResults

MAX_SAMPLES = 64  # thumbnails shown at once
THUMB = 56
DETECTION_THUMB = 160  # px: boxes and their labels drawn at this size still read
DETECTION_LARGE = 384  # px: the clicked image, large
NOT_KEPT = "The images are shown after training in this session."


def array_to_pixmap(image: np.ndarray, size: int = THUMB) -> QPixmap:
    """A uint8 (H, W), (H, W, 1) or (H, W, 3) image as a pixmap scaled to ``size``."""
    arr = np.asarray(image)
    if arr.dtype != np.uint8:
        arr = np.clip(arr, 0, 255).astype(np.uint8)
    if arr.ndim == 3 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    arr = np.ascontiguousarray(arr)
    h, w = arr.shape[:2]
    if arr.ndim == 2:
        qimg = QImage(arr.data, w, h, w, QImage.Format.Format_Grayscale8)
    else:
        arr = np.ascontiguousarray(arr[..., :3])
        qimg = QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimg.copy()).scaled(
        size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation
    )


def detection_picture(item: ImageDetections, class_names: list[str], size: int) -> np.ndarray:
    """``item``'s image resized to ``size`` with its boxes: detections in class colours with
    their scores, false detections labelled "false", missed objects dashed in white."""
    from PIL import Image

    pixels = np.asarray(item.image if item.image is not None else np.zeros((size, size, 3)))
    pixels = np.clip(pixels, 0, 255).astype(np.uint8)
    if pixels.ndim == 3 and pixels.shape[-1] == 1:
        pixels = pixels[..., 0]
    height, width = pixels.shape[:2]
    factor = size / max(height, width, 1)
    shape = (max(1, round(width * factor)), max(1, round(height * factor)))
    picture = np.asarray(
        Image.fromarray(pixels).convert("RGB").resize(shape, Image.Resampling.BILINEAR)
    )
    false = np.isin(np.arange(len(item.labels)), item.false)
    missed = np.isin(np.arange(len(item.truth_labels)), item.missed)
    found = (item.boxes[~false], item.labels[~false], item.scores[~false], class_names)
    wrong = (
        item.boxes[false],
        item.labels[false],
        item.scores[false],
        _named("false", class_names),
    )
    lost = (
        item.truth_boxes[missed],
        item.truth_labels[missed],
        None,
        _named("missed", class_names),
    )
    # missed objects first: a false detection (often of the wrong class) keeps its label on top
    for dashed, (boxes, labels, scores, names) in ((True, lost), (False, found), (False, wrong)):
        if len(labels):
            scaled = np.asarray(boxes, "float64") * factor
            picture = draw_boxes(picture, scaled, labels, names, scores, [dashed] * len(labels))
    return picture


def _named(word: str, class_names: list[str]) -> list[str]:
    return [f"{word} {name}" for name in class_names]


def detection_caption(item: ImageDetections) -> str:
    """A thumbnail's short text: what it got wrong, or that it found every object."""
    if not item.errors:
        return f"all {len(item.truth_labels)} found"
    parts = [f"{len(item.missed)} missed"] * bool(item.missed)
    return ", ".join(parts + [f"{len(item.false)} false"] * bool(item.false))


def detection_errors(item: ImageDetections, class_names: list[str]) -> list[str]:
    """One line per object missed and per false detection of ``item`` (after a headline)."""
    found = len(item.truth_labels) - len(item.missed)
    lines = [f"Validation image {item.index + 1}: {found} of {len(item.truth_labels)} found"]
    for j in item.missed:
        lines.append(
            f"missed {_name(class_names, item.truth_labels[j])} at {_where(item.truth_boxes[j])}"
        )
    for i in item.false:
        name = _name(class_names, item.labels[i])
        lines.append(f"false {name} ({item.scores[i]:.2f}) at {_where(item.boxes[i])}")
    return lines


def _name(class_names: list[str], label: Any) -> str:
    label = int(label)
    return class_names[label] if 0 <= label < len(class_names) else f"class {label}"


def _where(box: np.ndarray) -> str:
    x1, y1, x2, y2 = (round(float(v)) for v in box)
    return f"({x1}, {y1})-({x2}, {y2})"


def detection_summary(summary: dict[str, Any]) -> str:
    """The headline of a detector's validation (:meth:`DetectionResult.to_dict`'s form)."""
    per_class = ", ".join(
        f"{name} {_fmt('map50', ap)}" for name, ap in summary.get("per_class_ap50", {}).items()
    )
    lines = [
        f"Validation mAP@0.5 {_fmt('map50', summary.get('map50'))}, mAP@[.5:.95] "
        f"{_fmt('map', summary.get('map'))} on {summary.get('images', 0)} images",
        f"AP@0.5 per class: {per_class or '-'}",
        f"{summary.get('objects', 0)} objects: {summary.get('missed', 0)} missed, "
        f"{summary.get('false_detections', 0)} false detections at score "
        f"&ge; {summary.get('score_threshold', 0.5):g}",
    ]
    return "<br>".join(lines)


class DetectionView(QWidget):
    """One validation image of a detector, large, with the list of its errors."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel("Click an image to see it here, large")
        self.picture = QLabel()
        self.picture.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.picture.setMinimumSize(QSize(DETECTION_THUMB, DETECTION_THUMB))
        self.caption = QLabel("")
        self.caption.setWordWrap(True)
        self.caption.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.picture, 1)
        layout.addWidget(self.caption)
        self.shown: ImageDetections | None = None

    def show_image(self, item: ImageDetections | None, class_names: list[str]) -> None:
        """Show ``item`` large (or nothing)."""
        self.shown = item
        self.picture.clear()
        if item is None or item.image is None:
            self.caption.setText("")
            return
        picture = detection_picture(item, class_names, DETECTION_LARGE)
        self.picture.setPixmap(array_to_pixmap(picture, DETECTION_LARGE))
        self.caption.setText("<br>".join(detection_errors(item, class_names)))


class ResultsPanel(QWidget):
    """Shows what a finished run produced; fill it with :meth:`show_results`."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QLabel("No results yet: train the network first.")
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.matrix = QTableWidget()
        self.matrix.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.matrix.cellClicked.connect(self._cell_clicked)
        self.samples = QListWidget()
        self.samples.setViewMode(QListView.ViewMode.IconMode)
        self.samples.setIconSize(QSize(THUMB, THUMB))
        self.samples.setResizeMode(QListView.ResizeMode.Adjust)
        self.samples.setGridSize(QSize(THUMB + 40, THUMB + 40))
        self.samples.setMovement(QListView.Movement.Static)
        self.samples.itemClicked.connect(self._sample_clicked)
        self.samples_title = QLabel("Validation samples")
        self.all_button = QPushButton("All samples (errors first)")
        self.all_button.clicked.connect(self.show_all_samples)
        head = QHBoxLayout()
        head.addWidget(self.samples_title, 1)
        head.addWidget(self.all_button)
        sample_box = QWidget()
        sample_layout = QVBoxLayout(sample_box)
        sample_layout.setContentsMargins(0, 0, 0, 0)
        sample_layout.addLayout(head)
        sample_layout.addWidget(self.samples)
        self.scatter = pg.PlotWidget(background="w")
        self.scatter.setLabel("bottom", "True")
        self.scatter.setLabel("left", "Predicted")
        self.scatter.showGrid(x=True, y=True, alpha=0.25)
        self.matrix_title = QLabel(
            "Confusion matrix: rows are true classes, columns predicted "
            "classes; click a cell to see its samples"
        )
        self.matrix_title.setWordWrap(True)
        matrix_box = QWidget()
        matrix_layout = QVBoxLayout(matrix_box)
        matrix_layout.setContentsMargins(0, 0, 0, 0)
        matrix_layout.addWidget(self.matrix_title)
        matrix_layout.addWidget(self.matrix)
        self.matrix_box = matrix_box
        self.views = QStackedWidget()
        self.views.addWidget(matrix_box)
        self.views.addWidget(self.scatter)
        self.detection_view = DetectionView()
        self.views.addWidget(self.detection_view)
        splitter = QSplitter()
        splitter.addWidget(self.views)
        splitter.addWidget(sample_box)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(splitter, 1)
        self.evaluation: ConfusionResult | RegressionResult | DetectionResult | None = None
        self._store: Any = None
        self._indices: np.ndarray = np.zeros(0, np.int64)
        self._shown_images: list[ImageDetections] = []  # a detector's, in the grid's order

    # -- filling ----------------------------------------------------------------------
    def show_results(self, result: TrainingResult | None, evaluation: Any, run: Any = None) -> None:
        """Show ``result`` (final/best metrics) and ``evaluation`` (confusion or regression);
        ``run`` (a PreparedRun) gives the validation images for the sample grid."""
        self.evaluation = evaluation
        self._store, self._indices = None, np.zeros(0, np.int64)
        if run is not None:
            self._store = run.validation_store or run.store
            self._indices = np.asarray(run.validation_indices)
        self.summary.setText(summary_text(result, evaluation))
        self.samples.clear()
        detection = isinstance(evaluation, DetectionResult)
        self._thumb_size(DETECTION_THUMB if detection else THUMB)
        self.all_button.setVisible(not detection)
        if isinstance(evaluation, ConfusionResult):
            self.views.setCurrentWidget(self.matrix_box)
            self._fill_matrix(evaluation)
            self.show_all_samples()
        elif isinstance(evaluation, RegressionResult):
            self.views.setCurrentWidget(self.scatter)
            self._fill_scatter(evaluation)
            self.samples_title.setText("")
        elif isinstance(evaluation, DetectionResult):
            self.views.setCurrentWidget(self.detection_view)
            self._fill_detections(evaluation)
        else:
            self.matrix.clear()
            self.matrix.setRowCount(0)
            self.matrix.setColumnCount(0)

    def show_stored(self, stored: RunResults) -> None:
        """Show the results a project keeps of its last run: the summary and the confusion
        matrix or the detector's mAP (its samples and images are not kept)."""
        result = TrainingResult(
            status=stored.status or "",
            stop_reason=stored.stop_reason or "",
            message=stored.message,
            final={k: v for k, v in stored.final.items() if v is not None},
            best=stored.best,
            seconds=stored.seconds,
        )
        cm = None
        if stored.confusion is not None:
            no = np.zeros(0, np.int64)
            matrix = np.asarray(stored.confusion["matrix"], dtype=np.int64)
            cm = ConfusionResult(matrix, list(stored.confusion["class_names"]), no, no, np.zeros(0))
        self.show_results(result if not stored.empty else None, cm)
        if cm is not None:
            self.samples_title.setText("The samples are shown after training in this session.")
        if stored.regression:
            rmse, mae = (_fmt("", stored.regression.get(k)) for k in ("rmse", "mae"))
            self.summary.setText(f"{self.summary.text()}<br>Validation RMSE {rmse}, MAE {mae}")
        if stored.detection:
            self.summary.setText(f"{self.summary.text()}<br>{detection_summary(stored.detection)}")
            self.views.setCurrentWidget(self.detection_view)
            self.detection_view.show_image(None, [])
            self.detection_view.title.setText("")
            self.samples_title.setText(NOT_KEPT)
            self.all_button.hide()

    def _thumb_size(self, size: int) -> None:
        self.samples.setIconSize(QSize(size, size))
        self.samples.setGridSize(QSize(size + (16 if size > THUMB else 40), size + 40))

    def _fill_detections(self, result: DetectionResult) -> None:
        """The validation images with their boxes (worst first), the worst one large."""
        shown = [im for im in result.images if im.image is not None][:MAX_SAMPLES]
        wrong = sum(1 for im in result.images if im.errors)
        self.samples_title.setText(
            f"Validation images: {wrong} with errors of {len(result.images)}, errors first "
            "(dashed: missed objects)"
        )
        for row, image in enumerate(shown):
            item = QListWidgetItem(detection_caption(image))
            item.setData(Qt.ItemDataRole.UserRole, row)
            item.setForeground(QBrush(QColor("#c00000" if image.errors else "#0a7a0a")))
            item.setToolTip("\n".join(detection_errors(image, result.class_names)))
            picture = detection_picture(image, result.class_names, DETECTION_THUMB)
            item.setIcon(QIcon(array_to_pixmap(picture, DETECTION_THUMB)))
            self.samples.addItem(item)
        self._shown_images = shown
        self.detection_view.title.setText("Click an image to see it here, large")
        self.detection_view.show_image(shown[0] if shown else None, result.class_names)

    def _sample_clicked(self, item: QListWidgetItem) -> None:
        """A detector's thumbnail, clicked: show that image large."""
        if isinstance(self.evaluation, DetectionResult):
            row = int(item.data(Qt.ItemDataRole.UserRole))
            self.detection_view.show_image(self._shown_images[row], self.evaluation.class_names)

    def _fill_matrix(self, cm: ConfusionResult) -> None:
        n = len(cm.class_names)
        self.matrix.clear()
        self.matrix.setRowCount(n + 1)
        self.matrix.setColumnCount(n + 1)
        self.matrix.setHorizontalHeaderLabels([*cm.class_names, "Recall"])
        self.matrix.setVerticalHeaderLabels([*cm.class_names, "Precision"])
        self.matrix.horizontalHeaderItem(n).setToolTip("Share of each true class found")
        top = max(1, int(cm.matrix.max()))
        for i in range(n):
            for j in range(n):
                count = int(cm.matrix[i, j])
                item = QTableWidgetItem(str(count))
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                item.setToolTip(
                    f"true {cm.class_names[i]}, predicted {cm.class_names[j]}: "
                    f"{count} (click to see them)"
                )
                if count:
                    strength = 0.15 + 0.85 * count / top
                    base = (0, 114, 189) if i == j else (217, 83, 25)
                    item.setBackground(QBrush(QColor(*base, int(255 * strength))))
                    if strength > 0.6:
                        item.setForeground(QBrush(QColor("white")))
                self.matrix.setItem(i, j, item)
            self.matrix.setItem(i, n, _score_item(cm.recall[i]))
        for j in range(n):
            self.matrix.setItem(n, j, _score_item(cm.precision[j]))
        self.matrix.setItem(n, n, _score_item(cm.accuracy, "Accuracy"))
        self.matrix.resizeColumnsToContents()

    def _fill_scatter(self, reg: RegressionResult) -> None:
        self.scatter.clear()
        t, p = reg.y_true.reshape(-1), reg.y_pred.reshape(-1)
        self.scatter.plot(
            t,
            p,
            pen=None,
            symbol="o",
            symbolSize=5,
            symbolBrush=pg.mkBrush(0, 114, 189, 140),
            symbolPen=None,
        )
        if len(t):
            lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
            self.scatter.plot([lo, hi], [lo, hi], pen=pg.mkPen("k", style=Qt.PenStyle.DashLine))
        self.scatter.setTitle(f"RMSE {reg.rmse:.4g}   MAE {reg.mae:.4g}", color="k")

    # -- samples ----------------------------------------------------------------------
    def show_all_samples(self) -> None:
        """Fill the grid with validation samples, errors first."""
        if not isinstance(self.evaluation, ConfusionResult):
            return
        samples = self.evaluation.samples()
        wrong = sum(1 for s in samples if not s.correct)
        self.samples_title.setText(
            f"Validation samples: {wrong} error(s) of {len(samples)}, errors first"
        )
        self._fill_samples([(s.index, s.true, s.predicted, s.confidence) for s in samples])

    def show_cell(self, true_class: int, predicted_class: int) -> None:
        """Fill the grid with the examples of one confusion-matrix cell."""
        cm = self.evaluation
        if not isinstance(cm, ConfusionResult):
            return
        idx = cm.indices(true_class, predicted_class)
        names = cm.class_names
        self.samples_title.setText(
            f"True {names[true_class]}, predicted {names[predicted_class]}: {len(idx)} sample(s)"
        )
        self._fill_samples(
            [(int(i), true_class, predicted_class, float(cm.confidence[i])) for i in idx]
        )

    def _cell_clicked(self, row: int, column: int) -> None:
        cm = self.evaluation
        if (
            isinstance(cm, ConfusionResult)
            and row < len(cm.class_names)
            and column < len(cm.class_names)
        ):
            self.show_cell(row, column)

    def _fill_samples(self, rows: list[tuple[int, int, int, float]]) -> None:
        self.samples.clear()
        names = self.evaluation.class_names if isinstance(self.evaluation, ConfusionResult) else []
        for index, true, pred, conf in rows[:MAX_SAMPLES]:
            text = f"pred {names[pred]} ({conf:.0%})\ntrue {names[true]}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, index)
            item.setForeground(QBrush(QColor("#0a7a0a" if true == pred else "#c00000")))
            pixmap = self._thumbnail(index)
            if pixmap is not None:
                item.setIcon(QIcon(pixmap))
            self.samples.addItem(item)

    def _thumbnail(self, index: int) -> QPixmap | None:
        store = self._store
        if store is None or not getattr(store, "is_image", False) or index >= len(self._indices):
            return None
        try:
            image, _ = store.get(int(self._indices[index]))
        except Exception:
            return None
        return array_to_pixmap(image)


def _score_item(value: float, title: str = "") -> QTableWidgetItem:
    item = QTableWidgetItem(f"{100 * value:.1f}%")
    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
    item.setBackground(QBrush(QColor(235, 235, 235)))
    if title:
        item.setToolTip(title)
    return item


def summary_text(result: TrainingResult | None, evaluation: Any) -> str:
    """A few lines: status, final and best metrics, and the evaluation's headline."""
    if result is None:
        return "No results."
    lines = [f"<b>{status_sentence(result.status, result.message)}</b>"]
    final = ", ".join(f"{k} {_fmt(k, v)}" for k, v in result.final.items())
    if final:
        lines.append(f"Final: {final}")
    best = ", ".join(
        f"{k} {_fmt(k, v['value'])} (iteration {v.get('iteration')})"
        for k, v in result.best.items()
    )
    if best:
        lines.append(f"Best: {best}")
    if isinstance(evaluation, ConfusionResult):
        lines.append(
            f"Validation accuracy {100 * evaluation.accuracy:.2f}% on "
            f"{int(evaluation.matrix.sum())} samples"
        )
    elif isinstance(evaluation, RegressionResult):
        lines.append(f"Validation RMSE {evaluation.rmse:.4g}, MAE {evaluation.mae:.4g}")
    elif isinstance(evaluation, DetectionResult):
        lines.append(detection_summary(evaluation.to_dict()))
    return "<br>".join(lines)


def _fmt(key: str, value: Any) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "NaN"
    if is_percent(key):
        return f"{100 * value:.2f}%"
    return f"{value:.4g}"
