"""A drop-down whose typing filters a visible list and never picks a value unseen.

Why: a plain combo box jumps to the first entry starting with a typed letter, so "h"
silently picks Hypocellular when Hypercellular was meant (issue 13; `look-and-feel.md`:
"Drop-downs never change a value by type-ahead without showing the choice: typing
filters the list"). Here a typed character opens a list under the box with a filter
line; every typed word must begin a word of the choice; Enter (or a click) takes the
highlighted choice, Escape leaves the value as it was. Arrow keys on the closed box
still step through the choices, the box showing each one.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

INDEX_ROLE = Qt.ItemDataRole.UserRole + 1
# a word: letters and digits, or one symbol on its own ("%" picks "%" and "% VAF")
_WORD = re.compile(r"[^\W_]+|[^\w\s]")


def matches(typed: str, choice: str) -> bool:
    """Whether every typed word begins a word of the choice, ignoring case ("hyper"
    matches "Hypercellular"; "cellular" does not: words match from their start)."""
    words = [w.casefold() for w in _WORD.findall(choice)]
    return all(
        any(word.startswith(part) for word in words)
        for part in (p.casefold() for p in _WORD.findall(typed))
    )


class ChoiceFilter(QFrame):
    """The list that typing opens: a filter line and the choices that match it.

    Signals:
        chosen(int) -- the combo index of the choice taken with Enter or a click.
    """

    chosen = Signal(int)

    def __init__(self, combo: QComboBox) -> None:
        super().__init__(combo, Qt.WindowType.Popup)
        self._combo = combo
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.filter = QLineEdit()
        self.filter.setAccessibleName(f"Filter {combo.accessibleName()}".strip())
        self.filter.setPlaceholderText("Type to filter")
        self.list = QListWidget()
        self.list.setAccessibleName("Matching choices")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.filter)
        layout.addWidget(self.list)
        self.filter.textChanged.connect(self._refilter)
        self.filter.installEventFilter(self)
        self.list.itemClicked.connect(self._take)

    def open_with(self, text: str) -> None:
        self.filter.setText(text)
        self._refilter(text)
        width = max(self._combo.width(), self.list.sizeHintForColumn(0) + 30)
        rows = min(max(self.list.count(), 1), 10)
        height = self.filter.sizeHint().height() + rows * (self.list.sizeHintForRow(0) + 2) + 12
        corner = self._combo.mapToGlobal(QPoint(0, self._combo.height()))
        self.setGeometry(corner.x(), corner.y(), width, height)
        self.show()
        self.filter.setFocus(Qt.FocusReason.PopupFocusReason)

    def texts(self) -> list[str]:
        """The choices listed now (what a person sees)."""
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _refilter(self, text: str) -> None:
        self.list.clear()
        for index in range(self._combo.count()):
            choice = self._combo.itemText(index)
            if matches(text, choice):
                item = QListWidgetItem(choice)
                item.setData(INDEX_ROLE, index)
                self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        else:
            empty = QListWidgetItem(f"No choice matches “{text}”")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(empty)

    def _take(self, item: QListWidgetItem | None) -> None:
        if item is None or item.data(INDEX_ROLE) is None:
            return
        self.hide()
        self.chosen.emit(int(item.data(INDEX_ROLE)))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.filter and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Up, Qt.Key.Key_Down):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = self.list.currentRow() + step
                if 0 <= row < self.list.count():
                    self.list.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._take(self.list.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.hide()
                return True
        return False


class ChoiceBox(QComboBox):
    """A QComboBox that filters on typing (see the module) instead of type-ahead."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chooser = ChoiceFilter(self)
        self.chooser.chosen.connect(self._chosen)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        text = event.text()
        plain = not event.modifiers() & (
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        )
        if plain and len(text) == 1 and text.isprintable() and not text.isspace():
            self.chooser.open_with(text)
            return
        super().keyPressEvent(event)

    def _chosen(self, index: int) -> None:
        self.setCurrentIndex(index)
        self.activated.emit(index)
        self.setFocus(Qt.FocusReason.PopupFocusReason)
