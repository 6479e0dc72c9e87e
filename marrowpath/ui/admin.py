"""Administration: lab identity, reference intervals and rules, text templates (admins
and pathologists), users (admins). Every change goes through the services, which check the role again.

Reading and every change run on the task runner (a password reset hashes, any change
writes the database and the audit trail): the dialog shows a busy state and answers in
its message line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.errors import Refused
from marrowpath.domain.reference_intervals import ReferenceInterval
from marrowpath.domain.settings import CELLULARITY_RULES, LabIdentity, LabSettings
from marrowpath.domain.users import MIN_PASSWORD_LENGTH, PASSWORD_RULE, Permission, Role, User
from marrowpath.ui.busy import BusyIndicator
from marrowpath.ui.editor.differential import category_name
from marrowpath.ui.patients_tab import PatientsTab
from marrowpath.ui.providers_tab import ProvidersTab
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message
from marrowpath.ui.templates_tab import TemplatesTab

ModelIndex = QModelIndex | QPersistentModelIndex
IDENTITY_FIELDS = (
    ("name", "Laboratory name"),
    ("address", "Address"),
    ("phone", "Telephone"),
    ("clia_id", "CLIA number"),
    ("director", "Medical director"),
    ("after_hours_phone", "After-hours telephone"),
)


# Interval keys that are not differential categories, named as the report's rows are.
_INTERVAL_NAMES = {"erythroid": "Erythroid precursors, total", "me_ratio": "M:E ratio"}


def interval_name(key: str) -> str:
    """A reference interval's row as the differential grid and the report name it
    ("Neutrophils (segmented)", "M:E ratio"), never the settings key ("neutrophils")."""
    if key in _INTERVAL_NAMES:
        return _INTERVAL_NAMES[key]
    try:
        return category_name(DifferentialCategory(key))
    except ValueError:
        return key.replace("_", " ").capitalize()


class UsersModel(QAbstractTableModel):
    """A thin table over the list of users."""

    HEADERS = ("User name", "Full name", "Role", "Credentials", "State", "Provider id")

    def __init__(self, users: list[User], parent: Any = None) -> None:
        super().__init__(parent)
        self._users = users

    def set_users(self, users: list[User]) -> None:
        self.beginResetModel()
        self._users = users
        self.endResetModel()

    def user(self, row: int) -> User:
        return self._users[row]

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._users)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.HEADERS[section]
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        user = self._users[index.row()]
        locked = user.is_locked(datetime.now(UTC))  # a lockout ends by itself
        state = "locked" if locked else ("deactivated" if not user.active else "active")
        return (
            user.username,
            user.full_name,
            user.role.value,
            user.credentials or "",
            state,
            user.provider_id or "",
        )[index.column()]


@dataclass(frozen=True)
class AdminData:
    """What the dialog shows: the lab's settings and (for admins) its users."""

    settings: LabSettings
    users: list[User]


