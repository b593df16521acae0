"""Render docs/detection_head.png from a real session (no mock-up).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/detection_screenshot.py [--out docs]

Top: a small classifier (the tiny detector's backbone with a GlobalAveragePooling2D + softmax
Dense head) after Network > Detection Head... for 3 classes, zoomed out so that the groups
backbone / feature_pyramid / heads show as named frames; beside it the dialog before OK.
Bottom: the start page's "Shapes detector" sample, opened with its generated shapes data;
beside it the start page's sample projects.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_SCRATCH = tempfile.mkdtemp(prefix="nd-detection-shot-")
os.environ.setdefault("XDG_CONFIG_HOME", os.path.join(_SCRATCH, "config"))
os.environ.setdefault("ND_RECOVERY_DIR", os.path.join(_SCRATCH, "recovery"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WINDOW = (1400, 1000)
GAP, CAPTION = 16, 34


def settle(window, seconds: float = 0.5, limit: float = 60.0) -> None:
    """Let the window draw, and its workers (data previews) end."""
    from PySide6.QtWidgets import QApplication

    app, start = QApplication.instance(), time.monotonic()
    while time.monotonic() - start < seconds or (
        window.tasks.busy and time.monotonic() - start < limit
    ):
        app.processEvents()
        time.sleep(0.01)


def classifier():
    """The tiny detector's backbone (no groups) with a 10-class softmax head."""
    from designer.app.project import Project
    from designer.core.layout import auto_layout
    from designer.zoo.classic.tiny_detector import tiny_backbone_graph

    graph = tiny_backbone_graph((128, 128, 3))
    for node in graph.nodes:
        node.group = None
    last = graph.topological_order()[-1]
    pool = graph.add("GlobalAveragePooling2D", "avg_pool")
    graph.connect(last, pool)
    dense = graph.add("Dense", "predictions", units=10, activation="softmax")
    graph.connect(pool, dense)
    auto_layout(graph)
    return Project(graph, name="Small classifier")


def zoomed_out(window):
    """Fit the network and grab the window (group frames show below the label zoom)."""
    from designer.ui.canvas.style import LABEL_LOD

    window.view.fit_all()
    if window.view.zoom >= LABEL_LOD:
        window.view.set_zoom(LABEL_LOD * 0.9)
    settle(window)
    return window.grab().toImage()


def detection_head_shot(window):
    """The classifier after Detection Head... (3 classes), and the dialog before OK."""
    from PySide6.QtWidgets import QDialogButtonBox

    window.set_project(classifier())
    settle(window)
    window.transfer.detection_action.trigger()
    dialog = window.transfer.detection_dialog
    dialog.classes.setValue(3)
    settle(window, 0.3)
    dialog_image = dialog.grab().toImage()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    settle(window, 0.3)
    # the planned places put the heads right beside the pyramid, over its name: arrange
    window.actions_by_name["arrange"].trigger()
    return zoomed_out(window), dialog_image


def sample_shot(window):
    """The start page's sample projects, and the Shapes detector sample opened from them."""
    from PySide6.QtCore import QRect

    from designer.ui.gallery.start_page import StartPage

    page = StartPage(window)
    page.show()
    settle(window, 0.3)
    last = page.samples["shapes_detector"]
    corner = last.mapTo(page, last.rect().bottomRight())
    title = page.samples_title
    text_right = title.mapTo(page, title.rect().topLeft()).x()
    text_right += title.fontMetrics().horizontalAdvance(title.text())
    right = max(corner.x(), text_right)
    samples = page.grab(QRect(0, 0, right + 16, corner.y() + 12)).toImage()
    page.samples["shapes_detector"].activated.emit("shapes_detector")
    settle(window, 1.0)
    return zoomed_out(window), samples


def compose(rows, path: Path) -> None:
    """Rows of (caption, window image, side image, side caption) on white: a 2 x 2 sheet."""
    from PySide6.QtCore import QRect, Qt
    from PySide6.QtGui import QColor, QFont, QImage, QPainter

    side_w = max(side.width() for _, _, side, _ in rows)
    width = rows[0][1].width() + GAP + side_w + GAP
    height = sum(CAPTION + main.height() + GAP for _, main, _, _ in rows)
    out = QImage(width, height, rows[0][1].format())
    out.fill(QColor("white"))
    painter = QPainter(out)
    painter.setFont(QFont("DejaVu Sans", 12, QFont.Weight.Bold))
    left, y = Qt.AlignmentFlag.AlignLeft, 0
    for text, main, side, side_text in rows:
        painter.setPen(QColor("#263238"))
        painter.drawText(
            QRect(8, y, main.width(), CAPTION), left | Qt.AlignmentFlag.AlignVCenter, text
        )
        x = main.width() + GAP
        painter.drawText(
            QRect(x, y, side_w, CAPTION), left | Qt.AlignmentFlag.AlignVCenter, side_text
        )
        painter.drawImage(0, y + CAPTION, main)
        painter.drawImage(x, y + CAPTION, side)
        painter.setPen(QColor("#90a4ae"))
        painter.drawRect(x, y + CAPTION, side.width() - 1, side.height() - 1)
        y += CAPTION + main.height() + GAP
    painter.end()
    out.save(str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from designer.ui.shell.main_window import MainWindow

    window = MainWindow()
    window.resize(*WINDOW)
    window.show()
    top, dialog = detection_head_shot(window)
    window.document.mark_saved()
    bottom, samples = sample_shot(window)
    path = Path(args.out) / "detection_head.png"
    rows = [
        (
            "A small classifier after Network > Detection Head... (3 classes)",
            top,
            dialog,
            "The dialog, before OK",
        ),
        (
            "The Shapes detector sample, opened from the start page",
            bottom,
            samples,
            "Start page: sample projects",
        ),
    ]
    compose(rows, path)
    print(f"wrote {path}")
    window.tasks.stop_all()
    window.document.mark_saved()
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
