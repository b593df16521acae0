"""Value widgets take the mouse wheel only when they have the keyboard focus.

Turning the wheel to scroll a panel must not change the spin box or the combo that happens to
pass under the pointer (and add an undo step): an unfocused spin box, combo or slider hands
the wheel to the scroll area around it instead. Qt gives a widget with the ``WheelFocus``
policy (spin boxes, combos) the focus *before* application filters see a real wheel event,
so such widgets are switched to ``StrongFocus`` (click or Tab) when they are polished.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QScrollBar,
    QWidget,
)

_VALUE_WIDGETS = (QAbstractSpinBox, QComboBox, QAbstractSlider)


class WheelGuard(QObject):
    """An application-wide event filter; see the module docstring."""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Polish and isinstance(watched, _VALUE_WIDGETS):
            if watched.focusPolicy() == Qt.FocusPolicy.WheelFocus:
                watched.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            return False
        if event.type() != QEvent.Type.Wheel or not isinstance(watched, _VALUE_WIDGETS):
            return False
        if isinstance(watched, QScrollBar) or watched.hasFocus():
            return False
        area = _scroll_area(watched)
        if area is not None:
            QApplication.sendEvent(area.verticalScrollBar(), event)
        return True  # the value stays as it is

    @classmethod
    def install(cls, app: QApplication) -> WheelGuard:
        """Install one guard on ``app`` (again: the one already there)."""
        guard = app.findChild(cls)
        if guard is None:
            guard = cls(app)
            app.installEventFilter(guard)
        return guard


def _scroll_area(widget: QWidget) -> QAbstractScrollArea | None:
    """The nearest scroll area around ``widget``, if any."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, QAbstractScrollArea):
        parent = parent.parentWidget()
    return parent
