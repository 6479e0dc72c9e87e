"""Attribution at the idle lock and Switch user, and recovery copies that belong to their
author (issue 10, item 6; look-and-feel, Privacy).

The attacks: at the idle lock someone else presses "Switch user", then "Save" when asked
about unsaved changes, and the locked user's edits were committed under the locked
user's name without their password; after a crash, one user's recovery copy (name, MRN,
birth date) was offered to another, who could save it as their own.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QPlainTextEdit
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.editor.recovery import RecoveryFiles, keep_recovery_copy
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from marrowpath.ui.sign_in import SignInDialog
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case

pytestmark = pytest.mark.ui
ACCESSION = "BM26-00042"
EDIT = "Typed by Dr Park before she walked away."


@pytest.fixture
def draft(app: App, team: dict[str, User]) -> str:
    app.cases.import_case(team["drpark"], example_case())
    return ACCESSION


def _comment(editor: CaseEditor) -> QPlainTextEdit:
    field = editor.form.field("diagnosis.comment").input
    assert isinstance(field, QPlainTextEdit)
    return field


def _signing_in(
    monkeypatch: pytest.MonkeyPatch, next_user: str | None, seen: Callable[[], None]
) -> list[str]:
    """Answer the sign-in dialogs as the person at the keyboard: "Switch user" at the
    lock (they do not know the locked user's password), then `next_user` signs in.
    `seen()` runs while the next sign-in dialog is up (what is on screen then)."""
    asked: list[str] = []

    def answer(dialog: SignInDialog) -> int:
        if dialog._locked_user is not None:
            asked.append(f"unlock {dialog._locked_user.username}")
            return 0  # "Switch user"
        asked.append("sign in")
        seen()
        if next_user is None:
            return 0
        dialog.username.setText(next_user)
        dialog.password.setText(PASSWORD)
        dialog._try()
        return 1 if dialog.user else 0

    monkeypatch.setattr(SignInDialog, "exec", answer)
    return asked


def test_switch_user_at_the_lock_saves_nothing_and_keeps_the_authors_recovery_copy(
    qtbot: QtBot,
    app: App,
    services: Services,
    team: dict[str, User],
    draft: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stored = app.cases.open(team["drpark"], draft).record
    window = MainWindow(services, team["drpark"], idle_minutes=60)
    qtbot.addWidget(window)
    window.show()
    window.worklist.search_box.setText("Delgado")
    window.open_case(draft)
    editor = window.current_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: editor.record is not None and editor.form.complete, timeout=20_000)
    _comment(editor).setPlainText(EDIT)
    assert editor.is_dirty()
    asked_to_save: list[str] = []

    def would_press_save(self: CaseEditor) -> str:
        asked_to_save.append(self.accession or "")
        return "save"  # what the other person would answer, if asked

    monkeypatch.setattr(CaseEditor, "ask_unsaved", would_press_save)
    on_screen: dict[str, Any] = {}

    def seen() -> None:
        on_screen["tabs"] = window.tabs.count()
        on_screen["search"] = window.worklist.search_box.text()
        on_screen["rows"] = window.worklist.model.rowCount()
        on_screen["covered"] = window.curtains.down

    asked = _signing_in(monkeypatch, "tech", seen)
    window.lock()

    assert asked == ["unlock drpark", "sign in"]
    assert asked_to_save == []  # nobody was offered to save Dr Park's work
    record = app.cases.open(team["drpark"], draft).record
    assert record.row_version == stored.row_version and record.updated_by == stored.updated_by
    assert record.working == stored.working
    with app.context.uow(read_only=True) as uow:
        assert "save" not in [event.action for event in uow.audit.for_case(draft)]
    copy = Path(services.data_dir) / "recovery" / "drpark" / f"{draft}.json"
    assert json.loads(copy.read_text(encoding="utf-8"))["diagnosis"]["comment"] == EDIT
    assert on_screen == {"tabs": 1, "search": "", "rows": 0, "covered": True}
    assert window.user().username == "tech" and not window.curtains.down
    assert window.tabs.count() == 1
    window.close()


def test_a_dialog_left_open_at_the_lock_closes_without_acting(
    qtbot: QtBot,
    app: App,
    services: Services,
    team: dict[str, User],
    draft: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A sign-out dialog the locked user left open (password typed) is cancelled."""
    from marrowpath.ui.dialogs.sign_out import SignOutDialog

    window = MainWindow(services, team["drpark"], idle_minutes=60)
    qtbot.addWidget(window)
    window.show()
    stored = app.cases.open(team["drpark"], draft).record
    dialog = SignOutDialog(
        services=services,
        runner=window.runner,
        user=team["drpark"],
        accession=draft,
        row_version=stored.row_version,
        preliminary=False,
        parent=window,
    )
    with qtbot.waitSignal(dialog.ready, timeout=20_000):
        dialog.show()
    dialog.password.setText(PASSWORD)
    _signing_in(monkeypatch, "tech", lambda: None)
    window.lock()
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
    assert app.cases.versions(team["drpark"], draft) == []
    window.close()


def test_after_switch_user_nothing_of_the_previous_session_shows(
    qtbot: QtBot,
    services: Services,
    team: dict[str, User],
    draft: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window = MainWindow(services, team["drpark"], idle_minutes=60)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=20_000)
    window.worklist.search_box.setText("Delgado")
    window.open_case(draft)
    window.open_preview(draft)
    assert window.tabs.count() == 3
    on_screen: dict[str, Any] = {}

    def seen() -> None:
        on_screen["tabs"] = window.tabs.count()
        on_screen["search"] = window.worklist.search_box.text()
        on_screen["rows"] = window.worklist.model.rowCount()
        on_screen["user"] = window.user_label.text()

    _signing_in(monkeypatch, "tech", seen)
    window.switch_user()
    assert on_screen == {"tabs": 1, "search": "", "rows": 0, "user": ""}
    assert window.user().username == "tech"
    qtbot.waitUntil(lambda: window.worklist.model.rowCount() == 1, timeout=20_000)
    window.close()


def test_recovery_copies_are_offered_only_to_their_author(
    qtbot: QtBot,
    services: Services,
    team: dict[str, User],
    draft: str,
) -> None:
    runner = TaskRunner()
    keep_recovery_copy(
        services.data_dir, "drpark", draft, {**example_case(), "core": {"comment": EDIT}}
    )
    keep_recovery_copy(services.data_dir, "drpark", None, {"patient": {"family_name": "Otieno"}})

    def editor(user: User, accession: str | None) -> CaseEditor:
        made = CaseEditor(services=services, runner=runner, user=lambda: user, accession=accession)
        qtbot.addWidget(made)
        made.show()
        if accession is None:
            qtbot.waitUntil(lambda: made.form.accession.edit.text() != "", timeout=20_000)
        else:
            qtbot.waitUntil(lambda: made.record is not None, timeout=20_000)
        return made

    for accession in (draft, None):
        other = editor(team["tech"], accession)
        assert other.recovery_bar.isHidden(), other.recovery_bar.message()
        assert other.recovery_path is not None
        assert other.recovery_path.parent.name == "tech"
        author = editor(team["drpark"], accession)
        assert not author.recovery_bar.isHidden()
        assert "never saved" in author.recovery_bar.message()
    runner.wait()


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_recovery_copies_are_private_files(tmp_path: Path) -> None:
    (tmp_path / "recovery").mkdir(mode=0o755)  # as older versions made it
    path = keep_recovery_copy(tmp_path, "drpark", ACCESSION, {"patient": {"mrn": "MRN1"}})
    files = RecoveryFiles(tmp_path, "drpark")
    assert path.parent == files.folder and files.belongs_here(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(files.folder.parent.stat().st_mode) == 0o700
    # Odd user names never share a folder or leave it.
    assert RecoveryFiles(tmp_path, "../x").folder.parent == tmp_path / "recovery"
    assert RecoveryFiles(tmp_path, "a b").folder != RecoveryFiles(tmp_path, "a_b").folder
