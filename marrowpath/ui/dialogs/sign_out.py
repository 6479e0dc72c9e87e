"""Sign out a report (preliminary or final): what is signed, what to review, the password.

The dialog shows the person everything a careful sign-out looks at in one place: the
patient and accession (wrong-patient errors), the diagnosis being signed, the
consistency findings (a tick per discordant one: the sign button waits for every tick,
and the ticked codes are stored with the version), the advisory flags to acknowledge,
the completeness check (CAP's strong elements, required fields, the
lab identity the report cannot print without) and the meaning of the signature
(21 CFR 11.50). Signing re-authenticates with the password (11.200) and passes the row
version the editor loaded, so a case changed meanwhile is refused, not silently signed.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QGroupBox,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.critical import no_call_flags
from marrowpath.domain.findings import findings
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.lifecycle import Action, VersionKind
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.cases import CaseView
from marrowpath.ui.dialogs.common import (
    AdvisoryList,
    LifecycleDialog,
    marker_label,
    password_field,
    patient_banner,
    wrapped,
)
from marrowpath.ui.dialogs.completeness import Item, check_items
from marrowpath.ui.dialogs.findings import FindingsList, findings_box
from marrowpath.ui.dialogs.review import review_box
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner


class SignOutDialog(LifecycleDialog):
    """Sign the working document as a preliminary or the final report.

    After `exec()` returns Accepted, `version` is the issued version.
    """

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        row_version: int,
        preliminary: bool,
        parent: QWidget | None = None,
    ) -> None:
        self.preliminary = preliminary
        self.kind = VersionKind.PRELIMINARY if preliminary else VersionKind.FINAL
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=(
                f"Sign a preliminary report: {accession}"
                if preliminary
                else f"Sign out the final report: {accession}"
            ),
            action_text="Sign as preliminary" if preliminary else "Sign out final",
            parent=parent,
        )
        self.row_version = row_version
        self.version: IssuedVersion | None = None
        self.advisories: AdvisoryList | None = None
        self.findings: FindingsList | None = None
        self.items: list[Item] = []
        self.password = password_field()
        self.resize(760, self.fitting_height(880))
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> QWidget:
        self._build(view)
        self._check_allowed(view)
        return self._first_field()

    def action_ready(self) -> bool:
        """Signing waits until every discordant finding is ticked."""
        return self.findings is None or self.findings.all_ticked

    def _first_field(self) -> QWidget:
        """Space ticks the acknowledgement, Tab goes to the password, Enter signs: the
        first tick still to give takes the focus, else the password."""
        tick = self.findings.first_unticked() if self.findings is not None else None
        if tick is not None and self.password.isEnabled():
            return tick
        if self.advisories is not None and self.advisories.needs_acknowledgement:
            self.setTabOrder(self.advisories.acknowledge, self.password)
            if self.password.isEnabled():
                return self.advisories.acknowledge
        return self.password

    # ---------------------------------------------------------------- layout

    def _build(self, view: CaseView) -> None:
        what = "a preliminary report" if self.preliminary else "the final report"
        intro = wrapped(
            f"Check the patient, diagnosis, advisories and completeness, then enter your "
            f"password to sign {what}."
        )
        self.body.addWidget(intro)
        self.body.addWidget(patient_banner(view, self.services.today()))
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(0, 0, 4, 0)
        column.setSpacing(12)
        document = view.document
        self.items = check_items(view.check, document, view.settings)
        if view.review is not None:  # a resident's draft: what the attending changed
            column.addWidget(review_box(view.review))
        if document is not None:
            column.addWidget(self._diagnosis_box(list(document.diagnosis.lines)))
            box, self.findings = findings_box(findings(document, view.settings))
            self.findings.changed.connect(self.message.clear_message)
            self.findings.changed.connect(self.refresh_action)
            column.addWidget(box)
            flags = advisory_flags(document, final_sign_out=not self.preliminary)
            flags += no_call_flags(document)  # a new acute leukemia: was it called?
            gaps = [
                f"{item.title}: {item.detail}"
                + (" (a CAP strong recommendation)" if item.cap_strong else "")
                for item in self.items
                if item.needs_acknowledgement
            ]
            self.advisories = AdvisoryList(flags, gaps)
            self.advisories.changed.connect(self.message.clear_message)
            box = QGroupBox(f"Advisories to review ({len(flags) + len(gaps)})")
            QVBoxLayout(box).addWidget(self.advisories)
        else:
            box = QGroupBox("Advisories to review")
            QVBoxLayout(box).addWidget(
                wrapped("The advisories are judged once every required field is filled in.")
            )
        column.addWidget(box)
        column.addWidget(self._completeness_box(self.items))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setAccessibleName("What you are signing")
        self.body.addWidget(scroll, 1)
        self.body.addWidget(self._signature_box())

    def _diagnosis_box(self, lines: list[str]) -> QGroupBox:
        box = QGroupBox("Diagnosis you are signing")
        layout = QVBoxLayout(box)
        text = "".join(f"<p style='margin:0 0 4px 0'>{html.escape(line)}</p>" for line in lines)
        diagnosis = wrapped(text, rich=True)
        diagnosis.setAccessibleName("Diagnosis: " + " ".join(lines))
        layout.addWidget(diagnosis)
        return box

    def _completeness_box(self, items: list[Item]) -> QGroupBox:
        """Two columns of short lines, so that the whole check fits without scrolling."""
        box = QGroupBox("Completeness check")
        grid = QGridLayout(box)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(6)
        rows = (len(items) + 1) // 2
        for index, item in enumerate(items):
            row, column = index % rows, 2 * (index // rows)
            words = "present" if item.met else ("missing" if item.required else "not recorded")
            top = Qt.AlignmentFlag.AlignTop
            marker = marker_label("met" if item.met else "missing", words)
            grid.addWidget(marker, row, column, top)
            line = wrapped(
                f"<b>{html.escape(item.title)}:</b> {html.escape(item.detail)}", rich=True
            )
            line.setAccessibleName(f"{item.title}, {words}: {item.detail}")
            grid.addWidget(line, row, column + 1, top)
        if any(item.cap_strong for item in items):
            names = " and ".join(item.title.lower() for item in items if item.cap_strong)
            note = wrapped(
                f"{names[:1].upper() + names[1:]}: strongly recommended by the CAP bone "
                f"marrow guideline. Required fields and the lab identity: needed to sign."
            )
            grid.addWidget(note, rows, 0, 1, 4)
        return box

    def _signature_box(self) -> QGroupBox:
        return self.signature_box(
            self.kind,
            self.password,
            "It is recorded with the date and time and printed on the report; the signed "
            "version cannot be changed afterwards (only amended or added to).",
        )

    def _check_allowed(self, view: CaseView) -> None:
        action = Action.SIGN_PRELIMINARY if self.preliminary else Action.SIGN_FINAL
        if not self.user.can(Permission.SIGN):
            self.block("Only a pathologist can sign reports. Nothing can be signed here.")
        elif not lifecycle.allowed(action, view.record.status):
            status = view.record.status.value.replace("_", " ")
            self.block(
                f"This case is {status}: it cannot be signed {'as a preliminary' if self.preliminary else 'out final'} "
                f"any more. Use amend, addendum or withdraw for an issued final report."
            )
        elif any(item.blocks for item in self.items):
            missing = [item.title.lower() for item in self.items if item.blocks]
            self.block(
                f"This case cannot be signed yet. Complete what the check above marks with "
                f"a cross ({', '.join(missing)}), then sign again."
            )
        else:
            return
        self.password.setEnabled(False)

    # ---------------------------------------------------------------- signing

    def accept_action(self) -> None:
        self.sign()

    def sign(self) -> None:
        """Check the acknowledgement and password, then issue the version (or say why not)."""
        if not self.action_button.isEnabled():
            return
        if not self.advisories_reviewed(self.advisories):
            return
        password = self.require_password(self.password)
        if password is None:
            return
        cases, user, accession = self.services.cases, self.user, self.accession
        preliminary, row_version = self.preliminary, self.row_version
        acknowledge = self.findings.acknowledged_codes() if self.findings else []
        self.attempt(
            lambda: cases.sign(
                user,
                accession,
                password,
                preliminary=preliminary,
                expected_row_version=row_version,
                acknowledge=acknowledge,
            ),
            nothing_done="Nothing was signed.",
            on_done=self.signed,
            on_refused=lambda: self.wrong_password_again(self.password),
        )

    def signed(self, version: IssuedVersion) -> None:
        self.version = version
        self.accept()
