"""Administration's Providers tab: the lab's provider directory (admins, pathologists),
from which the case editor fills ordering providers and copy-to recipients.

Why here and on the command line both: the directory is first loaded from the hospital's
list (Import CSV, or `provider import`), then kept by hand as clinicians come and go.
A provider who leaves is deactivated, not deleted: the type-ahead stops offering them,
and the cases that named them keep what they printed. Reading the file and every change
run on the task runner; a refused import names the line and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.errors import Refused
from marrowpath.domain.providers import CSV_COLUMNS, DirectoryProvider, matches
from marrowpath.domain.users import User
from marrowpath.services.providers import ImportResult
from marrowpath.ui.dialogs.provider import ProviderDialog
from marrowpath.ui.file_dialogs import open_file_name
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

PROVIDER_ROLE = Qt.ItemDataRole.UserRole
HEADERS = ("Name as printed", "Provider ID", "Organization", "Telephone", "State")


class ProvidersTab(QWidget):
    """The directory as a table with a filter line; add, change, deactivate, import."""

    def __init__(
        self, *, services: Services, runner: TaskRunner, user: User, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.providers: list[DirectoryProvider] = []
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter: any words of the name, ID or organization")
        self.filter.setAccessibleName("Filter providers")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(lambda _t: self._show())
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.setAccessibleName("Provider directory")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.change())
        self.add_button = QPushButton("Add...")
        self.change_button = QPushButton("Change...")
        self.active_button = QPushButton("Deactivate")
        self.import_button = QPushButton("Import CSV...")
        self.import_button.setToolTip(
            "A CSV file with the header " + ",".join(CSV_COLUMNS) + "; an ID already in the "
            "directory is replaced; one bad row and nothing is imported"
        )
        self.add_button.clicked.connect(self.add)
        self.change_button.clicked.connect(self.change)
        self.active_button.clicked.connect(self.toggle_active)
        self.import_button.clicked.connect(self.import_csv)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Providers message")
        buttons = QHBoxLayout()
        for button in (self.add_button, self.change_button, self.active_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.message)
        self.dialog: ProviderDialog | None = None
        # where the CSV comes from (a test hands in its own file)
        self.choose_file: Callable[[], Path | None] = lambda: open_file_name(
            self, "Import providers", "CSV files (*.csv);;All files (*)"
        )
        self._selection_changed()
        self.reload()

    # ------------------------------------------------------------ reading

    def reload(self) -> None:
        service, user = self._services.providers, self._user
        if service is None:
            return
        self._run(lambda: service.directory(user, include_inactive=True), self._loaded, "")

    def _loaded(self, providers: list[DirectoryProvider]) -> None:
        self.providers = providers
        self._show()

    def visible_names(self) -> list[str]:
        items = (self.table.item(row, 0) for row in range(self.table.rowCount()))
        return [item.text() for item in items if item is not None]

    def _show(self) -> None:
        query = self.filter.text()
        shown = [p for p in self.providers if matches(p, query)]
        self.table.setRowCount(len(shown))
        for row, provider in enumerate(shown):
            values = (
                provider.name,
                provider.id or "",
                provider.organization or "",
                provider.phone or "",
                "Active" if provider.active else "Inactive",
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if column == 0:
                    item.setData(PROVIDER_ROLE, provider)
                self.table.setItem(row, column, item)
        self._selection_changed()

    def selected(self) -> DirectoryProvider | None:
        row = self.table.currentRow()
        item = self.table.item(row, 0) if row >= 0 else None
        provider = item.data(PROVIDER_ROLE) if item is not None else None
        return provider if isinstance(provider, DirectoryProvider) else None

    def _selection_changed(self) -> None:
        provider = self.selected()
        self.change_button.setEnabled(provider is not None)
        self.active_button.setEnabled(provider is not None)
        self.active_button.setText(
            "Reactivate" if provider is not None and not provider.active else "Deactivate"
        )

    # ------------------------------------------------------------ changes

    def add(self) -> None:
        self._edit(None)

    def change(self) -> None:
        provider = self.selected()
        if provider is not None:
            self._edit(provider)

    def _edit(self, provider: DirectoryProvider | None) -> None:
        title = "Add a provider" if provider is None else f"Change {provider.name}"
        dialog = ProviderDialog(provider, title=title, parent=self)
        dialog.finished.connect(lambda result: self._edited(dialog, provider, result))
        self.dialog = dialog
        dialog.open()

    def _edited(
        self, dialog: ProviderDialog, before: DirectoryProvider | None, result: int
    ) -> None:
        dialog.deleteLater()
        service, user, entered = self._services.providers, self._user, dialog.provider
        if result != QDialog.DialogCode.Accepted or entered is None or service is None:
            return
        if before is None or before.key is None:
            self._run(lambda: service.add(user, entered), self._saved, "Adding...")
        else:
            key = before.key
            self._run(lambda: service.update(user, key, entered), self._saved, "Saving...")

    def toggle_active(self) -> None:
        provider, service, user = self.selected(), self._services.providers, self._user
        if provider is None or provider.key is None or service is None:
            return
        key, active = provider.key, not provider.active
        self._run(lambda: service.set_active(user, key, active), self._saved, "Saving...")

    def _saved(self, provider: DirectoryProvider) -> None:
        state = "" if provider.active else " (inactive: no longer offered in the editor)"
        self.message.setText(f"{provider.name}: saved{state}.")
        self.reload()

    def import_csv(self) -> None:
        path, service, user = self.choose_file(), self._services.providers, self._user
        if path is None or service is None:
            return

        def work() -> ImportResult:
            try:
                text = path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError:
                raise Refused(f"{path.name}: not UTF-8 text; save the CSV as UTF-8") from None
            except OSError as error:
                raise Refused(f"{path.name}: cannot be read ({error.strerror or error})") from None
            return service.import_csv(user, text, source=path.name)

        def done(result: ImportResult) -> None:
            self.message.setText(
                f"{path.name}: {result.added} providers added, {result.replaced} replaced."
            )
            self.reload()

        self._run(work, done, f"Importing {path.name}...")

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], words: str) -> None:
        if words:
            self.message.setText(words)
        self._runner.run(
            work,
            on_done=done,
            on_error=lambda error: self.message.setText(user_message(error)),
            owner=self,
        )
