"""Starting the app: the sign-in dialog shows before the database is open."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

from marrowpath.bootstrap import App
from marrowpath.domain.errors import SchemaMismatch
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui import app as desktop
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from marrowpath.ui.sign_in import SignInDialog
from tests.conftest import PASSWORD


def _type_and_sign_in(dialog: SignInDialog) -> int:
    """What a person does: type at once (the database may still be opening), press Enter."""
    assert dialog.intro.text().endswith("Opening the database...</small>")
    dialog.username.setText("drpark")
    dialog.password.setText(PASSWORD)
    dialog._try()
    deadline = time.monotonic() + 20
    while dialog.user is None and time.monotonic() < deadline:
        QCoreApplication.processEvents()
    return 1 if dialog.user else 0


def test_sign_in_while_the_database_opens(
    qapp: QApplication,
    app: App,
    pathologist: User,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[MainWindow] = []
    monkeypatch.setattr(SignInDialog, "exec", _type_and_sign_in)
    monkeypatch.setattr(MainWindow, "show", lambda window: shown.append(window))
    monkeypatch.setattr(QApplication, "exec", lambda _app: 0)
    # The window's first delivery check fires 2 s after it opens; the window is deleted
    # later, so the check could start a task on a runner being deleted during another test.
    monkeypatch.setattr(MainWindow, "check_deliveries", lambda _window: None)

    def slow_load() -> Services:
        time.sleep(0.3)  # the user is faster than the database
        return desktop_services(app, str(tmp_path))

    assert desktop.run_loading(slow_load) == 0
    assert [window.user().username for window in shown] == ["drpark"]
    for window in shown:
        window.runner.wait()
        # destroyed now, not later: its 2 s delivery check must not fire in another test
        # and run a task on a runner that is then deleted under it
        shiboken6.delete(window)


def test_a_database_that_cannot_be_opened_is_explained(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[str] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda _p, _t, text: messages.append(text))

    def wait_for_failure(dialog: SignInDialog) -> int:
        deadline = time.monotonic() + 10
        while not messages and time.monotonic() < deadline:
            QCoreApplication.processEvents()
        return 0

    monkeypatch.setattr(SignInDialog, "exec", wait_for_failure)

    def refuse() -> Services:
        raise SchemaMismatch("the database schema (9999) is newer than this MarrowPath")

    assert desktop.run_loading(refuse) == 1
    assert messages == ["the database schema (9999) is newer than this MarrowPath"]
