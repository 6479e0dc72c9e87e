"""The task runner: results reach the GUI thread, busy shows for long work, and a runner
or a widget destroyed while its work runs loses the result quietly, never the program.

Issue 9: `RuntimeError: Signal source has been deleted` (ui/tasks.py) when a worker
outlived its runner under load.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from marrowpath.bootstrap import build
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import User
from marrowpath.launcher import desktop_services
from marrowpath.ui.editor.case_editor import CaseEditor
from marrowpath.ui.main_window import MainWindow
from marrowpath.ui.preview import PreviewWidget
from marrowpath.ui.tasks import TaskRunner
from tests.conftest import PASSWORD, example_case

pytestmark = pytest.mark.ui


def test_results_and_errors_come_back_on_the_gui_thread(qtbot: QtBot) -> None:
    runner = TaskRunner()
    gui = threading.get_ident()
    seen: list[tuple[str, Any, int]] = []
    failed: list[str] = []
    runner.failed.connect(failed.append)

    def boom() -> None:
        raise ValueError("DELGADO")

    runner.run(lambda: 42, on_done=lambda v: seen.append(("done", v, threading.get_ident())))
    runner.run(
        lambda: (_ for _ in ()).throw(Refused("BM26-00042: not allowed")),
        on_error=lambda e: seen.append(("error", str(e), threading.get_ident())),
    )
    runner.run(boom)  # no handler: the runner says so in words
    qtbot.waitUntil(lambda: len(seen) == 2 and len(failed) == 1, timeout=10_000)
    assert sorted(seen) == [("done", 42, gui), ("error", "BM26-00042: not allowed", gui)]
    assert "Something went wrong" in failed[0] and "DELGADO" not in failed[0]
    assert not runner.busy


def test_busy_shows_for_long_work_and_ends_with_it(qtbot: QtBot) -> None:
    runner = TaskRunner()
    busy: list[bool] = []
    release = threading.Event()
    runner.busy_changed.connect(busy.append)
    runner.busy_changed.connect(lambda on: release.set() if on else None)
    runner.run(lambda: release.wait(20))  # ends once the busy state was shown
    qtbot.waitUntil(lambda: busy == [True, False], timeout=20_000)


def test_a_runner_destroyed_while_its_work_runs_drops_the_result(qtbot: QtBot) -> None:
    owner = QObject()
    runner = TaskRunner(owner)
    started, release = threading.Event(), threading.Event()
    delivered: list[object] = []

    def work() -> str:
        started.set()
        release.wait(20)
        return "late"

    runner.run(work, on_done=delivered.append, on_error=delivered.append)
    assert started.wait(20)
    # The work ends while its runner is being destroyed, as a tab closed under load.
    threading.Timer(0.2, release.set).start()
    owner.deleteLater()  # the window goes, its runner with it, the work still runs
    qtbot.waitUntil(lambda: not shiboken6.isValid(runner), timeout=20_000)
    assert release.wait(20)
    # The result travels to the GUI thread and is dropped there; nothing raises (pytest-qt
    # fails the test on an exception in a Qt callback or a pool thread).
    helper = TaskRunner()
    helper.run(lambda: None, on_done=delivered.append)
    qtbot.waitUntil(lambda: delivered == [None], timeout=20_000)
    qtbot.wait(50)
    assert delivered == [None]


@pytest.mark.parametrize("outcome", ["result", "exception"])
def test_qt_objects_the_work_holds_are_let_go_on_the_gui_thread(qtbot: QtBot, outcome: str) -> None:
    """The work (a lambda holding a model or a widget) and its outcome are released on
    the GUI thread: a Qt object destroyed in a pool thread deadlocked the suite (the pool
    thread held Qt's signal lock waiting for the GIL, the GUI thread the reverse)."""
    gui = threading.get_ident()
    runner = TaskRunner()
    release = threading.Event()
    destroyed_on: list[int] = []
    outcomes: list[object] = []

    def make_work() -> Callable[[], object]:
        thing = QObject()  # only the work holds it once this function returns
        thing.destroyed.connect(lambda *_: destroyed_on.append(threading.get_ident()))

        def work() -> object:
            release.wait(20)
            if outcome == "exception":  # a refusal: not logged, so only the runner holds it
                raise Refused(f"refused {thing.objectName()}")  # its traceback holds `thing`
            return thing.objectName()

        return work

    runner.run(make_work(), on_done=outcomes.append, on_error=outcomes.append)
    gc.collect()
    assert destroyed_on == []
    release.set()
    qtbot.waitUntil(lambda: len(outcomes) == 1, timeout=20_000)
    outcomes.clear()  # the exception (and its traceback) go too
    gc.collect()
    qtbot.waitUntil(lambda: destroyed_on != [], timeout=20_000)
    assert destroyed_on == [gui]


def test_an_owner_destroyed_meanwhile_gets_nothing(qtbot: QtBot) -> None:
    runner = TaskRunner()
    widget = QObject()
    release = threading.Event()
    delivered: list[object] = []
    runner.run(lambda: release.wait(20), on_done=delivered.append, owner=widget)
    shiboken6.delete(widget)
    release.set()
    assert runner.wait(20_000)
    qtbot.waitUntil(lambda: not runner.busy, timeout=20_000)
    assert delivered == []


@pytest.mark.slow
def test_opening_and_closing_tabs_while_their_work_finishes(
    qtbot: QtBot, database_url: str, pathologist: User, tmp_path: Path
) -> None:
    """The stress test: editors and previews opened and closed at once, again and again,
    while their loads, renders and saves finish behind them; then the window itself goes
    with work in flight. Nothing raises, nothing is lost, the survivors are consistent."""
    app = build(database_url)  # with the PDF renderer: previews render for real
    services = desktop_services(app, str(tmp_path / "data"))
    for number in range(1, 6):
        case = example_case()
        case["accession"] = f"BM26-{number:05d}"
        app.cases.import_case(pathologist, case)
    app.cases.sign(pathologist, "BM26-00001", PASSWORD)
    accessions = [f"BM26-{number:05d}" for number in range(1, 6)]
    window = MainWindow(services, pathologist, idle_minutes=60)  # deleted below, not by qtbot
    window.show()
    for round_number in range(6):
        for accession in accessions:
            window.open_case(accession)
            window.open_preview(accession)
        if round_number % 3 == 0:
            qtbot.wait(5)  # some results arrive while tabs close, some after
        while window.tabs.count() > 1:
            widget = window.tabs.widget(window.tabs.count() - 1)
            if isinstance(widget, CaseEditor):
                assert not widget.is_dirty()
            assert window.close_tab(window.tabs.count() - 1)
    # A last round that stays: every tab finishes loading and is consistent.
    for accession in accessions:
        window.open_case(accession)
    editors = [
        w for i in range(window.tabs.count()) if isinstance(w := window.tabs.widget(i), CaseEditor)
    ]
    assert [e.accession for e in editors] == accessions
    qtbot.waitUntil(lambda: all(e.record is not None for e in editors), timeout=60_000)
    assert all(e.record is not None and e.record.accession == e.accession for e in editors)
    window.open_preview("BM26-00001")
    preview = window.tabs.currentWidget()
    assert isinstance(preview, PreviewWidget)
    # The window closes with the preview still rendering: its result is dropped.
    window.close()
    window.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window), timeout=20_000)
    survivor = TaskRunner()
    done: list[object] = []
    survivor.run(lambda: "after", on_done=done.append)
    qtbot.waitUntil(lambda: done == ["after"], timeout=20_000)
    assert app.cases.open(pathologist, "BM26-00001").record.status.value == "final"
    app.close()


def test_tabs_closed_together_are_collected_once_on_the_gui_thread(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing tabs leaves cycles that hold Qt objects, collected on the GUI thread (never
    on a pool thread); an editor and a preview closed at once cost one collection, not two."""
    collections: list[int] = []
    real_collect = gc.collect

    def counted_collect() -> int:
        collections.append(threading.get_ident())
        return real_collect()

    monkeypatch.setattr("marrowpath.ui.tasks.gc.collect", counted_collect)
    window.open_case("BM26-00042")
    window.open_preview("BM26-00042")
    assert window.tabs.count() == 3
    while window.tabs.count() > 1:
        assert window.close_tab(window.tabs.count() - 1)
    assert collections == []
    qtbot.waitUntil(lambda: collections != [], timeout=5_000)
    qtbot.wait(50)
    assert collections == [threading.get_ident()]
