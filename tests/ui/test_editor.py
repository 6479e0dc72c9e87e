"""The case editor driven from the keyboard, on a real database (SQLite and PostgreSQL).

What matters is checked where it lands: the case in the database after a save, the rule
in words under the field that breaks it, and a database left alone when saving is
refused or when someone else saved first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QComboBox, QDialog, QLineEdit, QPlainTextEdit, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.ui.editor import recovery
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.differential import COUNT, MARK, PERCENT
from marrowpath.ui.editor.fields import EnumField
from marrowpath.ui.editor.item_table import PROBLEM_BACKGROUND
from marrowpath.ui.editor.layout import Columns
from marrowpath.ui.services import Services
from tests.conftest import PASSWORD, example_case
from tests.ui.conftest import EditorFactory
from tests.ui.screens import save_screenshot

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00042"


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture
def draft(app: App, dr: User) -> str:
    """The example case imported as a draft."""
    app.cases.import_case(dr, example_case())
    return ACCESSION


@pytest.fixture
def final(app: App, dr: User, draft: str) -> str:
    app.cases.sign(dr, ACCESSION, PASSWORD)
    return ACCESSION


def type_into(qtbot: QtBot, widget: QWidget, text: str, *, clear: bool = True) -> None:
    """Focus a field and type as a person would (clearing what was there first)."""
    widget.setFocus()
    if clear and isinstance(widget, QLineEdit | QPlainTextEdit):
        widget.selectAll()
        qtbot.keyClick(widget, Qt.Key.Key_Delete)
    for character in text:
        if character == "\n":
            qtbot.keyClick(widget, Qt.Key.Key_Return)
        elif character.isascii():
            qtbot.keyClick(widget, character)
        else:  # QTest only maps ASCII to keys; other letters arrive as text, as from an IME
            for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
                QApplication.sendEvent(
                    widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, character)
                )


def line(editor: CaseEditor, path: str) -> QLineEdit:
    edit = editor.form.field(path).input
    assert isinstance(edit, QLineEdit)
    return edit


def box(editor: CaseEditor, path: str) -> QPlainTextEdit:
    text = editor.form.field(path).input
    assert isinstance(text, QPlainTextEdit)
    return text


def choose(qtbot: QtBot, editor: CaseEditor, path: str, value: str) -> None:
    """Pick a drop-down entry with the keyboard (focus, then arrow keys)."""
    field = editor.form.field(path)
    assert isinstance(field, EnumField)
    combo: QComboBox = field.combo
    combo.setFocus()
    target = combo.findData(value)
    assert target >= 0, value
    while combo.currentIndex() != target:
        key = Qt.Key.Key_Down if combo.currentIndex() < target else Qt.Key.Key_Up
        qtbot.keyClick(combo, key)


def press(qtbot: QtBot, key: str | Qt.Key, fallback: QWidget) -> None:
    """A key to whatever has the focus (the grid, or the count editor it opened), then
    the events a real keystroke would let run (the grid closes its editor queued)."""
    qtbot.keyClick(QApplication.focusWidget() or fallback, key)
    QApplication.processEvents()


def type_counts(qtbot: QtBot, editor: CaseEditor, counts: list[str]) -> None:
    """Count the differential from the top: a number and Enter per category."""
    table = editor.form.differential.table
    table.setFocus()
    table.setCurrentIndex(table.count_index(0))
    for text in counts:
        for character in text:
            press(qtbot, character, table)
        press(qtbot, Qt.Key.Key_Return, table)


def save(qtbot: QtBot, editor: CaseEditor) -> None:
    editor.save()
    qtbot.waitUntil(lambda: not editor.saving)


def working(app: App, user: User, accession: str) -> dict[str, Any]:
    return app.cases.open(user, accession).record.working


# ---------------------------------------------------------------- creating and loading


def test_create_a_case_from_nothing_by_keyboard(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    proposed = editor.form.accession.edit.text()
    assert proposed.startswith("BM") and not editor.is_dirty()
    titles: list[str] = []
    editor.title_changed.connect(titles.append)

    type_into(qtbot, line(editor, "patient.mrn"), "MRN-77")
    type_into(qtbot, line(editor, "patient.family_name"), "Łukasiewicz-Nguyễn")
    type_into(qtbot, line(editor, "patient.given_names"), "Zoë")
    type_into(qtbot, line(editor, "patient.birth_date"), "1980-03-04")
    choose(qtbot, editor, "patient.sex", "female")
    type_into(qtbot, line(editor, "ordering_provider.name"), "Priya Raman, MD")
    type_into(qtbot, line(editor, "procedure.date"), "2026-11-18")
    choose(qtbot, editor, "procedure.site", "posterior_iliac_crest")
    choose(qtbot, editor, "procedure.laterality", "left")
    specimens = editor.form.field("procedure.specimens")
    for value in ("aspirate_smear", "core_biopsy"):
        check = specimens.boxes[value]  # type: ignore[attr-defined]
        check.setFocus()
        qtbot.keyClick(check, Qt.Key.Key_Space)
    choose(qtbot, editor, "aspirate.quality", "adequate")
    choose(qtbot, editor, "aspirate.particles", "present")
    type_counts(qtbot, editor, ["6", "", "", "", "", "", "120", "", "", "", "", "", "", "4"])
    type_into(qtbot, line(editor, "core.length_mm"), "18.5")
    choose(qtbot, editor, "core.adequacy", "adequate")
    type_into(qtbot, line(editor, "core.cellularity_pct"), "60")
    choose(qtbot, editor, "core.fibrosis_grade", "MF-0")
    type_into(
        qtbot,
        box(editor, "diagnosis.lines"),
        "Normocellular marrow with trilineage hematopoiesis.\nNo evidence of lymphoma.",
    )
    assert editor.is_dirty() and titles[-1].endswith(" *")
    assert "ŁUKASIEWICZ-NGUYỄN, Zoë" in editor.tab_title()
    assert editor.form.live.cellularity.text() == "Normocellular for age 46 (expected 44-64 %)"

    changed: list[str] = []
    editor.case_changed.connect(changed.append)
    save(qtbot, editor)

    assert editor.accession == proposed and changed == [proposed]
    assert not editor.is_dirty() and not editor.tab_title().endswith("*")
    stored = working(app, dr, proposed)
    assert stored["patient"] == {
        "mrn": "MRN-77",
        "family_name": "Łukasiewicz-Nguyễn",
        "given_names": "Zoë",
        "birth_date": "1980-03-04",
        "sex": "female",
    }
    assert stored["procedure"] == {
        "date": "2026-11-18",
        "site": "posterior_iliac_crest",
        "laterality": "left",
        "specimens": ["aspirate_smear", "core_biopsy"],
    }
    assert stored["aspirate"] == {
        "quality": "adequate",
        "particles": "present",
        "differential": {"blasts": 6, "neutrophils": 120, "plasma_cells": 4},
        "count": {"method": "typed", "counted_by": "drpark"},  # typed in, not counted
    }
    assert stored["core"] == {
        "length_mm": 18.5,
        "adequacy": "adequate",
        "cellularity_pct": 60,
        "fibrosis_grade": "MF-0",
    }
    assert stored["diagnosis"]["lines"] == [
        "Normocellular marrow with trilineage hematopoiesis.",
        "No evidence of lymphoma.",
    ]
    assert editor.missing.texts() == []
    assert "ready for sign-out" in editor.message_bar.message()
    assert editor.form.accession.edit.isReadOnly()  # fixed once saved


def test_an_imported_case_loads_into_every_field_and_reads_back_unchanged(
    app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr)
    expected = CaseDocument.model_validate(example_case()).to_json_dict()
    assert editor.document() == expected
    assert not editor.is_dirty()
    assert editor.tab_title() == "BM26-00042 DELGADO, Tomás"
    banner = editor.banner
    assert banner.name.text() == "DELGADO, Tomás"
    assert banner.mrn.text() == "MRN: MRN0012345"
    assert banner.born.text() == "Born 1959-02-11 (67 y)"
    assert (banner.sex.text(), banner.accession.text()) == ("Male", ACCESSION)
    assert banner.status.text() == "● Draft"  # the word, not only the colour
    assert "Blast equivalents 12.0 %" in editor.flags.texts()[0]


def test_typing_an_existing_mrn_fills_in_the_patient(
    qtbot: QtBot, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    type_into(qtbot, line(editor, "patient.mrn"), "MRN0012345")
    qtbot.keyClick(line(editor, "patient.mrn"), Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: line(editor, "patient.family_name").text() == "Delgado")
    assert line(editor, "patient.given_names").text() == "Tomás"
    assert line(editor, "patient.birth_date").text() == "1959-02-11"
    assert editor.document()["patient"]["sex"] == "male"
    assert "Patient on file: DELGADO, Tomás" in editor.form.live.patient_note.text()


# ---------------------------------------------------------------- differential


def test_differential_percentages_ratio_and_marks_follow_the_typing(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    panel = editor.form.differential
    model, table = panel.model, panel.table
    # blasts 10, neutrophils 50, polychromatic normoblasts 40 (rows 0, 6, 16)
    type_counts(qtbot, editor, ["10", "", "", "", "", "", "5"])
    assert model.index(0, PERCENT).data() == "66.7"  # 10 of 15, while still counting
    press(qtbot, Qt.Key.Key_Up, table)
    assert table.currentIndex().row() == 6  # Enter moved down; the arrow moves back up
    press(qtbot, "5", table)
    press(qtbot, "0", table)  # typed over: 50, not 55
    press(qtbot, Qt.Key.Key_Return, table)
    for _ in range(16 - 7):
        press(qtbot, Qt.Key.Key_Down, table)
    assert table.currentIndex() == table.count_index(16)
    press(qtbot, "4", table)
    press(qtbot, "0", table)
    assert panel.cells.text() == "100"  # live before Enter: every keystroke counts
    press(qtbot, Qt.Key.Key_Return, table)

    def row(number: int) -> tuple[str, str, str]:
        return tuple(model.index(number, c).data() for c in (COUNT, PERCENT, MARK))

    assert row(0) == ("10", "10.0", "H")
    assert row(6) == ("50", "50.0", "H")
    assert row(1) == ("", "0.0", "L")  # promyelocytes 0 against 2-6
    assert row(16) == ("40", "40.0", "")  # no interval of its own
    assert panel.cells.text() == "100"
    assert panel.erythroid.text() == "40 (40.0 %, H; reference 18-32 %)"
    assert panel.ratio.text() == "1.5:1 L (reference 2.0-4.0)"
    assert editor.document()["aspirate"]["differential"] == {
        "blasts": 10,
        "neutrophils": 50,
        "polychromatic_normoblasts": 40,
    }
    flags = " ".join(editor.flags.texts())
    assert "Only 100 cells counted" in flags and "Blast equivalents 10.0 %" in flags


# ---------------------------------------------------------------- validation


def test_invalid_input_is_explained_at_the_field_and_blocks_saving(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    before = app.cases.open(dr, draft).record
    editor = open_editor(draft, dr)
    type_into(qtbot, line(editor, "patient.birth_date"), "2027-01-01")
    birth = editor.form.field("patient.birth_date")
    assert birth.outline.invalid
    assert birth.error.text() == "2027-01-01 is after the procedure date 2026-11-18"
    assert not birth.error.isHidden()

    table = editor.form.differential.table
    table.setFocus()
    table.setCurrentIndex(table.count_index(0))
    for key in ("-", "3", Qt.Key.Key_Return):
        press(qtbot, key, table)
    panel = editor.form.differential
    assert panel.error.text() == "Blasts: must be a whole number >= 0, got -3"
    assert panel.model.index(0, COUNT).data(Qt.ItemDataRole.BackgroundRole) == PROBLEM_BACKGROUND

    stains = editor.form.table("stains")
    percent = stains.table.item(1, 2)
    assert percent is not None
    percent.setText("150")
    assert stains.error.text() == "Row 2, Positive (%): must be a number <= 100, got 150"
    assert percent.background().color() == PROBLEM_BACKGROUND

    assert len(editor.problems.texts()) == 3
    editor.save()
    assert not editor.saving  # refused before any database work
    assert editor.message_bar.message().startswith("Not saved: 3 problems must be fixed")
    after = app.cases.open(dr, draft).record
    assert after.row_version == before.row_version and after.working == before.working
    # going to the listed problem puts the cursor in the field
    editor.go_to("patient.birth_date")
    assert QApplication.focusWidget() is birth.input


def test_an_incomplete_draft_saves_and_lists_what_is_missing(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    type_into(qtbot, line(editor, "patient.mrn"), "MRN-5")
    type_into(qtbot, line(editor, "patient.family_name"), "Петрова")
    assert "Procedure › Procedure date" in editor.missing.texts()
    save(qtbot, editor)
    assert editor.accession is not None
    message = editor.message_bar.message()
    assert message.startswith("Saved as a draft") and "still empty" in message
    missing = editor.missing.texts()
    for expected in (
        "Patient and order › Birth date",
        "Patient and order › Sex",
        "Patient and order › Ordering provider name as printed",
        "Procedure › Procedure date",
        "Procedure › Specimens",
        "Aspirate or core biopsy: at least one of them",
        "Diagnosis › Diagnosis",
    ):
        assert expected in missing
    stored = working(app, dr, editor.accession)
    assert stored["patient"] == {"mrn": "MRN-5", "family_name": "Петрова", "given_names": ""}
    assert app.cases.open(dr, editor.accession).record.status is Status.DRAFT


# ---------------------------------------------------------------- conflicts and recovery


def test_a_save_after_someone_elses_save_is_refused_and_keeps_the_text(
    qtbot: QtBot,
    app: App,
    team: dict[str, User],
    draft: str,
    open_editor: EditorFactory,
) -> None:
    first = open_editor(draft, team["drpark"])
    second = open_editor(draft, team["resident"])
    type_into(qtbot, box(first, "diagnosis.comment"), "Comment from Dr Park.")
    type_into(qtbot, box(second, "diagnosis.recommendations"), "Repeat marrow in 3 months.")
    save(qtbot, first)
    save(qtbot, second)

    message = second.message_bar.message()
    assert f"{ACCESSION}: changed by drpark at " in message and "UTC; reload" in message
    assert box(second, "diagnosis.recommendations").toPlainText() == "Repeat marrow in 3 months."
    assert second.is_dirty()
    stored = working(app, team["drpark"], draft)
    assert stored["diagnosis"]["comment"] == "Comment from Dr Park."
    assert (
        stored["diagnosis"]["recommendations"]
        == "Correlate with cytogenetic and molecular results."
    )

    keep = second.message_bar.button("Keep editing")
    assert keep is not None
    keep.click()
    assert second.message_bar.isHidden()
    assert box(second, "diagnosis.recommendations").toPlainText() == "Repeat marrow in 3 months."

    save(qtbot, second)
    reload = second.message_bar.button("Reload (discard my changes)")
    assert reload is not None
    reload.click()
    qtbot.waitUntil(
        lambda: (
            box(second, "diagnosis.comment").toPlainText()
            != "Karyotype and myeloid NGS panel are pending and will be reported in an addendum."
        )
    )
    assert box(second, "diagnosis.comment").toPlainText() == "Comment from Dr Park."
    assert not second.is_dirty()


def test_unsaved_work_goes_to_a_recovery_file_and_is_offered_back(
    qtbot: QtBot, app: App, dr: User, draft: str, services: Services, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr, recovery_interval_ms=50)
    path = Path(services.data_dir) / "recovery" / dr.username / f"{ACCESSION}.json"
    assert editor.recovery_path == path
    type_into(qtbot, box(editor, "core.comment"), "Typed before the power cut.")
    qtbot.waitUntil(lambda: path.exists())
    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["core"]["comment"] == "Typed before the power cut."
    editor.recovery_timer.stop()  # the "crash": the tab goes away without asking
    editor.hide()

    reopened = open_editor(draft, dr)
    bar = reopened.recovery_bar
    assert not bar.isHidden() and "never saved" in bar.message()
    assert box(reopened, "core.comment").toPlainText() == ""  # nothing replaced unasked
    restore = bar.button("Restore")
    assert restore is not None
    restore.click()
    assert box(reopened, "core.comment").toPlainText() == "Typed before the power cut."
    assert reopened.is_dirty()
    save(qtbot, reopened)
    assert not path.exists()  # deleted after a successful save
    assert working(app, dr, draft)["core"]["comment"] == "Typed before the power cut."


def test_an_unsaved_new_case_is_offered_to_the_next_new_editor(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr, recovery_interval_ms=50)
    type_into(qtbot, line(editor, "patient.family_name"), "Otieno")
    path = editor.recovery_path
    assert path is not None and path.name.startswith("new-")
    qtbot.waitUntil(path.exists)
    editor.recovery_timer.stop()
    recovery.release(path)  # the program died: a new one holds nothing

    second = open_editor(None, dr)
    bar = second.recovery_bar
    assert "A new case that was never saved" in bar.message()
    restore = bar.button("Restore")
    assert restore is not None
    restore.click()
    assert line(second, "patient.family_name").text() == "Otieno"
    assert second.recovery_path == path and second.is_dirty()


def test_the_close_guard_saves_discards_or_keeps_the_tab(
    qtbot: QtBot, app: App, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr, recovery_interval_ms=50)
    assert editor.maybe_close() is True  # nothing to ask
    editor.recovery_timer.start()
    type_into(qtbot, box(editor, "core.bone"), "Osteopenic trabeculae.")
    path = editor.recovery_path
    assert path is not None
    qtbot.waitUntil(lambda: path.exists())
    editor.ask_unsaved = lambda: "cancel"  # type: ignore[method-assign]
    assert editor.maybe_close() is False
    editor.ask_unsaved = lambda: "save"  # type: ignore[method-assign]
    assert editor.maybe_close() is True
    assert working(app, dr, draft)["core"]["bone"] == "Osteopenic trabeculae."
    assert not path.exists()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_save_after_the_database_files_changed_keeps_the_text_in_a_recovery_copy(
    qtbot: QtBot, app: App, dr: User, draft: str, services: Services, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr)
    type_into(qtbot, box(editor, "core.comment"), "Typed while another program meddled.")
    database = Path(app.engine.url.database or "")
    database.with_name(database.name + "-wal").unlink()
    save(qtbot, editor)

    path = Path(services.data_dir) / "recovery" / dr.username / f"{ACCESSION}.json"
    assert editor.message_bar.message() == (
        "Not saved: the database file was changed by another program; your unsaved text is "
        f"kept in a recovery copy ({path}). Close MarrowPath and start it again; the copy is "
        "offered when you open this case. Never copy, delete or edit the database's files "
        "while MarrowPath runs."
    )
    assert json.loads(path.read_text(encoding="utf-8"))["core"]["comment"] == (
        "Typed while another program meddled."
    )
    assert box(editor, "core.comment").toPlainText() == "Typed while another program meddled."
    editor.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
    assert editor.maybe_close() is True
    assert path.exists()  # the only copy of the text is not thrown away on closing


# ---------------------------------------------------------------- lifecycle


def test_a_final_case_is_read_only_with_the_reason(
    team: dict[str, User], final: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(final, team["drpark"])
    assert editor.read_only and editor.status is Status.FINAL
    assert editor.state_bar.message().startswith("Read only: the final report was issued")
    assert line(editor, "patient.family_name").isReadOnly()
    assert box(editor, "diagnosis.comment").isReadOnly()
    assert not editor.form.field("aspirate.quality").input.isEnabled()
    assert (
        not editor.form.differential.model.flags(editor.form.differential.model.index(0, COUNT))
        & Qt.ItemFlag.ItemIsEditable
    )
    assert not editor.form.table("stains").add_button.isVisible()
    captions = editor.action_bar.visible_captions()
    assert {"Amend", "Addendum...", "Withdraw..."} <= set(captions)
    assert "Sign out final" not in captions and not editor.action_bar.save.isEnabled()
    assert editor.banner.status.text() == "● Final"

    resident = open_editor(final, team["resident"])
    assert resident.read_only
    assert "A pathologist can amend it" in resident.state_bar.message()
    assert resident.action_bar.visible_captions() == ["Save", "Preview / print"]


def test_amend_reopens_the_report_for_editing(
    qtbot: QtBot, app: App, dr: User, final: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(final, dr)
    changed: list[str] = []
    editor.case_changed.connect(changed.append)
    editor.action_bar.amend.click()
    qtbot.waitUntil(lambda: not editor.read_only)
    assert changed == [final]
    assert editor.state_bar.message().startswith("Amendment in progress")
    assert "amendment in progress" in editor.banner.status.text()
    captions = editor.action_bar.visible_captions()
    assert "Sign amendment..." in captions and "Discard amendment" in captions
    assert "Amend" not in captions and "Addendum..." not in captions

    type_into(qtbot, box(editor, "diagnosis.comment"), "Karyotype: 46,XY[20].")
    save(qtbot, editor)
    record = app.cases.open(dr, final).record
    assert record.status is Status.FINAL and record.amendment_in_progress
    assert record.working["diagnosis"]["comment"] == "Karyotype: 46,XY[20]."

    editor.confirm = lambda *_a: True  # type: ignore[method-assign]
    editor.action_bar.discard_amendment.click()
    qtbot.waitUntil(lambda: editor.read_only)
    assert not app.cases.open(dr, final).record.amendment_in_progress
    assert box(editor, "diagnosis.comment").toPlainText().startswith("Karyotype and myeloid")


def test_sign_out_saves_first_then_opens_the_sign_out_dialog(
    qtbot: QtBot,
    app: App,
    dr: User,
    draft: str,
    open_editor: EditorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[dict[str, Any]] = []

    class FakeSignOut:
        """Stands in for the sign-out dialog: records what it was given and signs."""

        def __init__(self, **kwargs: Any) -> None:
            opened.append(kwargs)

        def exec(self) -> int:
            kwargs = opened[-1]
            app.cases.sign(
                kwargs["user"],
                kwargs["accession"],
                PASSWORD,
                preliminary=kwargs["preliminary"],
                expected_row_version=kwargs["row_version"],
            )
            return QDialog.DialogCode.Accepted.value

        def deleteLater(self) -> None:
            pass

    monkeypatch.setattr("marrowpath.ui.dialogs.sign_out.SignOutDialog", FakeSignOut)
    editor = open_editor(draft, dr)
    type_into(qtbot, box(editor, "diagnosis.recommendations"), "Repeat CBC in 4 weeks.")
    changed: list[str] = []
    editor.case_changed.connect(changed.append)
    editor.sign_out()
    qtbot.waitUntil(lambda: editor.status is Status.FINAL)
    assert opened and opened[0]["preliminary"] is False and opened[0]["accession"] == draft
    # signing with the row version it was given succeeded: the editor saved first and
    # handed over the version of that save
    record = app.cases.open(dr, draft).record
    assert record.status is Status.FINAL
    assert record.working["diagnosis"]["recommendations"] == "Repeat CBC in 4 weeks."
    assert changed[-1] == draft and editor.read_only


def test_versions_open_the_report_preview(
    qtbot: QtBot, dr: User, final: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(final, dr)
    previews: list[str] = []
    editor.preview_requested.connect(previews.append)
    editor.versions_panel.open_version.emit(final, 1)  # type: ignore[attr-defined]
    assert previews == [final]  # nobody listens for versions: the case's report
    versions: list[tuple[str, int]] = []
    editor.version_requested.connect(lambda a, n: versions.append((a, n)))
    editor.versions_panel.open_version.emit(final, 1)  # type: ignore[attr-defined]
    assert versions == [(final, 1)] and previews == [final]  # that version, opened once
    editor.action_bar.preview.click()
    assert previews == [final, final]


# ---------------------------------------------------------------- accessibility and look


def test_every_input_has_an_accessible_name_and_a_place_in_the_tab_order(
    dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    for field in editor.form.fields:
        assert field.input.accessibleName(), field.path
    chain = [w for s in editor.form.sections for w in s.chain]
    assert len(chain) == len(set(chain))
    widget: QWidget | None = chain[0]
    for expected in chain[1:6]:
        assert widget is not None
        widget = widget.nextInFocusChain()
        while widget is not None and not widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            widget = widget.nextInFocusChain()
        assert widget is expected


def test_screenshot_of_the_aspirate_section(
    qtbot: QtBot, dr: User, draft: str, open_editor: EditorFactory, tmp_path: Path
) -> None:
    """The editor at 1366x768 on the aspirate section (docs/screenshots with
    MARROWPATH_SCREENSHOTS=1)."""
    editor = open_editor(draft, dr)
    QApplication.processEvents()
    editor.show_section("aspirate")
    QApplication.processEvents()
    image = editor.grab()
    assert (image.width(), image.height()) == (1366, 768)
    assert save_screenshot(editor, "editor-aspirate.png", tmp_path) is not None
    # every column of the aspirate section is visible without sideways scrolling
    assert editor.form_scroll.horizontalScrollBar().maximum() == 0
    assert not editor.form.section("aspirate").findChildren(Columns)[0].stacked


def test_the_main_window_keeps_the_editor_in_a_titled_tab(
    qtbot: QtBot,
    services: Services,
    dr: User,
    draft: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtCore import QSettings

    from marrowpath.ui.main_window import MainWindow

    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    window = MainWindow(services, dr, idle_minutes=60)
    qtbot.addWidget(window)
    window.open_case(draft)
    editor = window.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: editor.record is not None)
    tabs = window.tabs
    qtbot.waitUntil(lambda: tabs.tabText(tabs.currentIndex()) == "BM26-00042 DELGADO, Tomás")
    type_into(qtbot, box(editor, "core.bone"), "Thin trabeculae.")
    assert tabs.tabText(tabs.currentIndex()) == "BM26-00042 DELGADO, Tomás *"
    window.save_current()
    qtbot.waitUntil(lambda: not editor.saving)
    assert tabs.tabText(tabs.currentIndex()) == "BM26-00042 DELGADO, Tomás"
    type_into(qtbot, box(editor, "core.bone"), "Changed again.")
    editor.ask_unsaved = lambda: "cancel"  # type: ignore[method-assign]
    assert window.close_tab(tabs.currentIndex()) is False
    editor.ask_unsaved = lambda: "discard"  # type: ignore[method-assign]
    assert window.close_tab(tabs.currentIndex()) is True
    assert tabs.count() == 1


def test_cross_field_rules_land_on_the_field_they_name(
    qtbot: QtBot, dr: User, draft: str, open_editor: EditorFactory
) -> None:
    editor = open_editor(draft, dr)
    type_into(qtbot, line(editor, "key_results.blasts_pct"), "12")
    source = editor.form.field("key_results.blasts_source")
    assert source.error.text() == "Is required when blasts_pct is given"
    choose(qtbot, editor, "key_results.blasts_source", "cd34_ihc")
    assert source.error.isHidden() and not source.outline.invalid

    studies = editor.form.table("ancillary")
    status = studies.table.item(1, 1)  # the pending karyotype becomes final, without result
    assert status is not None
    status.setData(Qt.ItemDataRole.UserRole, "final")
    status.setText("Final")
    assert studies.error.text() == "Row 2, Result: is required when the status is final"
    assert "Ancillary studies › row 2 › Result" in editor.problems.texts()[0]

    type_into(qtbot, line(editor, "clinical.cbc.hemoglobin_g_dl"), "0")
    hemoglobin = editor.form.field("clinical.cbc.hemoglobin_g_dl")
    assert hemoglobin.error.text() == "Must be a number >= 1, got 0"
    type_into(qtbot, line(editor, "clinical.cbc.hemoglobin_g_dl"), "")
    assert (
        "clinical" in editor.document()
        and "hemoglobin_g_dl" not in (editor.document()["clinical"]["cbc"])
    )  # empty means not recorded, not 0


def test_flags_are_computed_from_the_valid_parts_of_a_partial_draft() -> None:
    from datetime import date

    from marrowpath.ui.editor.flags_panel import editor_flags

    today = date(2026, 11, 26)
    codes = [
        flag.code
        for flag in editor_flags(
            {
                "aspirate": {"differential": {"blasts": 30, "neutrophils": 70, "lymphocytes": -2}},
                "core": {"length_mm": 9, "cellularity_pct": "many"},
                "clinical": {"cbc": {"pb_blasts_pct": 4, "hemoglobin_g_dl": 0}},
            },
            today=today,
            final_sign_out=False,
        )
    ]
    assert codes == ["cells_counted_below_200", "blasts_aml_range", "pb_blasts_2", "core_short"]
    assert editor_flags({"format": "marrowpath.case/2"}, today=today, final_sign_out=True) == []


def test_a_name_mixing_alphabets_is_flagged_for_the_pathologist(
    app: App, dr: User, open_editor: EditorFactory, qtbot: QtBot
) -> None:
    """ "Dеlgado" with a Cyrillic е looks like DELGADO but is another patient."""
    data = example_case()
    data["patient"].update(family_name="D\u0435lgado", mrn="MRN0099999")
    app.cases.import_case(dr, data)
    editor = open_editor(ACCESSION, dr)
    # the flags follow the form once it has been filled (on a busy machine, a moment later)
    qtbot.waitUntil(lambda: bool(editor.flags.texts()), timeout=10_000)
    assert editor.flags.texts()[0].startswith(
        'Review the patient name: "D\u0435lgado" has Latin letters with the Cyrillic letter '
        '"\u0435" (U+0435).'
    )


def test_a_partial_draft_with_a_mixed_script_name_is_flagged() -> None:
    from datetime import date

    from marrowpath.ui.editor.flags_panel import editor_flags

    flags = editor_flags(
        {"patient": {"family_name": "Smith", "given_names": "\u0410nna"}},  # Cyrillic А
        today=date(2026, 11, 26),
        final_sign_out=False,
    )
    assert [flag.code for flag in flags] == ["patient_name_mixed_scripts"]


def test_a_message_about_the_old_state_clears_when_the_case_is_signed(
    app: App, dr: User, draft: str, open_editor: EditorFactory, qtbot: QtBot
) -> None:
    """Seen by a hematologist: "Complete: ready for sign-out" stayed after signing."""
    editor = open_editor(draft, dr)
    save(qtbot, editor)
    assert "ready for sign-out" in editor.message_bar.message()
    app.cases.sign(dr, draft, PASSWORD)
    editor.reload()
    qtbot.waitUntil(lambda: editor.status is Status.FINAL)
    assert editor.message_bar.message() == ""
    assert editor.message_bar.isHidden()
