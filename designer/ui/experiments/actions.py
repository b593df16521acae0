"""Training > Experiment Manager… of a main window, and "Vary in Experiment…" on a layer
parameter of the Properties panel."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import QWidget

from designer.ui.common.dialog_action import DialogAction
from designer.ui.common.shell import Shell

if TYPE_CHECKING:  # the window imports Optuna: only when it is first opened
    from designer.ui.experiments.window import ExperimentManagerWindow


class ExperimentActions(DialogAction):
    """The Experiment Manager entry and its one window; ``properties`` (a PropertiesPanel,
    optional) offers "Vary in Experiment…" on its parameter labels."""

    MENU = "&Training"
    TEXT = "E&xperiment Manager…"
    TIP = "Sweep training options, augmentation and layer parameters; compare and apply trials"

    def __init__(self, shell: Shell, properties: Any = None) -> None:
        super().__init__(shell)
        if properties is not None:
            properties.varyRequested.connect(self.vary)

    def make_dialog(self) -> QWidget:
        from designer.ui.experiments.window import ExperimentManagerWindow

        return ExperimentManagerWindow(self.shell.document, self.shell.tasks, self.shell.widget())

    @property
    def window(self) -> ExperimentManagerWindow | None:
        """The Experiment Manager window, once opened."""
        return self.dialog  # type: ignore[return-value]

    def open_window(self) -> ExperimentManagerWindow:
        """Show the Experiment Manager (made on first use)."""
        return self.open_dialog()  # type: ignore[return-value]

    def vary(self, target: str) -> None:
        """Open the manager and ask how ``target`` varies."""
        self.open_window().vary(target)
