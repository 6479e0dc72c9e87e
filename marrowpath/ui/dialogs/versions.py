"""The issued versions of a case: a table to read the history and open any version.

Every version stays readable as issued (CLIA keeps duplicates of original and corrected
reports), so the table lists them all with who signed, when (local time, with the
offset, so that a time read over the phone is unambiguous), why, the first characters
of the SHA-256 printed on each page, to match paper to the record, and the discordant
findings the signer acknowledged (`clinical-rules.md` 6: never silently ignored).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.enums import label
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.users import User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.ui.dialogs.changes import CompareDialog
from marrowpath.ui.dialogs.common import MessageLabel, refusal_text, shorten
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.when import local_time

ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS = (
    "Version",
    "Kind",
    "Signed",
    "Signed by",
    "Reason or addendum",
    "SHA-256",
    "Findings acknowledged",
)
KIND_WORDS = {
    VersionKind.PRELIMINARY: "Preliminary",
    VersionKind.FINAL: "Final",
    VersionKind.AMENDMENT: "Amendment",
    VersionKind.ADDENDUM: "Addendum",
    VersionKind.WITHDRAWAL: "Withdrawal",
}
REASON_LIMIT = 60


def signer(version: IssuedVersion) -> str:
    content = version.content
    if content.signer_credentials:
        return f"{content.signer_name}, {content.signer_credentials}"
    return content.signer_name


def reason_text(version: IssuedVersion) -> str:
    """Why this version exists: the amendment or withdrawal reason, or the addendum text."""
    content = version.content
    if content.kind is VersionKind.AMENDMENT:
        category = label(content.reason_category or "other")
        return f"{category}: {content.reason or ''}".strip()
    if content.kind is VersionKind.ADDENDUM:
        return content.addendum_text or ""
    if content.kind is VersionKind.WITHDRAWAL:
        return content.reason or ""
    return ""


def acknowledged_text(version: IssuedVersion) -> str:
    """`C01, C05`: the codes stored with the version; empty when there were none."""
    return ", ".join(version.content.acknowledged or ())


class VersionsModel(QAbstractTableModel):
    """A thin table over a list of issued versions (oldest first, as numbered)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._versions: list[IssuedVersion] = []

    def set_versions(self, versions: list[IssuedVersion]) -> None:
        self.beginResetModel()
        self._versions = list(versions)
        self.endResetModel()

    def version_at(self, row: int) -> IssuedVersion | None:
        return self._versions[row] if 0 <= row < len(self._versions) else None

    @property
    def versions(self) -> list[IssuedVersion]:
        return list(self._versions)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._versions)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(COLUMNS)
        ):
            return COLUMNS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        version = self.version_at(index.row())
        if version is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(version, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(version, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.UserRole:
            return version.number
        return None

    @staticmethod
    def _display(version: IssuedVersion, column: int) -> str | int | None:
        content = version.content
        if column == 0:
            return version.number
        if column == 1:
            return KIND_WORDS[content.kind]
        if column == 2:
            return local_time(content.signed_at)
        if column == 3:
            return signer(version)
        if column == 4:
            return shorten(reason_text(version), REASON_LIMIT)
        if column == 5:
            return version.sha256[:12]
        if column == 6:
            return acknowledged_text(version)
        return None

    @staticmethod
    def _tooltip(version: IssuedVersion, column: int) -> str | None:
        content = version.content
        if column == 4:
            return reason_text(version) or None
        if column == 5:
            return f"SHA-256 {version.sha256}"
        if column == 6:
            codes = acknowledged_text(version)
            return (
                f"Discordant findings acknowledged by the signer: {codes}"
                if codes
                else "No discordant finding was acknowledged at this signature"
            )
        if column == 2:
            return f"Signed {local_time(content.signed_at)}, this workstation's time"
        return f"Meaning of the signature: {content.meaning}"


class VersionsPanel(QWidget):
    """The version history of one case, with Open and Print for the chosen version, and
    "Compare with..." to see what changed between it and another version.

    Signals:
        open_version(str, int) -- show (and from there print) this accession's version.
    """

    open_version = Signal(str, int)

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.accession: str | None = None
        self.model = VersionsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName("Issued versions")
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No version has been issued yet.")
        self.message = MessageLabel("Versions message")
        self.open_button = QPushButton("&Open")
        self.open_button.setToolTip("Show this version of the report as it was issued")
        self.print_button = QPushButton("&Print...")
        self.print_button.setToolTip("Open this version in the report tab to print it")
        self.compare_button = QPushButton("Co&mpare with...")
        self.compare_button.setToolTip(
            "Show what changed between this version and another one, side by side"
        )
        self.compare_dialog: CompareDialog | None = None
        buttons = QHBoxLayout()
        buttons.addWidget(self.empty)
        buttons.addWidget(self.message, 1)
        buttons.addStretch(1)
        buttons.addWidget(self.compare_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.doubleClicked.connect(lambda index: self._open_row(index.row()))
        for key in ("Return", "Enter"):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.open_selected)
        self.open_button.clicked.connect(self.open_selected)
        self.print_button.clicked.connect(self.open_selected)
        self.compare_button.clicked.connect(self.compare_selected)
        self.table.selectionModel().selectionChanged.connect(lambda *_a: self._update_buttons())
        self._update_buttons()

    def set_versions(self, versions: list[IssuedVersion]) -> None:
        """Show these versions (newest selected); the accession is taken from them."""
        self.message.clear_message()
        if versions:
            self.accession = versions[0].content.accession
        self.model.set_versions(versions)
        self.empty.setVisible(not versions)
        if versions:
            self.table.selectRow(len(versions) - 1)
        self._update_buttons()

    def load(self, accession: str) -> None:
        """Fetch the versions of `accession` off the GUI thread and show them."""
        self.accession = accession
        self._runner.run(
            lambda: self._services.cases.versions(self._user(), accession),
            on_done=self.set_versions,
            on_error=lambda error: self.message.error(refusal_text(error, nothing_done="")),
        )

    def selected_number(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        version = self.model.version_at(rows[0].row())
        return version.number if version else None

    def open_selected(self) -> None:
        number = self.selected_number()
        if number is not None and self.accession:
            self.open_version.emit(self.accession, number)

    def compare_selected(self) -> None:
        """Open the comparison of the chosen version with the one before it (version 1
        with the latest), in a window of its own."""
        number = self.selected_number()
        versions = self.model.versions
        if number is None or len(versions) < 2 or not self.accession:
            return
        other = number - 1 if number > 1 else versions[-1].number
        first, second = sorted((other, number))
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(
            services=self._services,
            user=self._user,
            accession=self.accession,
            versions=versions,
            first=first,
            second=second,
            parent=self,
        )
        self.compare_dialog.show()

    def _open_row(self, row: int) -> None:
        version = self.model.version_at(row)
        if version is not None and self.accession:
            self.open_version.emit(self.accession, version.number)

    def _update_buttons(self) -> None:
        chosen = self.selected_number() is not None
        self.open_button.setEnabled(chosen)
        self.print_button.setEnabled(chosen)
        self.compare_button.setEnabled(chosen and self.model.rowCount() > 1)
