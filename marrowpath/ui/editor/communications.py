"""The "Critical results" list: the communications recorded on the case (`bench.md` 4).

Why a list that is not typed into: each entry is a fact with a signer and a time; it is
recorded through the dialog (stored at once, an addendum after sign-out), so its cells
are read-only here. It is still a part of the form, so that the document the editor
saves carries the entries as they are stored (a save never drops them).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QAbstractItemView, QTableWidgetItem, QWidget

from marrowpath.domain.labels import leaf
from marrowpath.domain.people import person
from marrowpath.domain.types import lenient_datetime
from marrowpath.domain.wording import datetime_text
from marrowpath.ui.editor.item_table import ItemTable, column

PATH = "communications"
RECORD_TEXT = "Record co&mmunication..."


class CommunicationsTable(ItemTable):
    """The entries, one a row, and the button that opens the recording dialog.

    Signals:
        record_requested() -- the person asked to record a communication.
    """

    record_requested = Signal()

    def __init__(
        self, parent: QWidget | None = None, *, names: Mapping[str, str] | None = None
    ) -> None:
        # display names by username (the form's, kept up to date as cases are opened)
        self._names: Mapping[str, str] = names if names is not None else {}
        keys = ("at", "to", "role", "method", "reached", "read_back", "by", "note")
        columns = [column(PATH, key, stretch=key == "note") for key in keys]
        super().__init__(PATH, "Critical results", columns, add_text="Record communication...")
        self._rows: list[dict[str, Any]] = []
        self.empty.setText("No critical-result communication recorded.")
        self.add_button.setText(RECORD_TEXT)
        self.add_button.setAccessibleName("Record a critical-result communication")
        self.add_button.setToolTip(
            "Who was told, how and when; after final sign-out this issues an addendum"
        )
        self.add_button.clicked.disconnect()
        self.add_button.clicked.connect(self.record_requested)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.set_can_record(False)

    def set_can_record(self, can: bool) -> None:
        """Whether this user may record one on the case now (the editor decides)."""
        self.add_button.setVisible(can)
        self.add_button.setEnabled(can)
        self.remove_button.setVisible(False)

    def set_editable(self, editable: bool) -> None:
        """Entries are never edited in place: the cells stay read-only whatever the form."""
        self.remove_button.setVisible(False)

    def value(self) -> list[dict[str, Any]] | None:
        self._doc_rows = list(range(len(self._rows)))
        return [dict(row) for row in self._rows] or None

    def set_value(self, value: Any) -> None:
        rows = [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
        self._rows = [dict(row) for row in rows]
        self._doc_rows = list(range(len(rows)))
        self._loading = True
        try:
            self.table.setRowCount(0)
            for number, row in enumerate(rows):
                self.table.insertRow(number)
                for index, shown in enumerate(self.cells(row, self._names)):
                    item = QTableWidgetItem(shown)
                    item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                    if shown:
                        item.setToolTip(shown)
                    self.table.setItem(number, index, item)
        finally:
            self._loading = False
        self._update_empty()
        self.remove_button.setVisible(False)

    @staticmethod
    def cells(row: dict[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
        """One entry in words: when, to, role, method, reached, read back, by (the
        user's display name when known, else the username as stored), note."""
        when = lenient_datetime(row.get("at"))
        method = row.get("method")
        how = leaf(f"{PATH}[].method").label.enum_words(method) if method else ""
        read_back = row.get("read_back")
        return [
            datetime_text(when) if when else str(row.get("at") or ""),
            str(row.get("to") or ""),
            str(row.get("role") or ""),
            how,
            "Yes" if row.get("reached", True) else "No (attempt)",
            "" if read_back is None else ("Yes" if read_back else "No"),
            person(str(row.get("by") or ""), names),
            str(row.get("note") or ""),
        ]
