"""Sign the amendment in progress: what changed, why (category and words), the password.

An amended report must say what changed, when and why (CAP ANP.12185, CLIA
493.1291(k)), so the dialog lists every changed field against the latest issued version
before asking for the reason. The service refuses an amendment identical to that
version; the dialog shows the refusal rather than guessing.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.diff import Change, changes
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.lifecycle import Action, AmendmentReason, VersionKind
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.cases import CaseView
from marrowpath.ui.dialogs.common import (
    AdvisoryList,
    LifecycleDialog,
    password_field,
    patient_banner,
    quoted,
    shorten,
)
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

REASON_WORDS: dict[AmendmentReason, str] = {
    AmendmentReason.MISIDENTIFICATION: "Misidentification (wrong patient, specimen or site)",
    AmendmentReason.SPECIMEN_PROBLEM: "Specimen problem",
    AmendmentReason.INTERPRETATION_CHANGE: "Change in interpretation (diagnosis revised)",
    AmendmentReason.REPORT_DEFECT: "Report defect (typing error, missing or wrong information)",
    AmendmentReason.OTHER: "Other",
}
_VALUE_LIMIT = 90


def change_line(change: Change) -> str:
    """`diagnosis.lines[1]: 'old' -> 'new'`, long values shortened (the tooltip has all)."""
    before = shorten(quoted(change.before), _VALUE_LIMIT)
    after = shorten(quoted(change.after), _VALUE_LIMIT)
    return f"{change.path}: {before} -> {after}"


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
        self.changes: list[Change] = []
        self.changes_list = QListWidget()
        self.changes_list.setAccessibleName("Changes since the last issued version")
        self.changes_list.setWordWrap(True)
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
        self.resize(760, self.fitting_height(820))
        self.load_case(self._show_case)

    def _show_case(self, view: CaseView) -> None:
        self._build(view)
        self._check_allowed(view)
        self.category.setFocus()

    def _build(self, view: CaseView) -> None:
        self.body.addWidget(patient_banner(view, self.services.today()))
        latest = view.versions[-1] if view.versions else None
        if latest is not None:
            self.changes = changes(latest.content.document.to_json_dict(), view.record.working)
        number = latest.number if latest else 0
        box = QGroupBox(f"What changed since version {number}")
        layout = QVBoxLayout(box)
        if self.changes:
            for change in self.changes:
                item = QListWidgetItem(change_line(change))
                item.setToolTip(
                    f"{change.path}\nbefore: {quoted(change.before)}\nafter: {quoted(change.after)}"
                )
                self.changes_list.addItem(item)
        else:
            self.changes_list.addItem(
                f"Nothing has changed since version {number}. Edit and save the case first."
            )
        self.changes_list.setMinimumHeight(self.fontMetrics().lineSpacing() * 4)
        layout.addWidget(self.changes_list)
        self.body.addWidget(box, 1)
        reason_box = QGroupBox("Why the report is amended (printed on the report)")
        form = QFormLayout(reason_box)
        form.addRow("Reason &category:", self.category)
        form.addRow("&Reason:", self.reason)
        self.body.addWidget(reason_box)
        if view.document is not None:
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
        self.attempt(
            lambda: cases.sign_amendment(
                user,
                accession,
                password,
                reason_category=str(category),
                reason=reason,
                expected_row_version=row_version,
            ),
            nothing_done="Nothing was signed.",
            on_done=self.signed,
            on_refused=lambda: self.wrong_password_again(self.password),
        )

    def signed(self, version: IssuedVersion) -> None:
        self.version = version
        self.accept()
