"""The Import data dialog driven by mouse and keyboard: image folders, CSV tables, bad input."""

from __future__ import annotations

import csv

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from designer.app.data_settings import effective_preprocess
from designer.app.project import Project
from designer.app.settings import DataSection, PreprocessSection
from designer.data.registry import open_datastore
from designer.data.synthetic import write_image_folder
from designer.ui.common.worker import TaskRunner
from designer.ui.data.import_dialog import ImportDialog
from designer.ui.document.document import Document
from tests.conftest import make_lenet
from tests.fixtures import plain


@pytest.fixture
def doc_tasks(qtbot):
    """A Document holding LeNet-5 (28x28x1 input), unmodified, and a TaskRunner."""
    doc = Document()
    graph, _ = make_lenet()
    doc.set_project(Project(graph=graph, name="lenet"))
    tasks = TaskRunner()
    yield doc, tasks
    tasks.stop_all()


@pytest.fixture
def image_folder(tmp_path):
    """30 synthetic digits in class folders, plus one corrupt file in class '3'."""
    root = tmp_path / "digits"
    write_image_folder(root, 30, size=16)
    bad = root / "3" / "broken.png"
    bad.write_bytes(b"this is not a PNG")
    return root, bad


def _dialog(qtbot, doc, tasks, kind: str) -> ImportDialog:
    dialog = ImportDialog(doc, tasks)
    qtbot.addWidget(dialog)
    dialog.show()
    combo = dialog.source.kind
    combo.setCurrentIndex(combo.findData(kind))
    return dialog


def _type(qtbot, field, text: str) -> None:
    field.selectAll()
    qtbot.keyClicks(field, text)


def _scan(qtbot, dialog: ImportDialog) -> None:
    qtbot.mouseClick(dialog.scan_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.scan_button.isEnabled() and dialog._worker is None, timeout=20000
    )


