"""Text templates in a real case editor on a real database (`bench.md` section 2):
`abbreviation;` then space expands in the fields the template is for, the picker (Ctrl+T)
inserts with the keyboard, a value not known yet stays visible and is named, and the
Administration screen lists, adds, edits and deletes templates."""

from __future__ import annotations

import json
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.admin import AdminDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.template_picker import TemplatePicker
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.templates_tab import TemplateDialog, TemplatesTab
from tests.conftest import example_case
from tests.ui import test_editor
from tests.ui.conftest import EditorFactory
from tests.ui.screens import save_screenshot
from tests.ui.test_editor import box, line, type_into

draft = test_editor.draft

pytestmark = pytest.mark.ui

LIBRARY = [
    {
        "name": "Normal marrow morphology",
        "abbreviation": "nml",
        "target": "diagnosis_line",
        "text": "Marrow {cellularity_verdict} for age ({cellularity_pct}), M:E {me_ratio}",
    },
    {
        "name": "MRD negative",
        "abbreviation": "mrdneg",
        "target": ["diagnosis_line", "comment"],
        "text": "No residual disease: blasts {blast_equivalents_pct} of {cells_counted} cells",
    },
    {
        "name": "Correlate with cytogenetics",
        "abbreviation": "cyto",
        "target": "recommendations",
        "text": "Correlation with the pending cytogenetic studies is recommended.",
    },
]


@pytest.fixture
def library(app: App, dr: User) -> None:
    app.templates.import_many(dr, LIBRARY)


def picker_of(editor: CaseEditor) -> TemplatePicker:
    picker = editor.templates.picker
    assert picker is not None
    return picker


def editor_with_templates(
    open_editor: EditorFactory, accession: str | None, user: User
) -> CaseEditor:
    editor = open_editor(accession, user)
    editor._runner.wait(10_000)  # the library is read when the editor opens
    QApplication.processEvents()
    assert len(editor.templates.templates) == len(LIBRARY)
    return editor


def test_abbreviation_then_space_expands_filled_from_the_case(
    qtbot: QtBot, dr: User, draft: str, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, draft, dr)
    comment = box(editor, "diagnosis.comment")

    type_into(qtbot, comment, "Seen: mrdneg; ")
    qtbot.keyClicks(comment, "x")

    assert comment.toPlainText() == "Seen: No residual disease: blasts 12.0 % of 500 cells" + "x"
    assert editor.document()["diagnosis"]["comment"].startswith("Seen: No residual disease")
    assert editor.message_bar.text.text() == 'Inserted "MRD negative".'


def test_a_template_expands_only_in_the_fields_it_is_for(
    qtbot: QtBot, dr: User, draft: str, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, draft, dr)
    recommendations = box(editor, "diagnosis.recommendations")
    history = box(editor, "clinical.history")

    type_into(qtbot, recommendations, "nml; ")
    said = editor.message_bar.text.text()
    type_into(qtbot, history, "nml; ")

    assert recommendations.toPlainText() == "nml; "
    assert (
        said
        == '"nml;" is the template "Normal marrow morphology" for Diagnosis, not Recommendations.'
    )
    assert history.toPlainText() == "nml; "
    type_into(qtbot, recommendations, "NOTED cyto; ")
    assert recommendations.toPlainText() == (
        "NOTED Correlation with the pending cytogenetic studies is recommended."
    )


def test_a_value_not_known_yet_stays_visible_and_is_named(
    qtbot: QtBot, dr: User, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, None, dr)
    lines = box(editor, "diagnosis.lines")

    type_into(qtbot, lines, "nml; ")

    assert lines.toPlainText() == (
        "Marrow {cellularity_verdict?} for age ({cellularity_pct?}), M:E {me_ratio?}"
    )
    bar = editor.message_bar
    assert bar.isVisible() and bar.kind == "warning"
    assert bar.text.text() == (
        'Inserted "Normal marrow morphology". Not known yet, left in the text as {name?}: '
        "Cellularity for age ({cellularity_verdict}); Cellularity ({cellularity_pct}); "
        "M:E ratio ({me_ratio})."
    )
    type_into(qtbot, line(editor, "patient.birth_date"), "1959-02-11")  # nothing fills later
    assert "{cellularity_pct?}" in lines.toPlainText()


