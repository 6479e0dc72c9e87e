"""A list whose items carry a list of their own: an ancillary study and its measurements.

Why a second table under the first, showing the selected row's inner list, and not a
table inside a cell: a cell cannot hold a grid that Tab, the arrows and Enter move
through as they do in every other list of the form. The outer rows keep their inner
lists with them (in the row's extra values, where `ItemTable` already keeps fields it
has no column for), so the document reads back whole whichever row is selected, and a
problem such as `ancillary[0].measurements[1].value` is marked in the inner table and
listed under the outer one.
"""

from __future__ import annotations

import re
from typing import Any

import shiboken6
from PySide6.QtWidgets import QLabel, QTableWidgetItem, QVBoxLayout, QWidget

from marrowpath.ui.editor.item_table import EXTRA_ROLE, Column, ItemTable

Problem = tuple[int | None, str | None, str]
_INNER = re.compile(r"^(\w+)(?:\[(\d+)\](?:\.(\w+))?)?$")


class NestedItemTable(ItemTable):
    """The outer list's rows, and below them the selected row's inner list (`inner`,
    whose path is the document path of the inner list, `ancillary[].measurements`).

    Signals:
        changed() -- as `ItemTable`; an edit of the inner list is a change of this one.
    """

    _inner_box: QWidget | None = None

    def __init__(
        self,
        path: str,
        label: str,
        columns: list[Column],
        *,
        inner: ItemTable,
        add_text: str = "Add",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(path, label, columns, add_text=add_text, parent=parent)
        prefix = f"{path}[]."
        assert inner.path.startswith(prefix), inner.path
        self.inner = inner
        self.inner_key = inner.path[len(prefix) :]
        self._shown: QTableWidgetItem | None = None  # the first cell of the row shown below
        self._inner_problems: list[tuple[int, int | None, str | None, str]] = []
        self.inner_caption = QLabel()
        self.inner_caption.setBuddy(inner.table)
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(24, 4, 0, 0)  # indented: it belongs to the row above
        column.setSpacing(2)
        column.addWidget(self.inner_caption)
        column.addWidget(inner)
        self._stack.addWidget(box)
        self._inner_box = box
        self.table.currentCellChanged.connect(self._current_changed)
        self.table.itemChanged.connect(self._row_named)
        inner.changed.connect(self._inner_changed)
        self._show_inner(-1)

    # ------------------------------------------------------------ the inner list

    def _current_changed(self, row: int, _column: int, _old_row: int, _old_column: int) -> None:
        shown = self.table.item(row, 0) if row >= 0 else None
        if shown is not self._shown or shown is None:
            self._show_inner(row)

    def _show_inner(self, row: int) -> None:
        """Put the inner list of this row (of the table, -1 for none) into the inner table."""
        first = self.table.item(row, 0) if row >= 0 else None
        self._shown = first
        extra = first.data(EXTRA_ROLE) if first is not None else None
        self.inner.set_value(extra.get(self.inner_key) if isinstance(extra, dict) else None)
        self.inner.setEnabled(first is not None)
        self._caption(row)
        self._show_inner_problems()

    def _row_named(self, item: QTableWidgetItem) -> None:
        """The caption names the row shown by its first cell: it follows an edit of it."""
        if item is self._shown and not self._loading:
            self._caption(self.table.row(item))

    def _caption(self, row: int) -> None:
        first = self._shown
        if first is None:
            self.inner_caption.setText(f"{self.inner.label}: select a row above")
        else:
            kind = self._cell_words(row, 0)
            named = f"row {row + 1}" + (f" ({kind})" if kind else "")
            self.inner_caption.setText(f"{self.inner.label} for {named}:")
        self.inner.table.setAccessibleName(self.inner_caption.text().rstrip(":"))

    def _cell_words(self, row: int, number: int) -> str:
        item = self.table.item(row, number)
        return item.text() if item is not None else ""

    def _inner_changed(self) -> None:
        """An edit of the inner table is stored on the row it shows, at once."""
        first = self._shown
        if first is None or not shiboken6.isValid(first):
            return
        extra = dict(first.data(EXTRA_ROLE) or {})
        value = self.inner.value()
        if value is None:
            extra.pop(self.inner_key, None)
        else:
            extra[self.inner_key] = value
        self._loading = True
        try:
            first.setData(EXTRA_ROLE, extra or None)
        finally:
            self._loading = False
        self.changed.emit()

    def _shown_index(self) -> int | None:
        """The document index of the row shown below (None when none or an empty row)."""
        first = self._shown
        if first is None or not shiboken6.isValid(first):
            return None
        row = self.table.row(first)
        return self._doc_rows.index(row) if row in self._doc_rows else None

    def _show_inner_problems(self) -> None:
        index = self._shown_index()
        self.inner.value()  # maps the inner table's document rows to its rows
        self.inner.show_problems(
            [
                (inner, key, message)
                for outer, inner, key, message in self._inner_problems
                if outer == index
            ]
        )

    # ------------------------------------------------------------ ItemTable

    def set_value(self, value: Any) -> None:
        """Show the list; the row selected stays selected (a document shown again after
        a save keeps the study one was working on), else the first."""
        row, column = self.table.currentRow(), self.table.currentColumn()
        super().set_value(value)
        if self.table.rowCount():
            keep = 0 <= row < self.table.rowCount()
            self.table.setCurrentCell(row if keep else 0, column if keep and column >= 0 else 0)
        self._show_inner(self.table.currentRow())

    def remove_selected(self) -> None:
        super().remove_selected()
        self._show_inner(self.table.currentRow())

    def set_editable(self, editable: bool) -> None:
        super().set_editable(editable)
        self.inner.set_editable(editable)

    def _update_empty(self) -> None:
        super()._update_empty()
        if self._inner_box is not None:
            self._inner_box.setVisible(self.table.rowCount() > 0)

    def focus_chain(self) -> list[QWidget]:
        return [*super().focus_chain(), *self.inner.focus_chain()]

    def nested(self) -> list[ItemTable]:
        return [self.inner]

    def _split(self, key: str | None) -> tuple[int | None, str | None] | None:
        """`measurements[1].value` -> (1, "value"); None when the key is not the inner list's."""
        match = _INNER.match(key or "")
        if match is None or match.group(1) != self.inner_key:
            return None
        index = int(match.group(2)) if match.group(2) is not None else None
        return index, match.group(3)

    def _inner_parts(self, inner: int | None, key: str | None) -> list[str]:
        """An inner list's place in words: ["Measurement row 2", "Value"]."""
        parts = [self.inner.label + (f" row {inner + 1}" if inner is not None else "")]
        if key is not None:
            parts.append(next((c.title for c in self.inner.columns if c.key == key), key))
        return parts

    def title(self, index: int | None = None, key: str | None = None) -> str:
        split = self._split(key)
        if split is None:
            return super().title(index, key)
        return " › ".join([super().title(index), *self._inner_parts(*split)])

    def show_problems(self, problems: list[Problem]) -> None:
        """The outer list's problems as `ItemTable` shows them; an inner list's problem is
        listed here too ("Row 1, Measurement row 2, Value: ...") and marked on its cell
        when its row is the one shown."""
        own: list[Problem] = []
        self._inner_problems = []
        for index, key, message in problems:
            split = self._split(key)
            if split is None or index is None:
                own.append((index, key, message))
                continue
            inner, inner_key = split
            self._inner_problems.append((index, inner, inner_key, message))
            own.append((index, ", ".join(self._inner_parts(inner, inner_key)), message))
        super().show_problems(own)
        self._show_inner_problems()

    def focus_cell(self, index: int | None, key: str | None) -> None:
        split = self._split(key)
        if split is None or index is None:
            super().focus_cell(index, key)
            return
        super().focus_cell(index, None)
        self._show_inner(self.table.currentRow())
        self.inner.focus_cell(*split)
