"""Qt tests run offscreen against a real SQLite database; `services` is what the app is given."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.services import Services
from marrowpath.ui.tasks import TaskRunner, freeze_start_up_objects
from tests.conftest import example_case


@pytest.fixture(autouse=True, scope="session")
def _start_up_objects_frozen() -> None:
    """As the app does once its window shows: what the imports made is exempt from later
    collections, so each collection below walks one test's objects, not the 150,000 of
    PySide6, SQLAlchemy and ReportLab (75-130 ms each, several hundred times a run)."""
    gc.collect()
    freeze_start_up_objects()


@pytest.fixture(autouse=True)
def _collect_garbage_on_the_gui_thread() -> Iterator[None]:
    """Each desktop test's garbage is collected here, on the GUI thread, once its widgets
    are closed (this fixture is set up first, so torn down last). Left to the automatic
    collector, a later test's task-runner thread could collect it: a full run froze once
    when a pool thread destroyed an earlier test's Qt objects (`QObject::~QObject` holding
    Qt's connection lock and waiting for the GIL, the GUI thread holding the GIL and
    waiting for that lock in `QObject::connect`; seen with py-spy)."""
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def _private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the app remembers (window geometry, folders, columns) goes to a throw-away
    place for each desktop test, never into the developer's settings."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    QSettings.setPath(
        QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path / "config")
    )


@pytest.fixture
def services(app: App, tmp_path: Path) -> Services:
    return desktop_services(app, str(tmp_path / "data"))


@pytest.fixture
def runner(qtbot: QtBot) -> Iterator[TaskRunner]:
    """A task runner for widgets made alone; its tasks finish before the next test."""
    tasks = TaskRunner()
    yield tasks
    tasks.wait(10_000)


@pytest.fixture
def dr(team: dict[str, User]) -> User:
    """Dana Park, the pathologist of the test team."""
    return team["drpark"]


@pytest.fixture(params=["sqlite"])
def database_url(sqlite_url: str) -> str:
    """The desktop's tests run on SQLite only: the widgets see the services, never the
    engine, and what storage does on PostgreSQL is tested in tests/db and tests/cli. (The
    parameter keeps the tests' ids, `[sqlite]`, as they were.)"""
    return sqlite_url


@pytest.fixture
def window(qtbot: QtBot, app: App, services: Services, pathologist: User) -> MainWindow:
    """The main window at 1366 x 768, active, its worklist showing the example case."""
    app.cases.import_case(pathologist, example_case())
    main = MainWindow(services, pathologist, idle_minutes=60)
    qtbot.addWidget(main)
    main.resize(1366, 768)
    main.show()
    qtbot.waitExposed(main)
    main.activateWindow()
    qtbot.waitUntil(lambda: main.worklist.model.rowCount() == 1, timeout=10_000)
    return main


EditorFactory = Callable[..., CaseEditor]


@pytest.fixture
def open_editor(qtbot: QtBot, services: Services, runner: TaskRunner) -> EditorFactory:
    """An editor shown in its own window, loaded (or, for a new case, numbered);
    `complete=True` also builds every section at once, as idle time would."""

    def make(
        accession: str | None, user: User, *, complete: bool = False, **options: Any
    ) -> CaseEditor:
        editor = CaseEditor(
            services=services, runner=runner, user=lambda: user, accession=accession, **options
        )
        qtbot.addWidget(editor)
        editor.resize(1366, 768)
        editor.show()
        qtbot.waitExposed(editor)
        if accession is None:
            qtbot.waitUntil(lambda: editor.form.accession.edit.text() != "")
        else:
            qtbot.waitUntil(lambda: editor.record is not None)
        if complete:
            editor.form.complete_now()
        return editor

    return make