def test_the_picker_inserts_a_template_with_the_keyboard(
    qtbot: QtBot, dr: User, draft: str, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, draft, dr)
    lines = box(editor, "diagnosis.lines")
    lines.setFocus()
    lines.moveCursor(lines.textCursor().MoveOperation.Start)  # in the first line's text
    before = editor.document()["diagnosis"]["lines"]
    seen: dict[str, object] = {}

    def use_picker() -> None:
        picker = picker_of(editor)
        seen["title"] = picker.windowTitle()
        seen["listed"] = [picker.list.item(i).text() for i in range(picker.list.count())]
        qtbot.keyClicks(picker.search, "residual")
        seen["filtered"] = [picker.list.item(i).text() for i in range(picker.list.count())]
        seen["preview"] = picker.text.toPlainText()
        seen["missing"] = picker.missing.text()
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)

    QTimer.singleShot(0, use_picker)
    qtbot.keyClick(lines, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)

    assert seen["title"] == "Insert a template: Diagnosis"
    assert seen["listed"] == ["MRD negative    (mrdneg;)", "Normal marrow morphology    (nml;)"]
    assert seen["filtered"] == ["MRD negative    (mrdneg;)"]
    assert seen["preview"] == "No residual disease: blasts 12.0 % of 500 cells"
    assert seen["missing"] == "Every value is known."
    assert (
        editor.document()["diagnosis"]["lines"]
        == [
            before[0],
            "No residual disease: blasts 12.0 % of 500 cells",  # a line of its own, after it
            *before[1:],
        ]
    )


def test_the_picker_shows_only_what_fits_the_field_and_escape_inserts_nothing(
    qtbot: QtBot, dr: User, draft: str, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, draft, dr)
    recommendations = box(editor, "diagnosis.recommendations")
    recommendations.setFocus()
    before = recommendations.toPlainText()
    listed: list[str] = []

    def cancel() -> None:
        picker = picker_of(editor)
        listed.extend(picker.list.item(i).text() for i in range(picker.list.count()))
        qtbot.keyClick(picker.search, Qt.Key.Key_Escape)

    QTimer.singleShot(0, cancel)
    qtbot.keyClick(recommendations, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)

    assert listed == ["Correlate with cytogenetics    (cyto;)"]
    assert recommendations.toPlainText() == before


def cell(tab: TemplatesTab, row: int, column: int) -> str:
    item = tab.table.item(row, column)
    assert item is not None
    return item.text()


