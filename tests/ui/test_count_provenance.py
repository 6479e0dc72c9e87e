"""How the differential was obtained and the second observer's count, in a real case
editor on a real database (`bench.md` section 1): a count finished with the counter is
saved with its provenance, a typed one as typed, an imported one as it came; a second
count is entered beside the differential with its concordance shown, and never printed."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App, build
from marrowpath.domain.counter import TARGETS
from marrowpath.domain.users import User
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.counter import DifferentialCounter
from tests.conftest import PASSWORD, example_case_v2
from tests.hashing import TEST_HASHER
from tests.ui import test_editor
from tests.ui.conftest import EditorFactory
from tests.ui.screens import SCREENSHOTS, wanted
from tests.ui.test_editor import (
    ACCESSION,
    line,
    save,
    type_counts,
    type_into,
    working,
)

draft = test_editor.draft

pytestmark = pytest.mark.ui


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: PDFs rendered (the second count must not be in them)."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def key(qtbot: QtBot, editor: QWidget, name: str | Qt.Key) -> None:
    qtbot.keyClick(QApplication.focusWidget() or editor, name)


def counter_of(editor: CaseEditor) -> DifferentialCounter:
    counter = editor.counters.differential
    assert counter is not None
    return counter


def stored_count(app: App, user: User) -> dict[str, Any]:
    count: dict[str, Any] = working(app, user, ACCESSION)["aspirate"]["count"]
    return count


def test_f9_keys_to_the_target_save_the_counters_provenance(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr)
    key(qtbot, editor, Qt.Key.Key_F9)  # shows the aspirate section and starts
    counter = counter_of(editor)
    key(qtbot, editor, Qt.Key.Key_F9)  # stopped without a cell: the provenance stays
    assert editor.form.field("aspirate.count.method").value() is None  # the /1 example's
    assert not editor.is_dirty()
    counter.clear()  # start afresh (the confirmation is the Clear counts test's)
    counter.bar.target.setCurrentIndex(TARGETS.index(100))
    key(qtbot, editor, Qt.Key.Key_F9)
    for name in "b" * 12 + "n" * 55 + "zz" + "l" * 25 + "c" * 8:
        key(qtbot, editor, name)
    assert "Target of 100 cells reached" in counter.bar.notice.text()
    # at the target the count is finished: the document has its provenance already
    assert editor.form.field("aspirate.count.method").value() == "counter"
    key(qtbot, editor, "b")  # ignored at the target
    key(qtbot, editor, Qt.Key.Key_Escape)
    assert not counter.running
    save(qtbot, editor)
    count = stored_count(app, dr)
    assert count["method"] == "counter"
    assert count["counted_by"] == "drpark"
    assert count["target"] == 100
    assert count["smudge_cells"] == 2
    started = datetime.fromisoformat(count["started_at"])
    assert started.tzinfo is not None
    assert started <= datetime.fromisoformat(count["finished_at"])
    differential = working(app, dr, ACCESSION)["aspirate"]["differential"]
    assert differential == {"blasts": 12, "neutrophils": 55, "lymphocytes": 25, "plasma_cells": 8}
    # shown in the editor and in the counter's bar
    assert line(editor, "aspirate.count.counted_by").text() == "drpark"
    assert "Counted with the counter by Dana Park" in counter.bar.provenance.text()
    # printed with the counter's name from the user store, on the draft and as signed
    counted = "100-cell differential counted with the on-screen counter by Dana Park, "
    assert counted in pdf_text(app.cases.report_pdf(dr, ACCESSION))
    app.cases.sign(dr, ACCESSION, PASSWORD)
    assert counted in pdf_text(app.cases.report_pdf(dr, ACCESSION))


def test_typing_a_count_records_it_as_typed_and_drops_the_counters_times(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    app.cases.import_case(dr, example_case_v2())  # counted with the counter by achen
    editor = open_editor(ACCESSION, dr)
    assert editor.form.field("aspirate.count.method").value() == "counter"  # as imported
    assert line(editor, "aspirate.count.counted_by").text() == "achen"
    assert not editor.is_dirty()
    type_counts(qtbot, editor, ["9"])
    save(qtbot, editor)
    count = stored_count(app, dr)
    assert count["method"] == "typed"
    assert count["counted_by"] == "drpark"
    assert "started_at" not in count and "finished_at" not in count


def test_an_imported_count_keeps_what_it_had(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    data = example_case_v2()
    data["aspirate"]["count"] = {"method": "imported", "counted_by": "analyzer", "target": 200}
    app.cases.import_case(dr, data)
    editor = open_editor(ACCESSION, dr)
    type_into(qtbot, line(editor, "core.length_mm"), "17")
    save(qtbot, editor)
    assert stored_count(app, dr) == {"method": "imported", "counted_by": "analyzer", "target": 200}


def second_counts(qtbot: QtBot, editor: CaseEditor, counts: dict[str, str]) -> None:
    for name, text in counts.items():
        type_into(qtbot, line(editor, f"aspirate.second_count.differential.{name}"), text)


def second_count_area(editor: CaseEditor) -> QPixmap:
    """The aspirate section from the second count's heading down (its fields, the
    concordance), as the pathologist sees it."""
    section = editor.form.section("aspirate")
    editor.form_scroll.ensureWidgetVisible(editor.form.live.second_count)
    QApplication.processEvents()
    top = line(editor, "aspirate.second_count.counted_by").mapTo(section, QPoint(0, 0)).y() - 36
    return section.grab(QRect(0, top, section.width(), section.height() - top))


def pdf_text(pdf: bytes) -> str:
    """The PDF's words read back, one space between them (lines wrap where they fit)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() or "" for page in pages).split())


