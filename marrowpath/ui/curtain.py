"""The screen over every window while a session is locked: no patient data shows.

Why a cover and not hiding: a dialog hidden while it runs `exec()` ends, as if cancelled,
and the locked user's half-typed amendment reason would go with it. A cover is a plain
opaque child on top of each window: the windows keep their state underneath, and when
the user unlocks, the covers go and everything is as it was.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel, QVBoxLayout, QWidget


class Curtain(QWidget):
    """An opaque cover over all of `window` (it follows the window's size)."""

    def __init__(self, window: QWidget, text: str) -> None:
        super().__init__(window)
        self.setObjectName("lock-curtain")
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.Window)
        label = QLabel(text)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        self.setGeometry(window.rect())
        window.installEventFilter(self)
        self.raise_()
        self.show()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        window = self.parentWidget()
        if event.type() == QEvent.Type.Resize and window is not None and watched is window:
            self.setGeometry(window.rect())
            self.raise_()
        elif event.type() == QEvent.Type.ChildAdded:
            self.raise_()  # anything added later goes under the cover
        return False


class Curtains:
    """Covers every visible window of the app (`cover`) until `lift`."""

    def __init__(self) -> None:
        self._curtains: list[Curtain] = []

    @property
    def down(self) -> bool:
        return bool(self._curtains)

    def cover(self, text: str = "MarrowPath is locked.") -> None:
        app = QApplication.instance()
        if not isinstance(app, QApplication):
            return
        for window in app.topLevelWidgets():
            if window.isVisible() and window.isWindow() and not window.isHidden():
                if window.windowType() in (Qt.WindowType.ToolTip, Qt.WindowType.Popup):
                    window.hide()  # tool tips and open menus may show patient data
                    continue
                self._curtains.append(Curtain(window, text))

    def lift(self) -> None:
        for curtain in self._curtains:
            if shiboken6.isValid(curtain):
                parent = curtain.parentWidget()
                if parent is not None:
                    parent.removeEventFilter(curtain)
                curtain.hide()
                curtain.deleteLater()
        self._curtains = []
