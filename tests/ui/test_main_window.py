"""The main window end to end: sign in, lockout, idle lock, preview and print, deliveries,
administration, and what a clinician sees."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtPrintSupport import QAbstractPrintDialog, QPrinter
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.admin import AdminDialog
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.patient_panel import PatientPanel
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.services import Services
from marrowpath.ui.sign_in import SignInDialog
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER


@pytest.fixture
def signed_case(app: App, pathologist: User) -> str:
    app.cases.import_case(pathologist, example_case())
    app.cases.sign(pathologist, "BM26-00042", PASSWORD)
    return "BM26-00042"


def test_sign_in_success_failure_and_lockout(
    qtbot: QtBot, services: Services, team: dict[str, User]
) -> None:
    dialog = SignInDialog(services.auth, database_label=services.database_label)
    qtbot.addWidget(dialog)
    dialog.username.setText("drpark")
    dialog.password.setText("not the password")
    dialog._try()
    assert dialog.user is None
    assert "Wrong user name or password" in dialog.message.text()
    assert "lock an account for 15 minutes" in dialog.message.text()
    for _ in range(4):
        dialog.password.setText("still wrong!")
        dialog._try()
    dialog.password.setText(PASSWORD)
    dialog._try()  # locked: the right password is refused in the same words
    assert dialog.user is None and "Wrong user name or password" in dialog.message.text()
    services.auth.unlock(team["admin"], "drpark")
    dialog.password.setText(PASSWORD)
    dialog._try()
    assert dialog.user is not None and dialog.user.username == "drpark"


def test_idle_lock_keeps_the_session_and_asks_for_the_password(
    qtbot: QtBot, services: Services, pathologist: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    window = MainWindow(services, pathologist, idle_minutes=0.002)  # about 0.1 s
    qtbot.addWidget(window)
    asked: list[str] = []

    def unlock(dialog: SignInDialog) -> int:
        asked.append(dialog.username.text())
        dialog.password.setText(PASSWORD)
        dialog._try()
        return 1 if dialog.user else 0

    monkeypatch.setattr(SignInDialog, "exec", unlock)
    window.new_case()
    editor = window.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: len(asked) >= 1, timeout=5_000)
    window.idle.set_minutes(60)
    assert set(asked) == {"drpark"}  # only the signed-in user's password unlocks
    assert window.user().username == "drpark"
    assert window.current_editor() is editor  # the open work is still there


def test_typing_keeps_the_session_open(qtbot: QtBot, services: Services, pathologist: User) -> None:
    window = MainWindow(services, pathologist, idle_minutes=0.01)  # 0.6 s
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QGuiApplication.focusWindow() is not None, timeout=30_000)
    locked: list[bool] = []
    window.idle.idle.disconnect()
    window.idle.idle.connect(lambda: locked.append(True))
    for _ in range(8):  # 1.2 s of typing, longer than the idle time
        QTest.keyClick(QGuiApplication.focusWindow(), Qt.Key.Key_Shift)
        qtbot.wait(150)
    assert locked == []
    qtbot.waitUntil(lambda: locked == [True], timeout=5_000)


def test_preview_print_to_pdf_and_save(
    qtbot: QtBot, database_url: str, pathologist: User, tmp_path: Path
) -> None:
    app = build(
        database_url, hasher=TEST_HASHER
    )  # with the PDF renderer: the PDF is stored at signing
    app.cases.import_case(pathologist, example_case())
    app.cases.sign(pathologist, "BM26-00042", PASSWORD)
    signed_case = "BM26-00042"
    services = desktop_services(app, str(tmp_path))
    window = MainWindow(services, pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.open_preview(signed_case)
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=20_000)
    assert preview.document.pageCount() >= 2
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    dialog = preview.make_print_dialog(printer)  # no "Print to file": its chooser sniffs files
    assert not dialog.testOption(QAbstractPrintDialog.PrintDialogOption.PrintToFile)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    with qtbot.waitSignal(preview.printed, timeout=30_000) as printed:
        preview.print_to(printer)
    pages = printed.args[0]
    assert pages == preview.document.pageCount()
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == pages
    preview.summary.setChecked(True)
    qtbot.waitUntil(lambda: preview.document.pageCount() > pages, timeout=20_000)
    with qtbot.waitSignal(preview.saved, timeout=30_000):
        preview.save_to(tmp_path / "with-summary.pdf")
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "with-summary.pdf").pages)
    assert "What was done?" in text
    with app.context.uow(read_only=True) as uow:
        actions = [e.action for e in uow.audit.for_case(signed_case)]
    assert {"preview", "print", "save"} <= set(actions)
    window.close()
    app.close()


@pytest.fixture
def no_delivery_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The window's first delivery check runs 2 s after it opens, on its task runner; a
    test that closes the window sooner must not leave it to fire during the next test."""
    monkeypatch.setattr(MainWindow, "check_deliveries", lambda _window: None)


@pytest.mark.usefixtures("no_delivery_check")
def test_preview_offers_no_patient_summary_for_a_withdrawn_report(
    qtbot: QtBot, database_url: str, pathologist: User, tmp_path: Path
) -> None:
    app = build(database_url)  # with the PDF renderer
    app.cases.import_case(pathologist, example_case())
    app.cases.sign(pathologist, "BM26-00042", PASSWORD)
    app.cases.withdraw(pathologist, "BM26-00042", PASSWORD, reason="Labels swapped.")
    window = MainWindow(desktop_services(app, str(tmp_path)), pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.open_preview("BM26-00042")
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=20_000)
    assert preview.pdf is not None
    first = PdfReader(io.BytesIO(preview.pdf)).pages[0].extract_text()
    assert "WITHDRAWN - ENTERED IN ERROR" in first
    assert not preview.summary.isEnabled() and not preview.summary.isChecked()
    assert preview.summary.toolTip() == "A withdrawn report has no patient summary."
    # every version of a withdrawn case says so, in the words of its banner
    assert [preview.versions.itemText(i) for i in range(2)] == [
        "version 2 of 2 - WITHDRAWN",
        "version 1 of 2 - WITHDRAWN",
    ]
    window.close()
    app.close()


