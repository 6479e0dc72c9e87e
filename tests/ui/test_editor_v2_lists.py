"""The `/2` inputs of the case editor driven from the keyboard (issue 12): the collection
time of the procedure, the therapy periods, and each ancillary study's measurements.

Checked where it lands: the working document in the database after a save, the same
values shown again by an editor opened afresh, and, for bad input, the rule in words
naming the field while the database is left as it was.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.labels import leaves
from marrowpath.domain.users import User
from marrowpath.ui.dialogs.communication import CommunicationDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.item_table import PROBLEM_BACKGROUND, ItemTable
from marrowpath.ui.editor.nested_table import NestedItemTable
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case_v2
from tests.ui.conftest import EditorFactory
from tests.ui.screens import save_picture

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00107"


@pytest.fixture
def draft(app: App, dr: User) -> str:
    """The `/2` example (a collection time, one study with a measurement) as a draft."""
    document = example_case_v2()
    document["accession"] = ACCESSION
    document.pop("communications", None)
    app.cases.import_case(dr, document)
    return ACCESSION


def working(app: App, user: User) -> dict[str, Any]:
    return app.cases.open(user, ACCESSION).record.working


def focused(fallback: QWidget) -> QWidget:
    return QApplication.focusWidget() or fallback


def press(qtbot: QtBot, key: str | Qt.Key, fallback: QWidget) -> None:
    """A key to whatever has the focus, then what a real keystroke lets run (a table
    commits an edited cell on its next turn of the event loop)."""
    qtbot.keyClick(focused(fallback), key)
    QApplication.processEvents()


def type_text(qtbot: QtBot, text: str, fallback: QWidget) -> None:
    for character in text:
        press(qtbot, character, fallback)


def type_cell(qtbot: QtBot, table: ItemTable, text: str) -> None:
    """Type into the current cell (the first key opens it, as in a spreadsheet), Enter."""
    type_text(qtbot, text, table.table)
    press(qtbot, Qt.Key.Key_Return, table.table)


def choose_cell(qtbot: QtBot, table: ItemTable, value: str) -> None:
    """F2 opens the current cell's drop-down; arrows step to the choice; Enter takes it."""
    press(qtbot, Qt.Key.Key_F2, table.table)
    combo = QApplication.focusWidget()
    assert isinstance(combo, QComboBox)
    target = combo.findData(value)
    assert target >= 0, value
    while combo.currentIndex() != target:
        press(qtbot, Qt.Key.Key_Down, combo)
    press(qtbot, Qt.Key.Key_Return, combo)


def add_row_by_keys(qtbot: QtBot, table: ItemTable) -> QLineEdit:
    """Tab reaches the Add button; Space adds a row with its first cell open for typing."""
    table.add_button.setFocus()
    qtbot.keyClick(table.add_button, Qt.Key.Key_Space)
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    return cell


def fill_therapy(qtbot: QtBot, editor: CaseEditor, ended_on: str) -> ItemTable:
    therapy = editor.form.table("clinical.therapy")
    cell = add_row_by_keys(qtbot, therapy)
    qtbot.keyClicks(cell, "Azacitidine + venetoclax")
    press(qtbot, Qt.Key.Key_Return, therapy.table)
    press(qtbot, Qt.Key.Key_Right, therapy.table)
    choose_cell(qtbot, therapy, "chemotherapy")
    press(qtbot, Qt.Key.Key_Right, therapy.table)
    type_cell(qtbot, therapy, "2026-08-03")
    press(qtbot, Qt.Key.Key_Right, therapy.table)
    type_cell(qtbot, therapy, ended_on)
    return therapy


def measurements_of(qtbot: QtBot, editor: CaseEditor, row: int) -> ItemTable:
    """The measurement table, showing the study in this row (reached by the arrows)."""
    table = studies(editor)
    table.table.setFocus()
    while table.table.currentRow() != row:
        key = Qt.Key.Key_Down if table.table.currentRow() < row else Qt.Key.Key_Up
        press(qtbot, key, table.table)
    return table.inner


