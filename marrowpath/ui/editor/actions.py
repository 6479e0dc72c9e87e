"""The row of case actions: Save, Preview / print and the sign-out lifecycle.

Why computed from the lifecycle table: a button that is shown must be an action the
services will accept, so visibility asks `lifecycle.allowed` with the case's status and
whether an amendment is in progress, and the signing actions appear only for users who
may sign. The services enforce the same rules again; hiding is for clarity, not safety.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QLabel, QPushButton, QWidget

from marrowpath.domain.lifecycle import Action, Status, allowed
from marrowpath.domain.users import Permission, User
from marrowpath.ui.editor.flow import FlowLayout


class CaseActions(QWidget):
    """Buttons; the editor connects them. `refresh` shows the ones that apply now."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.save = QPushButton("&Save")
        self.save.setToolTip("Save the working document (Ctrl+S)")
        # no underlined letter: Alt+V is the View menu's, and Ctrl+P is the fixed key
        self.preview = QPushButton("Preview / print")
        self.preview.setToolTip("Preview the report and print it (Ctrl+P)")
        self.sign_preliminary = QPushButton("Sign as preliminary")
        self.sign_final = QPushButton("Sign out final")
        self.sign_final.setToolTip("Sign the final report (Ctrl+Return)")
        self.amend = QPushButton("Amend")
        self.amend.setToolTip("Reopen the issued report as an amendment in progress")
        self.discard_amendment = QPushButton("Discard amendment")
        self.sign_amendment = QPushButton("Sign amendment...")
        self.addendum = QPushButton("Addendum...")
        self.withdraw = QPushButton("Withdraw...")
        self.cancel_case = QPushButton("Cancel case...")
        self.state = QLabel()
        self.state.setAccessibleName("Save state")
        self.lifecycle: dict[QPushButton, Action] = {
            self.sign_preliminary: Action.SIGN_PRELIMINARY,
            self.sign_final: Action.SIGN_FINAL,
            self.amend: Action.START_AMENDMENT,
            self.discard_amendment: Action.DISCARD_AMENDMENT,
            self.sign_amendment: Action.SIGN_AMENDMENT,
            self.addendum: Action.ADDENDUM,
            self.withdraw: Action.WITHDRAW,
            self.cancel_case: Action.CANCEL,
        }
        separator = QFrame()
        separator.setFrameShape(QFrame.Shape.VLine)
        self._separator = separator
        layout = FlowLayout(self, spacing=6)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.save)
        layout.addWidget(self.preview)
        layout.addWidget(separator)
        for button in self.lifecycle:
            layout.addWidget(button)
        layout.push_right()
        layout.addWidget(self.state)

    def refresh(
        self,
        *,
        user: User,
        status: Status,
        amendment_in_progress: bool,
        saved: bool,
        editable: bool,
        busy: bool,
    ) -> None:
        """Show what this user may do with the case now."""
        self.save.setVisible(user.can(Permission.EDIT))
        self.save.setEnabled(editable and not busy)
        self.preview.setEnabled(saved and not busy)
        can_sign = user.can(Permission.SIGN)
        any_shown = False
        for button, action in self.lifecycle.items():
            show = can_sign and allowed(action, status, amendment_in_progress=amendment_in_progress)
            if action is not Action.SIGN_FINAL and action is not Action.SIGN_PRELIMINARY:
                show = show and saved  # nothing to cancel or amend before the first save
            if action is Action.START_AMENDMENT:
                show = show and not amendment_in_progress  # already open for amendment
            button.setVisible(show)
            button.setEnabled(not busy)
            any_shown = any_shown or show
        self._separator.setVisible(any_shown)

    def visible_captions(self) -> list[str]:
        return [
            button.text().replace("&", "")
            for button in (self.save, self.preview, *self.lifecycle)
            if not button.isHidden()
        ]
