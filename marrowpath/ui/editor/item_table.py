"""Editable tables for the lists of the case document: stains, ancillary studies,
classifications, copy-to providers and therapy periods.

Why one generic table: every list in the format is a list of small objects whose fields
are text, numbers, dates or enumerations. One widget reads the rows back into JSON
(empty cells absent, empty rows dropped), maps a problem such as `stains[1].percent` to
its cell and lists the rule in words under the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.enums import label as enum_label
from marrowpath.domain.labels import leaf
from marrowpath.ui.editor.choice_box import ChoiceBox
from marrowpath.ui.editor.fields import Outline, error_label, format_number, parse_number, sentence

ModelIndex = QModelIndex | QPersistentModelIndex
VALUE_ROLE = Qt.ItemDataRole.UserRole
EXTRA_ROLE = Qt.ItemDataRole.UserRole + 1
PROBLEM_BACKGROUND = QColor("#fde7e9")
EDIT_TRIGGERS = (
    QAbstractItemView.EditTrigger.DoubleClicked
    | QAbstractItemView.EditTrigger.EditKeyPressed
    | QAbstractItemView.EditTrigger.AnyKeyPressed
    | QAbstractItemView.EditTrigger.SelectedClicked
)


@dataclass(frozen=True)
class Column:
    """One field of the list items: its key, heading and kind of value."""

    key: str
    title: str
    kind: str = "text"  # text | number | date | enum
    enum: type[StrEnum] | None = None
    required: bool = False
    stretch: bool = False
    words: Mapping[str, str] = field(default_factory=dict, hash=False)

    def enum_text(self, value: Any) -> str:
        """An enumeration value in words: the model's own where the column takes them."""
        return "" if value is None else self.words.get(str(value)) or enum_label(value)


_NUMBERS = frozenset({"number", "percent", "whole", "grade", "cells"})


def column(list_path: str, key: str, *, stretch: bool = False, words: bool = False) -> Column:
    """The column for one field of a list's items, named and typed as the case model
    declares it (`stains`, `percent` -> "%", a number); `words`: its choices read as the
    model writes them (a unit "% VAF", not "Vaf percent")."""
    declared = leaf(f"{list_path}[].{key}")
    kind = "text"
    if declared.choices is not None:
        kind = "enum"
    elif declared.label.format in _NUMBERS:
        kind = "number"
    elif declared.label.format == "date":
        kind = "date"
    return Column(
        key,
        declared.label.entry_label,
        kind=kind,
        enum=declared.choices,
        required=declared.signout,
        stretch=stretch,
        words=dict(declared.label.words) if words else {},
    )


class _EnumDelegate(QStyledItemDelegate):
    """A drop-down editor with the report's wording for enumeration columns."""

    def __init__(self, column: Column, parent: QObject | None = None) -> None:
        super().__init__(parent)
        assert column.enum is not None
        self._column = column
        self._enum = column.enum

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        combo = ChoiceBox(parent)
        combo.addItem("", None)
        for member in self._enum:
            combo.addItem(self._column.enum_text(member.value), member.value)
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        position = editor.findData(index.data(VALUE_ROLE))
        editor.setCurrentIndex(max(position, 0))

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        assert isinstance(editor, QComboBox)
        value = editor.currentData()
        model.setData(index, value, VALUE_ROLE)
        model.setData(
            index, editor.currentText() if value is not None else "", Qt.ItemDataRole.DisplayRole
        )


class _FittedTable(QTableWidget):
    """As tall as its rows: the form scrolls, not each little table inside it."""

    def _content_height(self) -> int:
        header = self.horizontalHeader().sizeHint().height()
        return header + self.verticalHeader().length() + 2 * self.frameWidth()

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self._content_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self._content_height())


