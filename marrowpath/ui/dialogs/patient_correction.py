"""Correct a patient's record (name, birth date, sex) with a reason.

Why a dialog of its own: a correction changes every working document of the patient at
once and none of the issued reports, so afterwards the person must see which final
reports still print the old value, and be offered an amendment (`misidentification`)
for each. The correction runs on the task runner; a refusal stays in the dialog.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.enums import Sex
from marrowpath.domain.users import Permission, User
from marrowpath.services.patients import PatientChange
from marrowpath.services.ports import PatientRecord
from marrowpath.ui.dialogs.common import MessageLabel, refusal_text, wrapped
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner


class PatientCorrectionDialog(QDialog):
    """The patient's details to correct, the reason, then the reports to amend.

    Signals:
        corrected(str) -- the MRN, after the correction was committed.
        amendment_started(str) -- the accession of a case whose amendment was started
            from the list (the caller opens it).
    """

    corrected = Signal(str)
    amendment_started = Signal(str)

    def __init__(
        self,
        patient: PatientRecord,
        *,
        services: Services,
        runner: TaskRunner,
        user: Callable[[], User],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Correct patient record {patient.mrn}")
        self.patient = patient
        self.result_change: PatientChange | None = None
        self._services = services
        self._runner = runner
        self._user = user
        self.family_name = QLineEdit(patient.family_name)
        self.given_names = QLineEdit(patient.given_names)
        self.birth_date = QLineEdit(patient.birth_date.isoformat())
        self.birth_date.setPlaceholderText("YYYY-MM-DD")
        self.sex = QComboBox()
        for sex in Sex:
            self.sex.addItem(sex.value.capitalize(), sex.value)
        self.sex.setCurrentIndex(list(Sex).index(patient.sex))
        self.reason = QLineEdit()
        self.reason.setPlaceholderText("Why the record is corrected (required)")
        form = QFormLayout()
        form.addRow("MRN", QLabel(patient.mrn))
        for label, widget in (
            ("Family name", self.family_name),
            ("Given names", self.given_names),
            ("Birth date", self.birth_date),
            ("Sex", self.sex),
            ("Reason", self.reason),
        ):
            widget.setAccessibleName(label)
            form.addRow(label, widget)
        self.message = MessageLabel()
        self.reports = QListWidget()
        self.reports.setAccessibleName("Reports that printed the old value")
        self.reports.hide()
        self.amend_button = QPushButton("Start amendment (misidentification)")
        self.amend_button.hide()
        self.amend_button.clicked.connect(self.start_amendment)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.correct_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.correct_button.setText("Correct record")
        self.buttons.accepted.connect(self.correct)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            wrapped(
                "Every case of this patient still being written follows the correction. "
                "Issued reports stay exactly as signed; those that printed the old value "
                "are listed afterwards, each to be amended."
            )
        )
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.reports)
        layout.addWidget(self.amend_button)
        layout.addWidget(self.buttons)
        # the cursor in the first field to correct, whatever comes before it: opened from
        # the banner's menu by keys, the person types next
        self.family_name.setFocus()

    def correct(self) -> None:
        """Send the changed fields only (an unchanged field is not "corrected")."""
        if self.result_change is not None:
            self.accept()
            return
        patient, user = self.patient, self._user()
        changes = {
            "family_name": self.family_name.text(),
            "given_names": self.given_names.text(),
            "birth_date": self.birth_date.text().strip(),
            "sex": self.sex.currentData(),
        }
        current = {
            "family_name": patient.family_name,
            "given_names": patient.given_names,
            "birth_date": patient.birth_date.isoformat(),
            "sex": patient.sex.value,
        }
        changed = {key: value for key, value in changes.items() if value != current[key]}
        reason = self.reason.text()
        service = self._services.patients
        if service is None:
            self.message.error("Patient corrections are not available in this installation.")
            return
        self.correct_button.setEnabled(False)
        self.message.clear_message()
        self._runner.run(
            lambda: service.correct(user, patient.mrn, reason=reason, expected=patient, **changed),
            on_done=self._done,
            on_error=self._failed,
            owner=self,
        )

    def _done(self, change: PatientChange) -> None:
        self.result_change = change
        for widget in (self.family_name, self.given_names, self.birth_date, self.sex, self.reason):
            widget.setEnabled(False)
        self.correct_button.setText("Close")
        self.correct_button.setEnabled(True)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).hide()
        self.corrected.emit(change.patient.mrn)
        if not change.printed:
            self.message.warning(
                f"Corrected; {len(change.cases)} cases follow. No final report printed the "
                "old value."
            )
            return
        self.message.warning(
            f"Corrected; {len(change.cases)} cases follow. These final reports printed the "
            "old value: amend each (reason: misidentification)."
        )
        for report in change.printed:
            item = QListWidgetItem(
                f"{report.accession}, version {report.version}: printed {report.text}"
            )
            item.setData(Qt.ItemDataRole.UserRole, report.accession)
            self.reports.addItem(item)
        self.reports.setCurrentRow(0)
        self.reports.show()
        if self._user().can(Permission.SIGN):
            self.amend_button.show()

    def _failed(self, error: Exception) -> None:
        self.correct_button.setEnabled(True)
        self.message.error(refusal_text(error, nothing_done="Nothing was changed."))

    def start_amendment(self) -> None:
        item = self.reports.currentItem()
        if item is None:
            return
        accession = str(item.data(Qt.ItemDataRole.UserRole))
        user = self._user()
        self.amend_button.setEnabled(False)

        def started(_record: object) -> None:
            self.amend_button.setEnabled(True)
            self.reports.takeItem(self.reports.row(item))
            self.amendment_started.emit(accession)

        def failed(error: Exception) -> None:
            self.amend_button.setEnabled(True)
            self.message.error(refusal_text(error, nothing_done=""))

        self._runner.run(
            lambda: self._services.cases.start_amendment(user, accession),
            on_done=started,
            on_error=failed,
            owner=self,
        )
