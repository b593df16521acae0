"""Start-up: the window draws the project before Keras is imported, then analyses it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from designer.app.startup import warm_up
from designer.ui.common import keras_warmup
from designer.ui.shell.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh process where importing Keras or TensorFlow raises: what the window shows
# before the background import has finished.
WITHOUT_KERAS = r"""
import json, sys
class NoKeras:
    def find_spec(self, name, path, target=None):
        if name.split(".")[0] in ("keras", "tensorflow"):
            raise ImportError("Keras is not imported yet in this test")
sys.meta_path.insert(0, NoKeras())
from PySide6.QtWidgets import QApplication
app = QApplication([])
from designer.app.startup import load_stored_specs
from designer.ui.common import keras_warmup
from designer.ui.app import make_window
from designer.ui.canvas.items import NodeItem
stored = load_stored_specs()
warm = keras_warmup.begin()
window = make_window(None)
window.wait_for_keras(warm)
window.show()
app.processEvents()
print(json.dumps({
    "stored": stored,
    "blocks": sum(isinstance(i, NodeItem) for i in window.scene.items()),
    "layers": len(window.document.graph),
    "analysis_title": window.docks["analysis"].windowTitle(),
    "status": window.statusBar().currentMessage(),
    "visible": window.isVisible(),
    "keras": [m for m in sys.modules if m.split(".")[0] in ("keras", "tensorflow")],
}), flush=True)
window.tasks.stop_all()
"""


def test_the_window_draws_the_project_before_keras_is_imported(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    env = {**os.environ, "ND_CACHE_DIR": str(cache), "QT_QPA_PLATFORM": "offscreen"}
    prime = "from designer.app.startup import warm_up; warm_up()"
    subprocess.run([sys.executable, "-c", prime], env=env, check=True, cwd=ROOT, timeout=300)
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_KERAS],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    shown = json.loads(result.stdout.strip().splitlines()[-1])
    assert shown["stored"] > 50 and shown["keras"] == []
    assert shown["visible"] and shown["layers"] == 9 and shown["blocks"] == 9
    assert "analysing" in shown["analysis_title"]
    assert "Starting Keras" in shown["status"]


def test_without_stored_specs_the_first_start_stores_them(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("ND_CACHE_DIR", str(tmp_path))
    warm_up()
    stored = json.loads((tmp_path / "layer-specs.json").read_text())
    names = {row["type_name"] for row in stored["specs"]}
    assert {"Conv2D", "Dense", "Input", "LSTM"} <= names


def test_analysis_waits_for_the_warm_up_and_runs_when_it_ends(qtbot) -> None:
    warm = keras_warmup.begin()
    try:
        window = MainWindow()
        qtbot.addWidget(window)
        window.wait_for_keras(warm)
        from tests.conftest import make_lenet

        graph, _ = make_lenet()
        from designer.app.project import Project

        window.set_project(Project(graph=graph, name="lenet"))
        assert window.document.report.nodes == {}  # nothing analysed while Keras starts
        assert "analysing" in window.docks["analysis"].windowTitle()
        with qtbot.waitSignal(window.document.analysed, timeout=120_000):
            warm.start()
        assert len(window.document.report.nodes) == 9
        assert window.document.report.total_params == 61706
        assert window.docks["analysis"].windowTitle() == "Analysis"
        assert not keras_warmup.waiting()
    finally:
        keras_warmup._current = None
