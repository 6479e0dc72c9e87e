"""A plain list of issued versions, used when the versions panel of
`marrowpath.ui.dialogs.versions` is not installed.

Why a fallback: the editor must still show what was issued (number, kind, signer, time)
and open a version's report, even in a build without the dialogs package.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from marrowpath.domain.versions import IssuedVersion
from marrowpath.ui.dialogs.versions import KIND_WORDS
from marrowpath.ui.when import local_time


class VersionList(QWidget):
    """Signals: open_version(str, int) -- accession and version number to show."""

    open_version = Signal(str, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.list = QListWidget()
        self.list.setAccessibleName("Issued versions")
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.list.itemDoubleClicked.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.list)

    def set_versions(self, versions: list[IssuedVersion]) -> None:
        self.list.clear()
        if not versions:
            self.list.addItem("Nothing issued yet.")
            return
        for version in reversed(versions):
            content = version.content
            signed = local_time(content.signed_at)
            kind = KIND_WORDS[content.kind]
            text = f"{content.number}: {kind} by {content.signer_name}, {signed}"
            if content.acknowledged:
                text += f"; findings acknowledged: {', '.join(content.acknowledged)}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, (content.accession, content.number))
            self.list.addItem(item)

    def _activated(self, item: QListWidgetItem) -> None:
        data = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(data, tuple):
            self.open_version.emit(data[0], data[1])
