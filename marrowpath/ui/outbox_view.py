"""The outbox for the lab: which reports reached the hospital, which are waiting, which
failed and why, and a button to try the failed ones again.

A thin `QAbstractTableModel` over `OutboxEntry` objects; loading and retrying run off the
GUI thread (a retry opens network connections).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.users import User
from marrowpath.services.outbox import Delivery, OutboxService, needs_attention
from marrowpath.services.ports import OutboxEntry
from marrowpath.ui.tasks import TaskRunner, user_message

ModelIndex = QModelIndex | QPersistentModelIndex
COLUMNS = (
    "Status",
    "Accession",
    "Version",
    "Sent as",
    "Destination",
    "Address",
    "Attempts",
    "Last attempt",
    "Answer",
)
STATUS_WORDS = {
    "queued": "Waiting",
    "sending": "Sending",
    "sent": "Delivered",
    "failed": "Failed",
    "superseded": "Superseded",
}
FAILED_COLOUR = QColor("#b00020")


def _time(entry: OutboxEntry) -> str:
    when = entry.sent_at or entry.last_attempt_at
    return when.astimezone().strftime("%Y-%m-%d %H:%M") if when else ""


class OutboxModel(QAbstractTableModel):
    """One row per delivery, newest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._entries: list[OutboxEntry] = []

    def set_entries(self, entries: list[OutboxEntry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> OutboxEntry:
        return self._entries[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._entries)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry = self._entries[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(entry, index.column())
        if role == Qt.ItemDataRole.ForegroundRole and entry.status == "failed":
            return FAILED_COLOUR
        if role == Qt.ItemDataRole.ToolTipRole:
            return entry.error or entry.control_id
        return None

    @staticmethod
    def _text(entry: OutboxEntry, column: int) -> str:
        waiting = entry.status == "queued" and entry.attempts > 0
        values = (
            "Retrying" if waiting else STATUS_WORDS.get(entry.status, entry.status),
            entry.accession,
            str(entry.version_number),
            entry.event,
            entry.destination,
            entry.address,
            str(entry.attempts),
            _time(entry),
            entry.error or entry.ack_code or "",
        )
        return values[column]


class OutboxDialog(QDialog):
    """Deliveries of issued reports to the hospital; failed ones first in the lab's mind.

    Args:
        services_outbox: the `OutboxService` of the running app.
        user: the signed-in user (listing and retrying need "see issued reports").
    """

    def __init__(
        self, *, services_outbox: OutboxService, user: User, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._outbox = services_outbox
        self._user = user
        self.runner = TaskRunner(self)
        self.setWindowTitle("Deliveries to the hospital")
        self.resize(980, 420)
        self.model = OutboxModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.problems_only = QCheckBox("Only failed and retrying deliveries")
        self.problems_only.setChecked(True)
        # checkStateChanged, not toggled(bool): see docs/decisions.md on PySide6 6.12.0
        self.problems_only.checkStateChanged.connect(lambda _state: self.refresh())
        self.summary = QLabel()
        self._note = ""  # the outcome of the last retry, shown until the next one
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.clicked.connect(self.refresh)
        self.retry_button = QPushButton("Retry failed deliveries")
        self.retry_button.clicked.connect(self.retry)
        top = QHBoxLayout()
        top.addWidget(self.problems_only)
        top.addStretch(1)
        top.addWidget(self.refresh_button)
        top.addWidget(self.retry_button)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table)
        layout.addWidget(self.summary)
        layout.addWidget(buttons)
        self.refresh()

    def refresh(self) -> None:
        only_problems = self.problems_only.isChecked()

        def load() -> list[OutboxEntry]:
            entries = self._outbox.entries(self._user, limit=None if only_problems else 500)
            return needs_attention(entries) if only_problems else entries

        self.runner.run(load, on_done=self._show, on_error=self._failed, owner=self)

    def retry(self) -> None:
        self.retry_button.setEnabled(False)
        self.summary.setText("Sending…")
        self.runner.run(
            lambda: self._outbox.retry(self._user),
            on_done=self._retried,
            on_error=self._failed,
            owner=self,
        )

    def _show(self, entries: list[OutboxEntry]) -> None:
        self.model.set_entries(entries)
        problems = needs_attention(entries)
        failed = sum(1 for e in problems if e.status == "failed")
        if problems:
            state = f"{failed} failed, {len(problems) - failed} waiting to be retried."
        else:
            state = "No delivery needs attention."
        self.summary.setText(f"{self._note} {state}".strip())

    def _retried(self, deliveries: list[Delivery]) -> None:
        self.retry_button.setEnabled(True)
        sent = sum(1 for d in deliveries if d.outcome == "sent")
        self._note = f"Retried {len(deliveries)}: {sent} delivered."
        self.refresh()

    def _failed(self, error: Exception) -> None:
        self.retry_button.setEnabled(True)
        self.summary.setText(user_message(error))
