"""Lists of what is wrong and what is still missing, each entry leading to its field.

Why beside the form as well as under each field: the form is long, and a person who
presses Save needs the whole list at once; each entry's field name is a link (reachable
with Tab, activated with Enter or a click) that puts the cursor in that field, so it can
be fixed without scrolling around. Plain wrapped labels, so long rules are never clipped.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

Issue = tuple[str, str, str]  # where (field title), what (rule or ""), path


class IssueList(QWidget):
    """One wrapped line per issue.

    Signals:
        go_to(str) -- the user activated an entry: the path of its field.
    """

    go_to = Signal(str)

    def __init__(self, name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(name)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(4)
        self._issues: list[Issue] = []
        self.hide()

    def set_issues(self, issues: list[Issue]) -> None:
        """Show these entries (an unchanged list is left alone, keeping the focus)."""
        if issues == self._issues:
            return
        self._issues = list(issues)
        while self._layout.count():
            item = self._layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.hide()
                widget.setParent(None)
                widget.deleteLater()
        for where, what, path in issues:
            link = f'<a href="{html.escape(path, quote=True)}">{html.escape(where)}</a>'
            label = QLabel(link + (f": {html.escape(what)}" if what else ""))
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setTextInteractionFlags(
                Qt.TextInteractionFlag.LinksAccessibleByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
            )
            label.setAccessibleName(f"{where}: {what}" if what else where)
            label.linkActivated.connect(self.go_to)
            self._layout.addWidget(label)
        self.setVisible(bool(issues))

    def issues(self) -> list[Issue]:
        return list(self._issues)

    def texts(self) -> list[str]:
        return [f"{where}: {what}" if what else where for where, what, _path in self._issues]

    def links(self) -> list[QLabel]:
        labels: list[QLabel] = []
        for index in range(self._layout.count()):
            item = self._layout.itemAt(index)
            widget = item.widget() if item is not None else None
            if isinstance(widget, QLabel):
                labels.append(widget)
        return labels
