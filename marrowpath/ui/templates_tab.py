"""The Administration screen's Templates tab: the lab's text templates listed, added,
edited and deleted (admins and pathologists; the service checks the role again and
audits every change).

Reading and every change run on the task runner; a refusal (an unknown placeholder, an
abbreviation already used) is shown in the tab's message line in the service's words,
and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.placeholders import PLACEHOLDERS
from marrowpath.domain.text_templates import TARGETS, TextTemplate, target_wording
from marrowpath.domain.users import User
from marrowpath.ui.busy import BusyIndicator
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

HEADERS = ("Name", "Abbreviation", "For", "Text")


class TemplatesTab(QWidget):
    """The library as a table with Add, Edit and Delete.

    Signals:
        work_finished() -- a read or a change ended (the message line says how).
    """

    work_finished = Signal()

    def __init__(
        self, *, services: Services, runner: TaskRunner, user: User, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.templates: list[TextTemplate] = []
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setAccessibleName("Text templates")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.edit())
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName("Templates message")
        self.busy = BusyIndicator(self)
        buttons = QHBoxLayout()
        for text, slot in (("Add...", self.add), ("Edit...", self.edit), ("Delete", self.delete)):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                "Type a template's abbreviation then ; and a space in the field it is for "
                "(nml; ), or press Ctrl+T in the case editor to pick one."
            )
        )
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        self._run(lambda: None, "Reading the templates...", done="")

    # ------------------------------------------------------------ table

    def _show(self, templates: list[TextTemplate]) -> None:
        self.templates = templates
        self.table.setRowCount(len(templates))
        for row, template in enumerate(templates):
            targets = ", ".join(target_wording(t) for t in template.targets)
            for column, text in enumerate(
                (template.name, f"{template.abbreviation};", targets, template.text)
            ):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)

    def selected(self) -> TextTemplate | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            self.message.setText("Select a template first.")
            return None
        return self.templates[rows[0].row()]

    # ------------------------------------------------------------ changes

    def add(self) -> None:
        dialog = TemplateDialog(None, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            data = dialog.values()
            service, user = self._services.templates, self._user
            assert service is not None
            self._run(lambda: service.save(user, data), "Saving...")

    def edit(self) -> None:
        template = self.selected()
        if template is None:
            return
        dialog = TemplateDialog(template, self)
        if dialog.exec() == QDialog.DialogCode.Accepted:
            data = dialog.values()
            service, user = self._services.templates, self._user
            assert service is not None
            self._run(lambda: service.save(user, data, replacing=template.name), "Saving...")

    def delete(self) -> None:
        template = self.selected()
        if template is None:
            return
        answer = QMessageBox.question(
            self,
            "Delete template",
            f'Delete the template "{template.name}"? Reports already written keep their text.',
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        service, user = self._services.templates, self._user
        assert service is not None
        self._run(lambda: service.delete(user, template.name), "Deleting...")

    def _run(self, change: Callable[[], object], words: str, done: str = "Done.") -> None:
        """A change, then the library read again (both off the GUI thread)."""
        service, user = self._services.templates, self._user
        if service is None or self.busy.active:
            return
        self.message.clear()
        self.busy.start(words)

        def work() -> list[TextTemplate]:
            change()
            return service.all(user)

        def finished(templates: list[TextTemplate]) -> None:
            self.busy.stop()
            self._show(templates)
            self.message.setText(done)
            self.work_finished.emit()

        def refused(error: Exception) -> None:
            self.busy.stop()
            self.message.setText(user_message(error))
            self.work_finished.emit()

        self._runner.run(work, on_done=finished, on_error=refused, owner=self)


class TemplateDialog(QDialog):
    """One template's name, abbreviation, fields and text, with the placeholders listed
    in the words the report uses."""

    def __init__(self, template: TextTemplate | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit template" if template else "New template")
        self.name = QLineEdit(template.name if template else "")
        self.abbreviation = QLineEdit(template.abbreviation if template else "")
        self.abbreviation.setToolTip("Letters and digits; type it then ; and a space to insert")
        self.targets: dict[str, QCheckBox] = {}
        boxes = QHBoxLayout()
        for target in TARGETS:
            check = QCheckBox(target_wording(target))
            check.setChecked(bool(template and target in template.targets))
            self.targets[target] = check
            boxes.addWidget(check)
        self.text = QPlainTextEdit(template.text if template else "")
        self.text.setTabChangesFocus(True)
        self.text.setAccessibleName("Template text")
        placeholders = QLabel(
            "Placeholders: "
            + "; ".join(f"{{{name}}} {p.wording}" for name, p in PLACEHOLDERS.items())
        )
        placeholders.setWordWrap(True)
        placeholders.setTextFormat(Qt.TextFormat.PlainText)
        placeholders.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        form = QFormLayout()
        form.addRow("Name", self.name)
        form.addRow("Abbreviation", self.abbreviation)
        form.addRow("For", boxes)
        form.addRow("Text", self.text)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(placeholders)
        layout.addWidget(buttons)
        self.resize(640, 420)

    def values(self) -> dict[str, Any]:
        """The template as typed; the service checks it and names what is wrong."""
        return {
            "name": self.name.text(),
            "abbreviation": self.abbreviation.text().strip(),
            "target": [t for t, check in self.targets.items() if check.isChecked()],
            "text": self.text.toPlainText(),
        }
