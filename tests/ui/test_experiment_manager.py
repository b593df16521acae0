"""Training > Experiment Manager…: the definition in the project, "Vary in Experiment…" from
Properties, the trials table (sort, filter, CSV), the plots, Apply as one undo step, and one
real run with two trials at once that is stopped and resumed."""

from __future__ import annotations

import csv

import optuna
import pytest
from PySide6.QtCore import Qt

from designer.app.project import load_project
from designer.training.experiment_spec import ExperimentSpec, Parameter
from designer.training.study import FOLDER_ATTR, create_study, trial_records
from designer.ui.experiments.actions import ExperimentActions
from tests.experiment_fixtures import SPACE, dropout_project

LR, DROP = "training.initial_learn_rate", "layer.drop.rate"


@pytest.fixture
def manager(qtbot, window, tmp_path):
    """The Experiment Manager of a main window holding the dropout sample (saved, with the
    tiny grid experiment)."""
    project = load_project(dropout_project(tmp_path, space=SPACE))
    window.open_project(project, modified=False, ask=False)
    actions = ExperimentActions(window, window.properties)
    action = next(a for a in window.menu("&Training").actions() if a is actions.action)
    action.trigger()
    manager = actions.window
    assert manager is not None
    qtbot.waitUntil(manager.isVisible, timeout=2_000)
    manager.actions = actions
    yield manager
    manager.stop()
    qtbot.waitUntil(lambda: not manager.running, timeout=60_000)
    manager.close()


def _fill_study(manager, rows):
    """Trials written into the manager's study as Optuna records them: (lr, rate, state,
    value, history of val_accuracy)."""
    plan = manager.plan()
    spec = manager.definition.spec()
    study = create_study(plan.storage, plan.study, spec, str(manager.document.project.path), 1)
    space = {
        LR: optuna.distributions.CategoricalDistribution([0.003, 0.03]),
        DROP: optuna.distributions.CategoricalDistribution([0.0, 0.4]),
    }
    for lr, rate, state, value, history in rows:
        study.add_trial(
            optuna.trial.create_trial(
                params={LR: lr, DROP: rate},
                distributions=space,
                value=value if state == "COMPLETE" else None,
                state=getattr(optuna.trial.TrialState, state),
                user_attrs={
                    "history": {"val_accuracy": history},
                    "metrics": {"val_accuracy": value},
                    "seconds": 2.5,
                    FOLDER_ATTR: str(plan.folder / "none"),
                    **({"error": "NaN loss at epoch 1"} if state == "FAIL" else {}),
                },
                intermediate_values={i: v for i, v in enumerate(history)},
            )
        )
    return study


ROWS = [
    (0.003, 0.0, "COMPLETE", 0.9, [0.6, 0.9]),
    (0.003, 0.4, "COMPLETE", 0.8, [0.5, 0.8]),
    (0.03, 0.0, "COMPLETE", 0.1, [0.1, 0.1]),
    (0.03, 0.4, "FAIL", None, []),
]


def test_the_definition_is_kept_in_the_project_as_undo_steps(qtbot, manager):
    document = manager.document
    assert manager.definition.spec() == document.project.settings.experiment
    assert [manager.definition.table.item(r, 0).text() for r in range(2)] == [LR, DROP]
    manager.definition.trials_spin.setValue(6)
    manager.definition.strategy_box.setCurrentIndex(manager.definition.strategy_box.findData("tpe"))
    assert document.project.settings.experiment.trials == 6
    assert document.project.settings.experiment.strategy == "tpe"
    manager.definition.table.selectRow(0)
    manager.definition.remove_selected()
    assert [p.target for p in document.project.settings.experiment.parameters] == [DROP]
    while document.undo_stack.canUndo():
        document.undo_stack.undo()
    assert document.project.settings.experiment == ExperimentSpec.from_dict(SPACE)
    assert manager.definition.spec() == document.project.settings.experiment  # shown again


def test_an_invalid_definition_is_refused_in_words(qtbot, manager):
    manager.definition.objective_box.setCurrentText("")
    assert "objective" in manager.problem.text()
    assert manager.document.project.settings.experiment.objective == "val_accuracy"
    manager.definition.objective_box.setCurrentText("val_accuracy")
    manager.definition.parameters = []
    manager.start()
    assert not manager.running and "add a parameter" in manager.problem.text()


def test_vary_in_experiment_from_a_layer_parameter(qtbot, manager):
    window = manager.parent()
    drop = window.document.graph.find("drop")
    window.properties.show_selection([drop.id])
    menu = window.properties.parameter_menu("rate")
    assert [a.text() for a in menu.actions()] == ["Vary in Experiment…"]
    menu.actions()[0].trigger()
    dialog = manager.definition.dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    assert dialog.target_box.currentText() == DROP
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("range"))
    dialog.low_edit.setText("0.5")
    dialog.high_edit.setText("0.1")  # low > high: refused in words, OK disabled
    ok = dialog.buttons.button(dialog.buttons.StandardButton.Ok)
    assert not ok.isEnabled() and "low < high" in dialog.problem.text()
    dialog.low_edit.setText("0.1")
    dialog.high_edit.setText("0.5")
    dialog.points_spin.setValue(5)
    assert ok.isEnabled()
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    param = manager.document.project.settings.experiment.parameter(DROP)
    assert param == Parameter(DROP, "range", low=0.1, high=0.5, points=5)
    assert param.grid_values() == [0.1, 0.2, 0.3, 0.4, 0.5]


