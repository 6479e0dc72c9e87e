"""Start the desktop app: the Qt application, sign-in, then the main window.

Start-up order (decision "Start-up"): only Qt, this module, the sign-in dialog and the
task runner are imported before the dialog is painted. The database is opened and the
services imported on a pool thread once the event loop runs, while the user types; the
main window's modules are imported on a pool thread while the password is checked. The
worklist's first page is then read off the GUI thread too (`WorklistModel`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from marrowpath.ui.sign_in import SignInDialog
from marrowpath.ui.tasks import TaskRunner, freeze_start_up_objects, user_message

if TYPE_CHECKING:
    from marrowpath.ui.services import Services


# Qt's raster engine hands large scaled-pixmap fills (the Fusion group box frames beside
# the form) to a pool of threads and blocks the GUI thread until they finish: on a busy
# two-core workstation each hand-off waits for a core, and a key of the differential
# counter waited with it (decision 85). Read by Qt when it first makes the pool.
SERIAL_PAINTING = ("QT_NO_GUI_THREADPOOL", "1")


def prepare_qt_environment() -> None:
    """Before the QApplication exists: painting stays on the GUI thread."""
    os.environ.setdefault(*SERIAL_PAINTING)


def _application(argv: list[str] | None) -> QApplication:
    prepare_qt_environment()
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("MarrowPath")
    app.setOrganizationName("MarrowPath")
    return app


def run_loading(load: Callable[[], Services], argv: list[str] | None = None) -> int:
    """Show the sign-in dialog at once and open the database meanwhile, so that the
    seconds of loading pass while the user types."""
    app = _application(argv)
    runner = TaskRunner()
    dialog = SignInDialog(None, database_label="Opening the database...")
    loaded: list[Services] = []
    errors: list[Exception] = []

    def ready(services: Services) -> None:
        loaded.append(services)
        # The main window's modules load while the password is checked: Argon2 runs in
        # C without the interpreter lock, so the two share the processor's cores.
        runner.run(_import_main_window, on_error=lambda _error: None)
        dialog.set_auth(services.auth, services.database_label)

    def failed(error: Exception) -> None:
        errors.append(error)
        dialog.show_error(user_message(error))
        QMessageBox.critical(dialog, "MarrowPath", user_message(error))
        dialog.reject()

    # Started by the event loop that `exec` runs, after the dialog's first paint: the
    # imports of the loading thread hold the interpreter for much of a second.
    QTimer.singleShot(0, lambda: runner.run(load, on_done=ready, on_error=failed))
    accepted = dialog.exec()
    runner.wait()
    if not accepted or dialog.user is None or not loaded:
        return 1 if errors else 0
    from marrowpath.ui.main_window import MainWindow

    window = MainWindow(loaded[0], dialog.user)
    window.show()
    freeze_start_up_objects()
    return int(app.exec())


def _import_main_window() -> None:
    """Import (not build) the main window, off the GUI thread; an import error shows
    where the window is built."""
    import marrowpath.ui.main_window  # noqa: F401


def run(services: Services, argv: list[str] | None = None) -> int:
    """Start with services already opened (tests, scripts)."""
    from marrowpath.ui.main_window import MainWindow

    app = _application(argv)
    dialog = SignInDialog(services.auth, database_label=services.database_label)
    if not dialog.exec() or dialog.user is None:
        return 0
    window = MainWindow(services, dialog.user)
    window.show()
    freeze_start_up_objects()
    return int(app.exec())
