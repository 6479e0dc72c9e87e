"""The sign-out bench in the desktop app (bench.md section 3): the queue "Awaiting my
signature" and Ctrl+Shift+N, a resident's Send for review and the attending's diff before
signing, and "Open by NAME on WORKSTATION since TIME" in the banner."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QPlainTextEdit
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.dialogs.changes import ChangesView
from marrowpath.ui.dialogs.sign_out import SignOutDialog
from marrowpath.ui.editor.case_editor import SPLITTER_KEY, CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import AWAITING_MY_SIGNATURE
from tests.conftest import example_case
from tests.hashing import TEST_HASHER
from tests.ui.screens import save_screenshot

pytestmark = pytest.mark.ui


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: signing renders the report."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    return desktop_services(app, str(tmp_path / "data"))


def _case(accession: str, day: int, family: str, *, complete: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(example_case())
    data["accession"] = accession
    data["procedure"]["date"] = f"2026-11-{day:02d}"
    data["patient"]["mrn"] = f"MRN{day:04d}"
    data["patient"]["family_name"] = family
    if not complete:
        del data["diagnosis"]["lines"]
    return data


def _window(qtbot: QtBot, services: Services, user: User) -> MainWindow:
    window = MainWindow(services, user, idle_minutes=60)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: not window.worklist.model.loading, timeout=10_000)
    return window


def _editor(qtbot: QtBot, window: MainWindow, accession: str) -> CaseEditor:
    def shown() -> bool:
        editor = window.current_editor()
        return editor is not None and editor.accession == accession and editor.loaded

    qtbot.waitUntil(shown, timeout=20_000)
    editor = window.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: editor.form.field("diagnosis.comment").input is not None)
    return editor


def _comment(editor: CaseEditor) -> QPlainTextEdit:
    box = editor.form.field("diagnosis.comment").input
    assert isinstance(box, QPlainTextEdit)
    return box


def _next(qtbot: QtBot, window: MainWindow) -> None:
    qtbot.keyClick(
        QApplication.focusWidget() or window,
        Qt.Key.Key_N,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )


def test_ctrl_shift_n_saves_and_opens_the_next_case_awaiting_my_signature(
    qtbot: QtBot, app: App, services: Services, team: dict[str, User], tmp_path: Path
) -> None:
    drpark = team["drpark"]
    app.cases.import_case(drpark, _case("BM26-00010", 10, "ALVAREZ"))
    app.cases.import_case(drpark, _case("BM26-00012", 12, "BROOKS"))
    app.cases.import_case(drpark, _case("BM26-00014", 14, "CHEN"))
    app.cases.create(drpark, _case("BM26-00016", 16, "DUBOIS", complete=False))
    # a resident's unfinished draft, sent to Dr Park: in her queue, marked
    app.cases.create(team["resident"], _case("BM26-00008", 8, "GARCIA", complete=False))
    app.bench.send_for_review(team["resident"], "BM26-00008", "drpark")
    window = _window(qtbot, services, drpark)
    assert AWAITING_MY_SIGNATURE in [
        window.worklist.quick_filter.itemText(i)
        for i in range(window.worklist.quick_filter.count())
    ]
    with qtbot.waitSignal(window.worklist.model.loaded, timeout=10_000):
        window.worklist.select_filter(AWAITING_MY_SIGNATURE)
    model = window.worklist.model
    # newest procedure first, as the worklist sorts; the incomplete draft is not listed
    assert [model.row(i).accession for i in range(model.rowCount())] == [
        "BM26-00014",
        "BM26-00012",
        "BM26-00010",
        "BM26-00008",
    ]
    assert model.index(3, 4).data() == "Draft, review"
    assert window.next_action.isVisible()  # the button, on the toolbar
    assert window.next_action.shortcut().toString() == "Ctrl+Shift+N"
    save_screenshot(window, "signout-queue.png", tmp_path)

    _next(qtbot, window)
    first = _editor(qtbot, window, "BM26-00014")
    # the case opens on its completeness, advisories and findings (the side panel)
    assert first.side.isVisible()
    _comment(first).setPlainText("Reviewed at the bench.")
    assert first.is_dirty()
    # the side panel dragged away (remembered for the next editor) comes back for the next
    first.splitter.setSizes([150, 1000, 0])
    QSettings("MarrowPath", "MarrowPath").setValue(SPLITTER_KEY, first.splitter.saveState())

    _next(qtbot, window)
    second = _editor(qtbot, window, "BM26-00012")
    assert second.splitter.sizes()[2] > 0 and second.side.isVisible()
    stored = app.cases.open(drpark, "BM26-00014").record.working
    assert stored["diagnosis"]["comment"] == "Reviewed at the bench."  # saved on the way
    editors = [
        w for i in range(window.tabs.count()) if isinstance(w := window.tabs.widget(i), CaseEditor)
    ]
    assert editors == [second]  # the saved case made way for the next one

    _next(qtbot, window)
    _editor(qtbot, window, "BM26-00010")
    _next(qtbot, window)
    _editor(qtbot, window, "BM26-00008")
    _next(qtbot, window)
    _editor(qtbot, window, "BM26-00014")  # from the top again
    window.runner.wait(10_000)


def test_a_draft_sent_for_review_shows_the_attending_her_changes_before_signing(
    qtbot: QtBot,
    app: App,
    services: Services,
    team: dict[str, User],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drpark, resident = team["drpark"], team["resident"]
    draft = _case("BM26-00020", 17, "EVANS")
    draft["diagnosis"]["comment"] = "Features suggest a myeloid neoplasm."
    app.cases.create(resident, draft)

    # the resident sends it from her editor, choosing Dr Park
    window = _window(qtbot, services, resident)
    window.open_case("BM26-00020")
    editor = _editor(qtbot, window, "BM26-00020")
    send = editor.bench.send_button
    assert send.isVisible() and send.text() == "Send for review..."
    offered: list[list[str]] = []

    def choose(choices: list[User], current: str | None) -> str:
        offered.append([u.username for u in choices])
        return "drpark"

    monkeypatch.setattr(editor.bench, "choose_attending", choose)
    with qtbot.waitSignal(editor.bench.sent, timeout=20_000):
        send.click()
    assert offered == [["drpark"]]  # only those who sign
    qtbot.waitUntil(lambda: editor.bench.review is not None, timeout=20_000)
    assert editor.bench.review_label.text().startswith("Sent for review by Rui Resident on ")
    window.close_all_cases()
    window.runner.wait(10_000)

    # the attending finds it in her queue, marked, and rewrites the comment
    assert [(c.accession, c.review_from) for c in app.bench.queue(drpark)] == [
        ("BM26-00020", "Rui Resident")
    ]
    attending = _window(qtbot, services, drpark)
    with qtbot.waitSignal(attending.worklist.model.loaded, timeout=10_000):
        attending.worklist.select_filter(AWAITING_MY_SIGNATURE)
    status = attending.worklist.model.index(0, 4)
    assert status.data() == "Draft, review"
    assert status.data(Qt.ItemDataRole.ToolTipRole) == "Draft, sent for review by Rui Resident"
    _next(qtbot, attending)
    editor = _editor(qtbot, attending, "BM26-00020")
    assert editor.bench.review_label.text().endswith("no changes to the resident's text yet.")
    assert not editor.bench.send_button.isVisible()  # attendings sign; they do not send
    _comment(editor).setPlainText("Acute myeloid leukemia; see the flow cytometry.")
    assert editor.save_and_wait()
    qtbot.waitUntil(lambda: editor.bench.review is not None and editor.bench.review.rows != [])

    runner = TaskRunner()
    dialog = SignOutDialog(
        services=services,
        runner=runner,
        user=drpark,
        accession="BM26-00020",
        row_version=editor.row_version or 0,
        preliminary=False,
    )
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=20_000):
        dialog.show()
    (diff,) = [
        v for v in dialog.findChildren(ChangesView) if v.accessibleName().startswith("Changes to")
    ]
    model = diff.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(3)]
    assert headers[1:] == ["Resident's text", "Now"]
    rows = [[model.index(r, c).data() for c in range(3)] for r in range(model.rowCount())]
    assert [row[1:] for row in rows] == [
        ["Features suggest a myeloid neoplasm.", "Acute myeloid leukemia; see the flow cytometry."]
    ]
    dialog.close()
    runner.wait(10_000)
    attending.runner.wait(10_000)


def test_the_banner_says_who_has_the_case_open_on_another_workstation(
    qtbot: QtBot, app: App, services: Services, team: dict[str, User]
) -> None:
    drpark, resident = team["drpark"], team["resident"]
    app.cases.import_case(drpark, _case("BM26-00030", 9, "FOSTER"))
    # the resident has it open on her own workstation (another program, same database)
    assert app.bench.enter(resident, "BM26-00030", "resident-pc") == []
    window = _window(qtbot, services, drpark)
    window.open_case("BM26-00030")
    editor = _editor(qtbot, window, "BM26-00030")
    label = editor.bench.presence_label
    qtbot.waitUntil(label.isVisible, timeout=10_000)
    assert label.text().startswith("Open by Rui Resident on resident-pc since ")
    assert label.parent() is editor.banner  # in the banner, above the form
    # and she sees this workstation's editor, until it closes
    (seen,) = app.bench.enter(resident, "BM26-00030", "resident-pc")
    assert (seen.full_name, seen.workstation) == ("Dana Park", services.workstation)
    qtbot.keyClick(editor, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert window.current_editor() is None
    window.runner.wait(10_000)
    assert app.bench.enter(resident, "BM26-00030", "resident-pc") == []
