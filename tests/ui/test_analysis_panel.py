"""The Analysis dock after edits: only the rows (and canvas blocks) whose analysis changed are
touched, the selection stays; the filter box; issue sentences that wrap."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from designer.app.project import Project
from designer.core.analysis import analyze
from designer.core.graph import LayerGraph
from designer.core.layout import auto_layout
from designer.ui.document.commands import AddNode, Rename, SetParams
from designer.ui.panels.analysis import NODE_ROLE


def _open_chain(window, length: int = 12) -> list[str]:
    graph = LayerGraph()
    ids = [graph.add("Input", name="input", shape=[8])]
    for i in range(1, length):
        kind = "Dropout" if i % 4 == 0 else "Dense"
        params = {"rate": 0.2} if kind == "Dropout" else {"units": 4}
        ids.append(graph.add(kind, name=f"layer{i}", params=params))
        graph.connect(ids[-2], ids[-1])
    auto_layout(graph)
    window.set_project(Project(graph=graph, name="chain"))
    return ids


class Spy:
    """What the analysis table's model said since it was made."""

    def __init__(self, model) -> None:
        self.changed: list[tuple[int, int]] = []
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = self.layouts = 0
        model.dataChanged.connect(lambda a, b, *_: self.changed.append((a.row(), b.row())))
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.modelReset.connect(self._reset)
        model.layoutChanged.connect(self._layout)

    def _reset(self) -> None:
        self.resets += 1

    def _layout(self) -> None:
        self.layouts += 1


def _select_row(panel, row: int) -> None:
    index = panel.proxy.index(row, 0)
    flags = QItemSelectionModel.SelectionFlag.ClearAndSelect
    flags |= QItemSelectionModel.SelectionFlag.Rows
    panel.table.selectionModel().select(index, flags)


def test_an_edit_changes_only_its_rows_and_blocks_and_keeps_the_selection(window) -> None:
    ids = _open_chain(window)
    panel, document = window.analysis, window.document
    model = panel.model
    assert [row[0] for row in model.rows] == ids
    _select_row(panel, 7)
    spy = Spy(model)
    document.push(SetParams(document.graph, ids[2], {"units": 6}))  # layer2 and layer3 change
    document.analyse_now()
    assert document.live.visited == [ids[2], ids[3]]
    assert spy.resets == 0 and spy.changed == [(2, 3)]
    assert model.rows[2][1][3] == f"{4 * 6 + 6:,}" and model.rows[3][1][3] == f"{6 * 4 + 4:,}"
    assert set(window.scene.last_updated) == {ids[2], ids[3]}  # only their blocks re-drawn
    assert panel.selected_ids() == [ids[7]]
    document.push(SetParams(document.graph, ids[5], {"activation": "relu"}))
    document.analyse_now()
    assert document.live.visited == [ids[5]] and window.scene.last_updated == []
    assert spy.resets == 0 and spy.changed == [(2, 3)]  # same shapes and counts: no row
    document.push(Rename(document.graph, ids[5], "renamed"))
    document.analyse_now()
    assert spy.changed[-1] == (5, 5) and model.rows[5][1][0] == "renamed"
    assert spy.resets == 0
    assert panel.selected_ids() == [ids[7]]


def test_a_layer_added_and_undone_inserts_and_removes_its_row(window) -> None:
    ids = _open_chain(window)
    panel, document = window.analysis, window.document
    _select_row(panel, 3)
    spy = Spy(panel.model)
    command = AddNode(document.graph, "Dense", (400.0, 100.0))
    document.push(command)
    document.analyse_now()
    assert spy.inserted == [(len(ids), len(ids))] and spy.resets == 0
    assert panel.model.rows[-1][0] == command.node_id
    assert "has no input" in panel.model.rows[-1][1][4]
    document.undo_stack.undo()
    document.analyse_now()
    assert spy.removed == [(len(ids), len(ids))] and spy.resets == 0
    assert [row[0] for row in panel.model.rows] == ids
    assert panel.selected_ids() == [ids[3]]


