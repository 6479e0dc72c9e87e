"""The keyboard map of look-and-feel.md, key by key, as the keyboard sends them to the
main window: the menu bar lists the actions with their keys; Ctrl+F, Down and Enter from
search to a case; Alt+1 ... Alt+9; Ctrl+S; F9 and F10; Ctrl+P; Ctrl+W; F5; Ctrl+N with the
cursor in the first field; Tab leaves a table."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QGroupBox,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QTableView,
    QWidget,
)
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.ui.dialogs.sign_out import SignOutDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.menus import KEYS, keys_text
from marrowpath.ui.preview import PreviewWidget

pytestmark = pytest.mark.ui
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier


def press(
    qtbot: QtBot,
    window: QWidget,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A key to whatever has the focus, as the keyboard sends it."""
    qtbot.keyClick(QApplication.focusWidget() or window, key, modifier)


def inside(widget: QWidget | None, container: QWidget) -> bool:
    while widget is not None:
        if widget is container:
            return True
        widget = widget.parentWidget()
    return False


def test_the_menu_bar_lists_every_action_with_its_key(window: MainWindow) -> None:
    menus = window.menuBar().actions()
    assert [m.text().replace("&", "") for m in menus] == ["File", "Edit", "Case", "View", "Help"]
    listed: dict[str, str] = {}
    pending = [menu for m in menus if isinstance(menu := m.menu(), QMenu)]
    while pending:
        for action in pending.pop().actions():
            submenu = action.menu()
            if isinstance(submenu, QMenu):
                pending.append(submenu)
                continue
            text, _, shown = action.text().partition("\t")
            key = action.shortcut().toString() or shown
            if key:
                listed[key] = text.replace("&", "")
    for key in ("Ctrl+N", "Ctrl+S", "Ctrl+W", "Ctrl+P", "Ctrl+F", "F5", "F9", "F10"):
        assert key in listed, key
    assert listed["Ctrl+Shift+N"] == "Next case"
    assert listed["Ctrl+Return"].startswith("Sign out")
    assert all(f"Alt+{n}" in listed for n in range(10))
    # Help lists the fixed keys, the editor's own among them
    text = keys_text()
    assert all(f"{key}: " in text for key, _ in KEYS)


