"""At 1366x768 nothing needs a horizontal scroll bar (`look-and-feel.md`, Sizes): the
worklist's diagnosis column takes the width the others leave, and the case editor's
differential puts the counter's keys under the grid when both do not fit beside it."""

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


def test_the_worklist_and_every_editor_section_fit_1366_pixels(
    qtbot: QtBot, app: App, services: Services, pathologist: User
) -> None:
    app.cases.import_case(pathologist, {**example_case_v2(), "accession": "BM26-00042"})
    window = MainWindow(services, pathologist, idle_minutes=60)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=10_000)
    assert window.width() == 1366
    assert window.worklist.table.horizontalScrollBar().maximum() == 0

    window.open_case("BM26-00042")
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    editor = window.current_editor()
    assert isinstance(editor, CaseEditor)
    for section in editor.form.sections:  # every section made and shown
        editor.show_section(section.key)
    qtbot.waitUntil(lambda: all(s.built for s in editor.form.sections if s.key != "patient"))
    qtbot.wait(50)
    viewport = editor.form_scroll.viewport().width()
    too_wide = {
        s.title(): s.minimumSizeHint().width()
        for s in editor.form.sections
        if s.minimumSizeHint().width() > viewport
    }
    assert too_wide == {}
    assert editor.form_scroll.horizontalScrollBar().maximum() == 0
    differential = editor.form.differential
    assert differential is not None
    assert differential.stacked  # the keys under the grid, not pushing the form wider
    assert differential.width() <= viewport
