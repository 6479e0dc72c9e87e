"""The hematologist's side in the desktop app (issue 16): her patients by default with
New and Amended marks and the unread count, the marks cleared by reading, Down and Enter
from the search box, and a preview whose keys move pages, never versions, and whose zoom
is remembered."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App, build
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import MARKS_COLUMN, WorklistView
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

HER_ID = "1497758544"  # the example case's ordering provider


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: PDFs rendered at signing and stored."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    return desktop_services(app, str(tmp_path))


def _case(accession: str, day: int, **edits: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(example_case())
    data["accession"] = accession
    data["procedure"]["date"] = f"2026-11-{day:02d}"
    data.update(edits)
    return data


@pytest.fixture
def her(app: App, team: dict[str, User]) -> User:
    """The clinician, linked to the example case's ordering provider, signed in anew."""
    app.auth.link_provider(team["admin"], "clinician", HER_ID)
    dr = team["drpark"]
    for accession, day, edits in (
        ("BM26-00001", 10, {}),
        ("BM26-00002", 12, {}),
        ("BM26-00003", 14, {"ordering_provider": {"name": "Sam Other, MD", "id": "1111"}}),
    ):
        app.cases.import_case(dr, _case(accession, day, **edits))
        app.cases.sign(dr, accession, PASSWORD)
    return app.auth.sign_in("clinician", PASSWORD)


def _shown(view: WorklistView) -> list[tuple[str, str]]:
    model = view.model
    return [
        (model.row(r).accession, model.data(model.index(r, MARKS_COLUMN)))
        for r in range(model.rowCount())
    ]


def test_her_patients_by_default_marked_and_counted_then_read(
    qtbot: QtBot, app: App, team: dict[str, User], her: User, services: Services
) -> None:
    runner = TaskRunner()
    view = WorklistView(services=services, runner=runner, user=lambda: her)
    qtbot.addWidget(view)
    counts: list[str] = []
    view.count_changed.connect(counts.append)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.apply_filters()
    assert view.quick_filter.currentText() == "My patients"
    assert _shown(view) == [("BM26-00002", "New"), ("BM26-00001", "New")]
    assert not view.table.isColumnHidden(MARKS_COLUMN)
    assert view.table.horizontalHeader().visualIndex(MARKS_COLUMN) == 0  # shown first
    qtbot.waitUntil(lambda: counts[-1:] == ["2 cases, 2 unread"], timeout=20_000)

    # she reads one in the preview: its mark clears here and in the count
    preview = PreviewWidget(
        services=services, runner=runner, user=lambda: her, accession="BM26-00001"
    )
    qtbot.addWidget(preview)
    preview.report_read.connect(
        lambda accession, new, amended: view.report_read(accession, new=new, amended=amended)
    )
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=60_000)
    qtbot.waitUntil(lambda: _shown(view)[1] == ("BM26-00001", ""), timeout=20_000)
    qtbot.waitUntil(lambda: counts[-1:] == ["2 cases, 1 unread"], timeout=20_000)

    # amended: New and Amended, in words and colour, until the amendment is shown
    corrected = _case("BM26-00001", 10)
    corrected["procedure"]["laterality"] = "left"
    app.cases.amend(
        team["drpark"],
        "BM26-00001",
        corrected,
        PASSWORD,
        reason_category="report_defect",
        reason="Side recorded wrongly.",
    )
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.select_filter("Unread")
    assert _shown(view) == [("BM26-00002", "New"), ("BM26-00001", "New, Amended")]
    marks = view.model.index(1, MARKS_COLUMN)
    assert view.model.data(marks, Qt.ItemDataRole.ForegroundRole) is not None
    assert view.model.data(marks, Qt.ItemDataRole.FontRole).bold()
    with qtbot.waitSignal(preview.report_read, timeout=60_000) as read:
        preview._load_versions()  # reopened: the current version is the amendment
    assert read.args == ["BM26-00001", True, True]
    assert _shown(view)[1] == ("BM26-00001", "")
    qtbot.waitUntil(lambda: counts[-1:] == ["2 cases, 1 unread"], timeout=20_000)
    runner.wait()


def test_an_unlinked_clinician_starts_on_all_issued_reports(
    qtbot: QtBot, app: App, team: dict[str, User], services: Services
) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, _case("BM26-00001", 10))
    app.cases.sign(dr, "BM26-00001", PASSWORD)
    view = WorklistView(services=services, runner=TaskRunner(), user=lambda: team["clinician"])
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.apply_filters()
    assert view.quick_filter.currentText() == "All issued reports"
    assert [a for a, _m in _shown(view)] == ["BM26-00001"]
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.select_filter("My patients")
    qtbot.waitUntil(lambda: "not linked to an ordering provider" in view.empty_label.text())


