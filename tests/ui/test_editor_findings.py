"""The editor's checks panel shows the consistency findings live, as the pathologist
types (offscreen, SQLite and PostgreSQL), with the same rules as the sign-out."""

from __future__ import annotations

import os

import pytest
from pytestqt.qtbot import QtBot

from marrowpath.domain.users import User
from tests.ui.conftest import EditorFactory
from tests.ui.test_editor import (
    box,
    draft,
    line,
    type_into,
)

__all__ = ["draft"]  # a fixture, used by name
pytestmark = pytest.mark.ui


def test_findings_follow_the_typing(
    qtbot: QtBot, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr)
    panel = editor.side.findings
    assert panel.findings == [] and editor.side.findings_box.title() == "Consistency findings"

    type_into(qtbot, line(editor, "core.cellularity_pct"), "60")
    assert panel.texts() == [
        "C02 discordant (tick needed at sign-out): the diagnosis says 80% cellularity; "
        "the core biopsy records 60 %"
    ]
    type_into(qtbot, box(editor, "diagnosis.lines"), "Hypercellular marrow (60%).")
    assert [f.code for f in panel.findings] == []
    type_into(qtbot, line(editor, "core.cellularity_pct"), "6")
    assert [f.code for f in panel.findings] == ["C02", "C03"]
    assert panel.texts()[1].startswith("C03 review: ")
    if os.environ.get("MARROWPATH_SHOTS"):
        editor.resize(1366, 768)
        qtbot.wait(200)
        editor.side.grab().save(os.environ["MARROWPATH_SHOTS"] + "/editor-findings.png")
    # an incomplete draft is judged from its valid parts, as at sign-out once complete
    type_into(qtbot, line(editor, "patient.mrn"), "")
    assert not editor.document()["patient"].get("mrn")  # no longer a complete case
    assert [f.code for f in panel.findings] == ["C02", "C03"]
