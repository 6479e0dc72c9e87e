"""The list of sections beside the form: jump to a section, and see where you are.

Why: a bone marrow case is a long form; the list names every section in report order,
moves the form when a section is chosen (arrow keys or a click; Enter puts the cursor
in its first field; Alt+1 ... Alt+9 and Alt+0 from anywhere in the editor) and follows
the form when it is scrolled.

Keys for sections: Alt+1 ... Alt+9 are the first nine (`look-and-feel.md`), Alt+0 the
tenth, as on the digit row. The editor has more sections than digits (issued versions,
the patient course), so Ctrl+G opens a "Go to section" menu listing every section with
a mnemonic: the same digit for the first ten, then A, B, ... (the View menu's "Go to
section" lists them alike). Ctrl+Alt+digit was rejected: on Windows it is AltGr, which
types characters such as { and @ on many European layouts.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QListWidget, QMenu, QScrollArea, QWidget

from marrowpath.ui.editor.layout import Section

GO_TO_SECTION_KEY = "Ctrl+G"
DIGIT_KEYS = "1234567890"  # Alt+1 ... Alt+9, then Alt+0 for the tenth section


def section_key(row: int) -> str | None:
    """The key of section `row` (0-based): "Alt+1" ... "Alt+9", "Alt+0"; None after the
    tenth (reached through the Go to section menu)."""
    return f"Alt+{DIGIT_KEYS[row]}" if 0 <= row < len(DIGIT_KEYS) else None


def section_mnemonic(row: int) -> str:
    """The menu mnemonic of section `row`: its digit for the first ten, then A, B, ..."""
    if row < len(DIGIT_KEYS):
        return DIGIT_KEYS[row]
    return chr(ord("A") + row - len(DIGIT_KEYS))


def section_menu_text(row: int, title: str) -> str:
    """A menu entry for a section: "&1 Patient and order<tab>Alt+1", "&A Issued versions"."""
    text = f"&{section_mnemonic(row)} {title.replace('&', '&&')}"
    key = section_key(row)
    if key is None:
        return text
    shown = QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)
    return f"{text}\t{shown}"


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
        self.go_menu: QMenu | None = None  # the Go to section menu last shown (Ctrl+G)
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
        """Alt+1 ... Alt+9, Alt+0, the Go to section menu (and Ctrl+N's first field):
        show section `row` (0-based, in report order) with the cursor in its first
        field."""
        if 0 <= row < len(self._sections):
            self.setCurrentRow(row)
            self._scroll_to(row)
            self._enter(row)

    def install_keys(self, editor: QWidget) -> list[QShortcut]:
        """Alt+1 ... Alt+9, Alt+0 and Ctrl+G on the editor (its tab only: several
        editors are open)."""
        shortcuts = []
        for row in range(min(len(DIGIT_KEYS), len(self._sections))):
            shortcut = QShortcut(QKeySequence(section_key(row) or ""), editor)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda row=row: self.jump(row))
            shortcuts.append(shortcut)
        go = QShortcut(QKeySequence(GO_TO_SECTION_KEY), editor)
        go.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        go.activated.connect(self.show_menu)
        shortcuts.append(go)
        return shortcuts

    def fill_menu(self, menu: QMenu) -> None:
        """Every section, in report order, with its mnemonic and key."""
        menu.clear()
        for row, section in enumerate(self._sections):
            action = menu.addAction(section_menu_text(row, section.title()))
            action.triggered.connect(lambda _checked=False, row=row: self.jump(row))

    def show_menu(self) -> QMenu:
        """Ctrl+G: the Go to section menu over the section list; typing a section's
        digit or letter goes there (Escape closes it)."""
        menu = QMenu("Go to section", self)
        menu.setAccessibleName("Go to section")
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.fill_menu(menu)
        self.go_menu = menu
        menu.popup(self.mapToGlobal(QPoint(0, 0)))
        return menu

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
