"""The changes table in the app: what differs between two versions, side by side.

The same rows as the printed amended report (`marrowpath.domain.redline`): the field's
label as printed, the value before and after as printed. Long text wraps inside its cell
(never cut), so a 10,000-character comment reads in full at 1366x768; the changed values
are highlighted, and the column titles say which version each side is, so the colour is
never the only clue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.redline import ChangeRow
from marrowpath.domain.users import User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.ui.dialogs.common import MessageLabel, dark_palette, refusal_text
from marrowpath.ui.services import Services

ModelIndex = QModelIndex | QPersistentModelIndex
LABEL_WIDTH = 220
KIND_WORDS = {
    "preliminary": "Preliminary",
    "final": "Final",
    "amendment": "Amendment",
    "addendum": "Addendum",
    "withdrawal": "Withdrawal",
}


def version_title(version: IssuedVersion) -> str:
    """'Version 2: Amendment, 2026-11-24'."""
    content = version.content
    return (
        f"Version {version.number}: {KIND_WORDS[content.kind.value]}, "
        f"{content.signed_at.astimezone():%Y-%m-%d}"
    )


class ChangesModel(QAbstractTableModel):
    """A thin table over change rows: label, was, now."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ChangeRow] = []
        self._titles = ("Changed", "Was", "Now")

    def set_rows(self, rows: list[ChangeRow], *, was: str = "Was", now: str = "Now") -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self._titles = ("Changed", was, now)
        self.endResetModel()

    def row_at(self, row: int) -> ChangeRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < 3
        ):
            return self._titles[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.label, row.was, row.now)[column]
        if role == Qt.ItemDataRole.AccessibleTextRole:
            side = ("changed", self._titles[1], self._titles[2])[column]
            return f"{side}: {(row.label, row.was, row.now)[column] or 'empty'}"
        if role == Qt.ItemDataRole.TextAlignmentRole:  # a tall row reads from its top
            return int(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        if role == Qt.ItemDataRole.BackgroundRole and column > 0:
            return QBrush(_highlight(was=column == 1))
        if role == Qt.ItemDataRole.FontRole and (column == 2 or row.essential):
            font = QFont()
            font.setBold(True)
            return font
        return None


def _highlight(*, was: bool) -> QColor:
    """Soft red behind the old value, soft green behind the new one (dimmer when dark)."""
    if dark_palette():
        return QColor("#5a2b2b") if was else QColor("#244a2c")
    return QColor("#fde4e1") if was else QColor("#e1f5e1")


class ChangesView(QTableView):
    """The changes table: three columns, wrapped text, rows as tall as their text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.changes = ChangesModel(self)
        self.setModel(self.changes)
        self.setAccessibleName("Changes between the versions")
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setTabKeyNavigation(False)  # Tab leaves the table; arrows move inside
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.verticalHeader().hide()
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.setColumnWidth(0, LABEL_WIDTH)

    def set_rows(self, rows: list[ChangeRow], *, was: str = "Was", now: str = "Now") -> None:
        self.changes.set_rows(rows, was=was, now=now)
        self.resizeRowsToContents()


class CompareDialog(QDialog):
    """Any two versions of a case side by side: the rows of the changes table.

    Opened from the version list ("Compare with..."); the two choosers start at the
    version chosen there and the one before it (or the latest).
    """

    def __init__(
        self,
        *,
        services: Services,
        user: Callable[[], User],
        accession: str,
        versions: list[IssuedVersion],
        first: int,
        second: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._user = user
        self.accession = accession
        self.setWindowTitle(f"Compare versions: {accession}")
        self.first = self._chooser("Earlier version", versions, first)
        self.second = self._chooser("Later version", versions, second)
        self.view = ChangesView()
        self.summary = QLabel()
        self.summary.setAccessibleName("Comparison summary")
        self.summary.setWordWrap(True)
        self.message = MessageLabel("Compare message")
        choose = QHBoxLayout()
        choose.addWidget(QLabel("&Compare"))
        choose.itemAt(0).widget().setBuddy(self.first)  # type: ignore[union-attr]
        choose.addWidget(self.first, 1)
        choose.addWidget(QLabel("with"))
        choose.addWidget(self.second, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(choose)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.first.currentIndexChanged.connect(lambda _i: self.refresh())
        self.second.currentIndexChanged.connect(lambda _i: self.refresh())
        self.resize(1180, 620)  # fits 1366x768 with the window frame and task bar
        self.refresh()

    @staticmethod
    def _chooser(name: str, versions: list[IssuedVersion], chosen: int) -> QComboBox:
        box = QComboBox()
        box.setAccessibleName(name)
        for version in versions:
            box.addItem(version_title(version), version.number)
        box.setCurrentIndex(max(0, box.findData(chosen)))
        return box

    def refresh(self) -> None:
        """Ask the service for the rows of the two chosen versions and show them."""
        first, second = self.first.currentData(), self.second.currentData()
        if first is None or second is None:
            return
        self.message.clear_message()
        try:
            rows = self._services.cases.compare(self._user(), self.accession, first, second)
        except Exception as error:
            self.view.set_rows([])
            self.message.error(refusal_text(error, nothing_done=""))
            return
        self.view.set_rows(rows, was=self.first.currentText(), now=self.second.currentText())
        if first == second:
            self.summary.setText("The same version is chosen twice.")
        elif rows:
            count = f"{len(rows)} change{'s' if len(rows) != 1 else ''}"
            self.summary.setText(
                f"{count} from version {first} to version {second}, as the report prints them."
            )
        else:
            self.summary.setText(f"Versions {first} and {second} print the same findings.")
