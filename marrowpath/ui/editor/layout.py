"""Section boxes and aligned label/input rows for the case form.

Why a helper: every section is a titled box of label-left, input-right rows
(QFormLayout, so labels align and wrap natively and sizes follow the font at any
scaling); some sections put two such columns side by side to use a wide screen. The
helper also remembers the order inputs were added in, which becomes the tab order.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont, QResizeEvent
from PySide6.QtWidgets import (
    QBoxLayout,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from marrowpath.ui.editor.fields import ChecklistField, Field
from marrowpath.ui.editor.item_table import ItemTable


class Block:
    """One column of aligned rows inside a section."""

    def __init__(self, section: Section) -> None:
        self.section = section
        self.layout = QFormLayout()
        self.layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.layout.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        self.layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self.widget = QWidget()
        self.widget.setLayout(self.layout)
        self.layout.setContentsMargins(0, 0, 0, 0)

    def add(self, field: Field, label: str | None = None) -> Field:
        field.section = self.section.title()
        caption = QLabel(label or field.label)
        caption.setWordWrap(False)
        caption.setBuddy(field.input)
        self.layout.addRow(caption, field.container)
        self.section.fields.append(field)
        self.section.chain.extend(
            list(field.boxes.values()) if isinstance(field, ChecklistField) else [field.input]
        )
        return field

    def add_table(self, table: ItemTable, *, caption: bool = True) -> ItemTable:
        """A list table with its caption on the left, or across the whole width when the
        section is nothing but that list (the section title names it)."""
        table.section = self.section.title()
        if caption:
            label = QLabel(table.label)
            label.setBuddy(table.table)
            self.layout.addRow(label, table)
        else:
            self.layout.addRow(table)
        self.section.tables.append(table)
        self.section.chain.extend(table.focus_chain())
        return table

    def add_widget(self, label: str, widget: QWidget) -> None:
        self.layout.addRow(label, widget)

    def add_full(self, widget: QWidget) -> None:
        self.layout.addRow(widget)

    def heading(self, text: str) -> QLabel:
        label = QLabel(text)
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
        label.setContentsMargins(0, 6, 0, 0)
        self.layout.addRow(label)
        return label


class Columns(QWidget):
    """Widgets side by side, or one under the other when the width is too small for them.

    Why not a plain QHBoxLayout: its minimum width is the sum of its columns, which at
    200 % scaling is wider than the window and forces sideways scrolling. Here the
    minimum width is that of the widest column, and the direction follows the width.
    """

    SPACING = 24

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._box = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self._box.setContentsMargins(0, 0, 0, 0)
        self._box.setSpacing(self.SPACING)
        self._box.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self._widgets: list[QWidget] = []

    def add(self, widget: QWidget) -> None:
        self._widgets.append(widget)
        self._box.addWidget(widget, 1, Qt.AlignmentFlag.AlignTop)

    @property
    def stacked(self) -> bool:
        return self._box.direction() == QBoxLayout.Direction.TopToBottom

    def _side_by_side_width(self) -> int:
        widths = [w.minimumSizeHint().width() for w in self._widgets]
        return sum(widths) + self.SPACING * max(len(widths) - 1, 0)

    def _arrange(self, width: int) -> None:
        wanted = (
            QBoxLayout.Direction.TopToBottom
            if width < self._side_by_side_width()
            else QBoxLayout.Direction.LeftToRight
        )
        if wanted != self._box.direction():
            self._box.setDirection(wanted)
            self._box.setSpacing(12 if wanted == QBoxLayout.Direction.TopToBottom else self.SPACING)
            self.updateGeometry()

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._arrange(event.size().width())
        super().resizeEvent(event)

    def minimumSizeHint(self) -> QSize:
        width = max((w.minimumSizeHint().width() for w in self._widgets), default=0)
        return QSize(width, self._box.minimumSize().height())

    def sizeHint(self) -> QSize:
        hint = self._box.sizeHint()
        return QSize(hint.width(), hint.height())


class Section(QGroupBox):
    """A titled part of the case in report order; holds blocks of rows.

    With `fill`, the rows are made only when `build` is first called: the box (title,
    place in the section list) exists at once, its couple of hundred widgets when needed.
    """

    def __init__(
        self,
        title: str,
        key: str,
        parent: QWidget | None = None,
        *,
        fill: Callable[[Section], None] | None = None,
    ) -> None:
        super().__init__(title, parent)
        self.key = key
        self._fill = fill
        self.setAccessibleName(title)
        self.fields: list[Field] = []
        self.tables: list[ItemTable] = []
        self.chain: list[QWidget] = []
        self._layout = QVBoxLayout(self)
        self._layout.setSpacing(8)

    @property
    def built(self) -> bool:
        return self._fill is None

    def build(self) -> bool:
        """Make the rows now if they are not made yet; True when they were made now."""
        fill, self._fill = self._fill, None
        if fill is None:
            return False
        fill(self)
        return True

    def block(self) -> Block:
        """A full-width column of rows, below what is already there."""
        block = Block(self)
        self._layout.addWidget(block.widget)
        return block

    def columns(self, count: int = 2) -> list[Block]:
        """Columns side by side when there is room, stacked when there is not (narrow
        windows, 200 % scaling); each column aligns its own labels."""
        row = Columns()
        blocks = []
        for _ in range(count):
            block = Block(self)
            row.add(block.widget)
            blocks.append(block)
        self._layout.addWidget(row)
        return blocks

    def add_widget(self, widget: QWidget) -> None:
        self._layout.addWidget(widget)
