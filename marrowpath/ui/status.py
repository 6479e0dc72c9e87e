"""Report status as people read it: a word and a colour (never colour alone)."""

from __future__ import annotations

from PySide6.QtGui import QColor

from marrowpath.domain.lifecycle import Status

WORDS = {
    Status.DRAFT: "Draft",
    Status.PRELIMINARY: "Preliminary",
    Status.FINAL: "Final",
    Status.AMENDED: "Amended",
    Status.APPENDED: "Addendum",
    Status.CANCELLED: "Cancelled",
    Status.ENTERED_IN_ERROR: "Withdrawn",
}

COLOURS = {
    Status.DRAFT: QColor("#7a7a7a"),
    Status.PRELIMINARY: QColor("#c98a00"),
    Status.FINAL: QColor("#2e7d32"),
    Status.AMENDED: QColor("#1565c0"),
    Status.APPENDED: QColor("#00838f"),
    Status.CANCELLED: QColor("#c62828"),
    Status.ENTERED_IN_ERROR: QColor("#c62828"),
}


def word(status: Status) -> str:
    return WORDS[status]


def colour(status: Status) -> QColor:
    return COLOURS[status]
