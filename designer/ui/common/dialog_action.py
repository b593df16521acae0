"""A menu entry that shows one non-modal dialog or window of a main window, made on first use."""

from __future__ import annotations

from PySide6.QtCore import QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from designer.ui.common.shell import Shell


class DialogAction(QObject):
    """``menu`` > ``text`` of ``shell``: opens :meth:`make_dialog`'s widget (kept in
    ``dialog``) without blocking, and brings it to the front when it is open already.
    Subclasses give the texts as class attributes and make the widget."""

    MENU = ""
    TEXT = ""
    TIP = ""
    SHORTCUT = ""

    def __init__(self, shell: Shell) -> None:
        super().__init__(shell.widget())
        self.shell = shell
        self.dialog: QWidget | None = None
        self.action = QAction(self.TEXT, self)
        if self.SHORTCUT:
            self.action.setShortcut(QKeySequence(self.SHORTCUT))
        self.action.setStatusTip(self.TIP)
        self.action.triggered.connect(self.open_dialog)
        shell.menu(self.MENU).addAction(self.action)

    def make_dialog(self) -> QWidget:
        """The dialog or window, made the first time it is asked for."""
        raise NotImplementedError

    def prepare(self, dialog: QWidget) -> None:
        """Bring ``dialog`` up to date before it is shown (nothing by default)."""

    def open_dialog(self) -> QWidget:
        """Show the dialog (made on first use), non-blocking."""
        if self.dialog is None:
            self.dialog = self.make_dialog()
        self.prepare(self.dialog)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return self.dialog
