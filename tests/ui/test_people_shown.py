"""The editor shows people by name: who saved the case last, who communicated a critical
result, who is counting; the document keeps their usernames (`case-format.md`)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from tests.conftest import example_case_v2

pytestmark = pytest.mark.ui


def test_the_editor_names_people_not_usernames(
    qtbot: QtBot, app: App, services: Services, pathologist: User
) -> None:
    data = {**example_case_v2(), "accession": "BM26-00042"}
    data["communications"] = [
        {
            "at": "2026-11-20T15:05:00-05:00",
            "to": "Dr Priya Raman",
            "method": "phone",
            "read_back": True,
            "by": pathologist.username,
        },
        {"at": "2026-11-20T15:10:00-05:00", "to": "Dr X", "method": "page", "by": "visitor"},
    ]
    app.cases.import_case(pathologist, data)
    window = MainWindow(services, pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.open_case("BM26-00042")
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    editor = window.current_editor()
    assert isinstance(editor, CaseEditor)
    assert editor.action_bar.state.text().endswith(f"by {pathologist.full_name}")
    editor.show_section("communications")
    table = editor._communications()
    assert table is not None
    cells = [table.table.item(row, 6) for row in range(table.table.rowCount())]
    by = [cell.text() if cell is not None else "" for cell in cells]
    assert by == [pathologist.full_name, "visitor"]  # not a user here: as stored
    # the document still holds the usernames
    assert [c["by"] for c in table.value() or []] == [pathologist.username, "visitor"]