def test_a_search_that_finds_none_of_her_patients_says_so_and_not_that_she_has_none(
    qtbot: QtBot, app: App, team: dict[str, User], her: User, services: Services
) -> None:
    """Seen on the million-case database: a clinician typed "aplastic anemia" in "My
    patients" and read "No issued reports name you as ordering provider", although two
    of her patients' reports were listed a moment before."""
    runner = TaskRunner()
    view = WorklistView(services=services, runner=runner, user=lambda: her)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.apply_filters()
    assert len(_shown(view)) == 2
    view.search_box.setFocus()
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        QTest.keyClicks(view.search_box, "xyzzy")
        QTest.keyClick(view.search_box, Qt.Key.Key_Return)
    runner.wait()
    qtbot.wait(50)  # any answer the label waits for is delivered by now
    assert view.empty_label.isVisible()
    assert view.empty_label.text() == "No cases match. Clinicians see issued reports only."
    # the whole list empty still gets its reason
    view.search_box.clear()
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.select_filter("Unread")
    assert _shown(view) == [("BM26-00002", "New"), ("BM26-00001", "New")]


def test_down_from_the_search_box_reaches_the_results_and_enter_opens(
    qtbot: QtBot, app: App, team: dict[str, User], services: Services
) -> None:
    dr = team["drpark"]
    for number in (1, 2):
        app.cases.import_case(dr, _case(f"BM26-0000{number}", 10 + number))
    view = WorklistView(services=services, runner=TaskRunner(), user=lambda: dr)
    qtbot.addWidget(view)
    view.show()
    with qtbot.waitSignal(view.model.loaded, timeout=20_000):
        view.apply_filters()
    view.search_box.setFocus()
    qtbot.waitUntil(view.search_box.hasFocus)
    QTest.keyClick(view.search_box, Qt.Key.Key_Down)
    assert view.table.hasFocus() and view.selected_accession() == "BM26-00002"
    QTest.keyClick(view.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(view.open_requested) as opened:
        QTest.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args == ["BM26-00001"]


def test_preview_keys_move_pages_never_versions_and_zoom_is_remembered(
    qtbot: QtBot, app: App, team: dict[str, User], services: Services
) -> None:
    dr = team["drpark"]
    app.cases.import_case(dr, _case("BM26-00042", 10))
    app.cases.sign(dr, "BM26-00042", PASSWORD)
    app.cases.addendum(dr, "BM26-00042", PASSWORD, text="Flow cytometry follows.")
    preview = PreviewWidget(
        services=services, runner=TaskRunner(), user=lambda: dr, accession="BM26-00042"
    )
    qtbot.addWidget(preview)
    preview.resize(1000, 800)
    preview.show()
    qtbot.waitUntil(lambda: preview.pdf is not None, timeout=60_000)
    assert [preview.versions.itemText(i) for i in range(2)] == [
        "version 2 of 2 - ADDENDUM",
        "version 1 of 2 - SUPERSEDED",
    ]
    preview.activateWindow()
    qtbot.waitUntil(lambda: preview.focusWidget() is preview.view)  # the page, not the version box
    assert preview.document.pageCount() >= 2
    for key, page in ((Qt.Key.Key_PageDown, 1), (Qt.Key.Key_PageUp, 0), (Qt.Key.Key_Right, 1)):
        QTest.keyClick(preview.view, key)
        assert preview.current_page() == page
    QTest.keyClick(preview.view, Qt.Key.Key_Down)  # scrolls within the page
    assert preview.versions.currentData() == 2  # never another version

    assert preview.view.zoomMode() == QPdfView.ZoomMode.FitToWidth  # the first time
    QTest.keyClick(preview.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomMode() == QPdfView.ZoomMode.Custom
    zoomed = preview.view.zoomFactor()
    QTest.keyClick(preview.view, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomFactor() == pytest.approx(zoomed / 1.25)
    QTest.keyClick(preview.view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert preview.view.zoomMode() == QPdfView.ZoomMode.FitToWidth
    preview.fit_page()
    assert preview.fit_page_button.isChecked() and not preview.fit_width_button.isChecked()
    again = PreviewWidget(
        services=services, runner=TaskRunner(), user=lambda: dr, accession="BM26-00042"
    )
    qtbot.addWidget(again)
    assert again.view.zoomMode() == QPdfView.ZoomMode.FitInView  # remembered
    qtbot.waitUntil(lambda: again.pdf is not None, timeout=60_000)
