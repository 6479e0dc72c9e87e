"""Withdraw an issued report (entered in error) and cancel an unissued case.

Both close a case for good, so each names the patient, asks for a reason in words and
says plainly what will happen. Withdrawal is a signed act (a version of kind
withdrawal): every later print says WITHDRAWN and the interfaces send the withdrawal to
the hospital systems. Cancelling a draft or preliminary case issues nothing and needs no
password (the service asks none).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget

from marrowpath.domain import lifecycle
from marrowpath.domain.lifecycle import Action, VersionKind
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.cases import CaseView
from marrowpath.ui.dialogs.common import (
    LifecycleDialog,
    MessageLabel,
    password_field,
    patient_banner,
    wrapped,
)
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner


def _reason_field(accessible_name: str, placeholder: str) -> QLineEdit:
    field = QLineEdit()
    field.setAccessibleName(accessible_name)
    field.setPlaceholderText(placeholder)
    field.setMaxLength(2000)
    return field


class WithdrawDialog(LifecycleDialog):
    """Mark the issued report entered in error. `version` is the withdrawal version."""

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=f"Withdraw the report: {accession}",
            action_text="Withdraw report",
            parent=parent,
        )
        self.version: IssuedVersion | None = None
        self.reason = _reason_field(
            "Reason for the withdrawal",
            "For example: report issued under the wrong patient",
        )
        self.password = password_field()
        self.warning = MessageLabel("Warning")
        self.warning.warning(
            "Warning: the report will be marked entered in error. Every copy printed from "
            "now on shows WITHDRAWN, and the interfaces send the withdrawal to the hospital "
            "systems. This cannot be undone."
        )
        self.resize_to_content(620)
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> QWidget:
        self._build(view)
        self._check_allowed(view)
        self.resize_to_content(620)
        return self.reason

    def _build(self, view: CaseView) -> None:
        self.body.addWidget(patient_banner(view, self.services.today()))
        self.body.addWidget(self.warning)
        form = QFormLayout()
        form.addRow("&Reason:", self.reason)
        self.body.addLayout(form)
        self.body.addWidget(self.signature_box(VersionKind.WITHDRAWAL, self.password))
        self.body.addStretch(1)

    def _check_allowed(self, view: CaseView) -> None:
        if not self.user.can(Permission.SIGN):
            self.block("Only a pathologist can withdraw a report.")
        elif not lifecycle.allowed(Action.WITHDRAW, view.record.status):
            status = view.record.status.value.replace("_", " ")
            self.block(
                f"This case is {status}: only an issued report can be withdrawn"
                + (" (cancel a draft instead)." if status == "draft" else ".")
            )
        else:
            return
        self.reason.setEnabled(False)
        self.password.setEnabled(False)

    def accept_action(self) -> None:
        self.sign()

    def sign(self) -> None:
        if not self.action_button.isEnabled():
            return
        reason = self.require_text(self.reason.text(), "the reason for the withdrawal", self.reason)
        if reason is None:
            return
        password = self.require_password(self.password)
        if password is None:
            return
        cases, user, accession = self.services.cases, self.user, self.accession
        self.attempt(
            lambda: cases.withdraw(user, accession, password, reason=reason),
            nothing_done="The report was not withdrawn.",
            on_done=self.withdrawn,
            on_refused=lambda: self.wrong_password_again(self.password),
            busy_text="Withdrawing the report...",
        )

    def withdrawn(self, version: IssuedVersion) -> None:
        self.version = version
        self.accept()


class CancelCaseDialog(LifecycleDialog):
    """Cancel a draft or preliminary case, with a reason (nothing is issued)."""

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=f"Cancel the case: {accession}",
            action_text="Cancel case",
            cancel_text="Keep case",
            parent=parent,
        )
        self.reason = _reason_field(
            "Reason for cancelling",
            "For example: duplicate order; specimen not received",
        )
        self.resize_to_content(560)
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> QWidget:
        self._build(view)
        self._check_allowed(view)
        self.resize_to_content(560)
        return self.reason

    def _build(self, view: CaseView) -> None:
        self.body.addWidget(patient_banner(view, self.services.today()))
        preliminary = view.record.status == lifecycle.Status.PRELIMINARY
        self.body.addWidget(
            wrapped(
                "The case is closed without a final report and leaves the worklist."
                + (" The preliminary report already issued stays on record." if preliminary else "")
                + " Enter the reason; it is kept in the case history."
            )
        )
        form = QFormLayout()
        form.addRow("&Reason:", self.reason)
        self.body.addLayout(form)
        self.body.addStretch(1)

    def _check_allowed(self, view: CaseView) -> None:
        if not self.user.can(Permission.SIGN):
            self.block("Only a pathologist can cancel a case.")
        elif not lifecycle.allowed(Action.CANCEL, view.record.status):
            status = view.record.status.value.replace("_", " ")
            self.block(
                f"This case is {status}: only a draft or preliminary case can be cancelled"
                + (" (withdraw an issued report instead)." if view.record.issued_count else ".")
            )
        else:
            return
        self.reason.setEnabled(False)

    def accept_action(self) -> None:
        if not self.action_button.isEnabled():
            return
        reason = self.require_text(self.reason.text(), "the reason for cancelling", self.reason)
        if reason is None:
            return

        cases, user, accession = self.services.cases, self.user, self.accession
        self.attempt(
            lambda: cases.cancel(user, accession, reason=reason),
            nothing_done="The case was not cancelled.",
            on_done=lambda _result: self.accept(),
            busy_text="Cancelling the case...",
        )
