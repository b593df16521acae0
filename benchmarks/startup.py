"""Start-up: process start to the first paint of the window, and to the analysis shown.

    QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/startup.py [--runs 3]

Each figure is the median of ``--runs`` fresh processes, beside two baselines measured the
same way in the same invocation: a bare PySide6 window (QMainWindow with a QGraphicsView)
painted, and ``import keras`` (TensorFlow backend) alone. The designer opens the bundled
LeNet-5 sample as ``python main.py --no-start-page`` does, with the layer specs a previous
start stored (one priming start runs first, in the same cache folder), and closes the window
once the analysis is shown and its data are loaded: the time from that close to the end of
the process is the quit. Target (issue #13):
the window and the drawn network before TensorFlow has finished importing.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Runs in the child: times from the interpreter's start (``T0`` is taken first thing).
_PRELUDE = """
import time
T0 = time.perf_counter()
import json, os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication
marks = {}

class FirstPaint(QObject):
    def __init__(self, target):
        super().__init__()
        self.target = target

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj is self.target() and "paint" not in marks:
            marks["paint"] = time.perf_counter() - T0
        return False

def report():
    print("MARKS " + json.dumps(marks), flush=True)
    os._exit(0)
"""

DESIGNER = (
    _PRELUDE
    + """
import designer.ui.app as gui
holder = {}
make = gui.make_window

def make_window(*args, **kwargs):
    window = make(*args, **kwargs)
    holder["viewport"] = window.view.viewport()
    def analysed(report_):
        if report_.nodes and "analysed" not in marks:
            marks["analysed"] = time.perf_counter() - T0
            QTimer.singleShot(0, close)

    def close():  # as a user quitting once the data are shown: the process must end soon
        if window.tasks.busy:
            QTimer.singleShot(20, close)
            return
        marks["closed_at"] = time.time()
        print("MARKS " + json.dumps(marks), flush=True)
        window.close()
    window.document.analysed.connect(analysed)
    return window

gui.make_window = make_window
app = QApplication([])
painted = FirstPaint(lambda: holder.get("viewport"))
app.installEventFilter(painted)
gui.run_gui(["--no-start-page"])
"""
)

BARE = (
    _PRELUDE
    + """
from PySide6.QtWidgets import QGraphicsScene, QGraphicsView, QMainWindow
app = QApplication([])
window = QMainWindow()
scene = QGraphicsScene()
for i in range(9):
    scene.addRect(0, i * 120, 190, 84)
view = QGraphicsView(scene)
window.setCentralWidget(view)
window.resize(1400, 880)
painted = FirstPaint(lambda: view.viewport())
app.installEventFilter(painted)
window.show()
QTimer.singleShot(0, lambda: QTimer.singleShot(0, report))
app.exec()
"""
)

KERAS = """
import time
T0 = time.perf_counter()
import json, os
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
import keras  # noqa: F401
print("MARKS " + json.dumps({"import": time.perf_counter() - T0}), flush=True)
"""


def run(code: str, env: dict[str, str]) -> dict[str, float]:
    """One fresh process: the marks it printed (seconds from the child's first line, not
    counting the interpreter's own start), and ``quit``: from the window's close to the end
    of the process, when the child closed one."""
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )
    ended = time.time()
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("MARKS ")]
    if not lines:
        raise RuntimeError(f"no figures from the child:\n{result.stderr[-3000:]}")
    marks = json.loads(lines[-1][6:])
    if "closed_at" in marks:
        marks["quit"] = ended - marks.pop("closed_at")
    return marks


def median(runs: list[dict[str, float]], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    startup_part(parser.parse_args().runs)
    return 0


def startup_part(runs: int) -> None:
    """Measure and print the start-up figures (also part of ``benchmarks/canvas.py``)."""
    with tempfile.TemporaryDirectory(prefix="nd-startup-") as tmp:
        env = {
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "ND_CACHE_DIR": str(Path(tmp) / "cache"),
            "XDG_CONFIG_HOME": str(Path(tmp) / "config"),  # never the user's settings
            "ND_RECOVERY_DIR": str(Path(tmp) / "recovery"),
            "ND_LOG_DIR": str(Path(tmp) / "logs"),
        }
        first = run(DESIGNER, env)  # no stored specs yet: derives and stores them
        designer = [run(DESIGNER, env) for _ in range(runs)]
        bare = [run(BARE, env) for _ in range(runs)]
        keras = [run(KERAS, env) for _ in range(runs)]
    paint, analysed = median(designer, "paint"), median(designer, "analysed")
    bare_paint, keras_import = median(bare, "paint"), median(keras, "import")
    print(f"runs: {runs} (medians), seconds from the child's first line")
    print(
        f"first start (no stored specs): paint {first['paint']:.2f}, analysis {first['analysed']:.2f}"
    )
    print(
        f"window painted:   {paint:.2f} s   bare PySide6 window {bare_paint:.2f} s   ratio {paint / bare_paint:.1f}x"
    )
    print(
        f"analysis shown:   {analysed:.2f} s   import keras alone  {keras_import:.2f} s   ratio {analysed / keras_import:.2f}x"
    )
    print(f"painted before Keras finished importing: {paint < keras_import}")
    print(f"quit (window closed -> process ended): {median(designer, 'quit'):.2f} s")


if __name__ == "__main__":
    sys.exit(main())