def studies(editor: CaseEditor) -> NestedItemTable:
    table = editor.form.table("ancillary")
    assert isinstance(table, NestedItemTable)
    return table


def fill_measurement(qtbot: QtBot, editor: CaseEditor, row: int, value: str) -> ItemTable:
    inner = measurements_of(qtbot, editor, row)
    cell = add_row_by_keys(qtbot, inner)
    qtbot.keyClicks(cell, "Abnormal metaphases")
    press(qtbot, Qt.Key.Key_Return, inner.table)
    press(qtbot, Qt.Key.Key_Right, inner.table)
    type_cell(qtbot, inner, value)
    press(qtbot, Qt.Key.Key_Right, inner.table)
    choose_cell(qtbot, inner, "percent")
    return inner


def set_collection_time(qtbot: QtBot, editor: CaseEditor, text: str) -> QLineEdit:
    edit = editor.form.field("procedure.collected_at").input
    assert isinstance(edit, QLineEdit)
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClick(edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(edit, text)
    return edit


def save(qtbot: QtBot, editor: CaseEditor) -> None:
    editor.save()
    qtbot.waitUntil(lambda: not editor.saving)


# ---------------------------------------------------------------- entering and reloading


def test_collection_time_therapy_and_a_measurement_typed_by_keys_are_saved_and_reloaded(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory, tmp_path: Path
) -> None:
    editor = open_editor(ACCESSION, dr, complete=True)
    # loaded as stored: the collection time, and the flow study's measurement below it
    local = datetime.fromisoformat("2026-11-18T09:40:00-05:00").astimezone()
    collected = editor.form.field("procedure.collected_at").input
    assert isinstance(collected, QLineEdit)
    shown_at = collected.text()
    assert shown_at == local.strftime("%Y-%m-%d %H:%M")  # in the workstation's local time
    inner = measurements_of(qtbot, editor, 0)
    assert [inner.table.item(0, n).text() for n in range(3)] == [  # type: ignore[union-attr]
        "CD34+ myeloblasts by flow",
        "9.5",
        "%",
    ]
    assert not editor.is_dirty()

    set_collection_time(qtbot, editor, "2026-11-18T10:05:00-05:00")
    fill_therapy(qtbot, editor, "2026-10-01")
    fill_measurement(qtbot, editor, 1, "12.5")  # the karyotype, second row
    assert editor.problems.texts() == []
    save(qtbot, editor)
    assert not editor.is_dirty()
    # read again from the database (an edit made meanwhile is discarded): the study one
    # was working on stays selected
    qtbot.keyClicks(editor.form.field("procedure.operator").input, " (PA)")
    assert editor.is_dirty()
    editor.reload()
    qtbot.waitUntil(lambda: not editor.is_dirty())
    assert studies(editor).table.currentRow() == 1
    shown = studies(editor).inner.table.item(0, 0)
    assert shown is not None and shown.text() == "Abnormal metaphases"

    stored = working(app, dr)
    assert stored["procedure"]["collected_at"] == "2026-11-18T10:05:00-05:00"
    assert stored["clinical"]["therapy"] == [
        {
            "name": "Azacitidine + venetoclax",
            "kind": "chemotherapy",
            "started_on": "2026-08-03",
            "ended_on": "2026-10-01",
        }
    ]
    assert stored["ancillary"][0]["measurements"] == [
        {"name": "CD34+ myeloblasts by flow", "value": 9.5, "unit": "percent"}
    ]
    assert stored["ancillary"][1] == {
        "kind": "karyotype",
        "status": "pending",
        "measurements": [{"name": "Abnormal metaphases", "value": 12.5, "unit": "percent"}],
    }
    editor.close()

    again = open_editor(
        ACCESSION, dr, complete=True
    )  # read back from the database into fresh widgets
    assert again.document()["clinical"]["therapy"] == stored["clinical"]["therapy"]
    therapy = again.form.table("clinical.therapy")
    assert [therapy.table.item(0, n).text() for n in range(4)] == [  # type: ignore[union-attr]
        "Azacitidine + venetoclax",
        "Chemotherapy",
        "2026-08-03",
        "2026-10-01",
    ]
    inner = measurements_of(qtbot, again, 1)
    assert inner.table.item(0, 0).text() == "Abnormal metaphases"  # type: ignore[union-attr]
    assert inner.table.item(0, 1).text() == "12.5"  # type: ignore[union-attr]
    assert "Karyotype" in studies(again).inner_caption.text()
    assert not again.is_dirty()
    # the picture for the documentation: the two new lists at 1366x768, one over the other
    grabs = []
    for key in ("clinical", "ancillary"):
        again.show_section(key)
        QApplication.processEvents()
        grabs.append(again.grab())
        assert (grabs[-1].width(), grabs[-1].height()) == (1366, 768)
    picture = QPixmap(1366, 2 * 768)
    painter = QPainter(picture)
    for number, grab in enumerate(grabs):
        painter.drawPixmap(0, number * 768, grab)
    painter.end()
    assert save_picture(picture, "editor-therapy-measurements.png", tmp_path) is not None
    assert again.form_scroll.horizontalScrollBar().maximum() == 0  # nothing off to the side


def test_removing_a_measurement_and_a_study_reads_back_without_them(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(ACCESSION, dr, complete=True)
    inner = measurements_of(qtbot, editor, 0)
    inner.table.setFocus()
    inner.table.setCurrentCell(0, 0)
    inner.remove_button.setFocus()
    qtbot.keyClick(inner.remove_button, Qt.Key.Key_Space)
    assert "measurements" not in editor.document()["ancillary"][0]
    table = studies(editor)
    table.table.setFocus()
    table.table.setCurrentCell(2, 0)  # the molecular study
    table.remove_button.setFocus()
    qtbot.keyClick(table.remove_button, Qt.Key.Key_Space)
    save(qtbot, editor)
    stored = working(app, dr)
    assert [study["kind"] for study in stored["ancillary"]] == ["flow_cytometry", "karyotype"]
    assert "measurements" not in stored["ancillary"][0]


# ---------------------------------------------------------------- bad input


def test_bad_input_names_the_field_and_nothing_is_saved(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    before = app.cases.open(dr, draft).record
    editor = open_editor(ACCESSION, dr, complete=True)

    therapy = fill_therapy(qtbot, editor, "2026-07-01")  # ends before it starts
    assert therapy.error.text() == "Row 1, Ended on: 2026-07-01 is before started_on 2026-08-03"
    assert therapy.table.item(0, 3).background().color() == PROBLEM_BACKGROUND  # type: ignore[union-attr]

    inner = fill_measurement(qtbot, editor, 1, "many")  # not a number
    table = studies(editor)
    assert table.error.text() == (
        'Row 2, Measurement row 1, Value: must be a number, got "many"'
    ), table.error.text()
    assert inner.error.text() == 'Row 1, Value: must be a number, got "many"'
    assert inner.table.item(0, 1).background().color() == PROBLEM_BACKGROUND  # type: ignore[union-attr]
    measurements_of(qtbot, editor, 0)  # another study shown: its rows are not marked
    assert inner.error.isHidden()
    measurements_of(qtbot, editor, 1)
    assert not inner.error.isHidden()

    edit = set_collection_time(qtbot, editor, "2026-11-19T08:00:00-05:00")  # not that day
    collected = editor.form.field("procedure.collected_at")
    assert collected.error.text() == "Is on 2026-11-19, not on the procedure date 2026-11-18"
    assert collected.outline.invalid

    texts = editor.problems.texts()
    assert any("Therapy › row 1 › Ended on" in text for text in texts), texts
    assert any("Ancillary studies › row 2 › Measurement row 1 › Value" in t for t in texts), texts
    assert any("Collection time" in text for text in texts), texts
    editor.save()
    assert not editor.saving  # refused before any database work
    assert editor.message_bar.message().startswith("Not saved: 3 problems must be fixed")
    after = app.cases.open(dr, draft).record
    assert after.row_version == before.row_version and after.working == before.working

    # going to a listed problem puts the cursor in its cell, the study's row shown
    measurements_of(qtbot, editor, 0)
    editor.go_to("ancillary[1].measurements[0].value")
    assert table.table.currentRow() == 1
    assert QApplication.focusWidget() is inner.table
    assert inner.table.currentColumn() == 1
    editor.go_to("procedure.collected_at")
    assert QApplication.focusWidget() is edit


# ---------------------------------------------------------------- communications


def test_the_communication_dialog_and_the_signer_fill_every_field_of_an_entry(
    qtbot: QtBot, services: Services, runner: TaskRunner, dr: User, draft: str
) -> None:
    """The list is read-only by design (an entry is stored through the dialog); what
    makes it bound is that the dialog asks for every field but `by`, which the service
    fills with the person recording."""
    dialog = CommunicationDialog(
        services=services, runner=runner, user=dr, accession=ACCESSION, row_version=None
    )
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=20_000):
        dialog.show()
    fields = {found.path for found in leaves() if found.path.startswith("communications[].")}
    assert {f"communications[].{key}" for key in dialog.entry()} | {"communications[].by"} == (
        fields
    )


def test_tab_walks_from_the_studies_into_their_measurements_and_a_new_study_takes_its_own(
    qtbot: QtBot, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(ACCESSION, dr, complete=True)
    table = studies(editor)
    inner = table.inner
    order = [table.add_button, table.remove_button, inner.table, inner.add_button]
    table.table.setFocus()
    for expected in order:
        press(qtbot, Qt.Key.Key_Tab, table.table)
        assert QApplication.focusWidget() is expected
    # the history box hands Tab on to the therapy list (no rows yet: its Add button)
    history = editor.form.field("clinical.history").input
    history.setFocus()
    press(qtbot, Qt.Key.Key_Tab, history)
    assert QApplication.focusWidget() is editor.form.table("clinical.therapy").add_button

    table.add_button.setFocus()
    qtbot.keyClick(table.add_button, Qt.Key.Key_Space)  # a new study: its kind's list open
    combo = QApplication.focusWidget()
    assert isinstance(combo, QComboBox)
    while combo.currentData() != "fish":
        press(qtbot, Qt.Key.Key_Down, combo)
    press(qtbot, Qt.Key.Key_Return, combo)
    assert table.table.currentRow() == 3
    assert table.inner_caption.text() == "Measurement for row 4 (FISH):"
    assert inner.table.rowCount() == 0  # not the first study's
    press(qtbot, Qt.Key.Key_Right, table.table)
    choose_cell(qtbot, table, "final")
    cell = add_row_by_keys(qtbot, inner)
    qtbot.keyClicks(cell, "BCR::ABL1 fusion nuclei")
    press(qtbot, Qt.Key.Key_Return, inner.table)
    press(qtbot, Qt.Key.Key_Right, inner.table)
    type_cell(qtbot, inner, "0.5")
    press(qtbot, Qt.Key.Key_Right, inner.table)
    choose_cell(qtbot, inner, "percent")
    added = editor.document()["ancillary"][3]
    assert added == {
        "kind": "fish",
        "status": "final",
        "measurements": [{"name": "BCR::ABL1 fusion nuclei", "value": 0.5, "unit": "percent"}],
    }
    # a final study needs its result: listed under the studies, by the row's number
    assert "Row 4, Result: is required when the status is final" in table.error.text()


def test_a_final_case_shows_the_new_lists_read_only(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    app.cases.sign(dr, ACCESSION, PASSWORD)
    editor = open_editor(ACCESSION, dr, complete=True)
    table = studies(editor)
    for shown in (table, table.inner, editor.form.table("clinical.therapy")):
        assert not shown.add_button.isVisible() and not shown.remove_button.isVisible()
    assert not table.inner.table.editTriggers()
    collected = editor.form.field("procedure.collected_at").input
    assert isinstance(collected, QLineEdit) and collected.isReadOnly()
    measurements_of(qtbot, editor, 0)
    first = table.inner.table.item(0, 0)
    assert first is not None and first.text() == "CD34+ myeloblasts by flow"