def test_a_second_observers_count_with_its_concordance_never_printed(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory, tmp_path: Path
) -> None:
    app.cases.import_case(dr, example_case_v2())  # 60 blasts, 10 plasma cells of 500
    editor = open_editor(ACCESSION, dr)
    editor.form.build_through(editor.form.section("aspirate"))
    concordance = editor.form.live.second_count
    assert concordance.text() == ""
    type_into(qtbot, line(editor, "aspirate.second_count.counted_by"), "mlee")
    second_counts(qtbot, editor, {"blasts": "30", "neutrophils": "166", "plasma_cells": "4"})
    assert concordance.text().startswith("Concordant for blasts and plasma cells")
    assert "second 15.0 % (30 of 200 cells; 95 % CI 10.4-20.7): concordant" in concordance.text()
    second_counts(qtbot, editor, {"blasts": "40"})  # 40 of 210: 19.0 %, above 9.3-15.2
    assert concordance.text().startswith("Discordant for blasts (rule:")
    assert "the second value lies outside the reported interval" in concordance.text()
    # the reported differential is untouched, and so is its provenance
    assert editor.document()["aspirate"]["differential"]["blasts"] == 60
    assert editor.form.field("aspirate.count.method").value() == "counter"
    shot = second_count_area(editor)
    folder = SCREENSHOTS if wanted() else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    assert shot.save(str(folder / "second-count.png"))
    save(qtbot, editor)
    stored = working(app, dr, ACCESSION)["aspirate"]
    assert stored["second_count"] == {
        "counted_by": "mlee",
        "differential": {"blasts": 40, "neutrophils": 166, "plasma_cells": 4},
    }
    assert stored["count"]["method"] == "counter"  # the example's, kept
    draft_pdf = pdf_text(app.cases.report_pdf(dr, ACCESSION))
    app.cases.sign(dr, ACCESSION, PASSWORD)
    final_pdf = pdf_text(app.cases.report_pdf(dr, ACCESSION))
    for text in (draft_pdf, final_pdf):
        assert "500-cell differential counted with the on-screen counter" in text
        assert "mlee" not in text and "Second" not in text and "second count" not in text
        assert "oncordan" not in text


def test_count_again_as_second_observer_counts_into_the_second_count_only(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory, tmp_path: Path
) -> None:
    app.cases.import_case(dr, example_case_v2())  # 60 blasts, 10 plasma cells of 500
    editor = open_editor(ACCESSION, dr)
    controls = editor.form.second_count
    controls.start.click()  # (scrolled out of the offscreen view, a synthetic click misses)
    counter = counter_of(editor)
    assert counter.running and counter.second is not None
    for name in "b" * 30 + "n" * 166 + "z" + "c" * 4:
        key(qtbot, editor, name)
    assert "Counting the second observer's count: 200 of 500 cells" in controls.state.text()
    assert line(editor, "aspirate.second_count.differential.blasts").text() == "30"
    concordance = editor.form.live.second_count.text()
    assert concordance.startswith("Concordant for blasts and plasma cells")  # live
    key(qtbot, editor, Qt.Key.Key_Backspace)  # takes back the last plasma cell
    assert line(editor, "aspirate.second_count.differential.plasma_cells").text() == "3"
    key(qtbot, editor, "c")
    key(qtbot, editor, Qt.Key.Key_Escape)
    assert not counter.running and counter.second is None
    controls.start.click()  # again: Clear counts now starts the second count afresh
    counter.clear()
    assert editor.form.live.second_count.text() == ""
    assert editor.document()["aspirate"]["differential"]["blasts"] == 60  # untouched
    for name in "b" * 30 + "n" * 166 + "c" * 4:
        key(qtbot, editor, name)
    key(qtbot, editor, Qt.Key.Key_F9)
    assert not counter.running
    assert controls.state.text() == "Second count stopped: 200 cells."
    assert second_count_area(editor).save(str(tmp_path / "second-count-counted.png"))
    save(qtbot, editor)
    stored = working(app, dr, ACCESSION)["aspirate"]
    assert stored["second_count"] == {
        "counted_by": "drpark",
        "method": "counter",
        "differential": {"blasts": 30, "neutrophils": 166, "plasma_cells": 4},
    }
    # the reported differential and how it was counted are as they were
    assert stored["differential"] == example_case_v2()["aspirate"]["differential"]
    assert stored["count"] == example_case_v2()["aspirate"]["count"]


def test_a_second_count_without_counts_is_named_as_missing(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    app.cases.import_case(dr, example_case_v2())
    editor = open_editor(ACCESSION, dr)
    editor.form.complete_now()
    type_into(qtbot, line(editor, "aspirate.second_count.counted_by"), "mlee")
    entries = editor.form.missing_entries(["aspirate.second_count.differential"])
    assert entries == [
        (
            "Aspirate › Second count, a count for at least one cell type",
            "aspirate.second_count.differential",
        )
    ]
    editor.form.focus("aspirate.second_count.differential")
    assert QApplication.focusWidget() is line(editor, "aspirate.second_count.differential.blasts")
