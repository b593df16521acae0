"""Training > Options...: every field shown with its default, validated, saved in the project."""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QSpinBox, QTabWidget

from designer.app.project import Project
from designer.training.options import TrainingOptions
from designer.ui.training.options_dialog import TrainingOptionsDialog
from tests.fixtures import plain


def test_every_option_has_a_widget_showing_the_defaults(qtbot):
    dialog = TrainingOptionsDialog()
    qtbot.addWidget(dialog)
    names = {f.name for f in dataclasses.fields(TrainingOptions)}
    assert set(dialog.widgets) == names
    assert dialog.options() == TrainingOptions()  # untouched widgets give the defaults
    assert "default: 0.01" in dialog.widgets["initial_learn_rate"].toolTip()


def test_options_menu_edits_the_project(qtbot, window):
    window.install_features("training")
    window.open_project(
        Project.from_sections(name="p", training={"solver": "adam", "max_epochs": 5}),
        modified=False,
    )
    action = next(a for a in window.menu("&Training").actions() if a.text() == "&Options...")
    action.trigger()
    dialog = window.training.options_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2_000)
    assert dialog.widgets["solver"].currentText() == "adam"
    epochs: QSpinBox = dialog.widgets["max_epochs"]
    assert epochs.value() == 5
    epochs.selectAll()
    qtbot.keyClicks(epochs, "12")
    rate: QLineEdit = dialog.widgets["initial_learn_rate"]
    rate.clear()
    qtbot.keyClicks(rate, "fast")
    patience: QLineEdit = dialog.widgets["validation_patience"]
    qtbot.keyClicks(patience, "4")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    # Refused, with the reason, and the project is unchanged.
    assert dialog.isVisible()
    assert "initial_learn_rate" in dialog.error.text() and "fast" in dialog.error.text()
    assert window.document.settings.training == TrainingOptions(solver="adam", max_epochs=5)
    rate.clear()
    qtbot.keyClicks(rate, "0.003")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    saved = plain(window.document.project, "training")
    assert (
        saved["solver"],
        saved["max_epochs"],
        saved["initial_learn_rate"],
        saved["validation_patience"],
    ) == ("adam", 12, 0.003, 4)
    assert TrainingOptions.from_dict(saved).max_epochs == 12
    assert window.document.modified
    window.document.mark_saved()


def test_invalid_combination_is_explained_and_defaults_restore(qtbot):
    dialog = TrainingOptionsDialog({"solver": "sgdm", "momentum": 0.5})
    qtbot.addWidget(dialog)
    dialog.show()
    momentum: QLineEdit = dialog.widgets["momentum"]
    assert momentum.text() == "0.5"
    momentum.clear()
    qtbot.keyClicks(momentum, "1.5")
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    assert "momentum: expected a number in [0, 1)" in dialog.error.text()
    assert dialog.result_options is None
    restore = dialog.buttons.button(QDialogButtonBox.StandardButton.RestoreDefaults)
    qtbot.mouseClick(restore, Qt.MouseButton.LeftButton)
    assert momentum.text() == "0.9" and dialog.error.text() == ""
    lr = dialog.widgets["lr_factors"]
    qtbot.keyClicks(lr, '{"fc": [10, 20]}')
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    assert dialog.result_options.lr_factors == {"fc": (10.0, 20.0)}


def test_dialog_opens_with_every_tab_visible_and_nothing_clipped(qtbot):
    dialog = TrainingOptionsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    tabs = dialog.findChild(QTabWidget)
    assert tabs.count() == 7
    assert tabs.tabBar().sizeHint().width() <= tabs.width()  # no scroll arrows needed
    for i in range(tabs.count()):
        page = tabs.widget(i)
        need = page.minimumSizeHint()
        assert page.width() >= need.width() and page.height() >= need.height(), tabs.tabText(i)
