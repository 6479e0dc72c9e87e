"""The editor's pick-lists (`bench.md` section 2), driven by keys in a real case editor on
a real database: the ordering provider by type-ahead from the directory (nothing filled
unseen, free text kept), copy-to from the directory, adding a provider from the editor,
and classification terms searched by any words."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.providers import DirectoryProvider
from marrowpath.domain.users import User
from marrowpath.ui.admin import AdminDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.choice_box import matches
from marrowpath.ui.editor.type_ahead import SearchPicker
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner
from tests.ui.conftest import EditorFactory
from tests.ui.screens import save_screenshot

pytestmark = pytest.mark.ui

RAMAN = DirectoryProvider(
    name="Priya Raman, MD",
    family_name="Raman",
    given_names="Priya",
    id="1234567893",
    organization="Springfield Cancer Center",
    phone="217-555-0142",
)
RAMIREZ = DirectoryProvider(
    name="Luis Ramírez, MD", family_name="Ramírez", given_names="Luis", id="1588667638"
)
HADDAD = DirectoryProvider(name="Omar Haddad, DO", family_name="Haddad", organization="Riverside")


@pytest.fixture
def directory(app: App, dr: User) -> list[DirectoryProvider]:
    return [app.providers.add(dr, p) for p in (RAMAN, RAMIREZ, HADDAD)]


def loaded(qtbot: QtBot, editor: CaseEditor, count: int) -> None:
    qtbot.waitUntil(lambda: len(editor.directory.providers) == count)


def name_edit(editor: CaseEditor) -> QLineEdit:
    edit = editor.form.field("ordering_provider.name").edit  # type: ignore[attr-defined]
    assert isinstance(edit, QLineEdit)
    return edit


def ordering(editor: CaseEditor) -> object:
    return editor.document().get("ordering_provider")


def test_typing_lists_matches_and_only_a_taken_entry_fills_the_provider(
    qtbot: QtBot, dr: User, open_editor: EditorFactory, directory: list[DirectoryProvider]
) -> None:
    editor = open_editor(None, dr)
    loaded(qtbot, editor, 3)
    edit = name_edit(editor)
    edit.setFocus()
    qtbot.keyClicks(edit, "ram")
    ahead = editor.directory.ordering
    assert ahead is not None and ahead.open
    assert ahead.texts() == [
        "Priya Raman, MD · 1234567893 · Springfield Cancer Center",
        "Luis Ramírez, MD · 1588667638",
    ]
    # nothing filled unseen: the field holds what was typed, the others are empty
    assert ordering(editor) == {"name": "ram"}
    qtbot.keyClicks(edit, "ir")  # typing on narrows the list (accents folded)
    assert ahead.texts() == ["Luis Ramírez, MD · 1588667638"]
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key.Key_Backspace)
    qtbot.keyClick(edit, Qt.Key.Key_Down)  # the second match highlighted, still not taken
    assert ordering(editor) == {"name": "ram"}
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert not ahead.open
    assert ordering(editor) == {
        "name": "Luis Ramírez, MD",
        "family_name": "Ramírez",
        "given_names": "Luis",
        "id": "1588667638",
    }
    assert editor.form.field("ordering_provider.organization").value() is None


def test_escape_keeps_free_text_and_words_match_in_any_order(
    qtbot: QtBot, dr: User, open_editor: EditorFactory, directory: list[DirectoryProvider]
) -> None:
    editor = open_editor(None, dr)
    loaded(qtbot, editor, 3)
    edit = name_edit(editor)
    edit.setFocus()
    qtbot.keyClicks(edit, "springfield pri")
    ahead = editor.directory.ordering
    assert ahead is not None and ahead.texts() == [
        "Priya Raman, MD · 1234567893 · Springfield Cancer Center"
    ]
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert not ahead.open
    edit.selectAll()
    qtbot.keyClicks(edit, "Dr Someone New")  # nobody in the directory: no list at all
    assert not ahead.open
    assert ordering(editor) == {"name": "Dr Someone New"}


def test_copy_to_from_the_directory_and_adding_a_provider_from_the_editor(
    qtbot: QtBot,
    app: App,
    dr: User,
    open_editor: EditorFactory,
    directory: list[DirectoryProvider],
) -> None:
    editor = open_editor(None, dr)
    loaded(qtbot, editor, 3)
    directory_ui = editor.directory

    def choose_haddad() -> None:
        picker = directory_ui.picker
        qtbot.keyClicks(picker.search, "riverside")
        assert picker.texts() == ["Omar Haddad, DO · Riverside"]
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)

    QTimer.singleShot(0, choose_haddad)
    assert directory_ui.copy_to_button is not None
    directory_ui.copy_to_button.click()
    assert editor.document()["copy_to"] == [
        {"name": "Omar Haddad, DO", "family_name": "Haddad", "organization": "Riverside"}
    ]

    edit = name_edit(editor)
    edit.setFocus()
    qtbot.keyClicks(edit, "Grace Okafor, MD")

    def confirm() -> None:
        dialog = directory_ui.dialog
        assert dialog.edits["name"].text() == "Grace Okafor, MD"
        qtbot.keyClicks(dialog.edits["family_name"], "Okafor")
        qtbot.keyClick(dialog.edits["name"], Qt.Key.Key_Return)

    QTimer.singleShot(0, confirm)
    assert directory_ui.add_to_directory is not None
    directory_ui.add_to_directory.click()
    loaded(qtbot, editor, 4)
    assert [p.name for p in app.providers.directory(dr)] == [
        "Omar Haddad, DO",
        "Grace Okafor, MD",
        "Priya Raman, MD",
        "Luis Ramírez, MD",
    ]
    edit.selectAll()
    qtbot.keyClicks(edit, "okaf")
    assert directory_ui.ordering is not None
    assert directory_ui.ordering.texts() == ["Grace Okafor, MD"]


def test_a_technologist_uses_the_directory_but_cannot_add_to_it(
    qtbot: QtBot, team: dict[str, User], open_editor: EditorFactory, directory: object
) -> None:
    editor = open_editor(None, team["tech"])
    loaded(qtbot, editor, 3)
    assert editor.directory.add_to_directory is None
    assert editor.directory.copy_to_button is not None


def pick(
    qtbot: QtBot, editor: CaseEditor, typed: str, check: Callable[[SearchPicker], None]
) -> None:
    editor.show_section("diagnosis")

    def drive() -> None:
        picker = editor.directory.picker
        qtbot.keyClicks(picker.search, typed)
        check(picker)
        qtbot.keyClick(picker.search, Qt.Key.Key_Return)

    QTimer.singleShot(0, drive)
    assert editor.directory.classification_button is not None
    editor.directory.classification_button.click()


def test_classification_terms_are_found_by_any_words_and_fill_system_term_and_code(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)

    def two_npm1(picker: SearchPicker) -> None:
        assert picker.texts() == [
            "Acute myeloid leukaemia with NPM1 mutation · WHO-HAEM5 · 9877/3",
            "Acute myeloid leukemia with mutated NPM1 · ICC-2022 · 9877/3",
        ]
        qtbot.keyClick(picker.search, Qt.Key.Key_Down)  # the ICC term

    pick(qtbot, editor, "npm1 AML", two_npm1)
    pick(qtbot, editor, "apl who", lambda picker: None)
    assert editor.document()["diagnosis"]["classification"] == [
        {
            "system": "ICC-2022",
            "term": "Acute myeloid leukemia with mutated NPM1",
            "code": "9877/3",
        },
        {
            "system": "WHO-HAEM5",
            "term": "Acute promyelocytic leukaemia with PML::RARA fusion",
            "code": "9866/3",
        },
    ]
    # free text stays possible: the table's own row
    table = editor.form.table("diagnosis.classification")
    table.add_button.click()
    assert table.table.rowCount() == 3


def test_a_search_with_no_match_says_so_and_escape_changes_nothing(qtbot: QtBot) -> None:
    from marrowpath.ui.editor.directory import EditorDirectory

    picker = SearchPicker(
        EditorDirectory.classification_matches, title="Classification", placeholder=""
    )
    qtbot.addWidget(picker)
    picker.show()
    qtbot.keyClicks(picker.search, "lymphoma npm1")
    assert picker.texts() == ["Nothing matches “lymphoma npm1”"]
    assert not picker.ok.isEnabled()
    qtbot.keyClick(picker.search, Qt.Key.Key_Escape)
    assert picker.choice is None and not picker.isVisible()


def test_screenshot_of_the_provider_type_ahead(
    qtbot: QtBot,
    dr: User,
    open_editor: EditorFactory,
    directory: list[DirectoryProvider],
    tmp_path: Path,
) -> None:
    """The type-ahead under the ordering provider (into docs/screenshots with
    MARROWPATH_SCREENSHOTS=1): the list is a window of its own, painted over the editor's
    picture where it stands."""
    editor = open_editor(None, dr)
    loaded(qtbot, editor, 3)
    edit = name_edit(editor)
    editor.form_scroll.ensureWidgetVisible(edit)
    edit.setFocus()
    qtbot.keyClicks(edit, "ra")
    ahead = editor.directory.ordering
    assert ahead is not None and ahead.open
    picture = editor.grab()
    painter = QPainter(picture)
    where = editor.mapFromGlobal(ahead.popup.mapToGlobal(QPoint(0, 0)))
    painter.drawPixmap(where, ahead.popup.grab())
    painter.end()
    target = save_screenshot(editor, "provider-type-ahead.png", tmp_path)
    assert target is not None
    assert picture.save(str(target))


def test_administration_providers_tab_adds_changes_deactivates_and_imports(
    qtbot: QtBot, services: Services, team: dict[str, User], tmp_path: Path
) -> None:
    tasks = TaskRunner()
    admin = AdminDialog(services=services, runner=tasks, user=team["drpark"])
    qtbot.addWidget(admin)
    qtbot.waitSignal(admin.ready, timeout=10_000).wait()
    tab = admin.providers_tab
    assert admin.tabs.tabText(admin.tabs.indexOf(tab)) == "Providers"

    tab.add()
    dialog = tab.dialog
    assert dialog is not None
    dialog.accept()  # no name: refused in words, the dialog stays
    assert dialog.isVisible() and "name is empty" in dialog.message.text()
    dialog.edits["name"].setText("Omar Haddad, DO")
    dialog.edits["id"].setText("1122334455")
    dialog.accept()
    qtbot.waitUntil(lambda: tab.visible_names() == ["Omar Haddad, DO"])

    csv = tmp_path / "providers.csv"
    csv.write_text(
        "name,family_name,given_names,id,organization,phone\n"
        '"Priya Raman, MD",Raman,Priya,1234567893,Springfield Cancer Center,\n'
        ",Nobody,,999,,\n",
        encoding="utf-8",
    )
    tab.choose_file = lambda: csv
    tab.import_csv()
    qtbot.waitUntil(lambda: "line 3" in tab.message.text())
    assert tab.message.text() == (
        "providers.csv: line 3: name is empty; the name as printed on reports is required "
        "(nothing was imported)"
    )
    csv.write_text(csv.read_text(encoding="utf-8").replace(",Nobody", "Nobody Else,Else"))
    tab.import_csv()
    qtbot.waitUntil(lambda: len(tab.visible_names()) == 3)
    assert tab.message.text() == "providers.csv: 2 providers added, 0 replaced."

    tab.filter.setText("raman springfield")
    assert tab.visible_names() == ["Priya Raman, MD"]
    tab.table.selectRow(0)
    tab.toggle_active()
    qtbot.waitUntil(lambda: "inactive" in tab.message.text())
    tab.filter.setText("raman")
    qtbot.waitUntil(lambda: tab.visible_names() == ["Priya Raman, MD"])

    def state() -> str | None:
        item = tab.table.item(0, tab.table.columnCount() - 1)
        return item.text() if item is not None else None

    qtbot.waitUntil(lambda: state() == "Inactive")  # a word, not a flag's code
    assert [p.name for p in services.providers.directory(team["drpark"])] == [  # type: ignore[union-attr]
        "Nobody Else",
        "Omar Haddad, DO",
    ]
    tasks.wait(10_000)


def test_the_providers_tab_is_not_offered_to_a_technologist(
    qtbot: QtBot, services: Services, team: dict[str, User]
) -> None:
    tasks = TaskRunner()
    admin = AdminDialog(services=services, runner=tasks, user=team["tech"])
    qtbot.addWidget(admin)
    qtbot.waitSignal(admin.ready, timeout=10_000).wait()
    assert not hasattr(admin, "providers_tab")
    tasks.wait(10_000)


def test_a_copy_to_name_cell_lists_the_directory_and_fills_its_row(
    qtbot: QtBot, dr: User, open_editor: EditorFactory, directory: list[DirectoryProvider]
) -> None:
    editor = open_editor(None, dr)
    loaded(qtbot, editor, 3)
    table = editor.form.table("copy_to")
    table.add_button.click()  # a new row, its name cell open for typing
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    qtbot.keyClicks(cell, "haddad")
    delegate = editor.directory.copy_to_names
    assert delegate is not None and delegate.ahead is not None
    assert delegate.ahead.texts() == ["Omar Haddad, DO · Riverside"]
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert editor.document()["copy_to"] == [
        {"name": "Omar Haddad, DO", "family_name": "Haddad", "organization": "Riverside"}
    ]
    # a recipient not in the directory: typed, and Enter keeps the text
    table.add_button.click()
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    qtbot.keyClicks(cell, "Dr Nobody Here")
    assert not delegate.ahead.open
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    # the table commits a cell's text on its next turn of the event loop
    qtbot.waitUntil(lambda: len(editor.document().get("copy_to") or ()) == 2)
    assert editor.document()["copy_to"][1] == {"name": "Dr Nobody Here"}


def test_typing_in_a_classification_term_cell_lists_terms_and_fills_the_row(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    editor.show_section("diagnosis")
    table = editor.form.table("diagnosis.classification")
    table.add_button.click()
    term_column = [c.key for c in table.columns].index("term")
    table.table.setCurrentCell(0, term_column)
    term_cell = table.table.item(0, term_column)
    assert term_cell is not None
    table.table.editItem(term_cell)
    cell = QApplication.focusWidget()
    assert isinstance(cell, QLineEdit)
    qtbot.keyClicks(cell, "mast leuk")
    delegate = editor.directory.term_cells
    assert delegate is not None and delegate.ahead is not None
    assert delegate.ahead.texts() == [
        "Mast cell leukaemia · WHO-HAEM5 · 9742/3",
        "Mast cell leukemia · ICC-2022 · 9742/3",
    ]
    assert editor.document().get("diagnosis", {}).get("classification") is None  # not yet
    qtbot.keyClick(cell, Qt.Key.Key_Down)
    qtbot.keyClick(cell, Qt.Key.Key_Return)
    assert editor.document()["diagnosis"]["classification"] == [
        {"system": "ICC-2022", "term": "Mast cell leukemia", "code": "9742/3"}
    ]


def test_tab_reaches_the_pick_list_buttons(
    qtbot: QtBot, dr: User, open_editor: EditorFactory
) -> None:
    editor = open_editor(None, dr)
    editor.form.complete_now()
    directory_ui = editor.directory
    assert directory_ui.add_to_directory is not None
    assert directory_ui.copy_to_button is not None
    assert directory_ui.classification_button is not None
    name_edit(editor).setFocus()
    qtbot.keyClick(name_edit(editor), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is directory_ui.add_to_directory
    copy_to = editor.form.table("copy_to")
    copy_to.add_button.setFocus()
    qtbot.keyClick(copy_to.add_button, Qt.Key.Key_Tab)  # Remove is disabled: no rows
    assert QApplication.focusWidget() is directory_ui.copy_to_button
    classification = editor.form.table("diagnosis.classification")
    classification.add_button.setFocus()
    qtbot.keyClick(classification.add_button, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is directory_ui.classification_button


def test_a_symbol_typed_into_a_drop_down_lists_only_the_choices_it_begins() -> None:
    """ "%" is a word of its own: it lists "%" and "% VAF" (a measurement's unit), not
    every choice, as a filter that read only letters did."""
    assert matches("%", "%") and matches("%", "% VAF")
    assert not matches("%", "cells") and not matches("%", "copies/µg")
    assert matches("v", "% VAF") and matches("hyper", "Hypercellular")
    assert not matches("cellular", "Hypercellular")
