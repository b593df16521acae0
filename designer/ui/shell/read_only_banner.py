"""The strip above the canvas that says a network is open read-only, why, and what to do."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from designer.app.read_only import EDIT_HINT


class ReadOnlyBanner(QLabel):
    """Hidden for an editable network; for a read-only one, its reason in a yellow strip."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("readOnlyBanner")
        self.setWordWrap(True)
        self.setStyleSheet(
            "QLabel#readOnlyBanner { background: #fff3c4; color: #4a3b00; "
            "border-bottom: 1px solid #e0c65a; padding: 6px 10px; }"
        )
        self.hide()

    def show_reason(self, reason: str | None) -> None:
        """Show ``reason`` (the project's ``read_only``), or hide for None."""
        if not reason:
            self.hide()
            self.clear()
            return
        parts = reason.removeprefix("opened read-only: ")
        self.setText(f"<b>Read-only:</b> {parts}. The network {EDIT_HINT[3:]}.")
        self.setToolTip(reason)
        self.show()


def with_banner(banner: ReadOnlyBanner, view: QWidget) -> QWidget:
    """A widget holding ``banner`` above ``view`` (the window's central widget)."""
    central = QWidget()
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(0)
    layout.addWidget(banner)
    layout.addWidget(view, 1)
    return central
