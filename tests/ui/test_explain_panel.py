"""Insight > Explain Prediction…: the menu entry, the choices following the network, a run
showing the overlay, a sample of the project's data, a folder, and Cancel of an occlusion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from designer.insight.explain_files import ExplainOutcome, FolderResult
from designer.ui.insight.explain_panel import LAST_CONV, PREDICTED, ExplainActions, install
from tests.insight.test_explain import CLASSES, patch_images, tiny_cnn


def _png(path: Path, grey: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray((grey[..., 0] * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def explaining(window, tmp_path):
    """The window holding a project with the tiny CNN and image-folder data, and the opened
    Explain Prediction dialog's panel."""
    import keras

    from designer.app.files import project_from_model
    from designer.app.settings import DataSection
    from designer.data.images import ImageFolderConfig

    keras.utils.set_random_seed(0)
    x, y, _ = patch_images(8, seed=5)
    for i, (image, label) in enumerate(zip(x, y, strict=True)):
        _png(tmp_path / "data" / CLASSES[label] / f"{i}.png", image)
    for name in CLASSES:
        (tmp_path / "data" / name).mkdir(exist_ok=True)
    project = project_from_model(tiny_cnn(), "patches")
    data = DataSection(source=ImageFolderConfig(path=str(tmp_path / "data")))
    project.settings = project.settings.replace(data=data)
    window.open_project(project, modified=False, ask=False)
    actions = install(window)
    assert isinstance(actions, ExplainActions)
    dialog = actions.open_dialog()
    yield window, actions, dialog.panel, tmp_path
    dialog.panel.cancel()
    window.tasks.stop_all()
    dialog.close()


def test_menu_entry_and_choices(explaining) -> None:
    window, actions, panel, _ = explaining
    insight = window.menus["&Insight"]
    assert actions.action in insight.actions()
    assert actions.action.text() == "Explain &Prediction…"
    layers = [panel.layer_box.itemText(i) for i in range(panel.layer_box.count())]
    assert layers == [LAST_CONV, "conv1", "pool1", "conv2", "pool2"]
    classes = [panel.class_box.itemText(i) for i in range(panel.class_box.count())]
    assert classes == [PREDICTED, *(f"{k}: {n}" for k, n in enumerate(sorted(CLASSES)))]
    panel.set_method("occlusion")
    assert panel.patch_spin.isEnabled() and not panel.layer_box.isEnabled()
    panel.set_method("gradcam")
    assert panel.layer_box.isEnabled() and not panel.stride_spin.isEnabled()


def test_run_shows_the_overlay(explaining, qtbot) -> None:
    window, _, panel, tmp_path = explaining
    image = _png(tmp_path / "one.png", patch_images(1, seed=6)[0][0])
    panel.set_image_file(image)
    panel.set_method("gradcam")
    panel.layer_box.setCurrentIndex(panel.layer_box.findData("conv1"))
    with qtbot.waitSignal(panel.explained, timeout=30000) as blocker:
        panel.explain_button.click()
    outcome = blocker.args[0]
    assert isinstance(outcome, ExplainOutcome)
    assert outcome.explanation.layer == "conv1" and outcome.explanation.heatmap.shape == (32, 32)
    pixmap = panel.picture.pixmap()
    assert not pixmap.isNull() and pixmap.width() > 256  # enlarged, with its colour bar
    assert "Predicted class" in panel.answer.text() and "probability" in panel.answer.text()
    assert panel.model is not None  # kept for the next run...
    saved = panel.save_picture(tmp_path / "saved.png")
    assert saved is not None and Image.open(saved).size == outcome.picture.size
    panel.set_method("saliency")
    panel.class_box.setCurrentIndex(panel.class_box.findData(3))
    with qtbot.waitSignal(panel.explained, timeout=30000) as blocker:
        panel.explain_button.click()
    assert blocker.args[0].explanation.class_index == 3
    assert blocker.args[0].explanation.class_name == sorted(CLASSES)[3]
    node = next(n for n in window.document.graph.nodes if n.name == "conv1")
    window.document.graph.rename(node.id, "first")  # ...until the network changes
    assert panel.model is None


def test_sample_of_the_project_data(explaining, qtbot) -> None:
    _, _, panel, _ = explaining
    panel.use_project_data(3)
    qtbot.waitUntil(lambda: panel.store is not None, timeout=10000)
    assert panel.sample_spin.value() == 3 and "labelled" in panel.sample_label.text()
    panel.set_method("occlusion")
    panel.patch_spin.setValue(8)
    panel.stride_spin.setValue(8)
    with qtbot.waitSignal(panel.explained, timeout=30000) as blocker:
        panel.run()
    assert blocker.args[0].explanation.method == "occlusion"
    assert blocker.args[0].pixels.shape == (32, 32, 1)


def test_cancel_an_occlusion_run(explaining, qtbot) -> None:
    _, _, panel, tmp_path = explaining
    panel.set_image_file(_png(tmp_path / "one.png", patch_images(1, seed=7)[0][0]))
    panel.set_method("occlusion")
    panel.patch_spin.setValue(4)
    panel.stride_spin.setValue(1)  # 29 x 29 places, 4 a batch: long enough to cancel
    panel.batch_size = 4
    panel.progress.valueChanged.connect(lambda _value: panel.cancel_button.click())
    with qtbot.waitSignal(panel.stopped, timeout=30000) as blocker:
        panel.explain_button.click()
        assert panel.running and panel.cancel_button.isEnabled()
    assert blocker.args == ["cancelled"]
    assert panel.answer.text() == "Cancelled." and panel.outcome is None
    assert panel.explain_button.isEnabled() and not panel.running


def test_folder_writes_pictures_and_skips_a_broken_file(explaining, qtbot) -> None:
    _, _, panel, tmp_path = explaining
    folder = tmp_path / "images"
    for i, image in enumerate(patch_images(2, seed=8)[0]):
        _png(folder / f"{i}.png", image)
    (folder / "broken.jpg").write_bytes(b"not a jpeg")
    panel.set_method("saliency")
    with qtbot.waitSignal(panel.explained, timeout=30000) as blocker:
        panel.explain_folder(folder, tmp_path / "out")
    result = blocker.args[0]
    assert isinstance(result, FolderResult)
    assert len(result.items) == 2 and len(result.skipped) == 1
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["0.png", "1.png"]
    assert "Wrote 2 pictures; skipped 1" in panel.answer.text()


def test_reasons_instead_of_a_run(explaining, qtbot) -> None:
    _, _, panel, tmp_path = explaining
    panel.set_image_file("")
    assert panel.run() is None
    assert "choose an image file" in panel.answer.text()
    (tmp_path / "broken.png").write_bytes(b"not a png")
    panel.set_image_file(tmp_path / "broken.png")
    with qtbot.waitSignal(panel.stopped, timeout=30000) as blocker:
        panel.run()
    assert "cannot read image" in blocker.args[0]
    assert panel.answer.text().startswith("Not explained: cannot read image")
