"""In the app (issue 14, items 1 and 3): the case editor shows the patient's course and
its banner menu corrects the record; the correction lists the final reports that
printed the old value and starts an amendment for each. Offscreen, both databases."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.dialogs.patient_correction import PatientCorrectionDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.patients_tab import PatientsTab
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case

Team = dict[str, User]
ACCESSION = "BM26-00042"
MRN = "MRN0012345"


@pytest.fixture
def two_cases(app: App, team: Team) -> None:
    """A final report and a later draft of the same patient."""
    later = example_case()
    later["accession"] = "BM26-00043"
    later["procedure"]["date"] = "2026-11-25"
    later["received_at"] = "2026-11-25T15:00:00Z"
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
    app.cases.import_case(team["drpark"], later)


def test_the_editor_shows_the_patients_course_and_opens_its_cases(
    qtbot: QtBot, services: Services, runner: TaskRunner, team: Team, two_cases: None
) -> None:
    user = team["drpark"]
    editor = CaseEditor(services=services, runner=runner, user=lambda: user, accession="BM26-00043")
    qtbot.addWidget(editor)
    editor.resize(1366, 768)
    editor.show()
    qtbot.waitUntil(lambda: editor.patient_panel.timeline is not None, timeout=10_000)
    panel = editor.patient_panel
    assert [panel.table.item(row, 0).text() for row in range(2)] == [ACCESSION, "BM26-00043"]  # type: ignore[union-attr]
    assert "patient" in [section.key for section in editor.form.sections]
    actions = [action.text() for action in editor.banner.patient_menu.actions()]
    assert actions == ["Patient course", "Correct patient record..."]
    assert editor.correct_patient_action.isEnabled()
    with qtbot.waitSignal(editor.case_requested) as opened:
        panel.table.doubleClicked.emit(panel.table.model().index(0, 0))
    assert opened.args == [ACCESSION]


def test_a_technologist_has_no_correction_in_the_banner_menu(
    qtbot: QtBot, services: Services, runner: TaskRunner, team: Team, two_cases: None
) -> None:
    user = team["tech"]
    editor = CaseEditor(services=services, runner=runner, user=lambda: user, accession="BM26-00043")
    qtbot.addWidget(editor)
    qtbot.waitUntil(lambda: editor.record is not None, timeout=10_000)
    assert not editor.correct_patient_action.isEnabled()


def test_a_correction_lists_the_reports_to_amend_and_starts_the_amendment(
    qtbot: QtBot, app: App, services: Services, runner: TaskRunner, team: Team, two_cases: None
) -> None:
    user = team["drpark"]
    patient = app.patients.patient(user, MRN)
    dialog = PatientCorrectionDialog(patient, services=services, runner=runner, user=lambda: user)
    qtbot.addWidget(dialog)
    dialog.family_name.setText("Delgado-Ruiz")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    ok.click()  # no reason: refused in the dialog, nothing changed
    qtbot.waitUntil(lambda: not dialog.message.isHidden() and ok.isEnabled(), timeout=10_000)
    assert "the reason must not be empty" in dialog.message.text().lower()
    assert app.patients.patient(user, MRN).family_name == "Delgado"

    dialog.reason.setText("Registration typo")
    with qtbot.waitSignal(dialog.corrected, timeout=10_000):
        ok.click()
    assert dialog.reports.count() == 1
    assert dialog.reports.item(0).text() == (f"{ACCESSION}, version 1: printed family name Delgado")
    assert not dialog.amend_button.isHidden()
    with qtbot.waitSignal(dialog.amendment_started, timeout=10_000) as started:
        dialog.amend_button.click()
    assert started.args == [ACCESSION]
    record = app.cases.open(user, ACCESSION).record
    assert record.amendment_in_progress
    assert record.working["patient"]["family_name"] == "Delgado-Ruiz"
    assert app.cases.versions(user, ACCESSION)[0].content.document.patient.family_name == "Delgado"


def test_administration_merges_and_unmerges_and_opens_a_correction(
    qtbot: QtBot, app: App, services: Services, runner: TaskRunner, team: Team, two_cases: None
) -> None:
    duplicate = example_case()
    duplicate["accession"] = "BM26-00044"
    duplicate["patient"]["mrn"] = "MRN0099999"
    app.cases.import_case(team["drpark"], duplicate)
    tab = PatientsTab(services=services, runner=runner, user=team["admin"])
    qtbot.addWidget(tab)
    asked: list[str] = []
    tab.confirm = lambda text: asked.append(text) or True  # type: ignore[func-returns-value]
    tab.from_mrn.setText("MRN0099999")
    tab.into_mrn.setText(MRN)
    tab.reason.setText("Duplicate registration")
    tab.merge_button.click()
    qtbot.waitUntil(lambda: "merged into" in tab.message.text(), timeout=10_000)
    assert tab.message.text() == "MRN0099999 merged into MRN0012345; cases moved: BM26-00044."
    assert asked and "DELGADO, Tomás, MRN0099999" in asked[0]
    tab.unmerge_mrn.setText("MRN0099999")
    tab.unmerge_button.click()
    qtbot.waitUntil(lambda: "unmerged" in tab.message.text(), timeout=10_000)
    assert tab.message.text() == "MRN0099999 unmerged; cases moved: BM26-00044."
    tab.unmerge_button.click()  # nothing to undo: said in the tab
    qtbot.waitUntil(lambda: "not merged" in tab.message.text(), timeout=10_000)

    tab.correct_mrn.setText(MRN)
    tab.correct_button.click()
    qtbot.waitUntil(lambda: tab.dialog is not None, timeout=10_000)
    assert tab.dialog is not None and tab.dialog.patient.mrn == MRN
    tab.dialog.reject()


def test_a_pathologist_corrects_but_does_not_merge(
    qtbot: QtBot, services: Services, runner: TaskRunner, team: Team
) -> None:
    tab = PatientsTab(services=services, runner=runner, user=team["drpark"])
    qtbot.addWidget(tab)
    assert not tab.correct_button.parentWidget().isHidden()  # type: ignore[union-attr]
    assert tab.merge_button.parentWidget().isHidden()  # type: ignore[union-attr]
