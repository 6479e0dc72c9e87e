"""The template picker (Ctrl+T in the case editor): find a template by any word of its
name, abbreviation or text, see it filled from the case, insert it with Enter.

Why a preview: a template's placeholders are filled from what the case holds now; the
pathologist sees the sentence as it will be inserted, and what is still missing, before
it enters the report.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.text import fold
from marrowpath.domain.text_templates import Filled, TextTemplate

_MOVES = {Qt.Key.Key_Up, Qt.Key.Key_Down, Qt.Key.Key_PageUp, Qt.Key.Key_PageDown}


class TemplatePicker(QDialog):
    """The templates that fit one field; `chosen` is set when accepted."""

    def __init__(
        self,
        templates: list[TextTemplate],
        field_label: str,
        *,
        preview: Callable[[TextTemplate], Filled],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Insert a template: {field_label}")
        self._templates = sorted(templates, key=lambda t: t.name.casefold())
        self._preview = preview
        self.chosen: TextTemplate | None = None
        self.search = QLineEdit()
        self.search.setPlaceholderText("Type any word of the name, abbreviation or text")
        self.search.setAccessibleName("Search templates")
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.list = QListWidget()
        self.list.setAccessibleName("Templates")
        self.list.currentItemChanged.connect(lambda _now, _before: self._show_preview())
        self.list.itemActivated.connect(lambda _item: self.accept())
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Template as it will be inserted")
        self.text.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.text.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.missing = QLabel()
        self.missing.setWordWrap(True)
        self.missing.setTextFormat(Qt.TextFormat.PlainText)
        self.missing.setAccessibleName("Values not known yet")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.insert_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.insert_button.setText("Insert")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"Templates for {field_label}:"))
        layout.addWidget(self.search)
        layout.addWidget(self.list, 1)
        layout.addWidget(QLabel("As it will be inserted:"))
        layout.addWidget(self.text, 1)
        layout.addWidget(self.missing)
        layout.addWidget(buttons)
        self.resize(640, 520)
        self._filter("")
        self.search.setFocus()

    def _filter(self, query: str) -> None:
        words = fold(query).split()
        self.list.clear()
        for template in self._templates:
            haystack = fold(f"{template.name} {template.abbreviation} {template.text}")
            if all(word in haystack for word in words):
                item = QListWidgetItem(f"{template.name}    ({template.abbreviation};)")
                item.setData(Qt.ItemDataRole.UserRole, template)
                self.list.addItem(item)
        if self.list.count():
            self.list.setCurrentRow(0)
        self._show_preview()

    def current(self) -> TextTemplate | None:
        item = self.list.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None  # type: ignore[no-any-return]

    def _show_preview(self) -> None:
        template = self.current()
        self.insert_button.setEnabled(template is not None)
        if template is None:
            self.text.setPlainText("")
            self.missing.setText("No template matches.")
            return
        filled = self._preview(template)
        self.text.setPlainText(filled.text)
        self.missing.setText(
            "▲ Not known yet, left in the text as {name?}: " + "; ".join(filled.missing_wording)
            if filled.missing
            else "Every value is known."
        )

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Up and Down in the search box move through the list (the typing stays)."""
        if (
            watched is self.search
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in _MOVES
        ):
            self.list.keyPressEvent(event)
            return True
        return False

    def accept(self) -> None:
        self.chosen = self.current()
        if self.chosen is not None:
            super().accept()
