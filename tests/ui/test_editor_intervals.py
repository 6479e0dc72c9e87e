"""The editor shows each count's exact 95 % interval live while counting
(`clinical-rules.md` section 1): beside the key results' blasts and plasma cells, blast
equivalents when promonocytes are counted, ring sideroblasts beside the erythroblasts
counted, and in the differential panel's summary. On a real database (both)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.derived import BLAST_EQUIVALENTS_LABEL
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.users import User
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import example_case
from tests.ui.screens import save_screenshot

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00042"
PROMONOCYTES_ROW = list(DifferentialCategory).index(DifferentialCategory.PROMONOCYTES)


@pytest.fixture
def editor(
    qtbot: QtBot, app: App, services: Services, runner: TaskRunner, team: dict[str, User]
) -> CaseEditor:
    dr = team["drpark"]
    app.cases.import_case(dr, example_case())
    shown = CaseEditor(services=services, runner=runner, user=lambda: dr, accession=ACCESSION)
    qtbot.addWidget(shown)
    shown.resize(1366, 768)
    shown.show()
    qtbot.waitExposed(shown)
    qtbot.waitUntil(lambda: shown.record is not None)
    return shown


def test_intervals_beside_the_counted_values(qtbot: QtBot, editor: CaseEditor) -> None:
    live = editor.form.live
    qtbot.waitUntil(lambda: live.blasts.text() != "", timeout=10_000)  # first refresh
    assert live.blasts.text() == "differential: 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)"
    assert live.plasma_cells.text() == "differential: 2.0 % (10 of 500 cells; 95 % CI 1.0-3.6)"
    assert live.ring_sideroblasts.text().startswith(
        "ring sideroblasts: 4.0 % (4 of 100 erythroblasts; 95 % CI 1.1-9.9)"
    )
    assert live.blast_equivalents.text() == ""  # no promonocytes: they are the blasts
    panel = editor.form.differential
    assert panel.intervals.text() == (
        "Blasts 12.0 % (95 % CI 9.3-15.2)\n"
        "Plasma cells 2.0 % (95 % CI 1.0-3.6)\n"
        "(counting error only)"
    )


def test_blast_equivalents_appear_live_when_promonocytes_are_counted(
    qtbot: QtBot, editor: CaseEditor
) -> None:
    panel = editor.form.differential
    table = panel.table
    table.setFocus()
    table.setCurrentIndex(table.count_index(PROMONOCYTES_ROW))
    for key in ("3", "0", Qt.Key.Key_Return):  # to the grid, or the editor it opened
        qtbot.keyClick(QApplication.focusWidget() or table, key)
        QApplication.processEvents()
    # 60 blasts + 30 promonocytes of 530 cells = 16.98 %
    assert panel.cells.text() == "530"
    assert "Blast equivalents 17.0 % (95 % CI 13.9-" in panel.intervals.text()
    live = editor.form.live
    qtbot.waitUntil(lambda: live.blast_equivalents.text() != "", timeout=5_000)
    assert live.blast_equivalents.text().startswith(
        f"{BLAST_EQUIVALENTS_LABEL}: 17.0 % (90 of 530 cells; 95 % CI 13.9-"
    )
    assert live.blasts.text().startswith("differential: 11.3 % (60 of 530 cells;")
    save_screenshot(editor.form.differential, "editor-intervals.png")
