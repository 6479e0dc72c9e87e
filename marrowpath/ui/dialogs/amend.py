"""Sign the amendment in progress: what changed, why (category and words), how the
ordering provider was told, the password.

The consistency findings run on the amended document: a tick per discordant one, and
the sign button waits for every tick (`findings.py` in this package).

An amended report must say what changed, when and why (CAP ANP.12185, CLIA
493.1291(k)), so the dialog shows the changes table against the latest issued version,
in the words the report will print, before asking for the reason. When the diagnosis or
the patient's identity changes it asks how the ordering provider was told, which prints
under the AMENDED banner. The service refuses an amendment identical to that version;
the dialog shows the refusal rather than guessing.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.findings import findings
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.lifecycle import Action, AmendmentReason, VersionKind
from marrowpath.domain.redline import ChangeRow, diagnosis_changed, identity_changed, redline
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion, ProviderNotice
from marrowpath.services.cases import CaseView
from marrowpath.ui.dialogs.changes import ChangesView
from marrowpath.ui.dialogs.common import (
    AdvisoryList,
    LifecycleDialog,
    password_field,
    patient_banner,
)
from marrowpath.ui.dialogs.findings import FindingsList, findings_box
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

REASON_WORDS: dict[AmendmentReason, str] = {
    AmendmentReason.MISIDENTIFICATION: "Misidentification (wrong patient, specimen or site)",
    AmendmentReason.SPECIMEN_PROBLEM: "Specimen problem",
    AmendmentReason.INTERPRETATION_CHANGE: "Change in interpretation (diagnosis revised)",
    AmendmentReason.REPORT_DEFECT: "Report defect (typing error, missing or wrong information)",
    AmendmentReason.OTHER: "Other",
}
METHODS = ("telephone", "in person", "secure message", "fax")


class ProviderNoticeBox(QGroupBox):
    """How the ordering provider was told of a changed diagnosis or identity: the
    electronic delivery alone, or who was told, how and when."""

    def __init__(self, provider: str, parent: QWidget | None = None) -> None:
        super().__init__("How was the ordering provider told? (printed under the banner)", parent)
        self.electronic = QRadioButton("&Electronic delivery of the amended report only")
        self.direct = QRadioButton("&Told directly:")
        self.electronic.setAccessibleName("Electronic delivery only")
        self.direct.setAccessibleName("Told directly")
        self.group = QButtonGroup(self)
        self.group.addButton(self.electronic)
        self.group.addButton(self.direct)
        self.who = QLineEdit(provider)
        self.who.setAccessibleName("Who was told")
        self.method = QComboBox()
        self.method.setEditable(True)
        self.method.addItems(METHODS)
        self.method.setAccessibleName("How they were told")
        self.when = QLineEdit(datetime.now().astimezone().strftime("%Y-%m-%d %H:%M"))
        self.when.setAccessibleName("When they were told")
        self.when.setPlaceholderText("YYYY-MM-DD HH:MM")
        self.when.setMaximumWidth(self.when.fontMetrics().horizontalAdvance("0000-00-00 00:00__"))
        direct = QHBoxLayout()
        direct.addWidget(self.direct)
        for caption, widget, stretch in (
            ("who", self.who, 3),
            ("how", self.method, 2),
            ("when", self.when, 0),
        ):
            direct.addWidget(QLabel(caption))
            direct.addWidget(widget, stretch)
        layout = QVBoxLayout(self)
        layout.addWidget(self.electronic)
        layout.addLayout(direct)
        self.direct.toggled.connect(self._enable)
        self._enable(False)

    def _enable(self, direct: bool) -> None:
        for widget in (self.who, self.method, self.when):
            widget.setEnabled(direct)

    def notice(self) -> ProviderNotice | str:
        """The answer, or what is missing in words."""
        if self.electronic.isChecked():
            return ProviderNotice(electronic_only=True)
        if not self.direct.isChecked():
            return "Say how the ordering provider was told of the changed diagnosis or identity."
        who, method = self.who.text().strip(), self.method.currentText().strip()
        if not who or not method:
            return "Say who was told and how."
        try:
            at = datetime.strptime(self.when.text().strip(), "%Y-%m-%d %H:%M").astimezone()
        except ValueError:
            return "Write when they were told as YYYY-MM-DD HH:MM."
        return ProviderNotice(told=who, method=method, at=at)


class SignAmendmentDialog(LifecycleDialog):
    """Issue the amendment in progress as version n+1. `version` is set after accept."""

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        row_version: int,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            title=f"Sign the amendment: {accession}",
            action_text="Sign amendment",
            parent=parent,
        )
        self.row_version = row_version
        self.version: IssuedVersion | None = None
        self.advisories: AdvisoryList | None = None
        self.findings: FindingsList | None = None
        self.changes: list[ChangeRow] = []
        self.changes_view = ChangesView()
        self.changes_view.setAccessibleName("Changes since the last issued version")
        self.nothing_changed = QLabel()
        self.nothing_changed.setWordWrap(True)
        self.notice_box: ProviderNoticeBox | None = None
        self.category = QComboBox()
        self.category.setAccessibleName("Reason category")
        self.category.setPlaceholderText("Choose the kind of reason")
        for reason, words in REASON_WORDS.items():
            self.category.addItem(words, reason.value)
        self.category.setCurrentIndex(-1)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName("Reason for the amendment")
        self.reason.setPlaceholderText(
            "What was wrong and what the amendment corrects, as the clinician will read it"
        )
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(self.reason.fontMetrics().lineSpacing() * 4 + 12)
        self.password = password_field()
        self.resize(900, self.fitting_height(820))
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> QWidget:
        self._build(view)
        self._check_allowed(view)
        return self.category

    def _build(self, view: CaseView) -> None:
        self.body.addWidget(patient_banner(view, self.services.today()))
        latest = view.versions[-1] if view.versions else None
        if latest is not None:
            self.changes = redline(latest.content.document.to_json_dict(), view.record.working)
        number = latest.number if latest else 0
        box = QGroupBox(f"What changed since version {number} (as the report will print it)")
        layout = QVBoxLayout(box)
        self.changes_view.set_rows(
            self.changes, was=f"Version {number}", now=f"Version {number + 1} (amendment)"
        )
        if not self.changes:
            self.nothing_changed.setText(
                f"Nothing has changed since version {number}. Edit and save the case first."
            )
            layout.addWidget(self.nothing_changed)
        self.changes_view.setMinimumHeight(self.fontMetrics().lineSpacing() * 9)
        layout.addWidget(self.changes_view)
        self.body.addWidget(box, 3)
        reason_box = QGroupBox("Why the report is amended (printed on the report)")
        form = QFormLayout(reason_box)
        form.addRow("Reason &category:", self.category)
        form.addRow("&Reason:", self.reason)
        self.body.addWidget(reason_box)
        if diagnosis_changed(self.changes) or identity_changed(self.changes):
            provider = view.document.ordering_provider.name if view.document else ""
            self.notice_box = ProviderNoticeBox(provider)
            self.body.addWidget(self.notice_box)
        if view.document is not None:
            box, self.findings = findings_box(findings(view.document, view.settings))
            self.findings.changed.connect(self.message.clear_message)
            self.findings.changed.connect(self.refresh_action)
            self.body.addWidget(box)
            self.advisories = AdvisoryList(advisory_flags(view.document, final_sign_out=True))
            self.advisories.changed.connect(self.message.clear_message)
            flags_box = QGroupBox(f"Advisories to review ({len(self.advisories.flags)})")
            scroll = QScrollArea()
            scroll.setWidget(self.advisories)
            scroll.setWidgetResizable(True)
            scroll.setFrameShape(QFrame.Shape.NoFrame)
            scroll.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
            QVBoxLayout(flags_box).addWidget(scroll)
            self.body.addWidget(flags_box, 1)
        self.body.addWidget(
            self.signature_box(
                VersionKind.AMENDMENT,
                self.password,
                f"Version {number + 1} is issued; the earlier versions are kept and the "
                "clinician is notified.",
            )
        )

    def _check_allowed(self, view: CaseView) -> None:
        record = view.record
        if not self.user.can(Permission.SIGN):
            self.block("Only a pathologist can sign an amendment.")
        elif not lifecycle.allowed(
            Action.SIGN_AMENDMENT, record.status, amendment_in_progress=record.amendment_in_progress
        ):
            self.block(
                "No amendment is in progress for this case. Start an amendment from the case, "
                "make the corrections and save, then sign it here."
            )
        elif view.check.problems or view.check.missing or view.document is None:
            gaps = [str(p) for p in view.check.problems] + [
                f"{path} is missing" for path in view.check.missing
            ]
            self.block(
                "The amended case is not complete: "
                + ("; ".join(gaps) or "it cannot be read as a complete report")
                + ". Correct it and save before signing."
            )
        else:
            return
        for widget in (self.category, self.reason, self.password):
            widget.setEnabled(False)

    def action_ready(self) -> bool:
        """Signing waits until every discordant finding is ticked."""
        return self.findings is None or self.findings.all_ticked

    def accept_action(self) -> None:
        self.sign()

    def sign(self) -> None:
        if not self.action_button.isEnabled():
            return
        category = self.category.currentData()
        if not category:
            self.message.error("Choose the reason category.")
            self.category.setFocus()
            return
        reason = self.require_text(
            self.reason.toPlainText(), "the reason for the amendment", self.reason
        )
        if reason is None:
            return
        notice = self.notice_box.notice() if self.notice_box is not None else None
        if isinstance(notice, str):
            self.message.error(notice)
            assert self.notice_box is not None
            self.notice_box.electronic.setFocus()
            return
        if not self.advisories_reviewed(self.advisories):
            return
        password = self.require_password(self.password)
        if password is None:
            return
        cases, user, accession, row_version = (
            self.services.cases,
            self.user,
            self.accession,
            self.row_version,
        )
        acknowledge = self.findings.acknowledged_codes() if self.findings else []
        self.attempt(
            lambda: cases.sign_amendment(
                user,
                accession,
                password,
                reason_category=str(category),
                reason=reason,
                expected_row_version=row_version,
                provider_notice=notice,
                acknowledge=acknowledge,
            ),
            nothing_done="Nothing was signed.",
            on_done=self.signed,
            on_refused=lambda: self.wrong_password_again(self.password),
        )

    def signed(self, version: IssuedVersion) -> None:
        self.version = version
        self.accept()
