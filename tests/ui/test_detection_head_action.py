"""Object detection in the real window: Network > Detection Head... on a small classifier (one
undo step, groups on the canvas, errors in the dialog), the start page's "Shapes detector"
sample, and the zoo's tiny detector opened with its groups."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from designer.app.gallery import BuildRequest, build_project
from designer.app.project import Project, project_bytes
from designer.app.settings import DataSection, DetectionSection
from designer.core.detection_head import BACKBONE_GROUP, FPN_GROUP, HEADS_GROUP
from designer.core.graph import LayerGraph
from designer.data.builtin import SyntheticConfig
from designer.data.shapes import ShapesConfig
from designer.resources import sample_project_path
from designer.training.detector_spec import DetectorSpec
from designer.zoo.classic.tiny_detector import build_tiny_detector_graph, tiny_backbone_graph

OK = QDialogButtonBox.StandardButton.Ok
GROUPS = {BACKBONE_GROUP, FPN_GROUP, HEADS_GROUP}
SMALL_STAGES = ((8, 1), (8, 1), (8, 1), (8, 1), (8, 1), (8, 1))  # strides up to 32


def small_classifier(side: int = 64) -> LayerGraph:
    """The tiny detector's backbone (8 filters a stage, no groups) with a softmax head."""
    graph = tiny_backbone_graph((side, side, 3), SMALL_STAGES)
    for node in graph.nodes:
        node.group = None
    last = graph.topological_order()[-1]
    pool = graph.add("GlobalAveragePooling2D", "avg_pool", pos=(0.0, 1200.0))
    graph.connect(last, pool)
    dense = graph.add("Dense", "predictions", pos=(0.0, 1290.0), units=10, activation="softmax")
    graph.connect(pool, dense)
    return graph


def lenet_like() -> LayerGraph:
    """A 28x28 classifier whose feature maps stop at stride 8: no P4, P5."""
    graph = LayerGraph()
    chain = [
        graph.add("Input", "image", shape=[28, 28, 1]),
        graph.add("Conv2D", "c1", filters=4, kernel_size=3, padding="same"),
        graph.add("MaxPooling2D", "p1", pool_size=2),
        graph.add("Conv2D", "c2", filters=4, kernel_size=3, padding="same"),
        graph.add("MaxPooling2D", "p2", pool_size=2),
        graph.add("Conv2D", "c3", filters=4, kernel_size=3, padding="same"),
        graph.add("MaxPooling2D", "p3", pool_size=2),
        graph.add("Flatten", "flat"),
        graph.add("Dense", "predictions", units=10, activation="softmax"),
    ]
    for src, dst in zip(chain, chain[1:], strict=False):
        graph.connect(src, dst)
    return graph


@pytest.fixture
def dwin(qtbot):
    """A MainWindow with the transfer-learning feature (no data panel: nothing is loaded)."""
    from designer.ui.shell.main_window import MainWindow

    win = MainWindow(Project(small_classifier(), name="classifier"), features=("transfer",))
    win.resize(1200, 800)
    win.show()
    qtbot.waitExposed(win)
    yield win
    win.scene.clearSelection()
    win.document.mark_saved()
    win.close()
    win.deleteLater()


def open_dialog(qtbot, window):
    """Network > Detection Head...; the dialog once shown."""
    assert window.transfer.detection_action in window.menu("&Network").actions()
    window.transfer.detection_action.trigger()
    dialog = window.transfer.detection_dialog
    qtbot.waitUntil(dialog.isVisible)
    return dialog


def type_into(qtbot, spin, text: str) -> None:
    spin.selectAll()
    qtbot.keyClicks(spin, text)


def output_names(graph: LayerGraph) -> list[str]:
    """The names of the outputs, in the network's output order."""
    return [graph.node(nid).name for nid in graph.output_order or graph.output_nodes()]


