"""The lifecycle dialogs driven like a person would, on a real database (SQLite, PostgreSQL).

Dialogs are shown with `show()` (never `exec()`), filled in, and their action button
clicked; what matters is checked in the database: what was issued, and that a refusal
issued nothing and left the dialog open with the reason in words.
"""

from __future__ import annotations

import copy
import threading
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDialog,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.errors import ConcurrentChange, Refused
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import User
from marrowpath.domain.validation import check_draft, parse_case
from marrowpath.launcher import desktop_services
from marrowpath.ui.dialogs.addendum import AddendumDialog
from marrowpath.ui.dialogs.amend import SignAmendmentDialog
from marrowpath.ui.dialogs.changes import ChangesModel, CompareDialog
from marrowpath.ui.dialogs.common import LifecycleDialog, refusal_text
from marrowpath.ui.dialogs.completeness import check_items
from marrowpath.ui.dialogs.sign_out import SignOutDialog
from marrowpath.ui.dialogs.versions import VersionsModel, VersionsPanel
from marrowpath.ui.dialogs.withdraw import CancelCaseDialog, WithdrawDialog
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.when import local_time
from tests.conftest import PASSWORD, example_case
from tests.ui import screens

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00042"


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    """What `launch_gui` hands the windows, over the test database."""
    return desktop_services(app, str(tmp_path / "data"))


@pytest.fixture
def runner() -> TaskRunner:
    """The task runner the dialogs read and sign through (the editor's, in the app)."""
    return TaskRunner()


@pytest.fixture
def draft(app: App, dr: User) -> int:
    """The example case imported as a draft; returns its row version."""
    app.cases.import_case(dr, example_case())
    return app.cases.open(dr, ACCESSION).record.row_version


@pytest.fixture
def final(app: App, dr: User, draft: int) -> None:
    app.cases.sign(dr, ACCESSION, PASSWORD)


def _show(qtbot: QtBot, dialog: LifecycleDialog) -> LifecycleDialog:
    """Show the dialog and wait until it has read the case (off the GUI thread)."""
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=20_000):
        dialog.show()
    return dialog


def _working(qtbot: QtBot, dialog: LifecycleDialog) -> Any:
    """Wait for the action started in the `with` block (it runs off the GUI thread)."""
    return qtbot.waitSignal(dialog.work_finished, timeout=30_000)


def _type_password(qtbot: QtBot, field: QLineEdit, password: str = PASSWORD) -> None:
    field.clear()
    qtbot.keyClicks(field, password)


def _assert_inputs_named(dialog: QWidget) -> None:
    """Every input a person can reach has a name a screen reader reads."""
    for kind in (QLineEdit, QPlainTextEdit, QComboBox, QCheckBox):
        for widget in dialog.findChildren(kind):
            if widget.parent() is not None and type(widget.parent()).__name__ == "QComboBox":
                continue  # a combo box's own line edit
            assert widget.accessibleName(), f"{kind.__name__} without an accessible name"


# ---------------------------------------------------------------- sign out


def test_sign_out_final_after_acknowledging_advisories(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog)
    _assert_inputs_named(dialog)
    assert dialog.action_button.text() == "Sign out final" and dialog.action_button.isEnabled()
    assert dialog.advisories is not None and dialog.advisories.needs_acknowledgement
    advisories = dialog.advisories
    # focus moves once the dialog has laid out what it read (later on a busy machine)
    qtbot.waitUntil(lambda: dialog.focusWidget() is advisories.acknowledge, timeout=30_000)
    flags = " ".join(line.accessibleName() for line in dialog.advisories.lines)
    assert "Blast equivalents 12.0 %" in flags and "Pending at final sign-out" in flags
    assert all(item.met for item in dialog.items)
    assert "final diagnosis" in dialog.meaning_label.text()

    _type_password(qtbot, dialog.password)
    dialog.sign()  # not acknowledged yet
    assert "I have reviewed these advisories" in dialog.message.text()
    assert app.cases.versions(dr, ACCESSION) == []

    dialog.advisories.acknowledge.setChecked(True)
    with _working(qtbot, dialog):
        qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.version is not None and dialog.version.number == 1
    versions = app.cases.versions(dr, ACCESSION)
    assert [(v.number, v.kind) for v in versions] == [(1, VersionKind.FINAL)]
    assert app.cases.open(dr, ACCESSION).record.status is Status.FINAL