def test_a_layer_put_between_two_gets_its_row_there_and_a_reorder_moves_rows(window) -> None:
    ids = _open_chain(window)
    panel, document = window.analysis, window.document
    graph = document.graph
    _select_row(panel, 6)
    spy = Spy(panel.model)
    document.analyse_now(full=True)  # a whole analysis afresh still says what changed
    assert spy.resets == 0 and spy.changed == []
    with graph.batch():  # a layer put between two: its row goes in between
        graph.disconnect(ids[3], ids[4], 0)
        new = graph.add("Dense", units=4)
        graph.connect(ids[3], new)
        graph.connect(new, ids[4])
    document.analyse_now()
    assert spy.inserted == [(4, 4)] and spy.resets == 0
    assert panel.model.row_of(new) == 4 and panel.selected_ids() == [ids[6]]
    late, late_input = graph.add("Dense", units=2), graph.add("Input", shape=[3])
    graph.connect(late_input, late)
    document.analyse_now()
    assert [row[0] for row in panel.model.rows][-2:] == [late_input, late]
    _select_row(panel, len(ids) + 1)  # the Input, in the row before last
    graph.disconnect(late_input, late, 0)  # the Dense, older, now comes first
    document.analyse_now()
    assert [row[0] for row in panel.model.rows][-2:] == [late, late_input]
    assert spy.layouts == 1 and spy.resets == 0
    assert panel.selected_ids() == [late_input]  # the selection moved with its row
    panel.refresh(analyze(graph))  # a report that does not follow the one shown: rebuilt
    assert spy.resets == 1 and panel.selected_ids() == [late_input]


def test_the_filter_box_shows_the_layers_whose_name_type_or_issues_match(window, qtbot) -> None:
    ids = _open_chain(window)
    panel, document = window.analysis, window.document
    assert panel.count.text() == ""
    qtbot.keyClicks(panel.filter, "DROPout")  # the type, in any case
    shown = [panel.proxy.index(r, 0).data() for r in range(panel.proxy.rowCount())]
    assert shown == ["layer4", "layer8"]
    assert panel.count.text() == f"2 of {len(ids)} layers"
    panel.set_filter("layer1")  # names: layer1, layer10, layer11
    assert panel.proxy.rowCount() == 3 and panel.filter.text() == "layer1"
    panel.set_filter("no input")  # issue text: nothing yet
    assert panel.proxy.rowCount() == 0 and panel.count.text() == f"0 of {len(ids)} layers"
    command = AddNode(document.graph, "Dense", (400.0, 100.0))
    document.push(command)
    document.analyse_now()  # the new layer's issue matches: its row comes in
    assert panel.proxy.rowCount() == 1
    assert panel.proxy.index(0, 0).data(NODE_ROLE) == command.node_id
    assert panel.count.text() == f"1 of {len(ids) + 1} layers"
    panel.filter.clear()
    assert panel.proxy.rowCount() == len(ids) + 1 and panel.count.text() == ""


def test_long_issue_sentences_wrap_and_are_whole_in_the_tooltip(window, qtbot) -> None:
    graph = LayerGraph()
    a = graph.add("Input", shape=[120])
    c = graph.add("Conv2D", name="conv_with_a_long_name")
    graph.connect(a, c)
    window.set_project(Project(graph=graph, name="wrong rank"))
    issues = window.analysis.issues
    window.analysis.parentWidget().show()  # the dock
    issues.setFixedWidth(220)
    qtbot.waitUntil(issues.isVisible)
    issues.doItemsLayout()
    item = next(
        issues.item(i) for i in range(issues.count()) if "expects 4-D" in issues.item(i).text()
    )
    message = item.text().split(" ", 1)[1]
    assert item.toolTip() == message and len(message) > 60
    assert issues.wordWrap()
    line = issues.fontMetrics().height()
    assert issues.visualItemRect(item).height() >= 2 * line  # on several lines, not cut


def test_a_combined_graph_and_settings_step_checks_the_data_against_the_new_graph(window) -> None:
    """The settings half of one undo step must not read the analysis of the graph before its
    graph half (the output layer it removed): the dock analyses first."""
    import dataclasses
    from pathlib import Path

    from designer.app.project import load_project
    from designer.core import edits as ed
    from designer.ui.document.commands import GraphCommand, SetSettings, Steps

    sample = Path(__file__).resolve().parents[2] / "designer/resources/samples/lenet5.json"
    project = load_project(sample)
    window.set_project(project)
    document = window.document
    output = document.graph.find("output")
    feeding = document.graph.inputs_of(output.id)[0].src
    training = dataclasses.replace(project.settings.training, max_epochs=3)
    step = Steps(
        "Remove the output and change the epochs",
        [
            GraphCommand(document.graph, [ed.RemoveLayers((output.id,))], "Remove"),
            SetSettings(
                document.apply_settings,
                project.settings,
                project.settings.replace(training=training),
                "Epochs",
            ),
        ],
    )
    document.push(step)  # raised UnknownNodeError in the dock before
    assert document.report.outputs == [feeding]
    lines = [window.analysis.issues.item(i).text() for i in range(window.analysis.issues.count())]
    assert any("gives" in line and "values" in line for line in lines), lines
    document.undo_stack.undo()
    assert document.current_report().outputs == [output.id]
