"""The Data dock: summary, previews, preprocessing, augmentation; the Data feature of the main window."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from designer.app.project import Project
from designer.app.settings import SettingsError
from designer.data.synthetic import write_image_folder
from designer.ui.common.worker import TaskRunner
from designer.ui.data.import_dialog import ImportDialog
from designer.ui.data.panel import DataPanel
from designer.ui.document.document import Document
from tests.conftest import make_lenet
from tests.fixtures import edit_sections, plain


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """30 synthetic 16x16 digits in class folders."""
    root = tmp_path_factory.mktemp("data") / "digits"
    write_image_folder(root, 30, size=16)
    return root


def _project(digits, **sections) -> Project:
    graph, _ = make_lenet()
    data = {"source": {"kind": "image-folder", "path": str(digits)}}
    return Project.from_sections(graph, "lenet", data=data, **sections)


@pytest.fixture
def panel(qtbot, digits):
    """A Data panel over a project whose data is the digits folder, loaded."""
    doc = Document()
    doc.set_project(_project(digits))
    tasks = TaskRunner()
    widget = DataPanel(doc, tasks)
    qtbot.addWidget(widget)
    widget.resize(420, 700)
    widget.show()
    qtbot.waitUntil(lambda: widget.store is not None, timeout=20000)
    yield widget
    tasks.stop_all()


def _preview_settled(aug) -> bool:
    return aug._worker is None and not aug._timer.isActive() and bool(aug.grid.images)


def test_dock_shows_summary_previews_and_derived_preprocessing(qtbot, panel):
    assert "30 samples" in panel.headline.text()
    assert "16x16x1" in panel.facts.text() and "20 % validation" in panel.facts.text()
    assert panel.bars.counts == {str(d): 3 for d in range(10)}
    assert len(panel.preview_grid.images) == 16
    assert panel.preview_grid.size().width() > 0  # QWidget.size, not shadowed by an attribute
    assert set(panel.preview_grid.captions) <= {str(d) for d in range(10)}
    assert panel.preview_grid.images[0].shape == (16, 16, 1)
    assert "resize to 28x28 (stretched)" in panel.preprocess.text
    assert "0..1" in panel.preprocess.text

    before = [img.copy() for img in panel.preview_grid.images]
    qtbot.mouseClick(panel.other_samples, Qt.MouseButton.LeftButton)
    assert any(
        not np.array_equal(a, b) for a, b in zip(before, panel.preview_grid.images, strict=True)
    )

    combo = panel.preprocess.resize_mode
    combo.setCurrentIndex(combo.findData("pad"))
    assert plain(panel.document.project, "preprocessing")["resize_mode"] == "pad"
    assert "padded with black" in panel.preprocess.text
    assert panel.document.modified


def test_augmentation_edits_are_stored_and_regenerate_changes_the_preview(qtbot, panel):
    panel.tabs.setCurrentIndex(3)
    aug = panel.augment
    qtbot.waitUntil(lambda: _preview_settled(aug), timeout=20000)
    assert all(img.shape == (28, 28, 1) for img in aug.grid.images)  # resized for the network
    qtbot.mouseClick(aug.flip_x, Qt.MouseButton.LeftButton)
    rotation = aug.controls["rotation"]
    rotation.lineEdit().selectAll()
    qtbot.keyClicks(rotation.lineEdit(), "40")
    aug.controls["brightness"].setValue(0.2)
    scale = aug.controls["scale"]
    qtbot.mouseClick(scale.on, Qt.MouseButton.LeftButton)
    saved = plain(panel.document.project, "augmentation")
    assert saved["flip_x"] is True and saved["rotation"] == 40.0 and saved["brightness"] == 0.2
    assert saved["scale"] == [0.9, 1.1]
    assert panel.document.modified
    assert "rotation up to +-40 degrees" in aug.description.text()

    qtbot.waitUntil(lambda: _preview_settled(aug), timeout=20000)
    first = [img.copy() for img in aug.grid.images]
    assert len(first) == 16
    with qtbot.waitSignal(aug.previewed, timeout=20000):
        qtbot.mouseClick(aug.regenerate_button, Qt.MouseButton.LeftButton)
    assert any(not np.array_equal(a, b) for a, b in zip(first, aug.grid.images, strict=True))
    assert (
        plain(panel.document.project, "augmentation") == saved
    )  # regenerating changes only the preview


def test_saved_augmentation_is_shown_when_a_project_opens(qtbot, digits):
    doc = Document()
    tasks = TaskRunner()
    widget = DataPanel(doc, tasks)
    qtbot.addWidget(widget)
    assert "No data yet" in widget.headline.text()
    doc.set_project(
        _project(
            digits,
            augmentation={
                "kind": "augment",
                "flip_y": True,
                "zoom": 0.15,
                "random_crop": 0.7,
                "fill_mode": "nearest",
            },
        )
    )
    aug = widget.augment
    assert aug.flip_y.isChecked() and aug.controls["zoom"].value() == pytest.approx(0.15)
    assert aug.crop_on.isChecked() and aug.crop.value() == pytest.approx(0.7)
    assert aug.fill_mode.currentText() == "nearest"
    qtbot.waitUntil(lambda: widget.store is not None, timeout=20000)
    assert not doc.modified
    with pytest.raises(SettingsError, match="data"):  # a garbled section never reaches the dock
        Project.from_sections(data={"rows": 3})
    doc.set_project(
        Project.from_sections(
            data={"source": {"kind": "image-folder", "path": str(digits / "gone")}}
        )
    )
    qtbot.waitUntil(lambda: "Cannot open" in widget.headline.text(), timeout=20000)
    tasks.stop_all()


def test_install_adds_menu_and_dock_and_imports_through_the_menu(qtbot, window, digits):
    window.install_features("data")
    panel = window.data.panel
    actions = {a.text().replace("&", ""): a for a in window.menu("&Data").actions()}
    assert {"Import data...", "Augmentation..."} <= set(actions)
    actions["Import data..."].trigger()
    dialog = next(
        w for w in QApplication.topLevelWidgets() if isinstance(w, ImportDialog) and w.isVisible()
    )
    qtbot.keyClicks(dialog.source.path, str(digits))
    qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.ok_button.isEnabled(), timeout=20000)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert plain(window.document.project, "data")["source"]["path"] == str(digits)
    assert panel.store is not None and panel.bars.counts == {str(d): 3 for d in range(10)}
    assert window.document.modified

    actions["Augmentation..."].trigger()
    assert panel.tabs.currentIndex() == 3
    window.document.mark_saved()
    window.open_project(Project(name="empty"), modified=False)
    assert "No data yet" in panel.headline.text() and panel.store is None


def _open_panel(qtbot, project: Project) -> tuple[DataPanel, TaskRunner]:
    doc = Document()
    doc.set_project(project)
    tasks = TaskRunner()
    widget = DataPanel(doc, tasks)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitUntil(lambda: widget.store is not None, timeout=20000)
    return widget, tasks


def test_preview_colours_masks_with_the_projects_colour_map(qtbot, tmp_path):
    from PIL import Image

    labels = np.zeros((10, 10), np.uint8)
    labels[:, 5:] = 1
    labels[:2] = 2
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    for i in range(3):
        Image.fromarray(np.full((10, 10, 3), 60, np.uint8)).save(tmp_path / "images" / f"a{i}.png")
        Image.fromarray(labels).save(tmp_path / "masks" / f"a{i}.png")
    colours = [[9, 8, 7], [11, 200, 33], [250, 0, 250]]
    source = {
        "kind": "segmentation",
        "images_path": str(tmp_path / "images"),
        "masks_path": str(tmp_path / "masks"),
        "class_names": ["bg", "leaf", "flower"],
        "colormap": colours,
    }
    graph, _ = make_lenet()
    widget, tasks = _open_panel(qtbot, Project.from_sections(graph, data={"source": source}))
    grid = widget.preview_grid
    assert grid.captions[:2] == ["image", "mask"]
    mask = grid.images[1]
    assert mask.shape == (10, 10, 3)
    assert mask[5, 0].tolist() == colours[0] and mask[5, 9].tolist() == colours[1]
    assert mask[0, 3].tolist() == colours[2]
    tasks.stop_all()


def test_summary_says_validation_comes_from_a_separate_folder(qtbot, digits, tmp_path):
    val = tmp_path / "val"
    write_image_folder(val, 20, size=16, seed=2)
    project = edit_sections(
        _project(digits),
        data={
            "split": {
                "kind": "split",
                "mode": "separate",
                "validation_source": {"kind": "image-folder", "path": str(val)},
            }
        },
    )
    widget, tasks = _open_panel(qtbot, project)
    assert f"validation from separate data {val}" in widget.facts.text()
    assert "% validation" not in widget.facts.text()
    tasks.stop_all()
