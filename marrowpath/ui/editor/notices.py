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

from marrowpath.domain.lifecycle import AFTER_FINAL, Status
from marrowpath.domain.users import Permission, User
from marrowpath.ui import status as status_words

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


def state_note(
    user: User, status: Status, *, amendment_in_progress: bool, reason: str | None
) -> tuple[str, Kind] | None:
    """Why a case cannot be edited, or what editing it means now; None for a plain draft."""
    word = status_words.word(status).lower()
    if not user.can(Permission.EDIT):
        return f"Read only: your role ({user.role.value}) cannot edit cases.", "info"
    if status in AFTER_FINAL and amendment_in_progress:
        return (
            "Amendment in progress: the issued report was reopened. Changes are saved as a "
            "draft of the amendment and issued as a new version only when signed (Sign "
            "amendment...); issued versions are not changed.",
            "warning",
        )
    if status in AFTER_FINAL:
        hint = (
            "Use Amend to change it or Addendum... to add to it."
            if user.can(Permission.SIGN)
            else "A pathologist can amend it or add an addendum."
        )
        return (
            f"Read only: the {word} report was issued and its working document is frozen. {hint}",
            "info",
        )
    because = f" ({reason})." if reason else "."
    if status is Status.CANCELLED:
        return "Read only: the case was cancelled" + because, "info"
    if status is Status.ENTERED_IN_ERROR:
        return "Read only: the report was withdrawn as entered in error" + because, "info"
    if status is Status.PRELIMINARY:
        return (
            "A preliminary report was issued. Changes made here are issued with the next "
            "signing (preliminary or final).",
            "info",
        )
    return None