@pytest.mark.usefixtures("no_delivery_check")
def test_preview_of_a_case_cancelled_before_anything_was_issued_says_so(
    qtbot: QtBot, app: App, services: Services, pathologist: User
) -> None:
    app.cases.import_case(pathologist, example_case())
    app.cases.cancel(pathologist, "BM26-00042", reason="Duplicate order.")
    window = MainWindow(services, pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.open_preview("BM26-00042")
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    qtbot.waitUntil(lambda: "nothing to print" in preview.message.text(), timeout=20_000)
    assert preview.pdf is None and not preview.print_button.isEnabled()
    window.close()


def test_a_clinician_finds_a_report_and_goes_straight_to_it(
    qtbot: QtBot, services: Services, team: dict[str, User], signed_case: str, app: App
) -> None:
    app.cases.import_case(team["drpark"], {**example_case(), "accession": "BM26-00043"})
    window = MainWindow(services, team["clinician"], idle_minutes=60)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=10_000)
    assert window.worklist.model.row(0).accession == signed_case  # drafts are not shown
    assert not window.new_action.isEnabled()
    assert not window.sign_action.isVisible()
    window.open_case(signed_case)
    assert isinstance(window.tabs.currentWidget(), PreviewWidget)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_failed_deliveries_are_shown_to_the_lab(
    qtbot: QtBot, app: App, team: dict[str, User], tmp_path: Path
) -> None:
    app.lab.add_destination(team["admin"], name="EHR", host="127.0.0.1", port=_closed_port())
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], "BM26-00042", PASSWORD)
    services = desktop_services(app, str(tmp_path))
    window = MainWindow(services, team["drpark"], idle_minutes=60)
    qtbot.addWidget(window)
    assert window.deliveries_action.isVisible()
    window.check_deliveries()
    qtbot.waitUntil(lambda: window.deliveries_label.isVisibleTo(window), timeout=20_000)
    assert window.deliveries_label.text() == "1 delivery to the hospital failed"


def test_administration_changes_intervals_and_users(
    qtbot: QtBot, services: Services, team: dict[str, User]
) -> None:
    runner = TaskRunner()
    admin = AdminDialog(services=services, runner=runner, user=team["admin"])
    qtbot.addWidget(admin)
    qtbot.waitSignal(admin.ready, timeout=10_000).wait()
    row = next(r for r in range(admin.intervals.rowCount()) if admin._cell(r, 0).text() == "Blasts")
    admin._cell(row, 2).setText("3")
    admin.idle_minutes.setValue(7)
    with qtbot.waitSignal(admin.work_finished, timeout=10_000):
        admin.save()
    assert admin.message.text().startswith("Saved."), admin.message.text()
    settings = services.lab.settings()
    assert settings.reference_intervals["blasts"].high == 3
    assert settings.idle_minutes == 7
    admin._cell(row, 1).setText("5")  # low above high
    admin.save()
    assert "low <= high" in admin.message.text()
    assert services.lab.settings().reference_intervals["blasts"].low == 0
    names = [admin.users_model.user(r).username for r in range(admin.users_model.rowCount())]
    assert "tech" in names
    admin.users_table.selectRow(names.index("tech"))
    with qtbot.waitSignal(admin.work_finished, timeout=10_000):
        admin.unlock()
    assert admin.message.text() == "Done."
    pathologist_view = AdminDialog(services=services, runner=runner, user=team["drpark"])
    qtbot.addWidget(pathologist_view)
    qtbot.waitSignal(pathologist_view.ready, timeout=10_000).wait()
    titles = [pathologist_view.tabs.tabText(i) for i in range(pathologist_view.tabs.count())]
    assert "Users" not in titles and "Laboratory" in titles


def test_the_worklists_patient_course_opens_the_patient_panel_in_a_tab(
    qtbot: QtBot, services: Services, team: dict[str, User], signed_case: str
) -> None:
    """Issue 14, item 1: the Patient panel from the worklist's context menu ("Patient
    course"), one tab per MRN; a point opens its case (a clinician: the report)."""
    window = MainWindow(services, team["clinician"], idle_minutes=60)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=10_000)
    mrn = window.worklist.model.row(0).mrn
    window.worklist.patient_requested.emit(mrn)
    panel = window.tabs.currentWidget()
    assert isinstance(panel, PatientPanel)
    qtbot.waitUntil(lambda: panel.timeline is not None, timeout=10_000)
    assert window.tabs.tabText(window.tabs.currentIndex()) == f"Patient {mrn}"
    assert [e.accession for e in panel.timeline.points] == [signed_case]  # type: ignore[union-attr]
    tabs = window.tabs.count()
    window.worklist.patient_requested.emit(mrn)  # the same patient again: the same tab
    assert window.tabs.count() == tabs and window.tabs.currentWidget() is panel
    panel.chart.point_clicked.emit(signed_case)
    assert isinstance(window.tabs.currentWidget(), PreviewWidget)
    window.close()
