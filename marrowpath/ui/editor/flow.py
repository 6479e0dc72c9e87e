"""A layout that places widgets left to right and wraps them onto the next line.

Why: the patient banner and the row of case actions must stay whole at 200 % scaling
or in a narrow window; a plain row would force the window wider than the screen (or
clip its text), while a flowing row simply takes a second line.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtWidgets import QLayout, QLayoutItem, QWidget

Line = list[tuple[QLayoutItem, QSize, int]]


class FlowLayout(QLayout):
    """Items in reading order, wrapped to the width (the height follows the width)."""

    def __init__(self, parent: QWidget | None = None, *, spacing: int = 12) -> None:
        super().__init__(parent)
        self._items: list[QLayoutItem] = []
        self._gap = spacing
        self._right: set[int] = set()

    def push_right(self) -> None:
        """The next item, and those after it, sit at the right end of their line."""
        self._right.add(len(self._items))

    # ------------------------------------------------------------ QLayout protocol

    def addItem(self, item: QLayoutItem) -> None:
        self._items.append(item)

    def count(self) -> int:
        return len(self._items)

    def itemAt(self, index: int) -> QLayoutItem | None:
        return self._items[index] if 0 <= index < len(self._items) else None

    def takeAt(self, index: int) -> QLayoutItem | None:
        return self._items.pop(index) if 0 <= index < len(self._items) else None

    def expandingDirections(self) -> Qt.Orientation:
        return Qt.Orientation(0)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(QRect(0, 0, width, 0), apply=False)

    def setGeometry(self, rect: QRect) -> None:
        super().setGeometry(rect)
        self._arrange(rect, apply=True)

    def sizeHint(self) -> QSize:
        items = self._shown()
        width = sum(i.sizeHint().width() for i in items) + self._gap * max(len(items) - 1, 0)
        height = max((i.sizeHint().height() for i in items), default=0)
        margins = self.contentsMargins()
        return QSize(
            width + margins.left() + margins.right(), height + margins.top() + margins.bottom()
        )

    def minimumSize(self) -> QSize:
        size = QSize(0, 0)
        for item in self._shown():
            size = size.expandedTo(item.minimumSize())
        margins = self.contentsMargins()
        return size + QSize(margins.left() + margins.right(), margins.top() + margins.bottom())

    # ------------------------------------------------------------ arranging

    def _shown(self) -> list[QLayoutItem]:
        return [i for i in self._items if not _hidden(i)]

    def _lines(self, width: int) -> list[Line]:
        lines: list[Line] = [[]]
        used = 0
        for index, item in enumerate(self._items):
            if _hidden(item):
                continue
            size = item.sizeHint()
            needed = size.width() + (self._gap if lines[-1] else 0)
            if lines[-1] and used + needed > width:
                lines.append([])
                used, needed = 0, size.width()
            lines[-1].append((item, size, index))
            used += needed
        return [line for line in lines if line]

    def _arrange(self, rect: QRect, *, apply: bool) -> int:
        margins = self.contentsMargins()
        area = rect.adjusted(margins.left(), margins.top(), -margins.right(), -margins.bottom())
        lines = self._lines(area.width())
        y = area.y()
        for number, line in enumerate(lines):
            height = max(size.height() for _item, size, _index in line)
            if apply:
                used = sum(size.width() for _item, size, _index in line)
                shift = max(area.width() - used - self._gap * (len(line) - 1), 0)
                x = area.x()
                for position, (item, size, index) in enumerate(line):
                    if position > 0 and index in self._right:
                        x, shift = x + shift, 0
                    width = min(size.width(), area.width())
                    top = y + (height - size.height()) // 2
                    item.setGeometry(QRect(x, top, width, size.height()))
                    x += size.width() + self._gap
            y += height + (self._gap // 2 if number < len(lines) - 1 else 0)
        return y - rect.y() + margins.bottom()


def _hidden(item: QLayoutItem) -> bool:
    widget = item.widget()
    return widget is not None and widget.isHidden()
