"""The consistency findings in the sign-out and amendment dialogs, driven like a person
would (offscreen, on SQLite like every desktop test): a tick per discordant finding, the sign button
disabled until every one is ticked, review findings without a tick, and the ticked codes
stored with the issued version (`MARROWPATH_SCREENSHOTS=1` saves the refusing dialog)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QCheckBox, QLabel
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.dialogs.amend import SignAmendmentDialog
from marrowpath.ui.dialogs.sign_out import SignOutDialog
from marrowpath.ui.dialogs.versions import VersionsPanel
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from tests.cli.test_check_cli import discordant_case
from tests.conftest import PASSWORD
from tests.ui import screens
from tests.ui.test_dialogs import (
    ACCESSION,
    _show,
    _type_password,
    _working,
    draft,
    final,
    runner,
    services,
)

__all__ = ["draft", "final", "runner", "services"]  # fixtures, used by name
pytestmark = pytest.mark.ui


def test_sign_out_waits_for_a_tick_per_discordant_finding(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User
) -> None:
    app.cases.import_case(dr, discordant_case())
    row_version = app.cases.open(dr, ACCESSION).record.row_version
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=row_version,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.findings is not None
    listed = dialog.findings
    assert list(listed.ticks) == ["C01", "C02"]
    assert [f.code for f in listed.review] == ["C10"]  # shown, without a tick
    assert len(listed.findChildren(QCheckBox)) == 2
    names = [label.accessibleName() for label in listed.findChildren(QLabel)]
    assert any(name.startswith("C10 review: aspirate quality is adequate") for name in names)
    # focus lands once the event loop has run the dialog's layout (later on a busy machine)
    qtbot.waitUntil(lambda: dialog.focusWidget() is listed.ticks["C01"], timeout=30_000)
    assert not dialog.action_button.isEnabled()
    if screens.wanted():
        dialog.resize(860, 900)
        qtbot.wait(200)  # let the layout settle before the picture
        screens.save_screenshot(dialog, "sign-out-findings.png")

    qtbot.keyClick(listed.ticks["C01"], Qt.Key.Key_Space)  # the focus is on it
    assert listed.ticks["C01"].isChecked()
    assert not dialog.action_button.isEnabled()  # one of two
    listed.ticks["C02"].setFocus()
    qtbot.keyClick(listed.ticks["C02"], Qt.Key.Key_Space)
    assert dialog.action_button.isEnabled()
    listed.ticks["C02"].setChecked(False)
    assert not dialog.action_button.isEnabled()
    listed.ticks["C02"].setChecked(True)
    assert dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    assert dialog.message.text() == ""
    assert dialog.version is not None
    assert dialog.version.content.acknowledged == ("C01", "C02")
    stored = app.cases.versions(dr, ACCESSION)
    assert [v.content.acknowledged for v in stored] == [("C01", "C02")]

    panel = VersionsPanel(services=services, runner=runner, user=lambda: dr)
    qtbot.addWidget(panel)
    panel.set_versions(stored)
    model = panel.model
    column = model.columnCount() - 1
    assert model.headerData(column, Qt.Orientation.Horizontal) == "Findings acknowledged"
    assert model.index(0, column).data() == "C01, C02"


def test_a_case_without_findings_signs_as_before(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User
) -> None:
    from tests.conftest import example_case

    app.cases.import_case(dr, example_case())
    row_version = app.cases.open(dr, ACCESSION).record.row_version
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=row_version,
            preliminary=True,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.findings is not None
    assert dialog.findings.ticks == {} and dialog.action_button.isEnabled()


def test_the_amendment_dialog_judges_the_amended_document(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    record = app.cases.start_amendment(dr, ACCESSION)
    app.cases.save(dr, ACCESSION, discordant_case(), expected_row_version=record.row_version)
    row_version = app.cases.open(dr, ACCESSION).record.row_version
    dialog = _show(
        qtbot,
        SignAmendmentDialog(
            services=services, runner=runner, user=dr, accession=ACCESSION, row_version=row_version
        ),
    )
    assert isinstance(dialog, SignAmendmentDialog) and dialog.findings is not None
    assert list(dialog.findings.ticks) == ["C01", "C02"]
    assert not dialog.action_button.isEnabled()
    for tick in dialog.findings.ticks.values():
        tick.setChecked(True)
    assert dialog.action_button.isEnabled()
    dialog.category.setCurrentIndex(dialog.category.findData("report_defect"))
    dialog.reason.setPlainText("Diagnosis line reworded.")
    if dialog.notice_box is not None:
        dialog.notice_box.electronic.setChecked(True)
    assert dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password, PASSWORD)
    with _working(qtbot, dialog):
        dialog.sign()
    assert dialog.message.text() == ""
    assert dialog.version is not None and dialog.version.content.acknowledged == ("C01", "C02")
