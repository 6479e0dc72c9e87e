"""The editor's part of the sign-out bench (`bench.md` section 3): who else has the case
open ("Open by NAME on WORKSTATION since TIME", in the banner), a resident's "Send for
review...", and for the attending the review line with the changes to the resident's text.

Why a widget of its own: the editor only tells it when a case was opened and closed;
presence is refreshed here on a timer, off the GUI thread, and released on close so that
nobody sees a case as open after it was closed (a crash leaves it to expire).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import shiboken6
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QPushButton,
    QWidget,
)

from marrowpath.domain.bench import PRESENCE_HEARTBEAT, Presence, ReviewChanges, presence_text
from marrowpath.domain.users import Permission, Role, User
from marrowpath.ui.dialogs.review import ReviewChangesDialog, review_summary
from marrowpath.ui.editor.banner import PatientBanner
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

T = TypeVar("T")


def presence_time(since: datetime, now: datetime | None = None) -> str:
    """The workstation's local time; the date too when it was not today."""
    if since.tzinfo is None:
        since = since.replace(tzinfo=UTC)
    local = since.astimezone()
    today = (now or datetime.now(UTC)).astimezone().date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%Y-%m-%d %H:%M")


class CaseBench(QWidget):
    """The review line and the Send for review button; the presence label lives in the
    banner.

    Signals:
        send_requested() -- the resident pressed Send for review: the editor saves
            first, then calls `send()`.
        sent() -- the draft is in the attending's queue (the case must be read again).
        said(str) -- a sentence for the editor's message bar (a refusal, in words).
    """

    send_requested = Signal()
    sent = Signal()
    said = Signal(str)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        banner: PatientBanner,
        row_version: Callable[[], int | None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self._row_version = row_version
        self.accession: str | None = None
        self.review: ReviewChanges | None = None
        self.others: list[Presence] = []
        self._present = False
        self._editable = False
        self.presence_label = QLabel()
        self.presence_label.setAccessibleName("Open elsewhere")
        self.presence_label.setTextFormat(Qt.TextFormat.PlainText)
        palette = self.presence_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.darkRed)
        self.presence_label.setPalette(palette)
        self.presence_label.hide()
        banner_layout = banner.layout()
        if banner_layout is not None:
            banner_layout.addWidget(self.presence_label)
        self.review_label = QLabel()
        self.review_label.setAccessibleName("Resident review")
        self.review_label.setWordWrap(True)
        self.show_changes = QPushButton("Show changes...")
        self.show_changes.setToolTip("The changes made to the resident's text since it was sent")
        self.show_changes.clicked.connect(self.show_review)
        self.send_button = QPushButton("Send for review...")
        self.send_button.setToolTip("Send the draft to an attending's sign-out queue")
        self.send_button.clicked.connect(self.send_requested.emit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.review_label, 1)
        layout.addWidget(self.show_changes)
        layout.addWidget(self.send_button)
        self.heartbeat = QTimer(self)
        self.heartbeat.setInterval(int(PRESENCE_HEARTBEAT.total_seconds() * 1000))
        self.heartbeat.timeout.connect(self.refresh_presence)
        self._show()

    # ---------------------------------------------------------------- the editor's calls

    def opened(self, accession: str, review: ReviewChanges | None, *, editable: bool) -> None:
        """The case (re)loaded: show its review; while it is open for editing here, keep
        this workstation's presence and show the others'."""
        self.accession = accession
        self.review = review
        self._editable = editable
        present = editable and self._services.bench is not None
        if present:
            self.refresh_presence()
            self.heartbeat.start()
        elif self._present:
            self.release()
        self._show()

    def release(self) -> None:
        """The editor closes (or the case is no longer editable here)."""
        self.heartbeat.stop()
        bench, accession = self._services.bench, self.accession
        if bench is None or accession is None or not self._present:
            return
        self._present = False
        user, workstation = self._user(), self._services.workstation
        self._runner.run(
            lambda: bench.leave(user, accession, workstation), on_error=lambda _e: None
        )

    # ---------------------------------------------------------------- presence

    def refresh_presence(self) -> None:
        bench, accession = self._services.bench, self.accession
        if bench is None or accession is None:
            return
        self._present = True
        user, workstation = self._user(), self._services.workstation
        self._runner.run(
            lambda: bench.enter(user, accession, workstation),
            on_done=self._guarded(self.show_presence),
            on_error=lambda _e: None,  # advisory: a missed refresh is not worth a dialog
            owner=self,
        )

    def show_presence(self, others: list[Presence]) -> None:
        self.others = list(others)
        self.presence_label.setText(self.presence_text())
        self.presence_label.setVisible(bool(others))

    def presence_text(self) -> str:
        return "; ".join(presence_text(p, presence_time(p.since)) for p in self.others)

    # ---------------------------------------------------------------- review

    def _show(self) -> None:
        user = self._user()
        review = self.review
        self.review_label.setText(review_summary(review) if review else "")
        self.show_changes.setVisible(review is not None and bool(review.rows))
        self.send_button.setVisible(
            self._services.bench is not None
            and user.role is Role.RESIDENT
            and user.can(Permission.EDIT)
            and self._editable
        )
        self.setVisible(review is not None or not self.send_button.isHidden())

    def refresh_review(self) -> None:
        """After a save: the changes to the resident's text, as they now stand."""
        bench, accession = self._services.bench, self.accession
        if bench is None or accession is None or self.review is None:
            return
        user = self._user()

        def shown(review: ReviewChanges | None) -> None:
            self.review = review
            self._show()

        self._runner.run(
            lambda: bench.review(user, accession),
            on_done=self._guarded(shown),
            on_error=lambda _e: None,  # the line stays as it was; signing shows it afresh
            owner=self,
        )

    def show_review(self) -> None:
        if self.review is not None:
            dialog = ReviewChangesDialog(self.review, self)
            dialog.exec()
            dialog.deleteLater()

    def choose_attending(self, choices: list[User], current: str | None) -> str | None:
        """Which attending (a method so that tests can answer it)."""
        labels = [f"{u.full_name} ({u.username})" for u in choices]
        start = next((i for i, u in enumerate(choices) if u.username == current), 0)
        label, ok = QInputDialog.getItem(
            self, "Send for review", "Send the draft to:", labels, start, False
        )
        if not ok or label not in labels:
            return None
        return choices[labels.index(label)].username

    def send(self, current_attending: str | None = None) -> None:
        """Ask for the attending, then send the saved draft to her queue."""
        bench, accession = self._services.bench, self.accession
        if bench is None or accession is None:
            return
        user = self._user()

        def chosen(choices: list[User]) -> None:
            if not choices:
                self.said.emit("No pathologist can sign in this laboratory yet.")
                return
            attending = self.choose_attending(choices, current_attending)
            if attending is None:
                return
            expected = self._row_version()
            self._runner.run(
                lambda: bench.send_for_review(
                    user, accession, attending, expected_row_version=expected
                ),
                on_done=self._guarded(lambda _version: self.sent.emit()),
                on_error=self._guarded(lambda error: self.said.emit(user_message(error))),
                owner=self,
            )

        self._runner.run(
            lambda: bench.attendings(user),
            on_done=self._guarded(chosen),
            on_error=self._guarded(lambda error: self.said.emit(user_message(error))),
            owner=self,
        )

    def _guarded(self, callback: Callable[[T], object]) -> Callable[[T], None]:
        """A task callback that does nothing once the editor's tab was closed."""

        def call(value: T) -> None:
            if shiboken6.isValid(self):
                callback(value)

        return call
