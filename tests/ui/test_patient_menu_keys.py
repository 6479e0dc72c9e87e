"""The banner's Patient button by keys alone (`look-and-feel.md`, Keyboard: every action
without a mouse): from the case editor, Shift+Tab from Save reaches it, Space, Enter or
Down opens its menu, the arrows and Enter choose "Correct patient record...", and the
correction dialog opens with the cursor in its first field. Alt+P opens the menu from a
field, the Case menu and Help list the key, and the button never takes the focus a case
or a lifecycle dialog gives its first field.

A menu and a dialog shown by `exec` run their own event loop inside the key that opened
them, so the keys they receive are pressed by a timer (`Script`), as the keyboard would
while they wait."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMenu, QWidget
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.ui.dialogs.patient_correction import PatientCorrectionDialog
from marrowpath.ui.dialogs.withdraw import CancelCaseDialog
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.menus import keys_text

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00042"
MRN = "MRN0012345"
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def press(
    qtbot: QtBot,
    key: Qt.Key,
    modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier,
) -> None:
    """A key to whatever has the focus, as the keyboard sends it."""
    focused = QApplication.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key, modifier)


def open_by_keys(qtbot: QtBot, window: MainWindow) -> CaseEditor:
    """Ctrl+F, Down, Enter: the case from the worklist, as a person opens it."""
    press(qtbot, Qt.Key.Key_F, CTRL)
    press(qtbot, Qt.Key.Key_Down)
    press(qtbot, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (e := window.current_editor()) is not None and e.loaded)
    editor = window.current_editor()
    assert isinstance(editor, CaseEditor)
    qtbot.waitUntil(editor.correct_patient_action.isEnabled, timeout=10_000)
    return editor


class Script:
    """Steps run in order by a timer: each waits until `ready()` returns a widget, then
    `act(widget)` presses keys on it. A step may open the next menu or dialog and stay
    inside its loop, so it runs from a timer of its own: Qt never fires a timer again
    while its previous timeout is still running, and the watching timer must go on."""

    def __init__(self, *steps: tuple[Callable[[], Any], Callable[[Any], None]]) -> None:
        self.pending = list(steps)
        self.timer = QTimer()
        self.timer.setInterval(50)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self) -> None:
        while self.pending:
            ready, act = self.pending[0]
            target = ready()
            if target is None:
                return
            self.pending.pop(0)
            QTimer.singleShot(0, lambda act=act, target=target: act(target))

    def stop(self) -> None:
        self.timer.stop()


def the_menu(editor: CaseEditor) -> Callable[[], QMenu | None]:
    def shown() -> QMenu | None:
        popup = QApplication.activePopupWidget()
        return editor.banner.patient_menu if popup is editor.banner.patient_menu else None

    return shown


def correction_dialog() -> PatientCorrectionDialog | None:
    active = QApplication.activeWindow()
    return active if isinstance(active, PatientCorrectionDialog) else None


@pytest.mark.parametrize(
    "opening",
    [Qt.Key.Key_Space, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down],
    ids=["space", "return", "enter", "down"],
)
def test_from_the_editor_to_the_correction_dialog_by_keys_alone(
    qtbot: QtBot, window: MainWindow, app: App, pathologist: User, opening: Qt.Key
) -> None:
    editor = open_by_keys(qtbot, window)
    button = editor.banner.patient_button
    # the case opens with the focus where it was before the button joined the Tab order
    assert QApplication.focusWidget() is editor.nav

    # Shift+Tab back through the actions: the Patient button comes just before Save
    path: list[QWidget | None] = []
    for _ in range(12):
        press(qtbot, Qt.Key.Key_Tab, SHIFT)
        path.append(QApplication.focusWidget())
        if path[-1] is button:
            break
    assert path[-1] is button, [type(w).__name__ for w in path]
    assert path[-2] is editor.action_bar.save

    seen: dict[str, Any] = {}

    def choose_correction(menu: QMenu) -> None:
        seen["menu"] = [action.text() for action in menu.actions()]
        for _ in range(len(menu.actions()) + 1):
            if menu.activeAction() is editor.correct_patient_action:
                break
            qtbot.keyClick(menu, Qt.Key.Key_Down)
        seen["chosen"] = menu.activeAction() is editor.correct_patient_action
        qtbot.keyClick(menu, Qt.Key.Key_Return)

    def type_and_cancel(dialog: PatientCorrectionDialog) -> None:
        focused = QApplication.focusWidget()
        seen["focus"] = focused is dialog.family_name
        assert focused is not None
        qtbot.keyClick(focused, Qt.Key.Key_End)  # after the name, not over it
        qtbot.keyClicks(focused, "-Ruiz")
        seen["typed"] = dialog.family_name.text()
        qtbot.keyClick(focused, Qt.Key.Key_Escape)

    script = Script((the_menu(editor), choose_correction), (correction_dialog, type_and_cancel))
    try:
        press(qtbot, opening)  # returns once the menu and the dialog are closed
        qtbot.waitUntil(lambda: not script.pending, timeout=10_000)
    finally:
        script.stop()
    assert seen["menu"] == ["Patient course", "Correct patient record..."]
    assert seen["chosen"]
    assert seen["focus"], "the correction dialog opens with the cursor in Family name"
    assert seen["typed"] == "Delgado-Ruiz"
    # Escape cancelled it: nothing was corrected, and the focus is back on the button
    assert app.patients.patient(pathologist, MRN).family_name == "Delgado"
    window.activateWindow()  # the offscreen platform does not give the window back
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    assert QApplication.focusWidget() is button


def test_alt_p_opens_the_patient_menu_from_a_field_and_is_listed(
    qtbot: QtBot, window: MainWindow
) -> None:
    editor = open_by_keys(qtbot, window)
    press(qtbot, Qt.Key.Key_1, ALT)  # the cursor in the first field
    field = QApplication.focusWidget()
    assert field is not None and field is not editor.banner.patient_button
    opened: list[QMenu] = []

    def close(menu: QMenu) -> None:
        opened.append(menu)
        qtbot.keyClick(menu, Qt.Key.Key_Escape)

    script = Script((the_menu(editor), close))
    try:
        press(qtbot, Qt.Key.Key_P, ALT)
        qtbot.waitUntil(lambda: bool(opened), timeout=10_000)
    finally:
        script.stop()
    assert opened == [editor.banner.patient_menu]
    qtbot.waitUntil(lambda: QApplication.focusWidget() is field)  # the cursor stays put

    # the Case menu lists the key (the editor owns it) and opens the same menu; Help too
    case = next(m.menu() for m in window.menuBar().actions() if m.text() == "&Case")
    assert isinstance(case, QMenu)
    listed = next(a for a in case.actions() if a.text().startswith("Patient menu"))
    assert listed.text().endswith("\tAlt+P")
    script = Script((the_menu(editor), close))
    try:
        listed.trigger()
        qtbot.waitUntil(lambda: len(opened) == 2, timeout=10_000)
    finally:
        script.stop()
    assert "Alt+P: " in keys_text()


def test_a_lifecycle_dialog_opened_past_the_button_gives_its_first_field_the_focus(
    qtbot: QtBot, window: MainWindow, app: App, pathologist: User
) -> None:
    """Tab from the Patient button goes on through the actions; the dialogs repeat the
    banner as a label, never in the Tab order and never the focus: Cancel case opens
    with the cursor in its reason."""
    editor = open_by_keys(qtbot, window)
    button = editor.banner.patient_button
    editor.action_bar.save.setFocus()
    press(qtbot, Qt.Key.Key_Tab, SHIFT)
    assert QApplication.focusWidget() is button
    path: list[QWidget | None] = []
    for _ in range(8):
        press(qtbot, Qt.Key.Key_Tab)
        path.append(QApplication.focusWidget())
        if path[-1] is editor.action_bar.cancel_case:
            break
    assert path[0] is editor.action_bar.save
    assert path[-1] is editor.action_bar.cancel_case
    seen: dict[str, Any] = {}

    def shown() -> CancelCaseDialog | None:
        active = QApplication.activeWindow()
        if isinstance(active, CancelCaseDialog) and active.view is not None:
            return active
        return None

    def look_and_cancel(dialog: CancelCaseDialog) -> None:
        banners = [
            w for w in dialog.findChildren(QLabel) if w.accessibleName() == "Patient and case"
        ]
        seen["banner takes Tab"] = [
            bool(w.focusPolicy() & Qt.FocusPolicy.TabFocus) for w in banners
        ]
        seen["focus in reason"] = QApplication.focusWidget() is dialog.reason
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    script = Script((shown, look_and_cancel))
    try:
        press(qtbot, Qt.Key.Key_Space)  # Cancel case...
        qtbot.waitUntil(lambda: not script.pending, timeout=20_000)
    finally:
        script.stop()
    assert seen["banner takes Tab"] == [False]
    assert seen["focus in reason"]
    assert app.cases.open(pathologist, ACCESSION).record.status is Status.DRAFT
