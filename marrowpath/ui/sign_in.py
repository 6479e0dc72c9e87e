"""Sign in, and the idle lock that asks for the password again (keeping unsaved work)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User

if TYPE_CHECKING:  # the dialog shows before the services are imported (`ui/app.py`)
    from marrowpath.services.auth import AuthService


class SignInDialog(QDialog):
    """User name and password; a clear message on failure and on lockout.

    With `locked_user` it is the idle lock: only that user's password unlocks. With
    `auth=None` the database is still being opened: the user can type meanwhile, and
    signing in waits for `set_auth`.
    """

    def __init__(
        self,
        auth: AuthService | None,
        *,
        database_label: str = "",
        locked_user: User | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._auth = auth
        self._locked_user = locked_user
        self.user: User | None = None
        self.setWindowTitle("MarrowPath: locked" if locked_user else "MarrowPath: sign in")
        self.username = QLineEdit()
        self.username.setAccessibleName("User name")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName("Sign-in message")
        self.message.setStyleSheet("color: #b00020;")
        self._pending = False
        intro = self.intro = QLabel(
            f"The session of <b>{locked_user.full_name}</b> was locked after a period without "
            "activity. Unsaved work is kept. Enter the password to continue."
            if locked_user
            else f"Sign in to MarrowPath<br><small>{database_label}</small>"
        )
        intro.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&User name", self.username)
        form.addRow("&Password", self.password)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Unlock" if locked_user else "Sign in")
        if locked_user:
            buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Switch user")
            self.username.setText(locked_user.username)
            self.username.setReadOnly(True)
        buttons.accepted.connect(self._try)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.setMinimumWidth(380)
        (self.password if locked_user else self.username).setFocus()

    def set_auth(self, auth: AuthService, database_label: str) -> None:
        """The database is open: sign in now if the user already asked to."""
        self._auth = auth
        self.intro.setText(f"Sign in to MarrowPath<br><small>{database_label}</small>")
        if self._pending:
            self._pending = False
            self.message.clear()
            self._try()

    def show_error(self, text: str) -> None:
        self._pending = False
        self.message.setText(text)

    def _try(self) -> None:
        if self._auth is None:
            self._pending = True
            self.message.setText("Opening the database...")
            return
        try:
            self.user = self._auth.sign_in(
                self.username.text().strip(),
                self.password.text(),
                purpose="unlock" if self._locked_user else "sign-in",
            )
        except Refused as refusal:
            self.message.setText(str(refusal).replace("sign-in refused: ", "").capitalize())
            self.password.clear()
            self.password.setFocus()
            return
        self.accept()


class IdleWatcher(QObject):
    """Emits `idle` after `minutes` without keyboard or mouse input anywhere in the app.

    Signals:
        idle() -- the time ran out.
    """

    idle = Signal()
    _ACTIVITY = frozenset(
        {
            QEvent.Type.KeyPress,
            QEvent.Type.MouseButtonPress,
            QEvent.Type.MouseMove,
            QEvent.Type.Wheel,
        }
    )

    def __init__(self, minutes: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.VeryCoarseTimer)
        self._timer.timeout.connect(self.idle)
        self._watched: set[QWindow] = set()
        self.set_minutes(minutes)

    def set_minutes(self, minutes: float) -> None:
        self._timer.setInterval(max(1, int(minutes * 60_000)))
        self._timer.start()

    def pause(self) -> None:
        self._timer.stop()

    def resume(self) -> None:
        self._timer.start()

    def watch(self, app: QGuiApplication) -> None:
        """Listen for input on the focused top-level window (and each one focused later).

        Input reaches the window (`QWindow`) before any widget, and far fewer events pass
        there than through the whole application, so the filter costs little.
        """
        app.focusWindowChanged.connect(self._on_focus_window_changed)
        self._on_focus_window_changed(app.focusWindow())

    def _on_focus_window_changed(self, window: QWindow | None) -> None:
        if window is not None and window not in self._watched:
            window.installEventFilter(self)
            self._watched.add(window)
            window.destroyed.connect(lambda _o=None, w=window: self._watched.discard(w))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in self._ACTIVITY and self._timer.isActive():
            self._timer.start()
        return False
