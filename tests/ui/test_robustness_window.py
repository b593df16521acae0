"""Insight > Adversarial Robustness…: run, curve, pairs, cancel."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from designer.ui.insight.robustness_window import RobustnessActions, RobustnessWindow


@pytest.fixture(scope="module")
def trained_model():
    """A digits model trained for a few epochs (built once for the module)."""
    from tests.insight.digits import trained_digits_model

    return trained_digits_model()


@pytest.fixture
def robustness(qtbot, window, trained_model) -> RobustnessWindow:
    """The window of a main window whose project is the trained network on sklearn digits."""
    from designer.app.files import project_from_model
    from designer.app.settings import DataSection
    from designer.data.builtin import SklearnDigitsConfig

    project = project_from_model(trained_model, "digits")
    project.settings = project.settings.replace(data=DataSection(source=SklearnDigitsConfig()))
    window.open_project(project, modified=False, ask=False)
    actions = RobustnessActions(window)
    action = next(a for a in window.menu("&Insight").actions() if a is actions.action)
    assert action.text() == "Adversarial &Robustness…"
    action.trigger()
    dialog = actions.window
    assert dialog is not None
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    yield dialog
    dialog.close()


def test_run_draws_the_curve_and_the_pairs(qtbot, robustness):
    robustness.epsilons_edit.setText("0, 0.05, 0.1")
    robustness.samples_spin.setValue(200)
    with qtbot.waitSignal(robustness.finished, timeout=60_000) as blocker:
        qtbot.mouseClick(robustness.run_button, Qt.MouseButton.LeftButton)
        assert robustness.running and not robustness.run_button.isEnabled()
    curve = blocker.args[0]
    assert not robustness.running and robustness.run_button.isEnabled()
    xs, ys = robustness.curve_item.getData()
    np.testing.assert_allclose(xs, [0.0, 0.05, 0.1])
    np.testing.assert_allclose(ys, 100 * np.asarray(curve.accuracy))
    assert ys[0] > 90 and ys[-1] < ys[0] - 20
    _, clean = robustness.clean_item.getData()
    np.testing.assert_allclose(clean, [100 * curve.clean_accuracy] * 2)
    assert curve.samples == 200 and robustness.progress.value() == 1000
    assert "clean accuracy" in robustness.status.text()
    assert [robustness.epsilon_box.itemText(i) for i in range(2)] == ["0.05", "0.1"]
    assert len(robustness.pair_cells) == 8  # pairs at the largest epsilon
    robustness.epsilon_box.setCurrentIndex(0)
    assert len(robustness.pair_cells) == 8
    assert "true" in robustness.pair_cells[0].findChildren(type(robustness.status))[-1].text()


def test_cancel_stops_the_attack(qtbot, robustness):
    robustness.method_box.setCurrentIndex(1)  # PGD
    robustness.steps_spin.setValue(500)
    robustness.epsilons_edit.setText("0.05, 0.1, 0.2")
    assert robustness.run()
    qtbot.waitUntil(lambda: robustness.status.text().startswith("Attacking…"), timeout=30_000)
    qtbot.mouseClick(robustness.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not robustness.running, timeout=60_000)
    assert robustness.status.text() == "Cancelled."
    assert robustness.result is None and robustness.run_button.isEnabled()


def test_invalid_epsilons_are_refused_in_the_window(robustness):
    robustness.epsilons_edit.setText("0, strong")
    assert not robustness.run()
    assert "strong" in robustness.status.text() and not robustness.running


def test_a_project_without_data_says_so(qtbot, window, trained_model):
    from designer.app.files import project_from_model

    window.open_project(project_from_model(trained_model), modified=False, ask=False)
    actions = RobustnessActions(window)
    dialog = actions.open_window()
    assert dialog.run()
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert "no data to attack" in dialog.status.text() and dialog.result is None
    dialog.close()
