"""Type-ahead that shows before it fills: a list of matches under a text field, and a
search dialog for adding a row from a long list.

Why not QCompleter: its popup writes the highlighted entry into the field as the arrow
keys move, and it can fill only the one field; here the typed text stays as typed until
a person takes an entry with Enter or a click, and taking it may fill several fields
(name, id and organization of a provider; system, term and code of a classification).
"Drop-downs never change a value by type-ahead without showing the choice"
(`look-and-feel.md`): nothing is filled unseen, and free text stays possible (Escape,
or simply typing on, leaves the field as typed).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

ModelIndex = QModelIndex | QPersistentModelIndex
CHOICE_ROLE = Qt.ItemDataRole.UserRole + 7
Source = Callable[[str], list[tuple[str, Any]]]
"""The matches of a query: (text shown, object chosen), best first."""
MAX_ROWS = 10


def _fill(listing: QListWidget, matches: list[tuple[str, Any]], empty: str) -> None:
    listing.clear()
    for text, choice in matches:
        item = QListWidgetItem(text)
        item.setData(CHOICE_ROLE, choice)
        item.setToolTip(text)
        listing.addItem(item)
    if matches:
        listing.setCurrentRow(0)
    elif empty:
        note = QListWidgetItem(empty)
        note.setFlags(Qt.ItemFlag.NoItemFlags)
        listing.addItem(note)


def _step(listing: QListWidget, key: int) -> None:
    rows = listing.count()
    if not rows or listing.item(0).data(CHOICE_ROLE) is None:
        return
    row = listing.currentRow()
    if key == Qt.Key.Key_Down:
        row = min(row + 1, rows - 1)
    elif key == Qt.Key.Key_Up:
        row = max(row - 1, 0)
    elif key == Qt.Key.Key_PageDown:
        row = min(row + MAX_ROWS, rows - 1)
    elif key == Qt.Key.Key_PageUp:
        row = max(row - MAX_ROWS, 0)
    listing.setCurrentRow(row)


class TypeAhead(QObject):
    """Matches listed under a line edit as the person types; Down and Up move in the
    list, Enter (or a click) takes the highlighted entry, Escape closes the list. The
    field keeps the keyboard focus throughout: typing goes on into it.

    Signals:
        chosen(object) -- the entry taken; the owner fills its fields from it.
    """

    chosen = Signal(object)

    def __init__(self, edit: QLineEdit, source: Source, *, what: str) -> None:
        super().__init__(edit)
        self._edit = edit
        self._source = source
        self.popup = QListWidget()
        self.popup.setWindowFlags(
            Qt.WindowType.ToolTip
            | Qt.WindowType.FramelessWindowHint
            | Qt.WindowType.WindowDoesNotAcceptFocus
        )
        self.popup.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        self.popup.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.popup.setAccessibleName(f"Matching {what}")
        self.popup.setUniformItemSizes(True)
        self.popup.itemClicked.connect(self._take)
        edit.textEdited.connect(self._typed)  # the person's typing, never set_value
        edit.installEventFilter(self)
        edit.destroyed.connect(self.popup.deleteLater)

    @property
    def open(self) -> bool:
        return self.popup.isVisible()

    def texts(self) -> list[str]:
        """The entries listed now (what a person sees)."""
        return [self.popup.item(i).text() for i in range(self.popup.count())]

    def close(self) -> None:
        self.popup.hide()

    def _typed(self, text: str) -> None:
        if self._edit.isReadOnly() or not text.strip():
            self.close()
            return
        self._show(text)

    def _show(self, text: str) -> None:
        matches = self._source(text)
        if not matches:
            self.close()
            return
        _fill(self.popup, matches, "")
        edit = self._edit
        rows = min(len(matches), MAX_ROWS)
        height = rows * max(self.popup.sizeHintForRow(0), 1) + 2 * self.popup.frameWidth() + 2
        width = max(edit.width(), min(self.popup.sizeHintForColumn(0) + 24, 720))
        corner = edit.mapToGlobal(QPoint(0, edit.height()))
        self.popup.setGeometry(corner.x(), corner.y(), width, height)
        self.popup.show()
        self.popup.raise_()

    def _take(self, item: QListWidgetItem | None) -> None:
        if item is None or item.data(CHOICE_ROLE) is None:
            return
        self.close()
        self.chosen.emit(item.data(CHOICE_ROLE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is not self._edit:
            return False
        kind = event.type()
        if kind == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key == Qt.Key.Key_Down and not self.open and self._edit.text().strip():
                if not self._edit.isReadOnly():
                    self._show(self._edit.text())
                return self.open
            if not self.open:
                return False
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                _step(self.popup, key)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._take(self.popup.currentItem())
                return True
            if key == Qt.Key.Key_Escape:
                self.close()
                return True
        elif kind in (QEvent.Type.FocusOut, QEvent.Type.Hide):
            # after a click in the list has been handled (a click takes no focus)
            QTimer.singleShot(150, self._close_unless_focused)
        return False

    def _close_unless_focused(self) -> None:
        if not self._edit.hasFocus():
            self.close()


class TypeAheadDelegate(QStyledItemDelegate):
    """A table column whose cell editor lists matches as one types (`TypeAhead`); taking
    one calls `on_chosen(row, choice)`, which fills the row. While the list is open its
    keys (arrows, Enter, Escape) are the list's, not the table's."""

    def __init__(
        self,
        source: Source,
        on_chosen: Callable[[int, Any], None],
        *,
        what: str,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._source = source
        self._on_chosen = on_chosen
        self._what = what
        self.ahead: TypeAhead | None = None  # the open editor's, for tests and the owner

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        editor = QLineEdit(parent)
        ahead = TypeAhead(editor, self._source, what=self._what)
        row = index.row()

        def take(choice: Any) -> None:
            self.closeEditor.emit(editor, QStyledItemDelegate.EndEditHint.NoHint)
            self._on_chosen(row, choice)

        ahead.chosen.connect(take)
        self.ahead = ahead
        return editor

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        ahead = self.ahead
        if (
            event.type() == QEvent.Type.KeyPress
            and ahead is not None
            and ahead.open
            and watched is ahead.parent()
        ):
            return False  # the list's keys: let the TypeAhead's own filter have them
        return super().eventFilter(watched, event)


class SearchPicker(QDialog):
    """Search a long list and take one entry: a search line (any words, any order) over
    the matches; Enter takes the highlighted one, Escape cancels and changes nothing."""

    def __init__(
        self,
        source: Source,
        *,
        title: str,
        placeholder: str,
        note: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._source = source
        self.choice: Any = None
        self.search = QLineEdit()
        self.search.setPlaceholderText(placeholder)
        self.search.setAccessibleName(f"{title}: search")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget()
        self.list.setAccessibleName(f"{title}: matches")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.itemDoubleClicked.connect(lambda _item: self.accept())
        self.count = QLabel()
        self.count.setAccessibleName(f"{title}: number of matches")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Use")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.count)
        if note:
            words = QLabel(note)
            words.setWordWrap(True)
            layout.addWidget(words)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._refilter)
        self.search.installEventFilter(self)
        self.resize(720, 460)
        self._refilter("")

    def texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _refilter(self, text: str) -> None:
        matches = self._source(text)
        _fill(self.list, matches, f"Nothing matches “{text}”")
        self.count.setText("1 match" if len(matches) == 1 else f"{len(matches)} matches")
        self.ok.setEnabled(bool(matches))

    def accept(self) -> None:
        item = self.list.currentItem()
        if item is None or item.data(CHOICE_ROLE) is None:
            return
        self.choice = item.data(CHOICE_ROLE)
        super().accept()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up, Qt.Key.Key_PageDown, Qt.Key.Key_PageUp):
                _step(self.list, key)
                return True
        return False