def test_detection_head_replaces_the_classifier_in_one_undo_step(qtbot, dwin):
    window, graph, document = dwin, dwin.document.graph, dwin.document
    spec = DetectorSpec(num_classes=10, image_size=(64, 64))
    document.apply_settings(document.settings.replace(detection=DetectionSection(spec)))
    before, before_settings = project_bytes(document.project), document.settings
    dialog = open_dialog(qtbot, window)
    assert "no data" in dialog.note.text() and dialog.classes.value() == 3
    type_into(qtbot, dialog.classes, "7")
    assert "for 7 classes" in dialog.preview.text()
    type_into(qtbot, dialog.classes, "3")
    text = dialog.preview.text()
    assert text.startswith("Removes 2 layers (avg_pool, predictions) and adds")
    assert "stage4_relu1 (P3), stage5_relu1 (P4), stage6_relu1 (P5)" in text
    assert "for 3 classes" in text and dialog.problem is None
    qtbot.mouseClick(dialog.buttons.button(OK), Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert output_names(graph) == ["bbox_regression", "cls_logits"]
    report = document.report
    box, cls = graph.output_order
    rows = (8 * 8 + 4 * 4 + 2 * 2) * 9
    assert report.nodes[box].shape == (None, rows, 4)
    assert report.nodes[cls].shape == (None, rows, 3) and report.ok
    assert graph.find("avg_pool") is None and graph.find("predictions") is None
    assert {n.group for n in graph.nodes if n.type != "Input"} == GROUPS
    qtbot.waitUntil(lambda: set(window.scene.groups) >= GROUPS)
    assert document.settings.detection.empty  # the old detector's anchors do not fit
    stack = document.undo_stack
    assert stack.count() == 1 and stack.undoText() == "Detection head"
    stack.undo()
    assert project_bytes(document.project) == before and document.settings == before_settings
    assert output_names(graph) == ["predictions"]
    qtbot.waitUntil(lambda: not GROUPS & set(window.scene.groups))
    stack.redo()
    assert output_names(graph) == ["bbox_regression", "cls_logits"]
    assert document.analyse_now().nodes[graph.output_order[1]].shape == (None, rows, 3)


def test_an_impossible_head_is_explained_in_red_and_changes_nothing(qtbot, dwin):
    window, document = dwin, dwin.document
    window.set_project(Project(lenet_like(), name="lenet"))
    before = project_bytes(document.project)
    dialog = open_dialog(qtbot, window)
    assert dialog.problem is not None and "found none for P4, P5" in dialog.problem
    assert dialog.preview.text().startswith("Not possible: a detection head expects")
    assert "c62828" in dialog.preview.styleSheet()
    assert not dialog.buttons.button(OK).isEnabled()
    dialog.accept()  # as Enter would: refused, the dialog stays
    assert dialog.isVisible() and document.undo_stack.count() == 0
    assert project_bytes(document.project) == before
    dialog.reject()
    # a detector already: its pyramid is no backbone
    detector, _ = build_tiny_detector_graph((64, 64, 3), 2, SMALL_STAGES, fpn_filters=8)
    window.set_project(Project(detector, name="detector"))
    dialog = open_dialog(qtbot, window)
    assert "ends in one already (bbox_regression, cls_logits)" in dialog.preview.text()
    assert not dialog.buttons.button(OK).isEnabled()
    dialog.reject()
    assert document.undo_stack.count() == 0


def test_the_classes_come_from_detection_data_only(qtbot, dwin):
    window, document = dwin, dwin.document
    shapes = DataSection(source=ShapesConfig(images=20))
    document.apply_settings(document.settings.replace(data=shapes))
    dialog = open_dialog(qtbot, window)
    assert dialog.classes.value() == 3 and "circle, square, triangle" in dialog.note.text()
    dialog.reject()
    digits = DataSection(source=SyntheticConfig(charset="digits", num_samples=20))
    document.apply_settings(document.settings.replace(data=digits))
    dialog = open_dialog(qtbot, window)
    assert dialog.classes.value() == 3 and "not a detection dataset" in dialog.note.text()
    dialog.reject()


def test_start_page_sample_opens_the_shapes_detector(qtbot, window, tmp_path):
    from designer.ui.gallery.start_page import StartPage

    page = StartPage(window, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    assert page.visible_samples() == ["lenet5", "shapes_detector"]
    page.task.setCurrentIndex(page.task.findData("segmentation"))
    assert page.visible_samples() == [] and not page.samples_title.isVisible()
    page.task.setCurrentIndex(0)
    qtbot.keyClicks(page.search, "detect")
    assert page.visible_samples() == ["shapes_detector"] and page.samples_title.isVisible()
    assert not page.samples["lenet5"].isVisible()
    qtbot.mouseClick(page.samples["shapes_detector"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.document.project.name == "Shapes detector")
    project = window.document.project
    assert project.settings.data.source.kind == "shapes" and project.path is None
    assert not window.document.modified and not page.isVisible()
    assert {n.group for n in project.graph.nodes} >= GROUPS
    qtbot.waitUntil(lambda: set(window.scene.groups) >= GROUPS)
    # the tile's figures are the file's
    plain = json.loads(sample_project_path("shapes_detector").read_text())
    assert (
        plain["data"]["source"]["images"] == 2200
        and "2,200" in page.samples["shapes_detector"].lines[1].text()
    )


def test_file_menu_opens_a_sample(qtbot, window):
    window.install_features("gallery")
    titles = [a.text() for a in window.gallery.samples_menu.actions()]
    assert titles == ["LeNet-5 on digits", "Shapes detector"]
    window.gallery.samples_menu.actions()[1].trigger()
    assert window.document.project.name == "Shapes detector"


def test_the_zoo_tiny_detector_opens_with_its_groups():
    project = build_project(BuildRequest("tiny_detector", num_classes=2))
    graph = project.graph
    groups = {n.group for n in graph.nodes if n.type != "Input"}
    assert groups == GROUPS and output_names(graph) == ["bbox_regression", "cls_logits"]
    assert graph.find("fpn_P3_lateral").group == FPN_GROUP
    assert graph.find("head_P5_cls_out").group == HEADS_GROUP
    assert graph.find("stage1_conv1").group == BACKBONE_GROUP
    lenet = build_project(BuildRequest("lenet5"))
    assert {n.group for n in lenet.graph.nodes} == {None}
