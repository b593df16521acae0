"""A bar behind a number in a table cell, as long as the cell's share of the largest value
(``BAR_ROLE``, 0 to 1): the Analysis table's MACs and Memory columns, so costly layers stand out."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

BAR_ROLE = Qt.ItemDataRole.UserRole + 12  # float in [0, 1]: the cell's bar, of its width
BAR_COLOR = QColor(66, 133, 244, 90)  # translucent blue: readable text over it


class CostBars(QStyledItemDelegate):
    """Paints the cell's background, then the bar, then the text over it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)

    @staticmethod
    def fraction(index: QModelIndex | QPersistentModelIndex) -> float:
        """The share of the cell's width its bar takes (0 when there is none)."""
        value = index.data(BAR_ROLE)
        return min(max(float(value), 0.0), 1.0) if value else 0.0

    @staticmethod
    def bar_rect(cell: QRect, fraction: float) -> QRect:
        """Where the bar of a cell goes: from its left edge, inset a little."""
        inner = cell.adjusted(2, 3, -2, -3)
        inner.setWidth(max(1, round(inner.width() * fraction)))
        return inner

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        text, opt.text = opt.text, ""
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        fraction = self.fraction(index)
        if fraction > 0:
            painter.save()
            painter.fillRect(self.bar_rect(opt.rect, fraction), BAR_COLOR)
            painter.restore()
        opt.text = text
        area = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        role = opt.palette.ColorRole.HighlightedText if selected else opt.palette.ColorRole.Text
        style.drawItemText(
            painter,
            area.adjusted(2, 0, -2, 0),
            int(opt.displayAlignment),
            opt.palette,
            True,
            text,
            role,
        )
