"""A busy state for work that runs in the background: words, a bar, a wait cursor.

Why a delay: most work ends in a few milliseconds, and a busy state that flashes on and
off for it is noise. Work that lasts longer than `BUSY_DELAY_MS` (signing, rendering a
PDF, a slow network) shows what is happening, in words, until it ends.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QWidget

from marrowpath.ui.tasks import BUSY_DELAY_MS


class BusyIndicator(QWidget):
    """ "Signing..." beside an indeterminate bar, and a wait cursor over `cover`.

    Hidden until `start()` has been running for BUSY_DELAY_MS; `stop()` hides it at once.
    The cursor is set on `cover` (the dialog or tab doing the work), not for the whole
    application, so the rest of the window still shows that it can be used.
    """

    def __init__(self, cover: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._cover = cover
        self._active = False
        self.label = QLabel()
        self.label.setAccessibleName("Work in progress")
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setMaximumWidth(120)
        self.bar.setTextVisible(False)
        self.bar.setAccessibleName("Working")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(BUSY_DELAY_MS)
        self._timer.timeout.connect(self._appear)
        self.hide()

    @property
    def active(self) -> bool:
        """Whether work is in progress (shown or not yet)."""
        return self._active

    def start(self, text: str) -> None:
        self.label.setText(text)
        if not self._active:
            self._active = True
            self._timer.start()

    def stop(self) -> None:
        self._active = False
        self._timer.stop()
        self.hide()
        self._cover.unsetCursor()

    def _appear(self) -> None:
        if self._active:
            self._cover.setCursor(Qt.CursorShape.WaitCursor)
            self.show()
