"""Advisory flags while typing: the same rules as at sign-out, on a draft that may be
incomplete.

Why on the draft: `advisory_flags` judges a case, but a pathologist typing a
differential wants "blast equivalents 12.0 %" flagged before the diagnosis is written.
When the document is not complete yet, the flags judge its `DraftDocument` (every part
that is valid on its own; nothing made up for what is missing). Flags inform in a calm
panel; they never block, pop up or change a value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from marrowpath.domain.draft import parse_draft
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.flags import Flag, advisory_flags, name_flags
from marrowpath.domain.validation import parse_case

AMBER = QColor("#b35c00")


def editor_flags(data: dict[str, Any], *, today: date, final_sign_out: bool) -> list[Flag]:
    """Advisory flags of the document as typed: complete documents exactly as at sign-out,
    incomplete ones from their draft."""
    try:
        document = parse_case(data, today=today)
    except InvalidCase:
        # The name flag reads the names as typed, even while they break a rule.
        patient = data.get("patient")
        names = patient if isinstance(patient, dict) else {}
        draft = parse_draft(data).model_copy(update={"patient": None})
        return name_flags(names.get("family_name"), names.get("given_names")) + (
            advisory_flags(draft, final_sign_out=final_sign_out)
        )
    return advisory_flags(document, final_sign_out=final_sign_out)


class FlagsPanel(QWidget):
    """Amber marker and the rule with its value, one line each; "None" when quiet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.setAccessibleName("Advisory flags")
        self.flags: list[Flag] = []
        self.set_flags([])

    def set_flags(self, flags: list[Flag]) -> None:
        if flags == self.flags and self._layout.count():
            return
        if flags and len(flags) == len(self.flags) and self._layout.count() == len(flags):
            # the same number of flags (a count growing key by key): new words in the
            # rows already shown; making rows anew costs a frame and more
            self.flags = list(flags)
            for index, flag in enumerate(flags):
                item = self._layout.itemAt(index)
                row = item.widget() if item is not None else None
                if row is not None:
                    _reword(row, flag)
            return
        self.flags = list(flags)
        clear_rows(self._layout)
        if not flags:
            quiet = QLabel("No advisory flags.")
            quiet.setWordWrap(True)
            self._layout.addWidget(quiet)
            return
        for flag in flags:
            self._layout.addWidget(marked_row(_words(flag), "Advisory"))

    def texts(self) -> list[str]:
        return [flag.message for flag in self.flags]


def _words(flag: Flag) -> str:
    return ("Strong: " if flag.severity == "strong" else "") + flag.message


def _reword(row: QWidget, flag: Flag) -> None:
    text = row.findChild(QLabel, "flag text")
    assert text is not None
    text.setText(_words(flag))
    text.setAccessibleName(_words(flag))


def clear_rows(layout: QVBoxLayout) -> None:
    """Remove every row of a panel (hidden at once, deleted by Qt later)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            widget.hide()
            widget.setParent(None)
            widget.deleteLater()


def marked_row(words: str, marker_name: str) -> QWidget:
    """An amber marker and selectable words, the row of the flags and findings panels;
    the words' label is named "flag text" so that a row can be reworded in place."""
    row = QWidget()
    line = QHBoxLayout(row)
    line.setContentsMargins(0, 0, 0, 0)
    marker = QLabel("▲")
    palette = marker.palette()
    palette.setColor(QPalette.ColorRole.WindowText, AMBER)
    marker.setPalette(palette)
    marker.setAlignment(Qt.AlignmentFlag.AlignTop)
    marker.setAccessibleName(marker_name)
    text = QLabel(words)
    text.setObjectName("flag text")
    text.setWordWrap(True)
    text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    text.setAccessibleName(words)
    line.addWidget(marker, 0, Qt.AlignmentFlag.AlignTop)
    line.addWidget(text, 1)
    return row