def test_image_folder_import_shows_counts_and_corrupt_file_and_stores_project(
    qtbot, doc_tasks, image_folder
):
    doc, tasks = doc_tasks
    root, bad = image_folder
    dialog = _dialog(qtbot, doc, tasks, "image-folder")
    qtbot.keyClicks(dialog.source.path, str(root))
    _scan(qtbot, dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    assert "30 samples" in dialog.facts.text()
    assert "16x16x1" in dialog.facts.text()
    assert dialog.bars.counts == {str(d): 3 for d in range(10)}
    assert "1 corrupt file" in dialog.problems_label.text()
    assert str(bad) in dialog.problems.item(0).text()

    _type(qtbot, dialog.validation, "30")
    _type(qtbot, dialog.test, "10")
    _type(qtbot, dialog.seed, "7")
    with qtbot.waitSignal(dialog.imported):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    project = doc.project
    assert plain(project, "data")["source"] == {
        "kind": "image-folder",
        "path": str(root),
        "recursive": True,
        "channels": None,
        "class_names": None,
    }
    split = plain(project, "data")["split"]
    assert (split["validation_percent"], split["test_percent"], split["seed"]) == (30.0, 10.0, 7)
    preprocess, _ = effective_preprocess(project)  # what every image will get
    assert preprocess.image_size == (28, 28)
    assert preprocess.channels == 1 and preprocess.rescale == "unit"
    assert doc.modified


def test_invalid_path_shows_message_and_leaves_project_unchanged(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    dialog = _dialog(qtbot, doc, tasks, "auto")
    qtbot.keyClicks(dialog.source.path, str(tmp_path / "no-such-folder"))
    _scan(qtbot, dialog)
    assert "nothing there" in dialog.message.text()
    assert not dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)  # disabled: does nothing
    assert dialog.isVisible()
    assert doc.project.settings.data == DataSection()
    assert doc.project.settings.preprocessing == PreprocessSection()
    assert not doc.modified


def test_split_leaving_no_training_data_is_refused(qtbot, doc_tasks, image_folder):
    doc, tasks = doc_tasks
    dialog = _dialog(qtbot, doc, tasks, "auto")
    qtbot.keyClicks(dialog.source.path, str(image_folder[0]))
    _scan(qtbot, dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    _type(qtbot, dialog.validation, "60")
    _type(qtbot, dialog.test, "50")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert "leave no training data" in dialog.message.text()
    assert dialog.isVisible() and doc.project.settings.data == DataSection() and not doc.modified


def test_csv_table_import_with_chosen_target_column(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    path = tmp_path / "iris.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["length", "species", "width", "weight"])
        for i in range(24):
            writer.writerow(
                [1.0 + i, ["setosa", "virginica", "versicolor"][i % 3], 0.5 * i, 10 - i]
            )
    dialog = _dialog(qtbot, doc, tasks, "csv-table")
    qtbot.keyClicks(dialog.source.path, str(path))
    qtbot.keyClick(dialog.source.path, Qt.Key.Key_Return)  # reads the header into the pickers
    target = dialog.source.target
    assert [target.itemText(i) for i in range(target.count())][1:] == [
        "length",
        "species",
        "width",
        "weight",
    ]
    target.setCurrentIndex(target.findData("species"))
    weight = dialog.source.features.findItems("weight", Qt.MatchFlag.MatchExactly)[0]
    weight.setCheckState(Qt.CheckState.Unchecked)
    _scan(qtbot, dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    assert "24 samples" in dialog.facts.text() and "classification" in dialog.facts.text()
    assert dialog.bars.counts == {"setosa": 8, "versicolor": 8, "virginica": 8}
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    source = plain(doc.project, "data")["source"]
    assert source["kind"] == "csv-table" and source["target_column"] == "species"
    assert source["feature_columns"] == ["length", "width"]
    assert plain(doc.project, "data")["split"]["validation_percent"] == 20.0
    again = ImportDialog(doc, tasks)  # reopened: the stored columns are chosen again
    qtbot.addWidget(again)
    assert again.source.current_kind == "csv-table" and again.source.path.text() == str(path)
    assert again.source.target.currentData() == "species"
    ticked = [again.source.features.item(i).checkState() == Qt.CheckState.Checked for i in range(4)]
    assert ticked == [True, False, True, False]  # species is the target, weight was unticked
    _scan(qtbot, again)
    assert again.bars.counts == {"setosa": 8, "versicolor": 8, "virginica": 8}
    assert again.source.builder()().feature_columns == ("length", "width")


def test_cancel_closes_without_touching_the_project(qtbot, doc_tasks, image_folder):
    doc, tasks = doc_tasks
    dialog = _dialog(qtbot, doc, tasks, "image-folder")
    qtbot.keyClicks(dialog.source.path, str(image_folder[0]))
    _scan(qtbot, dialog)
    cancel = dialog.buttons.button(dialog.buttons.StandardButton.Cancel)
    qtbot.mouseClick(cancel, Qt.MouseButton.LeftButton)
    assert (
        not dialog.isVisible() and doc.project.settings.data == DataSection() and not doc.modified
    )


def _separate(qtbot, dialog: ImportDialog, validation: str, test: str = "") -> None:
    box = dialog.split_box
    box.mode.setCurrentIndex(box.mode.findData("separate"))
    assert box.validation_path.isVisible() and not dialog.validation.isVisible()
    qtbot.keyClicks(box.validation_path, validation)
    if test:
        qtbot.keyClicks(box.test_path, test)


def test_separate_validation_and_test_folders_are_scanned_and_stored(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    train, val, test = tmp_path / "train", tmp_path / "val", tmp_path / "test"
    write_image_folder(train, 30, size=16)
    write_image_folder(val, 20, size=16, seed=4)
    write_image_folder(test, 10, size=16, seed=5)
    dialog = _dialog(qtbot, doc, tasks, "image-folder")
    qtbot.keyClicks(dialog.source.path, str(train))
    _separate(qtbot, dialog, str(val), str(test))
    _scan(qtbot, dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    facts = dialog.facts.text()
    assert "30 samples" in facts
    assert f"<b>validation</b>: 20 samples from {val}" in facts
    assert f"<b>test</b>: 10 samples from {test}" in facts
    with qtbot.waitSignal(dialog.imported):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    split = plain(doc.project, "data")["split"]
    assert split["mode"] == "separate"
    assert split["validation_source"] == {
        "kind": "image-folder",
        "path": str(val),
        "recursive": True,
        "channels": None,
        "class_names": None,
    }
    assert split["test_source"]["path"] == str(test)

    again = _dialog(qtbot, doc, tasks, "image-folder")  # the stored choice is shown again
    assert again.split_box.separate and again.split_box.paths() == (str(val), str(test))


def test_separate_validation_with_other_classes_is_refused(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    write_image_folder(tmp_path / "train", 30, size=16)
    write_image_folder(tmp_path / "val", 20, size=16, seed=4)
    (tmp_path / "val" / "7").rename(tmp_path / "val" / "seven")
    dialog = _dialog(qtbot, doc, tasks, "image-folder")
    qtbot.keyClicks(dialog.source.path, str(tmp_path / "train"))
    _separate(qtbot, dialog, str(tmp_path / "val"))
    _scan(qtbot, dialog)
    text = dialog.message.text()
    assert "validation data" in text and "lacks ['7']" in text and "extra ['seven']" in text
    assert not dialog.ok_button.isEnabled()
    assert doc.project.settings.data == DataSection() and not doc.modified

    dialog.split_box.validation_path.clear()  # an empty path is refused before scanning
    _scan(qtbot, dialog)
    assert "expected a validation folder or file" in dialog.message.text()
    dialog.split_box.set_mode("percent")
    _scan(qtbot, dialog)
    assert dialog.ok_button.isEnabled(), dialog.message.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert plain(doc.project, "data")["split"]["mode"] == "percent"
    assert plain(doc.project, "data")["split"]["validation_source"] is None


def test_separate_csv_validation_keeps_the_column_choices(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    paths = []
    for name, rows, width in (("train", 24, 3), ("val", 9, 3), ("wide", 9, 4)):
        path = tmp_path / f"{name}.csv"
        with open(path, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(["species"] + [f"f{k}" for k in range(width)])
            for i in range(rows):
                writer.writerow([["a", "b", "c"][i % 3]] + [i + k for k in range(width)])
        paths.append(path)
    dialog = _dialog(qtbot, doc, tasks, "csv-table")
    qtbot.keyClicks(dialog.source.path, str(paths[0]))
    qtbot.keyClick(dialog.source.path, Qt.Key.Key_Return)
    dialog.source.target.setCurrentIndex(dialog.source.target.findData("species"))
    _separate(qtbot, dialog, str(paths[2]))
    _scan(qtbot, dialog)
    assert "samples of shape (3,)" in dialog.message.text() and "(4,)" in dialog.message.text()
    _type(qtbot, dialog.split_box.validation_path, str(paths[1]))
    _scan(qtbot, dialog)
    assert "<b>validation</b>: 9 samples" in dialog.facts.text(), dialog.message.text()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    source = plain(doc.project, "data")["split"]["validation_source"]
    assert source["kind"] == "csv-table" and source["target_column"] == "species"
    assert source["path"] == str(paths[1])


COLOURS = [(5, 5, 5), (250, 120, 0), (0, 90, 255)]  # none of them in the default colour map


def _segmentation_folder(root, colour: bool):
    """3 images with masks: columns 0-3 class 0, 4-7 class 1, 8-11 class 2 (colour or index PNG)."""
    labels = np.zeros((12, 12), np.uint8)
    labels[:, 4:8], labels[:, 8:] = 1, 2
    for sub in ("images", "masks"):
        (root / sub).mkdir(parents=True)
    for i in range(3):
        Image.fromarray(np.full((12, 12, 3), 40 * i, np.uint8)).save(root / "images" / f"s{i}.png")
        mask = np.array(COLOURS, np.uint8)[labels] if colour else labels
        Image.fromarray(mask).save(root / "masks" / f"s{i}.png")
    return labels


def _segmentation_dialog(qtbot, doc, tasks, tmp_path, colour: bool):
    """The dialog on segmentation kind with the path of a fresh _segmentation_folder typed in;
    returns it and the folder's pixel labels."""
    labels = _segmentation_folder(tmp_path / "seg", colour)
    dialog = _dialog(qtbot, doc, tasks, "segmentation")
    qtbot.keyClicks(dialog.source.path, str(tmp_path / "seg"))
    return dialog, labels


def test_colour_masks_import_with_the_colours_chosen_in_the_editor(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    dialog, labels = _segmentation_dialog(qtbot, doc, tasks, tmp_path, colour=True)
    editor = dialog.source.colormap
    assert editor.isVisible() and editor.swatches == []
    qtbot.keyClicks(dialog.source.class_names, "ground, fire, water")
    assert editor.names == ["ground", "fire", "water"] and len(editor.swatches) == 3
    qtbot.mouseClick(editor.colour_masks, Qt.MouseButton.LeftButton)
    assert editor.colour_masks.isChecked()
    _scan(qtbot, dialog)  # the default colours match no pixel
    assert dialog.bars.counts == {"ground": 3 * 144, "fire": 0, "water": 0}
    assert "not in the colour map" in dialog.problems.item(0).text()

    for k, colour in enumerate(COLOURS):
        editor.set_colour(k, colour)  # what picking it in the colour dialog does
    assert "rgb(250, 120, 0)" in editor.swatches[1].styleSheet()
    assert not dialog.ok_button.isEnabled()  # colours decode colour masks: scan again
    _scan(qtbot, dialog)
    assert dialog.bars.counts == {"ground": 3 * 48, "fire": 3 * 48, "water": 3 * 48}
    assert dialog.problems.count() == 0
    np.testing.assert_array_equal(dialog.store.load_mask(2), labels)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    source = plain(doc.project, "data")["source"]
    assert source["kind"] == "segmentation" and source["class_names"] == ["ground", "fire", "water"]
    assert source["colormap"] == [list(c) for c in COLOURS]
    assert source["masks_path"] == str(tmp_path / "seg" / "masks")
    reopened = open_datastore(source)  # the project reads the colour masks the same way
    np.testing.assert_array_equal(reopened.load_mask(0), labels)
    again = ImportDialog(doc, tasks)  # Data > Import data... again: starts from the project's data
    qtbot.addWidget(again)
    assert again.source.current_kind == "segmentation" and "current data" in again.message.text()
    assert again.source.class_names.text() == "ground, fire, water"
    assert again.source.colormap.colours() == [tuple(c) for c in COLOURS]
    _scan(qtbot, again)
    assert again.bars.counts == {"ground": 3 * 48, "fire": 3 * 48, "water": 3 * 48}


def test_colour_masks_need_class_names(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    dialog, _ = _segmentation_dialog(qtbot, doc, tasks, tmp_path, colour=True)
    _scan(qtbot, dialog)
    assert "colour images" in dialog.message.text()
    dialog.source.colormap.colour_masks.setChecked(True)
    _scan(qtbot, dialog)
    assert "expected class names for colour masks" in dialog.message.text()


def test_index_masks_take_colours_chosen_after_the_scan(qtbot, doc_tasks, tmp_path):
    doc, tasks = doc_tasks
    dialog, _ = _segmentation_dialog(qtbot, doc, tasks, tmp_path, colour=False)
    _scan(qtbot, dialog)
    editor = dialog.source.colormap
    assert editor.names == ["class0", "class1", "class2"]  # the classes the scan found
    editor.set_colour(2, (1, 2, 3))
    assert dialog.ok_button.isEnabled()  # index masks: the colours only show the classes
    with qtbot.waitSignal(dialog.imported) as imported:
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    colormap = plain(doc.project, "data")["source"]["colormap"]
    assert colormap[2] == [1, 2, 3] and colormap[:2] == [[0, 0, 0], [230, 25, 75]]
    assert imported.args[0].config.colormap[2] == (1, 2, 3)  # what the Data dock previews