class AdminDialog(QDialog):
    """Tabs for the laboratory, its rules and its users; only what the role may change.

    Signals:
        ready() -- the settings and users were read and the tabs are shown.
        work_finished() -- a change ended (done or refused; the message line says which).
    """

    ready = Signal()
    work_finished = Signal()

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.setWindowTitle("Administration")
        self.resize(760, 560)
        self.settings: LabSettings | None = None
        self.tabs = QTabWidget()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Administration message")
        self.busy = BusyIndicator(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setVisible(user.can(Permission.MANAGE_LAB))
        self.save_button.setEnabled(False)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(self.busy)
        layout.addWidget(buttons)
        self._load()

    def _load(self) -> None:
        lab, auth, user = self._services.lab, self._services.auth, self._user

        def read() -> AdminData:
            users = auth.list_users(user) if user.can(Permission.MANAGE_USERS) else []
            return AdminData(settings=lab.settings(), users=users)

        self.busy.start("Reading the settings...")
        self._runner.run(read, on_done=self._loaded, on_error=self._failed, owner=self)

    def _loaded(self, data: AdminData) -> None:
        self.busy.stop()
        self.settings = data.settings
        if self._user.can(Permission.MANAGE_LAB):
            self.tabs.addTab(self._identity_tab(data.settings), "Laboratory")
            self.tabs.addTab(self._rules_tab(data.settings), "Reference intervals and rules")
        if self._user.can(Permission.MANAGE_USERS):
            self.tabs.addTab(self._users_tab(data.users), "Users")
        if self._user.can(Permission.CORRECT_PATIENTS):
            self.patients_tab = PatientsTab(
                services=self._services, runner=self._runner, user=self._user
            )
            self.tabs.addTab(self.patients_tab, "Patients")
        if self._user.can(Permission.TEMPLATES) and self._services.templates is not None:
            self.templates_tab = TemplatesTab(
                services=self._services, runner=self._runner, user=self._user
            )
            self.tabs.addTab(self.templates_tab, "Templates")
        if self._user.can(Permission.PROVIDERS) and self._services.providers is not None:
            self.providers_tab = ProvidersTab(
                services=self._services, runner=self._runner, user=self._user
            )
            self.tabs.addTab(self.providers_tab, "Providers")
        self.save_button.setEnabled(True)
        self.ready.emit()

    def _failed(self, error: Exception) -> None:
        self.busy.stop()
        self.message.setText(user_message(error))
        self.ready.emit()

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None], words: str) -> None:
        """One change on the task runner; the outcome goes into the message line."""
        if self.busy.active:
            return
        self.message.clear()
        self.busy.start(words)
        self.save_button.setEnabled(False)

        def finished(result: Any) -> None:
            self.busy.stop()
            self.save_button.setEnabled(True)
            done(result)
            self.work_finished.emit()

        def refused(error: Exception) -> None:
            self.busy.stop()
            self.save_button.setEnabled(True)
            self.message.setText(user_message(error))
            self.work_finished.emit()

        self._runner.run(work, on_done=finished, on_error=refused, owner=self)

    # ------------------------------------------------------------ laboratory

    def _identity_tab(self, settings: LabSettings) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.identity_edits: dict[str, QLineEdit] = {}
        for field, label in IDENTITY_FIELDS:
            edit = QLineEdit(getattr(settings.identity, field) or "")
            edit.setAccessibleName(label)
            self.identity_edits[field] = edit
            form.addRow(label, edit)
        self.paper = QComboBox()
        self.paper.setAccessibleName("Paper size")
        self.paper.addItem("US Letter", "letter")
        self.paper.addItem("A4", "a4")
        self.paper.setCurrentIndex(max(0, self.paper.findData(settings.paper)))
        form.addRow("Paper size", self.paper)
        note = QLabel(
            "Name, address and CLIA number are printed on every report; a report "
            "cannot be signed until they are set. The after-hours telephone is printed in "
            "the patient summary, for questions about the biopsy site at night."
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    # ------------------------------------------------------------ rules

    def _rules_tab(self, settings: LabSettings) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        self.include_monocytes = QCheckBox("Count promonocytes and monocytes as myeloid cells")
        self.include_monocytes.setChecked(settings.me_ratio_include_monocytes)
        form.addRow("M:E ratio", self.include_monocytes)
        self.cellularity_rule = QComboBox()
        self.cellularity_rule.setAccessibleName("Cellularity-for-age rule")
        for key, text in CELLULARITY_RULES.items():
            self.cellularity_rule.addItem(text, key)
        self.cellularity_rule.setCurrentIndex(
            max(0, self.cellularity_rule.findData(settings.cellularity_rule))
        )
        form.addRow("Cellularity for age", self.cellularity_rule)
        self.accession_pattern = QLineEdit(settings.accession_pattern)
        self.accession_pattern.setAccessibleName("Accession pattern")
        self.accession_pattern.setToolTip("YY or YYYY for the year, NNNNN for the number")
        form.addRow("Accession pattern", self.accession_pattern)
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setAccessibleName("Idle minutes before the screen locks")
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(" min")
        self.idle_minutes.setValue(settings.idle_minutes)
        form.addRow("Lock after", self.idle_minutes)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(
                f"Reference intervals (% of cells counted; M:E as ratio). "
                f"Source: {settings.reference_source}"
            )
        )
        self.intervals = QTableWidget(0, 3)
        self.intervals.setAccessibleName("Reference intervals")
        self.intervals.setHorizontalHeaderLabels(["Category", "Low", "High"])
        self.intervals.verticalHeader().setVisible(False)
        for key, interval in settings.reference_intervals.items():
            row = self.intervals.rowCount()
            self.intervals.insertRow(row)
            name = QTableWidgetItem(interval_name(key))
            name.setData(Qt.ItemDataRole.UserRole, key)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.intervals.setItem(row, 0, name)
            self.intervals.setItem(row, 1, QTableWidgetItem(f"{interval.low:g}"))
            self.intervals.setItem(row, 2, QTableWidgetItem(f"{interval.high:g}"))
        self.intervals.resizeColumnsToContents()
        self.intervals.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.intervals, 1)
        return page

    def edited_settings(self) -> LabSettings:
        """The settings as typed; raises Refused naming a bad interval."""
        assert self.settings is not None, "the settings are read before the tabs are shown"
        identity = LabIdentity(**{f: e.text().strip() for f, e in self.identity_edits.items()})
        intervals: dict[str, ReferenceInterval] = {}
        for row in range(self.intervals.rowCount()):
            key = self._cell(row, 0).data(Qt.ItemDataRole.UserRole)
            try:
                low = float(self._cell(row, 1).text())
                high = float(self._cell(row, 2).text())
            except ValueError:
                raise Refused(f"settings: reference.{key} must be two numbers") from None
            if low > high:
                raise Refused(f"settings: reference.{key} must have low <= high")
            intervals[key] = ReferenceInterval(low=low, high=high)
        try:
            return self.settings.model_copy(
                update={
                    "identity": identity,
                    "paper": self.paper.currentData(),
                    "me_ratio_include_monocytes": self.include_monocytes.isChecked(),
                    "cellularity_rule": self.cellularity_rule.currentData(),
                    "accession_pattern": LabSettings.model_validate(
                        {"accession_pattern": self.accession_pattern.text().strip()}
                    ).accession_pattern,
                    "idle_minutes": self.idle_minutes.value(),
                    "reference_intervals": intervals,
                }
            )
        except ValueError as error:
            raise Refused(f"settings: accession.pattern {error}") from None

    def _cell(self, row: int, column: int) -> QTableWidgetItem:
        item = self.intervals.item(row, column)
        return item if item is not None else QTableWidgetItem("")

    def save(self) -> None:
        if self.settings is None:
            return
        try:
            edited = self.edited_settings()
        except Refused as refusal:
            self.message.setText(str(refusal))
            return
        lab, user = self._services.lab, self._user
        self._run(lambda: lab.replace(user, edited), self._saved, "Saving...")

    def _saved(self, settings: LabSettings) -> None:
        self.settings = settings
        self.message.setText(
            "Saved. New reports use these settings; issued reports keep "
            "the settings they were signed with."
        )

    # ------------------------------------------------------------ users

    def _users_tab(self, users: list[User]) -> QWidget:
        page = QWidget()
        self.users_model = UsersModel(users, self)
        self.users_table = QTableView()
        self.users_table.setAccessibleName("Users")
        self.users_table.setModel(self.users_model)
        self.users_table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.users_table.verticalHeader().setVisible(False)
        self.users_table.resizeColumnsToContents()
        buttons = QHBoxLayout()
        for text, slot in (
            ("Add user...", self.add_user),
            ("Reset password...", self.reset_password),
            ("Unlock", self.unlock),
            ("Deactivate", self.deactivate),
            ("Reactivate", self.reactivate),
            ("Link provider...", self.link_provider),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addWidget(self.users_table, 1)
        layout.addLayout(buttons)
        return page

    def _selected_user(self) -> User | None:
        rows = self.users_table.selectionModel().selectedRows()
        if not rows:
            self.message.setText("Select a user first.")
            return None
        return self.users_model.user(rows[0].row())

    def _after_user_change(self, action: Callable[[], object]) -> None:
        """Make the change, then read the users again (both off the GUI thread)."""
        auth, user = self._services.auth, self._user

        def work() -> list[User]:
            action()
            return auth.list_users(user)

        self._run(work, self._users_changed, "Saving...")

    def _users_changed(self, users: list[User]) -> None:
        self.users_model.set_users(users)
        self.message.setText("Done.")

    def add_user(self) -> None:
        dialog = NewUserDialog(self)
        if dialog.exec():
            values = dialog.values()
            self._after_user_change(lambda: self._services.auth.add_user(self._user, **values))

    def reset_password(self) -> None:
        user = self._selected_user()
        if user is None:
            return
        password, ok = QInputDialog.getText(
            self,
            "Reset password",
            f"New password for {user.username}\n({PASSWORD_RULE}):",
            QLineEdit.EchoMode.Password,
        )
        if ok:
            self._after_user_change(
                lambda: self._services.auth.reset_password(self._user, user.username, password)
            )

    def unlock(self) -> None:
        user = self._selected_user()
        if user is not None:
            self._after_user_change(lambda: self._services.auth.unlock(self._user, user.username))

    def deactivate(self) -> None:
        user = self._selected_user()
        if (
            user is not None
            and QMessageBox.question(
                self,
                "Deactivate",
                f"Deactivate {user.full_name}? They can no longer sign in; "
                "everything they signed stays.",
            )
            == QMessageBox.StandardButton.Yes
        ):
            self._after_user_change(
                lambda: self._services.auth.set_active(self._user, user.username, False)
            )

    def reactivate(self) -> None:
        user = self._selected_user()
        if user is not None:
            self._after_user_change(
                lambda: self._services.auth.set_active(self._user, user.username, True)
            )

    def link_provider(self) -> None:
        """Link a clinician to the provider id (e.g. NPI) her orders carry: her "My
        patients" are the issued reports that name it."""
        user = self._selected_user()
        if user is None:
            return
        provider_id, ok = QInputDialog.getText(
            self,
            "Link provider",
            f"Provider id (e.g. NPI) that {user.full_name} orders under;\n"
            "empty to unlink. Reports naming it as ordering provider or copy\n"
            "recipient are her patients.",
            QLineEdit.EchoMode.Normal,
            user.provider_id or "",
        )
        if ok:
            self._after_user_change(
                lambda: self._services.auth.link_provider(self._user, user.username, provider_id)
            )


class NewUserDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add user")
        self.username = QLineEdit()
        self.full_name = QLineEdit()
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(role.value.capitalize(), role)
        self.credentials = QLineEdit()
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form = QFormLayout(self)
        for label, widget in (
            ("User name", self.username),
            ("Full name", self.full_name),
            ("Role", self.role),
            ("Credentials (e.g. MD)", self.credentials),
            (f"Password ({MIN_PASSWORD_LENGTH}+ characters)", self.password),
        ):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        self.password.setToolTip(f"A password has {PASSWORD_RULE}.")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> dict[str, Any]:
        return {
            "username": self.username.text().strip(),
            "full_name": self.full_name.text(),
            "role": self.role.currentData(),
            "password": self.password.text(),
            "credentials": self.credentials.text().strip() or None,
        }
