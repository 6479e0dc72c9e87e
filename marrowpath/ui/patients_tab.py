"""Administration's Patients tab: correct a patient's record; merge a duplicate
registration into the surviving one, or undo a merge (admins).

Why here as well as in the case editor's banner: a registration error is often found
outside any case (a call from the registration desk), and merges are an administrator's
work. Every lookup and change runs on the task runner; a merge asks first, naming both
patients, and is refused if either changed meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.text import display_name
from marrowpath.domain.users import Permission, User
from marrowpath.services.patients import PatientChange
from marrowpath.services.ports import PatientRecord
from marrowpath.ui.dialogs.patient_correction import PatientCorrectionDialog
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message


def describe(patient: PatientRecord) -> str:
    name = display_name(patient.family_name, patient.given_names)
    return f"{name}, {patient.mrn}, born {patient.birth_date}, {patient.sex.value}"


class PatientsTab(QWidget):
    """Correction for those who may correct; merge and unmerge for admins."""

    def __init__(
        self, *, services: Services, runner: TaskRunner, user: User, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._services = services
        self._runner = runner
        self._user = user
        self.correct_mrn = QLineEdit()
        self.correct_mrn.setAccessibleName("MRN to correct")
        self.correct_button = QPushButton("Correct record...")
        self.correct_button.clicked.connect(self.correct)
        correction = QGroupBox("Correct a patient's name, birth date or sex")
        row = QHBoxLayout(correction)
        row.addWidget(QLabel("MRN"))
        row.addWidget(self.correct_mrn, 1)
        row.addWidget(self.correct_button)
        self.from_mrn = QLineEdit()
        self.into_mrn = QLineEdit()
        self.reason = QLineEdit()
        self.merge_button = QPushButton("Merge...")
        self.merge_button.clicked.connect(self.merge)
        self.unmerge_mrn = QLineEdit()
        self.unmerge_button = QPushButton("Undo merge")
        self.unmerge_button.clicked.connect(self.unmerge)
        merging = QGroupBox("Merge a duplicate registration into the surviving record")
        form = QFormLayout(merging)
        for label, widget in (
            ("Duplicate MRN (goes away)", self.from_mrn),
            ("Surviving MRN", self.into_mrn),
            ("Reason", self.reason),
        ):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        form.addRow("", self.merge_button)
        self.unmerge_mrn.setAccessibleName("Merged MRN to restore")
        undo = QHBoxLayout()
        undo.addWidget(self.unmerge_mrn, 1)
        undo.addWidget(self.unmerge_button)
        form.addRow("Undo the merge of MRN", undo)
        merging.setVisible(user.can(Permission.MERGE_PATIENTS))
        correction.setVisible(user.can(Permission.CORRECT_PATIENTS))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Patients message")
        layout = QVBoxLayout(self)
        layout.addWidget(correction)
        layout.addWidget(merging)
        layout.addWidget(self.message)
        layout.addStretch(1)
        self.confirm: Callable[[str], bool] = self._ask
        self.dialog: PatientCorrectionDialog | None = None

    def _ask(self, text: str) -> bool:
        answer = QMessageBox.question(self, "Merge patients", text)
        return answer == QMessageBox.StandardButton.Yes

    def _run(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self.message.setText("Working...")
        self._runner.run(
            work,
            on_done=done,
            on_error=lambda error: self.message.setText(user_message(error)),
            owner=self,
        )

    # ------------------------------------------------------------------ correction

    def correct(self) -> None:
        mrn, service = self.correct_mrn.text().strip(), self._services.patients
        if not mrn or service is None:
            return
        self._run(lambda: service.patient(self._user, mrn), self._open_correction)

    def _open_correction(self, patient: PatientRecord) -> None:
        self.message.clear()
        dialog = PatientCorrectionDialog(
            patient, services=self._services, runner=self._runner, user=lambda: self._user,
            parent=self,
        )  # fmt: skip
        dialog.corrected.connect(lambda mrn: self.message.setText(f"{mrn}: corrected."))
        dialog.finished.connect(dialog.deleteLater)
        self.dialog = dialog
        dialog.open()

    # ------------------------------------------------------------------ merge

    def merge(self) -> None:
        service = self._services.patients
        source, target = self.from_mrn.text().strip(), self.into_mrn.text().strip()
        if service is None or not source or not target:
            return
        self._run(
            lambda: (service.patient(self._user, source), service.patient(self._user, target)),
            self._confirm_merge,
        )

    def _confirm_merge(self, pair: tuple[PatientRecord, PatientRecord]) -> None:
        source, target = pair
        self.message.clear()
        if not self.confirm(
            f"Merge\n{describe(source)}\ninto\n{describe(target)}?\n\nThe cases of "
            f"{source.mrn} move to {target.mrn}; the merge can be undone."
        ):
            return
        service, reason = self._services.patients, self.reason.text()
        assert service is not None
        self._run(
            lambda: service.merge(self._user, source.mrn, target.mrn, reason=reason, expected=pair),
            lambda change: self._done(f"{source.mrn} merged into {target.mrn}", change),
        )

    def unmerge(self) -> None:
        mrn, service = self.unmerge_mrn.text().strip(), self._services.patients
        if not mrn or service is None:
            return
        self._run(
            lambda: service.unmerge(self._user, mrn),
            lambda change: self._done(f"{mrn} unmerged", change),
        )

    def _done(self, what: str, change: PatientChange) -> None:
        moved = ", ".join(change.cases) or "none"
        self.message.setText(f"{what}; cases moved: {moved}.")
