"""In-place message bars: what happened and what the user can do, without a modal box.

Why bars instead of pop-ups: a save conflict, a recovered draft or a read-only case must
be explained while the user's text stays in view, and the choice (Reload, Keep editing,
Restore) belongs next to the explanation. A marker character carries the kind of message
with the colour, so nothing depends on colour alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

Kind = Literal["info", "warning", "error"]
MARKERS: dict[str, tuple[str, QColor]] = {
    "info": ("ℹ", QColor("#1565c0")),
    "warning": ("▲", QColor("#b35c00")),
    "error": ("✖", QColor("#b00020")),
}


class MessageBar(QFrame):
    """A marker, a sentence and up to a few buttons; hidden when empty."""

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAccessibleName(name)
        self.marker = QLabel()
        self.text = QLabel()
        self.text.setWordWrap(True)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(8, 4, 8, 4)
        self._layout.addWidget(self.marker, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.text, 1)
        self.buttons: list[QPushButton] = []
        self.kind: Kind = "info"
        self.hide()

    def show_message(
        self,
        text: str,
        *,
        kind: Kind = "info",
        actions: list[tuple[str, Callable[[], None]]] | None = None,
    ) -> None:
        self.kind = kind
        marker, colour = MARKERS[kind]
        self.marker.setText(marker)
        palette = self.marker.palette()
        palette.setColor(QPalette.ColorRole.WindowText, colour)
        self.marker.setPalette(palette)
        self.text.setText(text)
        self.setAccessibleDescription(text)
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        for caption, slot in actions or []:
            button = QPushButton(caption)
            button.clicked.connect(slot)
            self._layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
            self.buttons.append(button)
        self.show()

    def button(self, caption: str) -> QPushButton | None:
        """The button with this caption (ignoring the & of mnemonics)."""
        for button in self.buttons:
            if button.text().replace("&", "") == caption.replace("&", ""):
                return button
        return None

    def clear(self) -> None:
        self.text.clear()
        for button in self.buttons:
            self._layout.removeWidget(button)
            button.deleteLater()
        self.buttons = []
        self.hide()

    def message(self) -> str:
        return "" if self.isHidden() else self.text.text()