def test_table_sorts_filters_draws_and_exports(qtbot, manager, tmp_path):
    _fill_study(manager, ROWS)
    manager.refresh()
    model, proxy = manager.model, manager.proxy
    assert proxy.rowCount() == 4
    value = model.columns.index("value")
    manager.table.sortByColumn(value, Qt.SortOrder.DescendingOrder)
    assert [proxy.index(r, value).data() for r in range(3)] == ["0.9", "0.8", "0.1"]
    manager.state_box.setCurrentIndex(manager.state_box.findData("FAIL"))
    assert proxy.rowCount() == 1 and "NaN" in proxy.index(0, model.columns.index("error")).data()
    manager.state_box.setCurrentIndex(0)
    manager.filter_edit.setText("0.03")
    assert proxy.rowCount() == 2
    manager.filter_edit.clear()
    manager.table.selectRow(0)  # the best (sorted by value, descending)
    assert manager.curves.drawn == [0]
    assert manager.parallel.lines == 3  # the completed trials
    assert set(manager.importance.values) == {LR, DROP}
    assert abs(sum(manager.importance.values.values()) - 1.0) < 1e-6
    path = tmp_path / "trials.csv"
    manager.state_box.setCurrentIndex(manager.state_box.findData("COMPLETE"))
    manager.export_csv(str(path))
    with open(path, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [r["trial"] for r in rows] == ["0", "1", "2"]  # the shown rows, in table order
    assert rows[0][LR] == "0.003" and rows[0]["value"] == "0.9"


def test_apply_to_project_is_one_undo_step(qtbot, manager):
    _fill_study(manager, ROWS)
    manager.refresh()
    document = manager.document
    before_lr = document.project.settings.training.initial_learn_rate
    before_rate = document.graph.find("drop").params["rate"]
    manager.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    manager.table.selectRow(2)  # trial 2: lr 0.03, rate 0.0
    with qtbot.waitSignal(manager.applied, timeout=10_000) as blocker:
        manager.apply_selected()
    assert blocker.args == [2]
    assert document.project.settings.training.initial_learn_rate == 0.03
    assert document.graph.find("drop").params["rate"] == 0.0
    assert document.undo_stack.undoText() == "Apply trial 2"
    document.undo_stack.undo()
    assert document.project.settings.training.initial_learn_rate == before_lr
    assert document.graph.find("drop").params["rate"] == before_rate
    manager.weights_box.setChecked(True)  # a synthetic trial left no model: said, not done
    manager.apply_selected()
    qtbot.waitUntil(lambda: "Cannot apply trial 2" in manager.status.text(), timeout=10_000)
    assert document.undo_stack.undoText() != "Apply trial 2"


def test_two_trials_at_once_stopped_resumed_and_the_best_applied(qtbot, manager):
    """The issue's run from the GUI: two trials at once, stopped while they run, resumed to
    the full grid; the best is applied with its weights."""
    manager.parallel_spin.setValue(2)
    manager.start()
    assert manager.running and not manager.start_button.isEnabled()

    def first_complete() -> bool:
        manager.refresh()
        return any(r.state == "COMPLETE" for r in manager.records)

    qtbot.waitUntil(first_complete, timeout=120_000)
    with qtbot.waitSignal(manager.finished, timeout=60_000):
        qtbot.mouseClick(manager.stop_button, Qt.MouseButton.LeftButton)
    assert manager.status.text().startswith("Stopped")
    done = {r.number for r in manager.records if r.state == "COMPLETE"}
    assert 1 <= len(done) < 4
    with qtbot.waitSignal(manager.finished, timeout=180_000):
        manager.start()  # resume
    records = trial_records(manager.study)
    finished = [r for r in records if r.state == "COMPLETE"]
    assert len({tuple(sorted(r.params.items())) for r in finished}) == 4  # the whole grid
    assert done <= {r.number for r in finished}  # the first run's trials were kept
    assert manager.progress.value() == manager.progress.maximum() == 4
    manager.table.clearSelection()  # none selected: the best is applied
    manager.weights_box.setChecked(True)
    best = max(finished, key=lambda r: r.value)
    with qtbot.waitSignal(manager.applied, timeout=30_000) as blocker:
        manager.apply_selected()
    assert blocker.args == [best.number]
    project = manager.document.project
    assert project.settings.training.initial_learn_rate == best.params[LR]
    assert project.graph.find("drop").params["rate"] == best.params[DROP]
    assert project.graph.find("f6").weights  # the trial's trained weights came too
