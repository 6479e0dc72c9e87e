"""The lifecycle dialogs (sign, amend, addendum, withdraw, cancel, record a critical-result
communication) opened from a case.

Why here: the dialogs live in `marrowpath.ui.dialogs` and are imported only when one is
opened (they are a separate part of the program and the editor must start without
them); one function builds the right dialog with the case's accession and the row
version the editor last saved, runs it, and says whether it was accepted.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtWidgets import QDialog, QWidget

from marrowpath.domain.users import User
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner

DialogKind = Literal[
    "preliminary", "final", "amendment", "addendum", "withdraw", "cancel", "communication"
]


def run_dialog(
    kind: DialogKind,
    *,
    services: Services,
    runner: TaskRunner,
    user: User,
    accession: str,
    row_version: int,
    parent: QWidget,
) -> bool:
    """Show the dialog for `kind` modally; True when the user completed it.

    Raises:
        ImportError: the dialogs package is not installed.
    """
    dialog: QDialog
    if kind in ("preliminary", "final"):
        from marrowpath.ui.dialogs.sign_out import SignOutDialog

        dialog = SignOutDialog(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            row_version=row_version,
            preliminary=kind == "preliminary",
            parent=parent,
        )
    elif kind == "amendment":
        from marrowpath.ui.dialogs.amend import SignAmendmentDialog

        dialog = SignAmendmentDialog(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            row_version=row_version,
            parent=parent,
        )
    elif kind == "addendum":
        from marrowpath.ui.dialogs.addendum import AddendumDialog

        dialog = AddendumDialog(
            services=services, runner=runner, user=user, accession=accession, parent=parent
        )
    elif kind == "communication":
        from marrowpath.ui.dialogs.communication import CommunicationDialog

        dialog = CommunicationDialog(
            services=services,
            runner=runner,
            user=user,
            accession=accession,
            row_version=row_version,
            parent=parent,
        )
    elif kind == "withdraw":
        from marrowpath.ui.dialogs.withdraw import WithdrawDialog

        dialog = WithdrawDialog(
            services=services, runner=runner, user=user, accession=accession, parent=parent
        )
    else:
        from marrowpath.ui.dialogs.withdraw import CancelCaseDialog

        dialog = CancelCaseDialog(
            services=services, runner=runner, user=user, accession=accession, parent=parent
        )
    accepted = dialog.exec() == QDialog.DialogCode.Accepted
    dialog.deleteLater()
    return bool(accepted)
