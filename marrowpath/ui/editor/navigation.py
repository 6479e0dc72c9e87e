"""The list of sections beside the form: jump to a section, and see where you are.

Why: a bone marrow case is a long form; the list names every section in report order,
moves the form when a section is chosen (arrow keys or a click; Enter puts the cursor
in its first field; Alt+1 ... Alt+9 from anywhere in the editor) and follows the form
when it is scrolled.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidget, QScrollArea, QWidget

from marrowpath.ui.editor.layout import Section


class SectionList(QListWidget):
    """Section titles; kept in step with the scroll position of the form."""

    def __init__(
        self,
        sections: list[Section],
        scroll: QScrollArea,
        parent: QWidget | None = None,
        *,
        reveal: Callable[[Section], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self._sections = sections
        self._reveal = reveal or (lambda _section: None)
        self._scroll = scroll
        self._following = False
        self.setAccessibleName("Sections")
        for section in sections:
            self.addItem(section.title())
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setWordWrap(True)
        metrics = self.fontMetrics()
        self.preferred_width = min(
            max(metrics.horizontalAdvance(s.title()) for s in sections) + 16,
            metrics.horizontalAdvance("0" * 24),
        )
        self.setMaximumWidth(self.preferred_width + 2 * self.frameWidth() + 8)
        self.currentRowChanged.connect(self._scroll_to)
        self.itemActivated.connect(lambda _item: self._enter(self.currentRow()))
        scroll.verticalScrollBar().valueChanged.connect(self._follow)

    def show_section(self, key: str) -> None:
        """Scroll so that a section's title is at the top (e.g. "aspirate")."""
        for row, section in enumerate(self._sections):
            if section.key == key:
                self.setCurrentRow(row)
                self._scroll_to(row)

    def jump(self, row: int) -> None:
        """Alt+1 ... Alt+9 (and Ctrl+N's first field): show section `row` (0-based, in
        report order) with the cursor in its first field."""
        if 0 <= row < len(self._sections):
            self.setCurrentRow(row)
            self._scroll_to(row)
            self._enter(row)

    def install_keys(self, editor: QWidget) -> list[QShortcut]:
        """Alt+1 ... Alt+9 on the editor (its tab only: several editors are open)."""
        shortcuts = []
        for number in range(1, min(9, len(self._sections)) + 1):
            shortcut = QShortcut(QKeySequence(f"Alt+{number}"), editor)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda row=number - 1: self.jump(row))
            shortcuts.append(shortcut)
        return shortcuts

    def _scroll_to(self, row: int) -> None:
        if 0 <= row < len(self._sections) and not self._following:
            self._reveal(self._sections[row])  # a section not made yet is made first
            self._scroll.verticalScrollBar().setValue(self._sections[row].y())

    def _enter(self, row: int) -> None:
        if 0 <= row < len(self._sections):
            self._reveal(self._sections[row])
        if not 0 <= row < len(self._sections):
            return
        section = self._sections[row]
        # the first input that can take the cursor: a section opening with an empty list
        # (Stains, Ancillary studies on a new case) hides its table, so its Add button
        first = next((w for w in section.chain if w.isVisibleTo(section) and w.isEnabled()), None)
        if first is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)
            self._scroll.ensureWidgetVisible(first, 20, 40)

    def _follow(self, value: int) -> None:
        current = 0
        for row, section in enumerate(self._sections):
            if not section.isHidden() and section.y() <= value + 8:
                current = row
        if self.currentRow() != current:
            self._following = True
            self.setCurrentRow(current)
            self._following = False
