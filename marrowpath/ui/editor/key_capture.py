"""While a counter runs, every key of the editor's window is a count key and nothing else.

Why an application event filter: the pathologist's eyes are on the eyepieces, so the key
must count whichever field had the cursor, and no shortcut (Ctrl+S, Alt+1, a field's own
type-ahead) may fire in its place (`bench.md` section 1). The filter takes the
shortcut check (ShortcutOverride) and the key press of the editor's window only, while
the editor shows and no dialog is open; other windows and key releases pass untouched.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QWidget

from marrowpath.domain.counter import KEYPAD_KEYS

_NAMED = {
    Qt.Key.Key_F9: "f9",
    Qt.Key.Key_F10: "f10",
    Qt.Key.Key_Escape: "escape",
    Qt.Key.Key_Backspace: "backspace",
    Qt.Key.Key_PageUp: "page up",
    Qt.Key.Key_PageDown: "page down",
    Qt.Key.Key_Space: "space",
}
_MODIFIERS = {
    Qt.Key.Key_Shift,
    Qt.Key.Key_Control,
    Qt.Key.Key_Alt,
    Qt.Key.Key_Meta,
    Qt.Key.Key_AltGr,
    Qt.Key.Key_CapsLock,
    Qt.Key.Key_NumLock,
}


def key_name(event: QKeyEvent) -> str | None:
    """The key's name in `domain/counter.py` terms ("b", "num 7", "f9", "ctrl+z"), or
    None for a key that names nothing (a modifier alone, an arrow)."""
    key = Qt.Key(event.key())
    modifiers = event.modifiers()
    if key == Qt.Key.Key_Z and modifiers & Qt.KeyboardModifier.ControlModifier:
        return "ctrl+z"
    if key in _NAMED:
        return _NAMED[key]
    if key in _MODIFIERS:
        return None
    text = event.text()
    if len(text) != 1 or not text.isprintable():
        return None
    if modifiers & Qt.KeyboardModifier.KeypadModifier and text in KEYPAD_KEYS:
        return f"num {text}"
    if modifiers & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier):
        return None
    return text.lower()


class KeyCapture(QObject):
    """Takes the keys of `window_of`'s window while active; `handle(name)` decides."""

    def __init__(self, owner: QWidget) -> None:
        super().__init__(owner)
        self._owner = owner
        self.active = False

    def start_capture(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and not self.active:
            app.installEventFilter(self)
            self.active = True

    def stop_capture(self) -> None:
        app = QCoreApplication.instance()
        if app is not None and self.active:
            app.removeEventFilter(self)
        self.active = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind not in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress):
            return False
        if not isinstance(watched, QWidget) or watched.window() is not self._owner.window():
            return False
        if not self._owner.isVisible() or QApplication.activeModalWidget() is not None:
            return False  # another tab, a lock screen or a dialog: its keys are its own
        if kind == QEvent.Type.ShortcutOverride:
            event.accept()  # no shortcut fires: the key press comes to us instead
            return True
        assert isinstance(event, QKeyEvent)
        name = key_name(event)
        if name is not None:
            self.handle(name)
        return True

    def handle(self, name: str) -> None:
        raise NotImplementedError
