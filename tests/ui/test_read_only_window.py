"""A model opened read-only in the window: the strip above the canvas says why and what to do,
edits are refused (blocks can still be moved), saving says why not, and the next project is
editable again."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QMessageBox

from designer.app.project import Project
from designer.ui.document.commands import MoveNodes, RemoveNodes
from tests.app.test_custom_code import make_custom_model
from tests.ui.conftest import answer_next_message_box


@pytest.fixture(scope="module")
def custom(tmp_path_factory) -> dict:
    return make_custom_model(tmp_path_factory.mktemp("ui-read-only"))


pytestmark = pytest.mark.usefixtures("forget_loaded_code")


def test_a_read_only_network_says_why_refuses_edits_and_saving(
    window, qtbot, custom, tmp_path
) -> None:
    assert window.files.open(custom["models"][0], ask=False, interactive=False)
    banner = window.read_only_banner
    assert banner.isVisible() and custom["name"] in banner.text()
    assert "Load Custom Layer Code" in banner.text() and not window.library.isEnabled()
    graph = window.document.graph
    before = graph.to_dict()
    scale = graph.find("scale")
    refused: list[str] = []
    window.document.refused.connect(refused.append)
    assert not window.document.push(RemoveNodes(graph, [scale.id]))
    assert graph.to_dict() == before and not window.document.undo_stack.count()
    assert refused and "read-only" in refused[0]
    assert "read-only" in window.statusBar().currentMessage()
    assert window.document.push(MoveNodes(graph, {scale.id: (scale.pos, (400.0, 300.0))}))
    assert graph.find("scale").pos == (400.0, 300.0)
    seen: list[str] = []
    answer_next_message_box(QMessageBox.StandardButton.Ok, seen)
    assert not window.files.save_as()
    assert "cannot be saved as a project" in seen[0] and custom["name"] in seen[0]
    window.set_project(Project(name="next"))
    assert not banner.isVisible() and window.library.isEnabled()