def test_wrong_password_is_said_in_the_dialog_and_nothing_is_issued(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password, "not-my-password")
    with _working(qtbot, dialog):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)  # Enter confirms
    assert dialog.isVisible() and dialog.version is None
    assert (
        dialog.message.text()
    ) == "Wrong password (4 attempts left before lockout). Nothing was signed."
    assert dialog.password.text() == "" and dialog.action_button.isEnabled()
    assert app.cases.versions(dr, ACCESSION) == []


def test_signing_runs_in_the_background_with_a_busy_state_and_the_dialog_stays(
    qtbot: QtBot,
    runner: TaskRunner,
    app: App,
    services: Services,
    dr: User,
    draft: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the signature is checked (Argon2, the database) the GUI thread is free: the
    dialog shows it is working, cannot be closed halfway, and a wrong password is said
    in the dialog, ready for another try."""
    release = threading.Event()
    signing_thread: list[int] = []
    sign = services.cases.sign

    def slow_sign(*args: Any, **kwargs: Any) -> Any:
        signing_thread.append(threading.get_ident())
        release.wait(20)
        return sign(*args, **kwargs)

    monkeypatch.setattr(services.cases, "sign", slow_sign)
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password, "not-my-password")
    with _working(qtbot, dialog):
        dialog.sign()
        assert dialog.working and not dialog.action_button.isEnabled()
        qtbot.waitUntil(dialog.busy.isVisible, timeout=10_000)  # after 100 ms
        assert dialog.busy.label.text() == "Signing..."
        assert dialog.cursor().shape() == Qt.CursorShape.WaitCursor
        qtbot.keyClick(dialog.password, Qt.Key.Key_Escape)  # not halfway through
        dialog.reject()
        assert dialog.isVisible() and not dialog.cancel_button.isEnabled()
        release.set()
    assert signing_thread and signing_thread[0] != threading.get_ident()
    assert dialog.isVisible() and not dialog.busy.isVisible()
    assert dialog.message.text().startswith("Wrong password")
    assert dialog.action_button.isEnabled() and dialog.password.hasFocus()
    assert app.cases.versions(dr, ACCESSION) == []


def test_lockout_explains_and_closes(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    for _attempt in range(5):
        _type_password(qtbot, dialog.password, "not-my-password")
        with _working(qtbot, dialog):
            dialog.sign()
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert dialog.closing_notice is not None
    assert "locked" in dialog.closing_notice.text()
    dialog.closing_notice.close()
    assert app.cases.versions(dr, ACCESSION) == []


def test_concurrent_change_names_the_other_user(
    qtbot: QtBot,
    runner: TaskRunner,
    app: App,
    services: Services,
    team: dict[str, User],
    dr: User,
    draft: int,
) -> None:
    changed = copy.deepcopy(example_case())
    changed["diagnosis"]["comment"] = "Reviewed with the flow cytometry laboratory."
    app.cases.save(team["tech"], ACCESSION, changed, expected_row_version=draft)
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        dialog.sign()
    text = dialog.message.text()
    assert "changed by tech at" in text and "reload the case" in text
    assert "Nothing was signed." in text
    assert dialog.isVisible() and not dialog.action_button.isEnabled()
    assert app.cases.versions(dr, ACCESSION) == []


def test_sign_preliminary(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=True,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    assert dialog.action_button.text() == "Sign as preliminary"
    codes = [flag.code for flag in dialog.advisories.flags]
    assert "ancillary_pending" not in codes  # judged at final sign-out only
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        dialog.sign()
    assert dialog.version is not None and dialog.version.kind is VersionKind.PRELIMINARY
    assert app.cases.open(dr, ACCESSION).record.status is Status.PRELIMINARY


def test_missing_lab_identity_is_said_in_words(
    qtbot: QtBot,
    runner: TaskRunner,
    app: App,
    services: Services,
    team: dict[str, User],
    dr: User,
    draft: int,
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog) and dialog.advisories is not None
    app.lab.set_identity(team["admin"], clia_id="")  # meanwhile, in Administration
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        dialog.sign()
    assert dialog.isVisible() and dialog.message.text() == (
        "Cannot sign: the lab identity has no CLIA number; an administrator sets it in "
        "Administration. Nothing was signed."
    )
    assert app.cases.versions(dr, ACCESSION) == []
    reopened = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(reopened, SignOutDialog)
    assert not reopened.action_button.isEnabled()  # known before typing a password
    assert "lab identity" in reopened.message.text()


def test_incomplete_case_cannot_be_signed(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User
) -> None:
    data: dict[str, Any] = copy.deepcopy(example_case())
    del data["diagnosis"]
    record = app.cases.create(dr, data)
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=record.accession,
            row_version=record.row_version,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog)
    assert not dialog.action_button.isEnabled() and not dialog.password.isEnabled()
    assert "cannot be signed yet" in dialog.message.text()
    required = dialog.items[0]
    assert not required.met and "diagnosis" in required.detail


def test_escape_cancels_without_signing(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot,
        SignOutDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=draft,
            preliminary=False,
        ),
    )
    assert isinstance(dialog, SignOutDialog)
    _type_password(qtbot, dialog.password)
    qtbot.keyClick(dialog.password, Qt.Key.Key_Escape)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert app.cases.versions(dr, ACCESSION) == []


# ---------------------------------------------------------------- amend


def test_sign_amendment_lists_changes_and_records_the_reason(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    record = app.cases.start_amendment(dr, ACCESSION)
    corrected = copy.deepcopy(record.working)
    corrected["diagnosis"]["lines"][1] = "Consistent with MDS with increased blasts-2."
    saved = app.cases.save(dr, ACCESSION, corrected, expected_row_version=record.row_version)
    dialog = _show(
        qtbot,
        SignAmendmentDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=saved.row_version,
        ),
    )
    assert isinstance(dialog, SignAmendmentDialog)
    _assert_inputs_named(dialog)
    model = dialog.changes_view.model()
    shown = [[model.index(0, c).data() for c in range(3)] for _ in range(model.rowCount())]
    assert shown == [
        [
            "Diagnosis, line 2",
            "Consistent with myelodysplastic neoplasm with increased blasts-2 (MDS-IB2).",
            "Consistent with MDS with increased blasts-2.",
        ]
    ]
    assert model.headerData(1, Qt.Orientation.Horizontal) == "Version 1"
    assert dialog.notice_box is not None  # the diagnosis changed: how was the provider told?
    _type_password(qtbot, dialog.password)
    dialog.sign()
    assert dialog.message.text() == "Choose the reason category."
    dialog.category.setCurrentIndex(dialog.category.findData("report_defect"))
    assert dialog.category.currentText().startswith("Report defect")
    dialog.sign()
    assert dialog.message.text() == "Enter the reason for the amendment."
    qtbot.keyClicks(dialog.reason, "Abbreviation expanded wrongly.")
    assert dialog.advisories is not None
    dialog.advisories.acknowledge.setChecked(True)
    dialog.sign()
    assert dialog.message.text() == (
        "Say how the ordering provider was told of the changed diagnosis or identity."
    )
    dialog.notice_box.direct.setChecked(True)
    dialog.notice_box.when.setText("2026-11-24 15:10")
    dialog.notice_box.method.setCurrentText("telephone")
    with _working(qtbot, dialog):
        qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.message.text()
    latest = app.cases.versions(dr, ACCESSION)[-1]
    assert latest.number == 2 and latest.kind is VersionKind.AMENDMENT
    assert latest.content.reason_category == "report_defect"
    assert latest.content.reason == "Abbreviation expanded wrongly."
    notice = latest.content.provider_notice
    assert notice is not None and notice.told == "Priya Raman, MD" and notice.method == "telephone"
    assert notice.text().startswith(
        "Ordering provider told: Priya Raman, MD, telephone, 2026-11-24"
    )
    assert [row.label for row in latest.content.changes or ()] == ["Diagnosis, line 2"]
    assert app.cases.open(dr, ACCESSION).record.status is Status.AMENDED


def test_amendment_identical_to_the_last_version_is_refused_in_words(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    record = app.cases.start_amendment(dr, ACCESSION)
    dialog = _show(
        qtbot,
        SignAmendmentDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=record.row_version,
        ),
    )
    assert isinstance(dialog, SignAmendmentDialog) and dialog.advisories is not None
    assert "Nothing has changed since version 1" in dialog.nothing_changed.text()
    assert dialog.changes_view.model().rowCount() == 0 and dialog.notice_box is None
    dialog.category.setCurrentIndex(0)
    qtbot.keyClicks(dialog.reason, "Re-reviewed.")
    dialog.advisories.acknowledge.setChecked(True)
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        dialog.sign()
    assert dialog.isVisible()
    assert dialog.message.text() == (
        "The amendment is identical to version 1; nothing to amend. Nothing was signed."
    )
    assert len(app.cases.versions(dr, ACCESSION)) == 1


def test_amendment_of_the_procedure_only_asks_nothing_about_the_provider(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    record = app.cases.start_amendment(dr, ACCESSION)
    corrected = example_case()
    corrected["procedure"]["laterality"] = "left"
    saved = app.cases.save(dr, ACCESSION, corrected, expected_row_version=record.row_version)
    dialog = _show(
        qtbot,
        SignAmendmentDialog(
            services=services,
            runner=runner,
            user=dr,
            accession=ACCESSION,
            row_version=saved.row_version,
        ),
    )
    assert isinstance(dialog, SignAmendmentDialog)
    model = dialog.changes_view.model()
    assert [model.index(0, c).data() for c in range(3)] == ["Laterality", "Right", "Left"]
    assert dialog.notice_box is None


# ---------------------------------------------------------------- addendum


def test_addendum_completes_the_pending_karyotype(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    dialog = _show(
        qtbot, AddendumDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, AddendumDialog)
    _assert_inputs_named(dialog)
    kinds = [row.kind() for row in dialog.table.entries]
    assert kinds == ["karyotype", "molecular"]
    karyotype = dialog.table.entries[0]
    assert not isinstance(karyotype.kind_widget, QComboBox)  # the study it completes is fixed
    qtbot.keyClicks(dialog.text, "Karyotype result received; supports the diagnosis.")
    qtbot.keyClicks(karyotype.result, "46,XY,del(5)(q13q33)[20]")
    assert karyotype.status.currentData() == "final"  # a typed result makes it final
    karyotype.reported_on.setText("2026-11-24")
    karyotype.performed_by.setText("Cytogenetics laboratory")

    molecular = dialog.table.entries[1]
    molecular.result.setText("SF3B1 K700E")  # typed, but the person leaves it pending
    molecular.status.setCurrentIndex(0)
    _type_password(qtbot, dialog.password)
    dialog.sign()
    assert "still marked pending" in dialog.message.text()
    molecular.result.clear()

    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)  # a study not pending
    fish = dialog.table.entries[2]
    assert isinstance(fish.kind_widget, QComboBox) and fish.status.currentData() == "final"
    fish.kind_widget.setCurrentIndex(fish.kind_widget.findData("fish"))
    fish.result.setText("No TP53 deletion.")

    with _working(qtbot, dialog):
        qtbot.mouseClick(dialog.action_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.message.text()
    latest = app.cases.versions(dr, ACCESSION)[-1]
    assert latest.number == 2 and latest.kind is VersionKind.ADDENDUM
    assert latest.content.addendum_text == "Karyotype result received; supports the diagnosis."
    studies = {s.kind.value: s for s in latest.content.document.ancillary or []}
    assert studies["karyotype"].status.value == "final"
    assert studies["karyotype"].result == "46,XY,del(5)(q13q33)[20]"
    assert str(studies["karyotype"].reported_on) == "2026-11-24"
    assert studies["molecular"].status.value == "pending"
    assert studies["fish"].result == "No TP53 deletion."
    assert len(latest.content.document.ancillary or []) == 4
    assert (
        latest.content.document.diagnosis
        == app.cases.versions(dr, ACCESSION)[0].content.document.diagnosis
    )


def test_addendum_needs_text_and_says_it_cannot_change_the_diagnosis(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    dialog = _show(
        qtbot, AddendumDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, AddendumDialog)
    texts = " ".join(label.text() for label in dialog.findChildren(QLabel))
    assert "cannot be changed by an addendum" in texts
    _type_password(qtbot, dialog.password)
    dialog.activateWindow()  # shortcuts reach the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is dialog)
    qtbot.keyClick(dialog.text, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert dialog.message.text() == "Enter the addendum text."
    assert len(app.cases.versions(dr, ACCESSION)) == 1


def test_addendum_is_blocked_on_a_draft(
    qtbot: QtBot, runner: TaskRunner, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot, AddendumDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, AddendumDialog)
    assert not dialog.action_button.isEnabled()
    assert "follows a final report only" in dialog.message.text()


# ---------------------------------------------------------------- withdraw and cancel


def test_withdraw_marks_the_case_entered_in_error(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, final: None
) -> None:
    dialog = _show(
        qtbot, WithdrawDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, WithdrawDialog)
    _assert_inputs_named(dialog)
    assert "WITHDRAWN" in dialog.warning.text() and "interfaces" in dialog.warning.text()
    _type_password(qtbot, dialog.password)
    dialog.sign()
    assert dialog.message.text() == "Enter the reason for the withdrawal."
    qtbot.keyClicks(dialog.reason, "Report issued under the wrong patient.")
    _type_password(qtbot, dialog.password)
    with _working(qtbot, dialog):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted, dialog.message.text()
    assert dialog.version is not None and dialog.version.kind is VersionKind.WITHDRAWAL
    record = app.cases.open(dr, ACCESSION).record
    assert record.status is Status.ENTERED_IN_ERROR
    assert record.closing_reason == "Report issued under the wrong patient."


def test_cancel_a_draft_with_enter(
    qtbot: QtBot, runner: TaskRunner, app: App, services: Services, dr: User, draft: int
) -> None:
    dialog = _show(
        qtbot, CancelCaseDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, CancelCaseDialog)
    _assert_inputs_named(dialog)
    assert dialog.action_button.text() == "Cancel case"
    assert dialog.cancel_button.text() == "Keep case"
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.message.text() == "Enter the reason for cancelling."
    qtbot.keyClicks(dialog.reason, "Duplicate order.")
    with _working(qtbot, dialog):
        qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    record = app.cases.open(dr, ACCESSION).record
    assert record.status is Status.CANCELLED and record.closing_reason == "Duplicate order."


def test_cancel_refused_for_a_final_report(
    qtbot: QtBot, runner: TaskRunner, services: Services, dr: User, final: None
) -> None:
    dialog = _show(
        qtbot, CancelCaseDialog(services=services, runner=runner, user=dr, accession=ACCESSION)
    )
    assert isinstance(dialog, CancelCaseDialog)
    assert not dialog.action_button.isEnabled()
    assert "withdraw an issued report instead" in dialog.message.text()


# ---------------------------------------------------------------- versions


def test_versions_panel_lists_versions_and_opens_one(
    qtbot: QtBot, qtmodeltester: Any, app: App, services: Services, dr: User, final: None
) -> None:
    app.cases.addendum(dr, ACCESSION, PASSWORD, text="Karyotype: 46,XY[20]. " * 10)
    runner = TaskRunner()
    panel = VersionsPanel(services=services, runner=runner, user=lambda: dr)
    qtbot.addWidget(panel)
    panel.show()
    panel.set_versions(app.cases.versions(dr, ACCESSION))
    model = panel.model
    assert isinstance(model, VersionsModel)
    qtmodeltester.check(model)
    assert model.rowCount() == 2
    row = [model.index(1, column).data() for column in range(model.columnCount())]
    version = app.cases.versions(dr, ACCESSION)[1]
    assert row[0] == 2 and row[1] == "Addendum" and row[3] == "Dana Park, MD"
    assert row[2] == local_time(version.content.signed_at) and "UTC" in row[2]
    assert row[4].endswith("…") and len(row[4]) <= 60
    assert model.index(1, 4).data(Qt.ItemDataRole.ToolTipRole) == version.content.addendum_text
    assert row[5] == version.sha256[:12]

    assert panel.selected_number() == 2  # the newest is chosen
    with qtbot.waitSignal(panel.open_version, timeout=2000) as blocker:
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [ACCESSION, 2]
    rect = panel.table.visualRect(model.index(0, 1))
    # A real double click is press, release, double-click: the view checks the press.
    qtbot.mouseClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    with qtbot.waitSignal(panel.open_version, timeout=2000) as blocker:
        qtbot.mouseDClick(panel.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert blocker.args == [ACCESSION, 1]
    with qtbot.waitSignal(panel.open_version, timeout=2000) as blocker:
        qtbot.mouseClick(panel.print_button, Qt.MouseButton.LeftButton)
    assert blocker.args == [ACCESSION, 1]

    panel.set_versions([])
    assert model.rowCount() == 0 and not panel.open_button.isEnabled()
    assert not panel.compare_button.isEnabled()
    panel.load(ACCESSION)
    qtbot.waitUntil(lambda: model.rowCount() == 2, timeout=5000)
    runner.wait()


def test_compare_opens_from_the_version_list_and_shows_the_rows(
    qtbot: QtBot, qtmodeltester: Any, app: App, services: Services, dr: User, final: None
) -> None:
    """Blasts 60 -> 100 of 500, platelets 54 -> 5, a new diagnosis line of 10,000
    characters: every row is there, in words, and the long text wraps (never cut)."""
    corrected = example_case()
    corrected["aspirate"]["differential"]["blasts"] = 100
    corrected["aspirate"]["differential"]["polychromatic_normoblasts"] = 70
    corrected["clinical"]["cbc"]["platelets_10e9_l"] = 5
    long_line = " ".join(f"Łukasiewicz Петрова 李雪 word{i}" for i in range(400))[:10_000]
    corrected["diagnosis"]["lines"] = [corrected["diagnosis"]["lines"][0], long_line]
    app.cases.amend(  # the diagnosis now contradicts the recount: acknowledged
        dr,
        ACCESSION,
        corrected,
        PASSWORD,
        reason_category="report_defect",
        reason="Recount.",
        acknowledge=["all"],
    )
    panel = VersionsPanel(services=services, runner=TaskRunner(), user=lambda: dr)
    qtbot.addWidget(panel)
    panel.resize(1300, 400)
    panel.show()
    panel.set_versions(app.cases.versions(dr, ACCESSION))
    assert panel.compare_button.isEnabled()
    qtbot.mouseClick(panel.compare_button, Qt.MouseButton.LeftButton)
    dialog = panel.compare_dialog
    assert isinstance(dialog, CompareDialog) and dialog.isVisible()
    _assert_inputs_named(dialog)
    assert dialog.width() <= 1366 and dialog.height() <= 768
    model = dialog.view.model()
    assert isinstance(model, ChangesModel)
    qtmodeltester.check(model)
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert rows == [
        [
            "Diagnosis, line 2",
            "Consistent with myelodysplastic neoplasm with increased blasts-2 (MDS-IB2).",
            long_line,
        ],
        ["Platelets", "54 ×10⁹/L", "5 ×10⁹/L"],
        ["Blasts (aspirate differential)", "60 of 500 cells (12.0 %)", "100 of 500 cells (20.0 %)"],
        [
            "Polychromatic normoblasts (aspirate differential)",
            "110 of 500 cells (22.0 %)",
            "70 of 500 cells (14.0 %)",
        ],
    ]
    assert model.headerData(1, Qt.Orientation.Horizontal).startswith("Version 1: Final")
    assert model.headerData(2, Qt.Orientation.Horizontal).startswith("Version 2: Amendment")
    assert model.index(0, 2).data(Qt.ItemDataRole.BackgroundRole) is not None  # highlighted
    assert dialog.view.textElideMode() == Qt.TextElideMode.ElideNone
    metrics = dialog.view.fontMetrics()
    assert dialog.view.rowHeight(0) > 20 * metrics.lineSpacing()  # wrapped, not cut
    assert dialog.view.horizontalScrollBarPolicy() == Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    dialog.first.setCurrentIndex(dialog.first.findData(2))
    assert model.rowCount() == 0 and "same version" in dialog.summary.text()
    if screens.wanted():
        dialog.first.setCurrentIndex(0)
        screens.save_screenshot(dialog, "compare.png")


# ---------------------------------------------------------------- wording and checks


def test_completeness_without_lab_identity_blocks_and_cap_gaps_only_warn() -> None:
    data: dict[str, Any] = copy.deepcopy(example_case())
    data["core"]["fibrosis_grade"] = "not_assessed"
    del data["aspirate"]["differential"]
    today = date(2026, 11, 26)
    document = parse_case(data, today=today)
    check = check_draft(data, today=today)
    items = {item.title: item for item in check_items(check, document, LabSettings())}
    assert items["Lab identity"].blocks
    assert items["Blast percentage"].needs_acknowledgement
    assert items["Fibrosis grade"].needs_acknowledgement and not items["Fibrosis grade"].blocks
    assert items["Required fields"].met


def test_refusal_text_is_a_sentence_without_the_accession() -> None:
    assert refusal_text(
        ConcurrentChange("BM26-00042: changed by tech at 2026-11-26 10:00 UTC; reload"),
        nothing_done="Nothing was signed.",
    ).startswith("The case was changed by tech at 2026-11-26 10:00 UTC after you opened it.")
    assert refusal_text(
        Refused(
            "BM26-00042: cannot sign: the lab identity has no CLIA number; set it with "
            "`marrowpath lab set` or in Administration"
        ),
        nothing_done="Nothing was signed.",
    ) == (
        "Cannot sign: the lab identity has no CLIA number; an administrator sets it in "
        "Administration. "
        "Nothing was signed."
    )
