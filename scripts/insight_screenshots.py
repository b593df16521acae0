"""Render the README's pictures of the Insight views from a real session (no mock-ups).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/insight_screenshots.py [--out docs]

Opens the bundled pretrained digits CNN with the sample project's synthetic digits as data,
then, each through its own widget and worker as a user would: the Activations dock on the
first convolution, Explain Prediction (Grad-CAM on a validation sample), Adversarial
Robustness (FGSM) and the Compression Report; each view is grabbed to a PNG in ``--out``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_SCRATCH = tempfile.mkdtemp(prefix="nd-shots-")  # never the user's settings
os.environ.setdefault("XDG_CONFIG_HOME", os.path.join(_SCRATCH, "config"))
os.environ.setdefault("ND_RECOVERY_DIR", os.path.join(_SCRATCH, "recovery"))

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def wait(app, condition: Callable[[], bool], what: str, limit: float = 600.0) -> None:
    """Run the event loop until ``condition`` holds (a script: a generous cap, then fail)."""
    start = time.monotonic()
    while not condition():
        app.processEvents()
        time.sleep(0.02)
        if time.monotonic() - start > limit:
            raise TimeoutError(f"gave up waiting for {what}")


def digits_project():
    """The bundled pretrained digits CNN, with the sample project's data (and its split)."""
    from designer.app.gallery import PRETRAINED, BuildRequest, build_project
    from designer.app.project import load_project
    from designer.resources import sample_project_path

    project = build_project(BuildRequest("digits_cnn", weights=PRETRAINED))
    sample = load_project(sample_project_path())
    project.settings = project.settings.replace(data=sample.settings.data)
    project.name = "Digits CNN (pretrained)"
    return project


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    from PySide6.QtWidgets import QApplication

    from designer.ui.shell.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = MainWindow(digits_project())
    window.resize(1500, 920)
    window.show()
    wait(app, lambda: bool(window.document.report.nodes), "the analysis")
    insight = window.insight
    assert insight is not None

    # Activations: the dock beside the canvas, on the first convolution
    panel = insight.activations.show_dock()
    conv = next(n.id for n in window.document.graph.nodes if n.type == "Conv2D")
    window.select_nodes([conv])
    wait(app, lambda: panel.maps is not None and panel.layer == "conv1", "feature maps")
    app.processEvents()
    window.grab().save(str(out / "insight_activations.png"))

    # Explain Prediction: Grad-CAM on a sample of the project's data
    explain = insight.explain.open_dialog()
    explain_panel = explain.panel
    explain_panel.use_project_data(7)
    explain_panel.set_method("gradcam")
    wait(app, lambda: explain_panel.store is not None, "the project's data")
    explain_panel.use_project_data(7)
    done: list[object] = []
    explain_panel.explained.connect(done.append)
    explain_panel.stopped.connect(lambda why: print(f"explanation stopped: {why}"))
    explain_panel.explain_button.click()
    wait(app, lambda: bool(done), "the explanation")
    explain.resize(explain.sizeHint().expandedTo(explain.size()))
    app.processEvents()
    explain.grab().save(str(out / "insight_explain.png"))
    explain.close()

    # Adversarial Robustness: FGSM over a few epsilons
    robust = insight.robustness.open_dialog()
    curves: list[object] = []
    robust.finished.connect(curves.append)
    robust.epsilons_edit.setText("0, 0.01, 0.03, 0.05, 0.1, 0.2")
    robust.samples_spin.setValue(400)
    robust.run()
    wait(app, lambda: bool(curves), "the robustness curve")
    robust.resize(1100, 760)
    app.processEvents()
    robust.grab().save(str(out / "insight_robustness.png"))
    robust.close()

    # Compression Report: int8 and 50 % pruning with a one-epoch fine-tune
    report = insight.compression.open_dialog()
    report.sparsity_edit.setText("50, 80")
    report.epochs_spin.setValue(1)
    report.samples_spin.setValue(500)
    report.run()
    wait(app, lambda: report.worker is None, "the compression report")
    report.resize(1100, 760)
    app.processEvents()
    report.grab().save(str(out / "insight_compression.png"))
    report.close()
    window.document.mark_saved()
    window.tasks.stop_all()
    for name in ("activations", "explain", "robustness", "compression"):
        print(f"wrote {out / f'insight_{name}.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
