"""Start the desktop app: the Qt application, sign-in, then the main window."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from marrowpath.ui.sign_in import SignInDialog


def run(services: Services, argv: list[str] | None = None) -> int:
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("MarrowPath")
    app.setOrganizationName("MarrowPath")
    dialog = SignInDialog(services.auth, database_label=services.database_label)
    if not dialog.exec() or dialog.user is None:
        return 0
    window = MainWindow(services, dialog.user)
    window.show()
    return int(app.exec())
