"""Lists of what is wrong and what is still missing, each line leading to its field.

Why beside the form as well as under each field: the form is long, and a person who
presses Save needs the whole list at once; activating a line (Enter or double-click)
puts the cursor in the field so it can be fixed without scrolling around.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractScrollArea,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QWidget,
)

PATH_ROLE = Qt.ItemDataRole.UserRole


class IssueList(QListWidget):
    """One line per issue; the field path rides along with each line.

    Signals:
        go_to(str) -- the user activated a line: the path of its field.
    """

    go_to = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self.setWordWrap(True)
        self.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSizeAdjustPolicy(QAbstractScrollArea.SizeAdjustPolicy.AdjustToContents)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.setFrameShape(QListWidget.Shape.NoFrame)
        self.itemActivated.connect(self._activated)
        self.itemDoubleClicked.connect(self._activated)
        self.hide()

    def set_issues(self, issues: list[tuple[str, str]]) -> None:
        """(text, path) pairs; unchanged lists are left alone (keeps the selection)."""
        if issues == self.issues():
            return
        self.clear()
        for text, path in issues:
            item = QListWidgetItem(text)
            item.setData(PATH_ROLE, path)
            item.setToolTip(text)
            self.addItem(item)
        self.setVisible(bool(issues))
        self.updateGeometry()

    def issues(self) -> list[tuple[str, str]]:
        return [
            (self.item(row).text(), str(self.item(row).data(PATH_ROLE)))
            for row in range(self.count())
        ]

    def texts(self) -> list[str]:
        return [text for text, _path in self.issues()]

    def _activated(self, item: QListWidgetItem) -> None:
        self.go_to.emit(str(item.data(PATH_ROLE)))
