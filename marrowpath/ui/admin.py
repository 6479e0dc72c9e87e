"""Administration: lab identity, reference intervals and rules (admins and pathologists),
users (admins). Every change goes through the services, which check the role again."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
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

from marrowpath.domain.errors import Refused
from marrowpath.domain.settings import (
    CELLULARITY_RULES,
    LabIdentity,
    LabSettings,
    ReferenceInterval,
)
from marrowpath.domain.users import MIN_PASSWORD_LENGTH, PASSWORD_RULE, Permission, Role, User
from marrowpath.ui.services import Services

ModelIndex = QModelIndex | QPersistentModelIndex
IDENTITY_FIELDS = (
    ("name", "Laboratory name"),
    ("address", "Address"),
    ("phone", "Telephone"),
    ("clia_id", "CLIA number"),
    ("director", "Medical director"),
)


class UsersModel(QAbstractTableModel):
    """A thin table over the list of users."""

    HEADERS = ("User name", "Full name", "Role", "Credentials", "State")

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
        return (user.username, user.full_name, user.role.value, user.credentials or "", state)[
            index.column()
        ]


class AdminDialog(QDialog):
    """Tabs for the laboratory, its rules and its users; only what the role may change."""

    def __init__(self, *, services: Services, user: User, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self._user = user
        self.setWindowTitle("Administration")
        self.resize(760, 560)
        self.settings = services.lab.settings()
        self.tabs = QTabWidget()
        self.message = QLabel()
        self.message.setWordWrap(True)
        if user.can(Permission.MANAGE_LAB):
            self.tabs.addTab(self._identity_tab(), "Laboratory")
            self.tabs.addTab(self._rules_tab(), "Reference intervals and rules")
        if user.can(Permission.MANAGE_USERS):
            self.tabs.addTab(self._users_tab(), "Users")
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Close
        )
        self.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setVisible(user.can(Permission.MANAGE_LAB))
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

    # ------------------------------------------------------------ laboratory

    def _identity_tab(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        self.identity_edits: dict[str, QLineEdit] = {}
        for field, label in IDENTITY_FIELDS:
            edit = QLineEdit(getattr(self.settings.identity, field))
            edit.setAccessibleName(label)
            self.identity_edits[field] = edit
            form.addRow(label, edit)
        self.paper = QComboBox()
        self.paper.setAccessibleName("Paper size")
        self.paper.addItem("US Letter", "letter")
        self.paper.addItem("A4", "a4")
        self.paper.setCurrentIndex(max(0, self.paper.findData(self.settings.paper)))
        form.addRow("Paper size", self.paper)
        note = QLabel(
            "Name, address and CLIA number are printed on every report; a report "
            "cannot be signed until they are set."
        )
        note.setWordWrap(True)
        form.addRow(note)
        return page

    # ------------------------------------------------------------ rules

    def _rules_tab(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        form = QFormLayout()
        self.include_monocytes = QCheckBox("Count promonocytes and monocytes as myeloid cells")
        self.include_monocytes.setChecked(self.settings.me_ratio_include_monocytes)
        form.addRow("M:E ratio", self.include_monocytes)
        self.cellularity_rule = QComboBox()
        self.cellularity_rule.setAccessibleName("Cellularity-for-age rule")
        for key, text in CELLULARITY_RULES.items():
            self.cellularity_rule.addItem(text, key)
        self.cellularity_rule.setCurrentIndex(
            max(0, self.cellularity_rule.findData(self.settings.cellularity_rule))
        )
        form.addRow("Cellularity for age", self.cellularity_rule)
        self.accession_pattern = QLineEdit(self.settings.accession_pattern)
        self.accession_pattern.setAccessibleName("Accession pattern")
        self.accession_pattern.setToolTip("YY or YYYY for the year, NNNNN for the number")
        form.addRow("Accession pattern", self.accession_pattern)
        self.idle_minutes = QSpinBox()
        self.idle_minutes.setAccessibleName("Idle minutes before the screen locks")
        self.idle_minutes.setRange(1, 240)
        self.idle_minutes.setSuffix(" min")
        self.idle_minutes.setValue(self.settings.idle_minutes)
        form.addRow("Lock after", self.idle_minutes)
        layout.addLayout(form)
        layout.addWidget(
            QLabel(
                f"Reference intervals (% of cells counted; M:E as ratio). "
                f"Source: {self.settings.reference_source}"
            )
        )
        self.intervals = QTableWidget(0, 3)
        self.intervals.setAccessibleName("Reference intervals")
        self.intervals.setHorizontalHeaderLabels(["Category", "Low", "High"])
        self.intervals.verticalHeader().setVisible(False)
        for key, interval in self.settings.reference_intervals.items():
            row = self.intervals.rowCount()
            self.intervals.insertRow(row)
            name = QTableWidgetItem(key.replace("_", " "))
            name.setData(Qt.ItemDataRole.UserRole, key)
            name.setFlags(name.flags() & ~Qt.ItemFlag.ItemIsEditable)
            self.intervals.setItem(row, 0, name)
            self.intervals.setItem(row, 1, QTableWidgetItem(f"{interval.low:g}"))
            self.intervals.setItem(row, 2, QTableWidgetItem(f"{interval.high:g}"))
        self.intervals.resizeColumnsToContents()
        layout.addWidget(self.intervals, 1)
        return page

    def edited_settings(self) -> LabSettings:
        """The settings as typed; raises Refused naming a bad interval."""
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
        try:
            self.settings = self._services.lab.replace(self._user, self.edited_settings())
        except Refused as refusal:
            self.message.setText(str(refusal))
            return
        self.message.setText(
            "Saved. New reports use these settings; issued reports keep "
            "the settings they were signed with."
        )

    # ------------------------------------------------------------ users

    def _users_tab(self) -> QWidget:
        page = QWidget()
        self.users_model = UsersModel(self._services.auth.list_users(self._user), self)
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

    def _after_user_change(self, action: Any) -> None:
        try:
            action()
        except Refused as refusal:
            self.message.setText(str(refusal))
            return
        self.users_model.set_users(self._services.auth.list_users(self._user))
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
