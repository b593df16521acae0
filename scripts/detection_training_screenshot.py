"""Render docs/detection_training.png from a real detector run (no mock-up).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/detection_training_screenshot.py \
        [--images 500] [--epochs 10] [--out docs/detection_training.png]

Trains the bundled shapes detector (designer/resources/samples/shapes_detector.json) from
the main window's Train button, then grabs the Training Progress window's two tabs (the mAP
and loss curves; the validation images with their boxes) and writes them one above the
other into a single picture. ``--images 0`` trains the sample as it is (2,200 images, 12
epochs): the GUI figure of docs/detection.md; each epoch's time and mAP are printed.
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
os.environ.setdefault("ND_CACHE_DIR", os.path.join(_SCRATCH, "cache"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SAMPLE = ROOT / "designer" / "resources" / "samples" / "shapes_detector.json"


def sample_project(images: int, epochs: int) -> object:
    """The bundled shapes detector with ``images`` generated images and ``epochs`` epochs."""
    from designer.app.project import load_project
    from designer.app.settings import ProjectSettings

    project = load_project(SAMPLE)
    if not images:
        return project
    plain = project.settings.to_dict()
    plain["data"]["source"]["images"] = images
    plain["data"]["split"]["validation_percent"] = 20.0
    plain["training"]["max_epochs"] = epochs
    project.settings = ProjectSettings.from_dict(plain)
    return project


def settle(app: object, rounds: int = 20) -> None:
    """Let Qt lay out and paint."""
    for _ in range(rounds):
        app.processEvents()  # type: ignore[attr-defined]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--out", default=str(ROOT / "docs" / "detection_training.png"))
    args = parser.parse_args()
    from PySide6.QtGui import QPainter, QPixmap
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from designer.ui.shell.main_window import MainWindow

    window = MainWindow(sample_project(args.images, args.epochs))
    window.show()
    window.training.train()
    progress = window.training.progress
    progress.resize(1200, 720)
    start = time.monotonic()
    while progress.running:
        app.processEvents()
        time.sleep(0.05)
    print(f"trained in {time.monotonic() - start:.0f} s: {progress.result.message}")
    for row in progress.result.epochs:
        print(
            f"epoch {row['epoch']:3d} {row.get('elapsed', 0):7.1f} s  "
            f"val mAP@0.5 {row.get('val_map50', float('nan')):.3f}  "
            f"mAP@[.5:.95] {row.get('val_map', float('nan')):.3f}",
            flush=True,
        )
    shots = []
    for tab in (0, 1):
        progress.tabs.setCurrentIndex(tab)
        settle(app)
        shots.append(progress.grab())
    picture = QPixmap(shots[0].width(), sum(s.height() for s in shots))
    painter = QPainter(picture)
    painter.drawPixmap(0, 0, shots[0])
    painter.drawPixmap(0, shots[0].height(), shots[1])
    painter.end()
    picture.save(args.out)
    print(f"wrote {args.out}")
    window.document.mark_saved()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
