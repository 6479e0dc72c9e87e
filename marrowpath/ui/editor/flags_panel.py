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

from marrowpath.domain.flags import Flag, advisory_flags, name_flags
from marrowpath.domain.validation import Reading, read_working
from marrowpath.ui.editor.steady import hold, set_text

AMBER = QColor("#b35c00")


def editor_flags(
    data: dict[str, Any], *, today: date, final_sign_out: bool, reading: Reading | None = None
) -> list[Flag]:
    """Advisory flags of the document as typed: complete documents exactly as at sign-out,
    incomplete ones from their draft. `reading` is the document as `read_working` read it,
    when the caller has it already (the editor reads once for the flags and the values
    beside the fields)."""
    if reading is None:
        reading = read_working(data, today=today)
    if reading.complete:
        return advisory_flags(reading.case, final_sign_out=final_sign_out)
    # The name flag reads the names as typed, even while they break a rule.
    patient = data.get("patient")
    names = patient if isinstance(patient, dict) else {}
    draft = reading.case.model_copy(update={"patient": None})
    return name_flags(names.get("family_name"), names.get("given_names")) + (
        advisory_flags(draft, final_sign_out=final_sign_out)
    )


class FlagsPanel(QWidget):
    """Amber marker and the rule with its value, one line each; "None" when quiet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self.setAccessibleName("Advisory flags")
        self.flags: list[Flag] = []
        self._held = False
        self.set_flags([])

    def hold(self, held: bool) -> None:
        """While counting, the flags' words change size in place (`steady`)."""
        self._held = held
        for row in _rows(self._layout):
            text = row.findChild(QLabel, "flag text")
            if text is not None:
                hold(text, held)

    def set_flags(self, flags: list[Flag]) -> None:
        if flags == self.flags and self._layout.count():
            return
        self.flags = list(flags)
        if not flags:
            clear_rows(self._layout)
            quiet = QLabel("No advisory flags.")
            quiet.setWordWrap(True)
            self._layout.addWidget(quiet)
            return
        # A count growing key by key changes the words of the flags shown and, now and
        # then, how many there are: the rows already shown take the new words, and only
        # the rows in excess are added or removed (making every row anew costs a frame).
        rows = [row for row in _rows(self._layout) if row.findChild(QLabel, "flag text")]
        if len(rows) != self._layout.count():  # "No advisory flags."
            clear_rows(self._layout)
            rows = []
        for row, flag in zip(rows, flags, strict=False):
            _reword(row, flag)
        for row in rows[len(flags) :]:
            self._layout.removeWidget(row)
            _discard(row)
        for flag in flags[len(rows) :]:
            row = marked_row(_words(flag), "Advisory")
            text = row.findChild(QLabel, "flag text")
            if text is not None:
                hold(text, self._held)
            self._layout.addWidget(row)

    def texts(self) -> list[str]:
        return [flag.message for flag in self.flags]


def _words(flag: Flag) -> str:
    return ("Strong: " if flag.severity == "strong" else "") + flag.message


def _rows(layout: QVBoxLayout) -> list[QWidget]:
    rows: list[QWidget] = []
    for index in range(layout.count()):
        item = layout.itemAt(index)
        widget = item.widget() if item is not None else None
        if widget is not None:
            rows.append(widget)
    return rows


def _reword(row: QWidget, flag: Flag) -> None:
    text = row.findChild(QLabel, "flag text")
    assert text is not None
    words = _words(flag)
    if text.text() != words:
        set_text(text, words)
        text.setAccessibleName(words)


def _discard(widget: QWidget) -> None:
    widget.hide()
    widget.setParent(None)
    widget.deleteLater()


def clear_rows(layout: QVBoxLayout) -> None:
    """Remove every row of a panel (hidden at once, deleted by Qt later)."""
    while layout.count():
        item = layout.takeAt(0)
        widget = item.widget() if item is not None else None
        if widget is not None:
            _discard(widget)


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
