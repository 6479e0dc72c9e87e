"""What every lifecycle dialog shares: the message line, markers, wording, the dialog shell.

Opening the case and signing (password hashing, PDF rendering, the database) run on the
task runner, never on the GUI thread: the dialog shows a busy state meanwhile and stays
open, so that a refusal (a wrong password, a case changed meanwhile) lands in the dialog
that caused it and the person can try again there.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, Literal, TypeVar

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPainterPath,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from marrowpath.domain import lifecycle
from marrowpath.domain.derived import age_in_years
from marrowpath.domain.enums import label
from marrowpath.domain.errors import AuthenticationFailed, ConcurrentChange, Refused
from marrowpath.domain.flags import Flag
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.text import display_name
from marrowpath.domain.types import lenient_date
from marrowpath.domain.users import User
from marrowpath.services.cases import CaseView
from marrowpath.ui import status as status_words
from marrowpath.ui.busy import BusyIndicator
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, user_message

T = TypeVar("T")

Marker = Literal["met", "missing", "advisory"]

# Text colours for messages (always with words). Darker on light windows, lighter on
# dark ones, so that both palettes keep the contrast of body text.
_TEXT_COLOURS = {
    "error": ("#b00020", "#ff8a80"),
    "warning": ("#8a5a00", "#ffc66d"),
}
_MARKER_COLOURS = {"met": "#2e7d32", "missing": "#c62828", "advisory": "#f0a000"}
_ACCESSION_PREFIX = re.compile(r"^[A-Z0-9-]{1,32}: ")


# ------------------------------------------------------------------ small pieces


def dark_palette() -> bool:
    palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def text_colour(kind: Literal["error", "warning"]) -> str:
    light, dark = _TEXT_COLOURS[kind]
    return dark if dark_palette() else light


def marker_pixmap(kind: Marker, size: int = 16) -> QPixmap:
    """A tick, a cross or an amber warning triangle, painted (no icon theme needed)."""
    app = QApplication.instance()
    ratio = app.devicePixelRatio() if isinstance(app, QGuiApplication) else 1.0
    pixmap = QPixmap(round(size * ratio), round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    colour = QColor(_MARKER_COLOURS[kind])
    s = float(size)
    if kind == "advisory":
        triangle = QPolygonF([QPointF(s / 2, 1), QPointF(s - 1, s - 1.5), QPointF(1, s - 1.5)])
        painter.setPen(QPen(colour.darker(130), 1))
        painter.setBrush(colour)
        painter.drawPolygon(triangle)
        painter.setPen(_pen(QColor("black"), 1.8))
        painter.drawLine(QPointF(s / 2, s * 0.38), QPointF(s / 2, s * 0.66))
        painter.drawPoint(QPointF(s / 2, s * 0.8))
    else:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawEllipse(QRectF(0.5, 0.5, s - 1, s - 1))
        painter.setPen(_pen(QColor("white"), s * 0.13))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        if kind == "met":
            path = QPainterPath(QPointF(s * 0.27, s * 0.52))
            path.lineTo(QPointF(s * 0.44, s * 0.69))
            path.lineTo(QPointF(s * 0.74, s * 0.33))
            painter.drawPath(path)
        else:
            painter.drawLine(QPointF(s * 0.32, s * 0.32), QPointF(s * 0.68, s * 0.68))
            painter.drawLine(QPointF(s * 0.68, s * 0.32), QPointF(s * 0.32, s * 0.68))
    painter.end()
    return pixmap


def _pen(colour: QColor, width: float) -> QPen:
    pen = QPen(colour, width)
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    return pen


def marker_label(kind: Marker, words: str) -> QLabel:
    """A marker that a screen reader reads as words (`words`: "met", "missing", ...)."""
    marker = QLabel()
    marker.setPixmap(marker_pixmap(kind))
    marker.setAccessibleName(words)
    marker.setToolTip(words)
    marker.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
    return marker


def wrapped(text: str, *, rich: bool = False) -> QLabel:
    """A label that wraps and can be selected and copied (people quote these)."""
    widget = QLabel(text)
    widget.setWordWrap(True)
    widget.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    widget.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return widget


def password_field(accessible_name: str = "Your password") -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(accessible_name)
    field.setPlaceholderText("The password you sign in with")
    return field


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters (the full text goes in a tooltip)."""
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def quoted(value: Any) -> str:
    """A field value as a change list shows it: text in quotes, absent as (absent)."""
    if value is None:
        return "(absent)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return f"'{value}'"
    return str(value)


