"""Record a critical-result communication (`bench.md` section 4): who was told, how,
when, whether they were reached and read the result back.

Why a dialog and not a row typed into the list: the entry is a fact with a signer and a
time, stored at once (a call must not wait for the next Save), and after final sign-out
it is an addendum, signed with the password like any other. The service decides which;
the dialog asks for the password only when the case was finally signed out, and says
before the person types what recording will do.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import (
    QCheckBox,
    QDateTimeEdit,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.enums import CommunicationMethod
from marrowpath.domain.labels import leaf
from marrowpath.domain.lifecycle import AFTER_FINAL, Action, Status, VersionKind
from marrowpath.domain.users import Permission, User
from marrowpath.domain.wording import offset_text
from marrowpath.services.cases import CaseView
from marrowpath.services.communications import Recorded
from marrowpath.ui.dialogs.common import LifecycleDialog, password_field, patient_banner, wrapped
from marrowpath.ui.editor.choice_box import ChoiceBox
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

CLOSED = (Status.CANCELLED, Status.ENTERED_IN_ERROR)


class CommunicationDialog(LifecycleDialog):
    """Record one communication on the case. After `exec()` returns Accepted,
    `recorded` says what was stored (and the addendum, after final sign-out)."""

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        row_version: int | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=f"Record a critical-result communication: {accession}",
            action_text="Record",
            parent=parent,
        )
        self.row_version = row_version
        self.recorded: Recorded | None = None
        self.signed_out = False
        self.to = QLineEdit()
        self.to.setAccessibleName("Communicated to")
        self.to.setPlaceholderText("e.g. Dr Lena Ortiz")
        self.role = QLineEdit()
        self.role.setAccessibleName("Role")
        self.role.setPlaceholderText("e.g. hematology fellow, attending, charge nurse")
        self.method = ChoiceBox()
        self.method.setAccessibleName("Method")
        words = leaf("communications[].method").label.enum_words
        for member in CommunicationMethod:
            self.method.addItem(words(member.value), member.value)
        self.reached = QCheckBox("&Reached the clinician")
        self.reached.setChecked(True)
        self.reached.setToolTip("Clear it to record an attempt that did not reach them")
        self.read_back = QCheckBox("Result read &back")
        self.note = QPlainTextEdit()
        self.note.setAccessibleName("Note")
        self.note.setTabChangesFocus(True)
        self.note.setMaximumHeight(self.note.fontMetrics().lineSpacing() * 4 + 12)
        self.at = QDateTimeEdit(QDateTime.currentDateTime())
        self.at.setAccessibleName("Time of the communication")
        self.at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.at.setCalendarPopup(True)
        self.at.setMaximumDateTime(QDateTime.currentDateTime().addSecs(60))
        self.reached.toggled.connect(self._reached_changed)
        self.password = password_field()
        for line in (self.to, self.password):  # a message about the last try goes as one types
            line.textEdited.connect(lambda _text: self.message.clear_message())
        self.signature: QGroupBox | None = None
        self.resize(640, 420)
        self.load_case(self._show_case)

    # ---------------------------------------------------------------- layout

    def _show_case(self, view: CaseView) -> QWidget:
        self.signed_out = view.record.status in AFTER_FINAL
        self.body.addWidget(patient_banner(view, self.services.today()))
        if self.signed_out:
            what = (
                "The final report was issued: recording the communication <b>issues an "
                "addendum</b> carrying it, signed with your password. The report's earlier "
                "text stays as it was."
            )
        else:
            what = "The communication is stored with the case now and is signed with the report."
        self.body.addWidget(wrapped(what, rich=True))
        form = QFormLayout()
        form.addRow("Communicated &to:", self.to)
        form.addRow("R&ole:", self.role)
        form.addRow("&Method:", self.method)
        form.addRow("", self.reached)
        form.addRow("", self.read_back)
        zone = offset_text(datetime.now().astimezone().utcoffset()) or "local"
        form.addRow(f"T&ime ({zone}):", self.at)
        form.addRow("&Note:", self.note)
        self.body.addLayout(form)
        if self.signed_out:
            self.signature = self.signature_box(VersionKind.ADDENDUM, self.password)
            self.body.addWidget(self.signature)
        self.action_button.setText("Sign addendum" if self.signed_out else "Record")
        self._check_allowed(view)
        self.resize_to_content(640)
        return self.to

    def _check_allowed(self, view: CaseView) -> None:
        record = view.record
        if not self.user.can(Permission.SIGN):
            why = (
                "Only a pathologist who may sign the case records a critical-result communication."
            )
        elif record.status in CLOSED:
            status = record.status.value.replace("_", " ")
            why = f"This case is {status}: a closed case takes no further report."
        elif self.signed_out and not lifecycle.allowed(
            Action.ADDENDUM, record.status, amendment_in_progress=record.amendment_in_progress
        ):
            why = (
                "An amendment is in progress: sign or discard it before recording a communication."
            )
        elif self.services.communications is None:
            why = "Recording communications is not available in this installation."
        else:
            return
        self.block(why)
        for widget in (
            self.to,
            self.role,
            self.method,
            self.reached,
            self.read_back,
            self.at,
            self.note,
            self.password,
        ):
            widget.setEnabled(False)

    def _reached_changed(self, reached: bool) -> None:
        """An attempt that did not reach the clinician had nothing read back."""
        if not reached:
            self.read_back.setChecked(False)
        self.read_back.setEnabled(reached)

    # ---------------------------------------------------------------- recording

    def entry(self) -> dict[str, Any]:
        """The entry as typed (the service checks it and adds who recorded it)."""
        when: datetime = self.at.dateTime().toPython()  # type: ignore[assignment]
        return {
            "to": self.to.text().strip(),
            "role": self.role.text().strip() or None,
            "method": self.method.currentData(),
            "reached": self.reached.isChecked(),
            "read_back": self.read_back.isChecked(),
            "note": self.note.toPlainText().strip() or None,
            "at": when.replace(second=0, microsecond=0).astimezone(),
        }

    def accept_action(self) -> None:
        if not self.action_button.isEnabled():
            return
        if self.require_text(self.to.text(), "who was told", self.to) is None:
            return
        password: str | None = None
        if self.signed_out:
            password = self.require_password(self.password)
            if password is None:
                return
        service = self.services.communications
        assert service is not None
        user, accession, entry = self.user, self.accession, self.entry()
        expected = None if self.signed_out else self.row_version
        self.attempt(
            lambda: service.record(
                user, accession, entry, password=password, expected_row_version=expected
            ),
            nothing_done="Nothing was recorded.",
            on_done=self._recorded,
            on_refused=self._refused,
            busy_text="Signing..." if self.signed_out else "Recording...",
        )

    def _refused(self) -> None:
        if self.signed_out:
            self.wrong_password_again(self.password)

    def _recorded(self, recorded: Recorded) -> None:
        self.recorded = recorded
        self.accept()
