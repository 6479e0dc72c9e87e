"""The menu bar: every action with its key, so that the keys can be discovered
(`look-and-feel.md`, Keyboard: File, Edit, Case, View, Help).

The window's actions (New case, Save, Ctrl+W...) carry their shortcuts here and in the
toolbar alike (one QAction each). The keys an editor owns itself (F9, F10, Alt+1 ...
Alt+9, Alt+0, Ctrl+G, Alt+P: each open case has its own) are listed with the key after a
tab in the text and no shortcut of their own, so that a key never has two owners (Qt then
fires neither); chosen from the menu they act on the case in front.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QMessageBox

from marrowpath.ui.editor.banner import PATIENT_MENU_KEY
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.navigation import GO_TO_SECTION_KEY, section_menu_text

if TYPE_CHECKING:
    from marrowpath.ui.main_window import MainWindow

SECTION_KEYS = 10  # Alt+1 ... Alt+9, Alt+0; later sections through Ctrl+G's menu

# What Help, Keyboard shortcuts lists: the fixed keys of look-and-feel.md and bench.md.
KEYS: tuple[tuple[str, str], ...] = (
    ("Ctrl+F", "Search cases; Down moves to the results, Enter opens the selected case"),
    ("Ctrl+N", "New case, with the cursor in its first field"),
    ("Ctrl+S", "Save the case"),
    ("Ctrl+W", "Close the case tab"),
    ("Ctrl+P", "Preview and print"),
    ("F5", "Refresh the worklist"),
    ("Alt+1 ... Alt+9", "Go to the editor's first nine sections, in report order"),
    ("Alt+0", "Go to the editor's tenth section (Critical results)"),
    ("Ctrl+G", "Go to section: a menu of every section; type its digit or letter"),
    ("F9", "Differential counter (F9 or Escape stops)"),
    ("F10", "Ring sideroblast counter"),
    ("Ctrl+Return", "Sign out"),
    ("Ctrl+Shift+N", "Next case awaiting my signature"),
    (
        PATIENT_MENU_KEY,
        "The case's patient menu (Patient course, Correct patient record...); from its "
        "Patient button, Space, Enter or Down",
    ),
    ("Tab", "Leaves a table; the arrow keys move inside it"),
    ("Enter / Escape", "Confirm / cancel a dialog"),
)


def listed(text: str, key: str) -> str:
    """A menu text showing a key the action does not own (the editor does)."""
    return f"{text}\t{QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText)}"


@dataclass
class Menus:
    file: QMenu
    edit: QMenu
    case: QMenu
    view: QMenu
    help: QMenu
    editor_actions: list[QAction]

    def refresh(self, editor: CaseEditor | None) -> None:
        """The actions on the case in front are offered while a case is in front."""
        for action in self.editor_actions:
            action.setEnabled(editor is not None)


def build_menus(window: MainWindow) -> Menus:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addActions([window.new_action, window.open_action, window.close_action])
    file.addSeparator()
    file.addActions([window.save_action, window.print_action])
    file.addSeparator()
    file.addActions([window.switch_action, window.quit_action])

    edit = bar.addMenu("&Edit")
    edit.addAction(window.search_action)

    def on_editor(act: Callable[[CaseEditor], object]) -> Callable[[], None]:
        def run() -> None:
            editor = window.current_editor()
            if editor is not None:
                act(editor)

        return run

    case = bar.addMenu("&Case")
    case.addActions([window.sign_action, window.next_action])
    case.addSeparator()
    differential = case.addAction(listed("Differential counter", "F9"))
    differential.triggered.connect(on_editor(lambda e: e.counters.toggle_differential()))
    ring = case.addAction(listed("Ring sideroblast counter", "F10"))
    ring.triggered.connect(on_editor(lambda e: e.counters.toggle_ring()))
    case.addSeparator()
    patient = case.addAction(listed("Patient menu...", PATIENT_MENU_KEY))
    patient.triggered.connect(on_editor(lambda e: e.banner.open_patient_menu()))

    view = bar.addMenu("&View")
    worklist = view.addAction("Worklist")
    worklist.triggered.connect(lambda: window.tabs.setCurrentWidget(window.worklist))
    view.addAction(window.refresh_action)
    go_menu = view.addAction(listed("Go to section...", GO_TO_SECTION_KEY))
    go_menu.triggered.connect(on_editor(lambda e: e.nav.show_menu()))
    sections = view.addMenu("Go to section")
    section_actions = [go_menu]
    for row in range(SECTION_KEYS):
        go = sections.addAction(section_menu_text(row, f"Section {row + 1}"))
        go.triggered.connect(on_editor(_jump_to(row)))
        section_actions.append(go)
    later: list[QAction] = []
    sections.aboutToShow.connect(
        lambda: _name_sections(window, sections, section_actions[1:], later, on_editor)
    )
    view.addSeparator()
    view.addActions([window.deliveries_action, window.admin_action])

    help_menu = bar.addMenu("&Help")
    keys = help_menu.addAction("Keyboard shortcuts")
    keys.setShortcut(QKeySequence.StandardKey.HelpContents)
    keys.triggered.connect(lambda: show_keys(window))
    editor_actions = [differential, ring, patient, *section_actions]
    return Menus(file, edit, case, view, help_menu, editor_actions)


def _jump_to(row: int) -> Callable[[CaseEditor], None]:
    def jump(editor: CaseEditor) -> None:
        editor.nav.jump(row)

    return jump


def _name_sections(
    window: MainWindow,
    menu: QMenu,
    actions: list[QAction],
    later: list[QAction],
    on_editor: Callable[[Callable[[CaseEditor], object]], Callable[[], None]],
) -> None:
    """The section titles of the case in front (the same for every case): the first ten
    with their keys, the later ones with their mnemonic letters."""
    editor = window.current_editor()
    if editor is None:
        return
    titles = [section.title() for section in editor.form.sections]
    for row, action in enumerate(actions):
        if row < len(titles):
            action.setText(section_menu_text(row, titles[row]))
    for action in later:
        menu.removeAction(action)
        action.deleteLater()
    later.clear()
    for row in range(len(actions), len(titles)):
        go = menu.addAction(section_menu_text(row, titles[row]))
        go.triggered.connect(on_editor(_jump_to(row)))
        later.append(go)


def keys_text() -> str:
    return "\n".join(f"{key}: {what}" for key, what in KEYS)


def show_keys(window: MainWindow) -> None:
    box = QMessageBox(window)
    box.setWindowTitle("Keyboard shortcuts")
    box.setText(keys_text())
    box.exec()
    box.deleteLater()