class MessageLabel(QLabel):
    """The dialog's one message line: an error in red, a caution in amber, always words."""

    def __init__(self, accessible_name: str = "Message") -> None:
        super().__init__()
        self.setWordWrap(True)
        self.setAccessibleName(accessible_name)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def error(self, text: str) -> None:
        self._show(text, text_colour("error"))

    def warning(self, text: str) -> None:
        self._show(text, text_colour("warning"))

    def clear_message(self) -> None:
        self.setText("")
        self.hide()

    def _show(self, text: str, colour: str) -> None:
        self.setStyleSheet(f"color: {colour};")
        self.setText(text)
        self.show()


class AdvisoryList(QWidget):
    """Advisory flags with an amber marker each and one acknowledgement checkbox.

    The flags inform and never block; the checkbox records that the signer read them
    (the service does not need it, the person does).

    Signals:
        changed() -- the acknowledgement was ticked or cleared.
    """

    changed = Signal()

    def __init__(
        self, flags: Sequence[Flag], extra: Sequence[str] = (), parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.flags = list(flags)
        self.lines: list[QLabel] = []
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(8)
        items = [
            ("Strong advisory" if f.severity == "strong" else "Advisory", f.message)
            for f in self.flags
        ] + [("Advisory", text) for text in extra]
        for row, (severity, text) in enumerate(items):
            top = Qt.AlignmentFlag.AlignTop
            grid.addWidget(marker_label("advisory", severity.lower()), row, 0, top)
            line = wrapped(f"<b>{severity}:</b> {html.escape(text)}", rich=True)
            line.setAccessibleName(f"{severity}: {text}")
            grid.addWidget(line, row, 1, top)
            self.lines.append(line)
        self.acknowledge = QCheckBox("I have reviewed these advisories")
        self.acknowledge.setAccessibleName("I have reviewed these advisories")
        self.acknowledge.toggled.connect(lambda _checked: self.changed.emit())
        if items:
            grid.addWidget(self.acknowledge, len(items), 0, 1, 2)
        else:
            none = wrapped("No advisories for this case.")
            grid.addWidget(none, 0, 0, 1, 2)
            self.acknowledge.hide()

    @property
    def needs_acknowledgement(self) -> bool:
        return bool(self.lines)

    @property
    def acknowledged(self) -> bool:
        return not self.lines or self.acknowledge.isChecked()


# ------------------------------------------------------------------ wording


def ends_session(error: BaseException) -> bool:
    """A refusal after which this signer cannot try again here (locked or deactivated)."""
    text = str(error)
    return isinstance(error, AuthenticationFailed) and (" locked" in text or "deactivated" in text)


def refusal_text(error: BaseException, *, nothing_done: str) -> str:
    """A service refusal as a sentence for the person at the screen, plus what it means.

    The signer's user name is known, so "wrong user name or password" becomes "wrong
    password"; a concurrent change says who changed the case and what to do next.
    """
    text = _ACCESSION_PREFIX.sub("", user_message(error))
    text = re.sub(r"^[a-z -]+ refused: ", "", text)
    if isinstance(error, AuthenticationFailed):
        text = text.replace("wrong user name or password", "wrong password")
        text = re.sub(r"^(\S+) is locked", r"your account \1 is locked", text)
    if isinstance(error, ConcurrentChange):
        match = re.search(r"changed by (.+?) at (.+?); reload", text)
        if match:
            text = (
                f"the case was changed by {match.group(1)} at {match.group(2)} after you "
                f"opened it. Close this window, reload the case and check the changes "
                f"before signing again"
            )
    text = re.sub(r"\bclia\b", "CLIA", text)
    text = text.replace(
        "set it with `marrowpath lab set` or in Administration",
        "an administrator sets it in Administration",
    )
    text = text[:1].upper() + text[1:]
    if not text.endswith("."):
        text += "."
    return f"{text} {nothing_done}" if nothing_done and isinstance(error, Refused) else text


def patient_banner(view: CaseView, today: date) -> QLabel:
    """Who and which case, as the editor's banner shows it: wrong-patient errors start here."""
    data = view.record.working
    patient = data.get("patient") if isinstance(data.get("patient"), dict) else {}
    assert isinstance(patient, dict)
    family, given = str(patient.get("family_name") or ""), str(patient.get("given_names") or "")
    name = display_name(family, given) if family else "(no patient name)"
    parts = [f"<b>{html.escape(name)}</b>"]
    if patient.get("mrn"):
        parts.append(f"MRN {html.escape(str(patient['mrn']))}")
    birth = lenient_date(patient.get("birth_date"))
    if birth:
        procedure = data.get("procedure") if isinstance(data.get("procedure"), dict) else {}
        assert isinstance(procedure, dict)
        on = lenient_date(procedure.get("date")) or today
        parts.append(f"born {birth.isoformat()} ({age_in_years(birth, on)} years)")
    if patient.get("sex"):
        parts.append(html.escape(label(str(patient["sex"]))))
    parts.append(f"Accession <b>{html.escape(view.record.accession)}</b>")
    parts.append(html.escape(status_words.word(view.record.status)))
    banner = wrapped(" &nbsp;·&nbsp; ".join(parts), rich=True)
    banner.setAccessibleName("Patient and case")
    banner.setFrameShape(QLabel.Shape.StyledPanel)
    banner.setMargin(6)
    return banner


# ------------------------------------------------------------------ the dialog shell


class LifecycleDialog(QDialog):
    """The shell of every lifecycle dialog: a body, a message line, action and cancel.

    The case is read on the task runner when the dialog opens (`load_case`); until it
    arrives the body says so and the action waits. Enter (and Ctrl+Enter from a text box)
    runs `accept_action`; Escape cancels, except while work runs (a signature cannot be
    taken back halfway). A refusal is shown in the message line and the dialog stays
    open, except when the account can no longer sign (locked, deactivated): then it
    explains in a message box and closes.

    Signals:
        ready() -- the case was read and shown, or why it cannot be is shown.
        work_finished() -- an `attempt` ended (done or refused).
    """

    ready = Signal()
    work_finished = Signal()

    def __init__(
        self,
        *,
        services: Services,
        runner: TaskRunner,
        user: User,
        accession: str,
        title: str,
        action_text: str,
        cancel_text: str = "Cancel",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.services = services
        self.runner = runner
        self.user = user
        self.accession = accession
        self.view: CaseView | None = None
        self.closing_notice: QMessageBox | None = None
        self.setWindowTitle(title)
        self.setSizeGripEnabled(True)
        self.body = QVBoxLayout()
        self.body.setSpacing(10)
        self.message = MessageLabel()
        self.busy = BusyIndicator(self)
        self.buttons = QDialogButtonBox()
        self.action_button: QPushButton = self.buttons.addButton(
            action_text, QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.cancel_button: QPushButton = self.buttons.addButton(
            cancel_text, QDialogButtonBox.ButtonRole.RejectRole
        )
        self.action_button.setDefault(True)
        self.action_button.setAutoDefault(True)
        self.cancel_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept_action)
        self.buttons.rejected.connect(self.reject)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.activated.connect(self._shortcut_accept)
        outer = QVBoxLayout(self)
        outer.addLayout(self.body, 1)
        outer.addWidget(self.message)
        outer.addWidget(self.busy)
        outer.addWidget(self.buttons)
        self._blocked = False

    @property
    def working(self) -> bool:
        """Whether the case is being read or an action is being taken."""
        return self.busy.active

    def resize_to_content(self, width: int) -> None:
        """`width` wide and as tall as the wrapped text needs at that width, no more."""
        layout = self.layout()
        height = -1
        if layout is not None and layout.hasHeightForWidth():
            height = layout.heightForWidth(width)
        self.resize(width, height if height > 0 else self.sizeHint().height())

    def fitting_height(self, wanted: int) -> int:
        """`wanted`, or 90 % of the screen when that is less (1366x768 laptops)."""
        screen = self.screen()
        if screen is None:
            return wanted
        return min(wanted, int(screen.availableGeometry().height() * 0.9))

    def accept_action(self) -> None:
        """The dialog's one action (sign, withdraw, cancel the case); subclasses define it."""
        raise NotImplementedError

    def _shortcut_accept(self) -> None:
        if self.action_button.isEnabled():
            self.accept_action()

    def reject(self) -> None:
        """Escape, Cancel, the window's close button: not while work runs."""
        if not self.working:
            super().reject()

    def load_case(self, show: Callable[[CaseView], QWidget]) -> None:
        """Read the case on the task runner, then `show(view)` builds the body and returns
        the field that takes the focus; a refusal (not found, not allowed) is said instead
        and blocks the action."""
        waiting = wrapped(f"Opening {self.accession}...")
        waiting.setAccessibleName("Opening the case")
        self.body.addWidget(waiting)
        self.action_button.setEnabled(False)
        self._set_working(True, "Opening the case...")
        services, user, accession = self.services, self.user, self.accession

        def opened(view: CaseView) -> None:
            self._set_working(False)
            self.body.removeWidget(waiting)
            waiting.deleteLater()
            self.view = view
            first = show(view)
            self._show_added_widgets()
            first.setFocus()
            self.refresh_action()
            self.ready.emit()

        def failed(error: Exception) -> None:
            self._set_working(False)
            waiting.hide()
            self.block(refusal_text(error, nothing_done=""))
            self.ready.emit()

        self.runner.run(
            lambda: services.cases.open(user, accession),
            on_done=opened,
            on_error=failed,
            owner=self,
        )

    def _show_added_widgets(self) -> None:
        """Show what `show` added to the visible dialog now rather than on Qt's queued
        call (what a layout does with a widget added to a shown window), so that the first
        field can take the focus. Focus given to a hidden field of a window not yet active
        is forgotten (Qt records it on the field alone), and the activation then put it on
        the Record button: the pathologist's typing went nowhere. Seen in CI, reproduced
        under CPU load in 1 dialog of 6."""
        for widget in self.findChildren(QWidget):
            explicitly_hidden = widget.isHidden() and widget.testAttribute(
                Qt.WidgetAttribute.WA_WState_ExplicitShowHide
            )
            parent = widget.parentWidget()
            shown_parent = parent is not None and parent.isVisible()
            if shown_parent and not explicitly_hidden and not widget.isWindow():
                widget.setVisible(True)  # parents come first: the search is depth-first

    def action_ready(self) -> bool:
        """Whether what the person must do before acting is done (a subclass waits for
        ticks here); the action button stays disabled until it is."""
        return True

    def _can_act(self) -> bool:
        return not self._blocked and self.action_ready()

    def refresh_action(self) -> None:
        """Enable or disable the action after what `action_ready` reads has changed."""
        self.action_button.setEnabled(not self.working and self._can_act())

    def block(self, why: str) -> None:
        """The action cannot be taken here: say why and disable it (Cancel stays)."""
        self._blocked = True
        self.message.error(why)
        self.action_button.setEnabled(False)
        self.action_button.setDefault(False)
        self.cancel_button.setDefault(True)
        self.cancel_button.setText("Close")

    def attempt(
        self,
        work: Callable[[], T],
        *,
        nothing_done: str,
        on_done: Callable[[T], None],
        on_refused: Callable[[], None] | None = None,
        busy_text: str = "Signing...",
    ) -> None:
        """Run one service call on the task runner with a busy state; `on_done(result)`
        follows, or the refusal in words (then `on_refused()`); never raises."""
        if self.working:
            return
        self.message.clear_message()
        self._set_working(True, busy_text)

        def done(result: T) -> None:
            self._set_working(False)
            on_done(result)
            self.work_finished.emit()

        def failed(error: Exception) -> None:
            self._set_working(False)
            text = refusal_text(error, nothing_done=nothing_done)
            if ends_session(error):
                self.close_with(text)
            else:
                self.message.error(text)
                if isinstance(error, ConcurrentChange):
                    self.block(text)
                if on_refused is not None:
                    on_refused()
            self.work_finished.emit()

        self.runner.run(work, on_done=done, on_error=failed, owner=self)

    def _set_working(self, working: bool, words: str = "") -> None:
        """While work runs the action and Cancel wait (inputs stay as typed)."""
        if working:
            self.busy.start(words)
        else:
            self.busy.stop()
        self.action_button.setEnabled(not working and self._can_act())
        self.cancel_button.setEnabled(not working)

    def close_with(self, text: str) -> None:
        """Explain in a (non-blocking) message box and close the dialog."""
        notice = QMessageBox(
            QMessageBox.Icon.Warning,
            self.windowTitle(),
            text,
            QMessageBox.StandardButton.Ok,
            self.parentWidget(),
        )
        notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        notice.open()
        self.closing_notice = notice
        self.reject()

    def require_text(self, value: str, what: str, field: QWidget) -> str | None:
        """A required free-text field: the text, or None after saying what is missing."""
        value = value.strip()
        if not value:
            self.message.error(f"Enter {what}.")
            field.setFocus()
        return value or None

    def signature_box(self, kind: VersionKind, password: QLineEdit, note: str = "") -> QGroupBox:
        """ "Your signature": who signs, what the signature means (21 CFR 11.50), password."""
        box = QGroupBox("Your signature")
        form = QFormLayout(box)
        meaning = lifecycle.MEANING[kind]
        label = wrapped(
            f"You sign as <b>{html.escape(self.user.signature_name)}</b>. Your signature "
            f"means: <b>{html.escape(meaning)}</b>.{' ' + note if note else ''}",
            rich=True,
        )
        label.setAccessibleName(f"Meaning of the signature: {meaning}")
        self.meaning_label = label
        form.addRow(label)
        form.addRow("&Password:", password)
        return box

    def advisories_reviewed(self, advisories: AdvisoryList | None) -> bool:
        """False (with the reason shown) while advisories wait for their tick."""
        if advisories is not None and not advisories.acknowledged:
            self.message.error(
                "Read the advisories and tick “I have reviewed these advisories” to sign."
            )
            advisories.acknowledge.setFocus()
            return False
        return True

    def require_password(self, field: QLineEdit) -> str | None:
        if not field.text():
            self.message.error("Enter your password to sign.")
            field.setFocus()
            return None
        return field.text()

    def wrong_password_again(self, field: QLineEdit) -> None:
        """After a refusal: an empty password box with the focus, ready for another try."""
        field.clear()
        field.setFocus()
