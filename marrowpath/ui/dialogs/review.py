"""The attending's changes to a resident's text, before signing (`bench.md` section 3).

The rows are an amendment's changes table (`domain/redline.py`): each changed field by
its printed label, the resident's value and the attending's. Shown in the sign-out dialog
and from the editor's review line; the same rows go into the audit trail at signing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.bench import ReviewChanges
from marrowpath.ui.dialogs.changes import ChangesView

WAS = "Resident's text"
NOW = "Now"


def local_time(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


def review_summary(review: ReviewChanges) -> str:
    """`Sent for review by Rui Resident on 2026-12-07 09:12: 3 changes since.`"""
    request = review.request
    count = len(review.rows)
    changes = (
        "no changes to the resident's text yet"
        if count == 0
        else f"{count} change{'' if count == 1 else 's'} to the resident's text"
    )
    return (
        f"Sent for review by {request.resident_name} on {local_time(request.sent_at)}: {changes}."
    )


def changes_view(review: ReviewChanges) -> ChangesView:
    view = ChangesView()
    view.setAccessibleName("Changes to the resident's text")
    view.set_rows(list(review.rows), was=WAS, now=NOW)
    return view


def review_box(review: ReviewChanges) -> QGroupBox:
    """The sign-out dialog's box: the summary line and the diff."""
    box = QGroupBox("Resident review")
    layout = QVBoxLayout(box)
    summary = QLabel(review_summary(review))
    summary.setWordWrap(True)
    layout.addWidget(summary)
    if review.rows:
        view = changes_view(review)
        view.setMinimumHeight(160)
        layout.addWidget(view)
    return box


class ReviewChangesDialog(QDialog):
    """The diff on its own, from the editor."""

    def __init__(self, review: ReviewChanges, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Changes to the resident's text")
        layout = QVBoxLayout(self)
        summary = QLabel(review_summary(review))
        summary.setWordWrap(True)
        layout.addWidget(summary)
        self.view = changes_view(review)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        self.resize(820, 480)
