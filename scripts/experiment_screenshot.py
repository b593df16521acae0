"""Render docs/experiment_manager.png from a real session (no mock-up).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/experiment_screenshot.py [--out docs]

Saves the sample LeNet-5 project with a Dropout layer and 400 digits in a scratch folder,
defines a grid over the learning rate and the dropout rate (6 trials, 3 epochs each), runs it
from the Experiment Manager's Start button (2 trials at once), selects three trials and grabs
the window with the Curves and the Parallel-coordinates tabs.
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
_SCRATCH = tempfile.mkdtemp(prefix="nd-experiment-shot-")
os.environ.setdefault("XDG_CONFIG_HOME", os.path.join(_SCRATCH, "config"))
os.environ.setdefault("ND_RECOVERY_DIR", os.path.join(_SCRATCH, "recovery"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPACE = {
    "parameters": [
        {"target": "training.initial_learn_rate", "kind": "list", "values": [0.001, 0.003, 0.01]},
        {"target": "layer.drop.rate", "kind": "list", "values": [0.0, 0.25, 0.5]},
    ],
    "strategy": "grid",
    "trials": 6,
    "objective": "val_accuracy",
    "epochs": 3,
}


def sample_project(folder: Path) -> Path:
    """The sample with a Dropout 'drop' before the last layer, 400 digits, the grid above."""
    from designer.app.project import load_project, save_project
    from designer.app.settings import ProjectSettings

    project = load_project(ROOT / "designer" / "resources" / "samples" / "lenet5.json")
    plain = project.settings.to_dict()
    plain["data"]["source"]["num_samples"] = 400
    plain["training"]["mini_batch_size"] = 32
    plain["experiment"] = SPACE
    project.settings = ProjectSettings.from_dict(plain)
    graph = project.graph
    f5, f6 = graph.find("f5"), graph.find("f6")
    graph.disconnect(f5.id, f6.id, 0)
    drop = graph.add("Dropout", name="drop", rate=0.2)
    graph.connect(f5.id, drop)
    graph.connect(drop, f6.id)
    return save_project(project, folder / "digits.json")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    args = parser.parse_args()
    from PySide6.QtCore import QItemSelectionModel
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv)
    from designer.app.project import load_project
    from designer.ui.shell.main_window import MainWindow

    window = MainWindow(load_project(sample_project(Path(_SCRATCH))))
    window.show()
    manager = window.experiments.open_window()
    manager.resize(1300, 800)
    manager.parallel_spin.setValue(2)
    finished: list[object] = []
    manager.finished.connect(finished.append)
    manager.start_button.click()
    start = time.monotonic()
    while not finished:
        app.processEvents()
        time.sleep(0.05)
        if time.monotonic() - start > 900:
            raise TimeoutError("the experiment did not finish in 15 minutes")
    print(f"experiment finished in {time.monotonic() - start:.1f} s: {manager.status.text()}")
    selection = manager.table.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for row in (0, 3, 5):
        selection.select(manager.proxy.index(row, 0), flags)
    for tab, name in ((0, "experiment_manager.png"), (1, "experiment_parallel.png")):
        manager.tabs.setCurrentIndex(tab)
        for _ in range(20):
            app.processEvents()
        path = Path(args.out) / name
        manager.grab().save(str(path))
        print(f"wrote {path}")
    window.document.mark_saved()
    window.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