def test_administration_lists_adds_edits_and_deletes_templates(
    qtbot: QtBot,
    app: App,
    services: Services,
    runner: TaskRunner,
    dr: User,
    library: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog = AdminDialog(services=services, runner=runner, user=dr)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.ready, timeout=10_000):
        pass
    tab = dialog.templates_tab
    qtbot.waitUntil(lambda: tab.table.rowCount() == 3, timeout=10_000)
    assert [cell(tab, r, 0) for r in range(3)] == [
        "Correlate with cytogenetics",
        "MRD negative",
        "Normal marrow morphology",
    ]
    assert cell(tab, 1, 2) == "Diagnosis, Diagnosis comment"

    def fill_new(form: TemplateDialog) -> int:
        form.name.setText("Staging negative")
        form.abbreviation.setText("stneg")
        form.targets["diagnosis_line"].setChecked(True)
        form.text.setPlainText("No lymphoma ({fibrosis_grade}, {blast_pct})")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(TemplateDialog, "exec", fill_new)
    with qtbot.waitSignal(tab.work_finished, timeout=10_000):
        tab.add()
    assert tab.message.text().startswith(
        "template 'Staging negative': unknown placeholder {blast_pct} (known: "
    )
    assert [t.name for t in app.templates.all(dr)] == [
        "Correlate with cytogenetics",
        "MRD negative",
        "Normal marrow morphology",
    ]

    def fix(form: TemplateDialog) -> int:
        fill_new(form)
        form.text.setPlainText("No lymphoma (fibrosis {fibrosis_grade})")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(TemplateDialog, "exec", fix)
    with qtbot.waitSignal(tab.work_finished, timeout=10_000):
        tab.add()
    assert tab.table.rowCount() == 4

    tab.table.selectRow(3)  # Staging negative, by name

    def edit(form: TemplateDialog) -> int:
        assert form.name.text() == "Staging negative"
        form.abbreviation.setText("stn")
        return QDialog.DialogCode.Accepted.value

    monkeypatch.setattr(TemplateDialog, "exec", edit)
    with qtbot.waitSignal(tab.work_finished, timeout=10_000):
        tab.edit()
    assert {t.name: t.abbreviation for t in app.templates.all(dr)}["Staging negative"] == "stn"

    tab.table.selectRow(0)
    monkeypatch.setattr(QMessageBox, "question", lambda *_a, **_k: QMessageBox.StandardButton.Yes)
    with qtbot.waitSignal(tab.work_finished, timeout=10_000):
        tab.delete()
    assert "Correlate with cytogenetics" not in [t.name for t in app.templates.all(dr)]
    assert tab.table.rowCount() == 3


def test_the_picker_names_the_values_missing_from_the_case_with_the_demo_library(
    qtbot: QtBot, app: App, dr: User, open_editor: EditorFactory, tmp_path: Path
) -> None:
    demo = json.loads(files("marrowpath.demo").joinpath("templates.json").read_text("utf-8"))
    app.templates.import_many(dr, demo)
    document = example_case()
    del document["core"]  # the biopsy is not reported yet
    app.cases.import_case(dr, document)
    editor = open_editor(document["accession"], dr)
    editor._runner.wait(10_000)
    QApplication.processEvents()
    box(editor, "diagnosis.lines").setFocus()
    seen: dict[str, Any] = {}

    def look() -> None:
        picker = picker_of(editor)
        seen["listed"] = [picker.list.item(i).text() for i in range(picker.list.count())]
        qtbot.keyClick(picker.search, Qt.Key.Key_Down)  # from the search box into the list
        seen["current"] = picker.current()
        seen["preview"] = picker.text.toPlainText()
        seen["missing"] = picker.missing.text()
        QApplication.processEvents()  # the layout follows the longer message
        save_screenshot(picker, "template-picker.png", tmp_path)
        qtbot.keyClick(picker.search, Qt.Key.Key_Escape)

    QTimer.singleShot(0, look)
    qtbot.keyClick(
        box(editor, "diagnosis.lines"), Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier
    )

    assert seen["listed"] == [
        "MRD negative    (mrdneg;)",
        "Normal marrow morphology    (nml;)",
        "Staging marrow, negative for lymphoma    (stneg;)",
    ]
    assert seen["current"].name == "Normal marrow morphology"
    assert "{cellularity_pct?}" in seen["preview"] and "M:E ratio 1.3:1" in seen["preview"]
    assert seen["missing"] == (
        "▲ Not known yet, left in the text as {name?}: Cellularity for age "
        "({cellularity_verdict}); Cellularity ({cellularity_pct}); Expected cellularity for age "
        "({expected_cellularity})"
    )


def test_an_expansion_is_one_undo_step(
    qtbot: QtBot, dr: User, draft: str, library: None, open_editor: EditorFactory
) -> None:
    editor = editor_with_templates(open_editor, draft, dr)
    comment = box(editor, "diagnosis.comment")
    type_into(qtbot, comment, "mrdneg; ")
    assert comment.toPlainText().startswith("No residual disease")

    qtbot.keyClick(comment, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)

    assert comment.toPlainText() == "mrdneg;"