class ItemTable(QWidget):
    """A list of objects as rows, with Add and Remove buttons.

    Signals:
        changed() -- a cell, a row count or an order changed by the user.
    """

    changed = Signal()

    def __init__(
        self,
        path: str,
        label: str,
        columns: list[Column],
        *,
        add_text: str = "Add",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.path = path
        self.label = label
        self.section = ""
        self.columns = columns
        self._loading = False
        self._doc_rows: list[int] = []
        self.table = _FittedTable(0, len(columns))
        self.table.setAccessibleName(label)
        self.table.setHorizontalHeaderLabels([c.title for c in columns])
        self.table.verticalHeader().setVisible(True)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setEditTriggers(EDIT_TRIGGERS)
        self.table.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        for number, column in enumerate(columns):
            mode = (
                QHeaderView.ResizeMode.Stretch
                if column.stretch
                else QHeaderView.ResizeMode.ResizeToContents
            )
            header.setSectionResizeMode(number, mode)
            if column.kind == "enum" and column.enum is not None:
                self.table.setItemDelegateForColumn(number, _EnumDelegate(column, self.table))
        self.table.itemChanged.connect(self._on_item_changed)
        self.outline = Outline(self.table)
        self.add_button = QPushButton(add_text)
        self.add_button.setAccessibleName(f"{label}: {add_text.lower()}")
        self.remove_button = QPushButton("Remove selected")
        self.remove_button.setAccessibleName(f"{label}: remove selected rows")
        self.add_button.clicked.connect(self.add_row)
        self.remove_button.clicked.connect(self.remove_selected)
        self.error = error_label()
        self.empty = QLabel("None recorded.")
        self._extra_buttons: list[QPushButton] = []
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.remove_button)
        buttons.addStretch(1)
        self._buttons = buttons
        layout = QVBoxLayout(self)
        self._stack = layout  # a subclass adds below the buttons (`nested_table`)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.outline)
        layout.addWidget(self.empty)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self._update_empty()

    # ------------------------------------------------------------ rows

    def add_row(self) -> None:
        row = self.table.rowCount()
        self._loading = True
        try:
            self.table.insertRow(row)
            for number, _column in enumerate(self.columns):
                self.table.setItem(row, number, self._item(None, self.columns[number]))
        finally:
            self._loading = False
        self._update_empty()
        self.table.setCurrentCell(row, 0)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        first = self.table.item(row, 0)
        if first is not None:
            self.table.editItem(first)
        self.changed.emit()

    def add_button_for(self, button: QPushButton) -> None:
        """Another way to add rows (a pick-list, the directory), shown beside Add and
        with it: only while the table may be edited."""
        self._buttons.insertWidget(self._buttons.count() - 1, button)
        self._extra_buttons.append(button)
        button.setVisible(not self.add_button.isHidden())
        button.setEnabled(self.add_button.isEnabled())

    def append_values(self, values: dict[str, Any]) -> int:
        """Add a row with these values (a chosen pick-list entry): into the last row when
        it is still empty, else a new one. Returns the row; `changed` is emitted."""
        row = self.table.rowCount() - 1
        if row < 0 or any(
            self._cell_value(row, number) is not None for number in range(len(self.columns))
        ):
            row = self.table.rowCount()
            self.table.insertRow(row)
        self.set_row_values(row, values)
        return row

    def set_row_values(self, row: int, values: dict[str, Any]) -> None:
        """Replace one row's cells with these values (absent keys empty the cell); the
        row keeps its place. `changed` is emitted."""
        self._loading = True
        try:
            for number, column in enumerate(self.columns):
                self.table.setItem(row, number, self._item(values.get(column.key), column))
        finally:
            self._loading = False
        self._update_empty()
        self.table.setCurrentCell(row, 0)
        self.changed.emit()

    def remove_selected(self) -> None:
        rows = sorted({index.row() for index in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.currentRow() >= 0:
            rows = [self.table.currentRow()]
        for row in rows:
            self.table.removeRow(row)
        self._update_empty()
        if rows:
            self.changed.emit()

    def _update_empty(self) -> None:
        has_rows = self.table.rowCount() > 0
        self.table.setVisible(has_rows)
        self.outline.setVisible(has_rows)
        self.empty.setVisible(not has_rows)
        self.remove_button.setEnabled(has_rows and self.add_button.isEnabled())
        self.table.updateGeometry()

    def _item(self, value: Any, column: Column) -> QTableWidgetItem:
        item = QTableWidgetItem()
        item.setData(VALUE_ROLE, value)
        if column.kind == "enum":
            text = column.enum_text(value)
        elif column.kind == "number":
            text = format_number(value)
        else:
            text = "" if value is None else str(value)
        item.setData(Qt.ItemDataRole.DisplayRole, text)
        if column.kind == "number":
            item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if column.kind == "text" and text:
            item.setToolTip(text)
        return item

    def _on_item_changed(self, _item: QTableWidgetItem) -> None:
        if not self._loading:
            self.changed.emit()

    # ------------------------------------------------------------ values

    def _cell_value(self, row: int, number: int) -> Any:
        item = self.table.item(row, number)
        if item is None:
            return None
        column = self.columns[number]
        if column.kind == "enum":
            return item.data(VALUE_ROLE)
        text = str(item.data(Qt.ItemDataRole.DisplayRole) or "")
        if column.kind == "number":
            return parse_number(text)
        if column.kind == "date":
            return text.strip() or None
        return text if text.strip() else None

    def value(self) -> list[dict[str, Any]] | None:
        """The rows as objects; empty rows are left out (the row map keeps their place)."""
        items: list[dict[str, Any]] = []
        self._doc_rows = []
        for row in range(self.table.rowCount()):
            first = self.table.item(row, 0)
            extra = first.data(EXTRA_ROLE) if first is not None else None
            item: dict[str, Any] = dict(extra) if isinstance(extra, dict) else {}
            for number, column in enumerate(self.columns):
                cell = self._cell_value(row, number)
                if cell is not None:
                    item[column.key] = cell
            if item:
                items.append(item)
                self._doc_rows.append(row)
        return items or None

    def set_value(self, value: Any) -> None:
        self._loading = True
        try:
            self.table.setRowCount(0)
            rows = value if isinstance(value, list) else []
            for row, data in enumerate(rows):
                data = data if isinstance(data, dict) else {}
                self.table.insertRow(row)
                for number, column in enumerate(self.columns):
                    self.table.setItem(row, number, self._item(data.get(column.key), column))
                extra = {k: v for k, v in data.items() if k not in {c.key for c in self.columns}}
                first = self.table.item(row, 0)
                if extra and first is not None:
                    first.setData(EXTRA_ROLE, extra)
        finally:
            self._loading = False
        self._update_empty()

    def set_editable(self, editable: bool) -> None:
        self.table.setEditTriggers(
            EDIT_TRIGGERS if editable else QAbstractItemView.EditTrigger.NoEditTriggers
        )
        self.add_button.setEnabled(editable)
        self.add_button.setVisible(editable)
        self.remove_button.setVisible(editable)
        for button in self._extra_buttons:
            button.setEnabled(editable)
            button.setVisible(editable)
        self._update_empty()

    # ------------------------------------------------------------ problems

    def title(self, index: int | None = None, key: str | None = None) -> str:
        parts = (
            [self.section, self.label]
            if self.section and self.section != self.label
            else [self.label]
        )
        if index is not None:
            row = self._doc_rows[index] + 1 if index < len(self._doc_rows) else index + 1
            parts.append(f"row {row}")
        if key is not None:
            titles = {c.key: c.title for c in self.columns}
            parts.append(titles.get(key, key))
        return " › ".join(parts)

    def show_problems(self, problems: list[tuple[int | None, str | None, str]]) -> None:
        """Mark cells (row index in the document, column key, rule) and list the rules."""
        self._loading = True
        try:
            for line in range(self.table.rowCount()):
                for number in range(len(self.columns)):
                    cell = self.table.item(line, number)
                    if cell is not None and cell.data(Qt.ItemDataRole.BackgroundRole) is not None:
                        cell.setData(Qt.ItemDataRole.BackgroundRole, None)
                        cell.setToolTip(cell.text())
            lines: list[str] = []
            keys = [c.key for c in self.columns]
            titles = {c.key: c.title for c in self.columns}
            for index, key, message in problems:
                row: int | None = None
                if index is not None and index < len(self._doc_rows):
                    row = self._doc_rows[index]
                where = []
                if index is not None:
                    where.append(f"Row {(row if row is not None else index) + 1}")
                if key is not None:
                    where.append(titles.get(key, key))
                lines.append(f"{', '.join(where)}: {message}" if where else sentence(message))
                if row is not None and key in keys:
                    cell = self.table.item(row, keys.index(key))
                    if cell is not None:
                        cell.setBackground(PROBLEM_BACKGROUND)
                        cell.setToolTip(sentence(message))
        finally:
            self._loading = False
        self.outline.set_invalid(bool(problems))
        self.error.setText("\n".join(lines))
        self.error.setVisible(bool(lines))
        self.table.setAccessibleDescription("\n".join(lines))

    def focus_chain(self) -> list[QWidget]:
        """The widgets Tab visits, in order: the grid, then its buttons."""
        return [self.table, self.add_button, self.remove_button]

    def nested(self) -> list[ItemTable]:
        """Tables for lists inside this list's items (none here; see `nested_table`)."""
        return []

    def focus_cell(self, index: int | None, key: str | None) -> None:
        keys = [c.key for c in self.columns]
        if index is not None and index < len(self._doc_rows):
            self.table.setCurrentCell(self._doc_rows[index], keys.index(key) if key in keys else 0)
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