def test_each_key_of_the_map_does_what_look_and_feel_says(
    qtbot: QtBot, window: MainWindow, app: App, pathologist: User
) -> None:
    worklist = window.worklist
    # Tab leaves the results table (it does not move from cell to cell)
    worklist.table.setFocus()
    press(qtbot, window, Qt.Key.Key_Tab)
    assert not isinstance(QApplication.focusWidget(), QTableView)

    # Ctrl+F: the search box; Down: the results; Enter: the selected case
    press(qtbot, window, Qt.Key.Key_F, CTRL)
    assert QApplication.focusWidget() is worklist.search_box
    press(qtbot, window, Qt.Key.Key_Down)
    assert QApplication.focusWidget() is worklist.table
    assert worklist.selected_accession() == "BM26-00042"
    press(qtbot, window, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    editor = window.current_editor()
    assert isinstance(editor, CaseEditor)

    # Alt+1 ... Alt+9: each section in report order, the cursor in its first field
    for number in range(1, 10):
        press(qtbot, window, getattr(Qt.Key, f"Key_{number}"), ALT)
        section = editor.form.sections[number - 1]
        assert editor.nav.currentRow() == number - 1
        assert section.chain and inside(QApplication.focusWidget(), section.chain[0]), number

    # Ctrl+S saves what was typed
    comment = editor.form.field("diagnosis.comment").input
    assert isinstance(comment, QPlainTextEdit)
    comment.setFocus()
    comment.setPlainText("Saved with Ctrl+S.")
    assert editor.is_dirty()
    press(qtbot, window, Qt.Key.Key_S, CTRL)
    qtbot.waitUntil(lambda: not editor.is_dirty() and not editor.saving, timeout=10_000)
    working = app.cases.open(pathologist, "BM26-00042").record.working
    assert working["diagnosis"]["comment"] == "Saved with Ctrl+S."

    # Ctrl+Return: the sign-out dialog; Escape cancels it, nothing is signed
    seen: list[str] = []
    watcher = QTimer()
    watcher.setInterval(50)

    def cancel_the_dialog() -> None:
        shown = [
            w
            for w in QApplication.topLevelWidgets()
            if isinstance(w, SignOutDialog) and w.isVisible()
        ]
        for dialog in shown:  # again until it goes: not while it reads the case
            if dialog.windowTitle() not in seen:
                seen.append(dialog.windowTitle())
            qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    watcher.timeout.connect(cancel_the_dialog)
    watcher.start()
    press(qtbot, window, Qt.Key.Key_Return, CTRL)
    qtbot.waitUntil(lambda: bool(seen), timeout=10_000)
    watcher.stop()
    assert seen == ["Sign out the final report: BM26-00042"]
    assert app.cases.open(pathologist, "BM26-00042").record.status is Status.DRAFT
    # the cursor where it was (the offscreen platform does not give the window back)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    comment.setFocus()

    # F9 the differential counter, F9 stops; F10 the ring sideroblast counter
    press(qtbot, window, Qt.Key.Key_F9)
    counter = editor.counters.differential
    assert counter is not None and counter.running
    press(qtbot, window, Qt.Key.Key_F9)
    assert not counter.running
    press(qtbot, window, Qt.Key.Key_F10)
    assert editor.counters.ring.active
    press(qtbot, window, Qt.Key.Key_F10)
    assert not editor.counters.ring.active

    # Tab leaves the differential grid
    grid = editor.form.differential.table
    grid.setFocus()
    press(qtbot, window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is not grid

    # Ctrl+P: the preview in a tab; Ctrl+W closes it, then the case tab
    press(qtbot, window, Qt.Key.Key_P, CTRL)
    assert isinstance(window.tabs.currentWidget(), PreviewWidget)
    press(qtbot, window, Qt.Key.Key_W, CTRL)
    assert not any(
        isinstance(window.tabs.widget(i), PreviewWidget) for i in range(window.tabs.count())
    )
    window.tabs.setCurrentWidget(editor)
    press(qtbot, window, Qt.Key.Key_W, CTRL)
    assert window.tabs.count() == 1 and window.tabs.currentWidget() is worklist
    press(qtbot, window, Qt.Key.Key_W, CTRL)  # never the worklist
    assert window.tabs.count() == 1

    # F5 reloads the worklist
    with qtbot.waitSignal(worklist.model.loaded, timeout=10_000):
        press(qtbot, window, Qt.Key.Key_F5)

    # Ctrl+N: a new case with the cursor in its first field
    press(qtbot, window, Qt.Key.Key_N, CTRL)
    new = window.current_editor()
    assert isinstance(new, CaseEditor) and new.accession is None
    first = new.form.sections[0].chain[0]
    qtbot.waitUntil(lambda: inside(QApplication.focusWidget(), first))
    qtbot.waitUntil(lambda: new.form.accession.edit.text() != "", timeout=10_000)
    window.runner.wait(10_000)
    # a section that opens with an empty list (no stains yet): its Add button
    for number, path in ((7, "stains"), (8, "ancillary")):
        press(qtbot, window, getattr(Qt.Key, f"Key_{number}"), ALT)
        assert QApplication.focusWidget() is new.form.table(path).add_button, number


def test_the_window_shortcuts_are_the_fixed_keys(window: MainWindow) -> None:
    assert window.new_action.shortcut() == QKeySequence(QKeySequence.StandardKey.New)
    assert window.close_action.shortcut().toString() == "Ctrl+W"
    assert window.next_action.shortcut().toString() == "Ctrl+Shift+N"
    assert window.search_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)


def test_every_section_is_reached_by_keyboard_past_the_ninth(
    qtbot: QtBot, window: MainWindow
) -> None:
    """Alt+0 goes to the tenth section; Ctrl+G opens a menu of every section whose
    mnemonics (1-9, 0, then A, B, ...) reach the eleventh and later ones."""
    window.open_case("BM26-00042")
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    editor = window.current_editor()
    assert isinstance(editor, CaseEditor)
    sections = editor.form.sections
    assert len(sections) > 10
    editor.nav.setFocus()
    press(qtbot, window, Qt.Key.Key_0, ALT)
    assert editor.nav.currentRow() == 9
    assert sections[9].title() == "Critical results"

    press(qtbot, window, Qt.Key.Key_G, CTRL)
    menu = editor.nav.go_menu
    assert isinstance(menu, QMenu)
    qtbot.waitUntil(menu.isVisible)
    texts = [a.text() for a in menu.actions()]
    assert len(texts) == len(sections)
    assert texts[0].startswith("&1 Patient and order\t")
    assert texts[9].startswith("&0 Critical results\t")
    assert texts[10] == f"&A {sections[10].title()}"
    qtbot.keyClick(menu, Qt.Key.Key_B)  # the twelfth section, by its mnemonic
    qtbot.waitUntil(lambda: editor.nav.currentRow() == 11)
    assert not menu.isVisible()

    # the View menu lists them alike, and Help names the keys
    view = next(m.menu() for m in window.menuBar().actions() if m.text() == "&View")
    assert isinstance(view, QMenu)
    go = next(a.menu() for a in view.actions() if a.text() == "Go to section")
    assert isinstance(go, QMenu)
    go.aboutToShow.emit()
    listed = [a.text() for a in go.actions()]
    assert listed[9].startswith("&0 Critical results") and listed[11].startswith("&B ")
    assert "Alt+0: " in keys_text() and "Ctrl+G: " in keys_text()


def test_no_two_things_on_screen_answer_the_same_alt_key(qtbot: QtBot, window: MainWindow) -> None:
    """With a case open, every Alt key (a menu's or a button's underlined letter, an
    editor shortcut) belongs to one thing: two owners of a key make Qt fire neither
    ("Pre&view / print" and the "&View" menu both took Alt+V)."""
    window.open_case("BM26-00042")
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    owners: dict[str, list[str]] = {}

    def own(key: QKeySequence, what: str) -> None:
        if key.toString().startswith("Alt+"):
            owners.setdefault(key.toString(), []).append(what)

    for action in window.menuBar().actions():
        own(QKeySequence.mnemonic(action.text()), f"menu {action.text()!r}")
    for widget in window.findChildren(QAbstractButton) + window.findChildren(QLabel):
        if widget.isVisible():
            own(QKeySequence.mnemonic(widget.text()), f"{type(widget).__name__} {widget.text()!r}")
    for group in window.findChildren(QGroupBox):
        if group.isVisible():
            own(QKeySequence.mnemonic(group.title()), f"group {group.title()!r}")
    for shortcut in window.findChildren(QShortcut):
        parent = shortcut.parent()
        if shortcut.isEnabled() and isinstance(parent, QWidget) and parent.isVisible():
            own(shortcut.key(), f"shortcut of {type(parent).__name__}")
    shared = {key: what for key, what in owners.items() if len(what) > 1}
    assert shared == {}
    assert "Alt+P" in owners and "Alt+S" in owners  # the banner's Patient menu, Save
