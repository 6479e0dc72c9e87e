"""Desktop app timings on a large database, against a bare PySide6 window in the same run.

Usage:
    python benchmarks/bench_ui.py DB [--runs N] [--before CHECKOUT]

DB is a MarrowPath database filled with `marrowpath demo --cases 100000` (generate it
once into a folder outside the repository and reuse it). Prints medians of:
  * start, as seen by the parent process, from process start until the window is
    painted: a bare QMainWindow with an empty table (the baseline); the real
    `marrowpath --db DB gui` path until its sign-in dialog is painted; the same path,
    signing in as soon as the dialog shows (the button clicked, as a user would), until
    the worklist's first page of cases is painted;
  * search: typing a query to the worklist showing its first page;
  * open: asking for a case to the editor showing it.
The start-up children run in turn, so that machine load affects them alike. With
`--before CHECKOUT` (another working tree, e.g. `git worktree add /tmp/before main`) the
two MarrowPath start-ups are also measured on that code, in the same run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "achen", "marrow-demo-1"


def _watch(app: QApplication, on_event: Callable[[QObject, QEvent], bool]) -> None:
    """Print "ready" and end the child once a painted frame satisfies `on_event` (called
    for every event of the application; the paint itself finishes first)."""
    from PySide6.QtCore import QObject, QTimer

    class Watcher(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if on_event(watched, event):
                app.removeEventFilter(self)
                QTimer.singleShot(0, _ready)
            return False

    watcher = Watcher(app)
    app.installEventFilter(watcher)


def _ready() -> None:
    print("ready", flush=True)
    os._exit(0)  # the figure is taken; nothing else of the child matters


def _painted_table(watched: QObject, event: QEvent, *, with_rows: bool) -> bool:
    """A paint of a table's viewport in a main window (with rows, when asked)."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QMainWindow, QTableView

    if event.type() != QEvent.Type.Paint:
        return False
    table = watched.parent()
    if not isinstance(table, QTableView) or watched is not table.viewport():
        return False
    if not isinstance(table.window(), QMainWindow):
        return False
    model = table.model()
    return not with_rows or (model is not None and model.rowCount() > 0)


def _child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication(sys.argv)
    _watch(app, lambda watched, event: _painted_table(watched, event, with_rows=False))
    window = QMainWindow()
    window.setCentralWidget(QTableView())
    window.resize(1366, 768)
    window.show()
    app.exec()


def _child_sign_in(database: str) -> None:
    """The real `marrowpath --db DB gui` path until the sign-in dialog is painted."""
    from PySide6.QtCore import QEvent
    from PySide6.QtWidgets import QApplication, QDialog

    from marrowpath import cli

    app = QApplication(sys.argv)  # the app's own start-up reuses it

    def dialog_painted(watched: QObject, event: QEvent) -> bool:
        return (
            event.type() == QEvent.Type.Paint
            and isinstance(watched, QDialog)
            and watched.isWindow()
        )

    _watch(app, dialog_painted)
    cli.main(["--db", database, "gui"])


def _child_worklist(database: str) -> None:
    """The same path; the user name and password are typed and "Sign in" clicked as soon
    as the dialog shows, until the worklist's first page is painted."""
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QDialog, QDialogButtonBox, QLineEdit

    from marrowpath import cli

    app = QApplication(sys.argv)

    class SignIn(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Show and isinstance(watched, QDialog):
                app.removeEventFilter(self)
                QTimer.singleShot(0, lambda: _type_and_click(watched))
            return False

    def _type_and_click(dialog: QDialog) -> None:
        name, password = dialog.findChildren(QLineEdit)[:2]
        name.setText(USER)
        password.setText(PASSWORD)
        buttons = dialog.findChild(QDialogButtonBox)
        assert buttons is not None
        buttons.button(QDialogButtonBox.StandardButton.Ok).click()

    app.installEventFilter(SignIn(app))
    _watch(app, lambda watched, event: _painted_table(watched, event, with_rows=True))
    cli.main(["--db", database, "gui"])


def _environment(checkout: Path) -> dict[str, str]:
    """The checkout's code, with its bytecode cached as in an installation (a shell that
    sets PYTHONDONTWRITEBYTECODE would otherwise compile every module at every start)."""
    environment = {**os.environ, "PYTHONPATH": str(checkout)}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def _start_time(mode: str, database: str, checkout: Path = ROOT) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, database],
        stdout=subprocess.PIPE,
        text=True,
        cwd=checkout,
        env=_environment(checkout),
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait(120)
    if line.strip() != "ready":
        raise RuntimeError(f"{mode} child did not start")
    return elapsed


def _in_process(database: str, runs: int) -> tuple[list[float], list[float]]:
    from PySide6.QtWidgets import QApplication

    from marrowpath.bootstrap import build
    from marrowpath.launcher import desktop_services
    from marrowpath.ui.editor.case_editor import CaseEditor
    from marrowpath.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv)
    marrow = build(database, with_renderer=False)
    services = desktop_services(marrow, str(Path(database).parent))
    user = marrow.auth.sign_in(USER, PASSWORD)
    window = MainWindow(services, user, idle_minutes=60)
    window.show()
    model = window.worklist.model

    def settle(condition: object) -> None:
        while not condition():  # type: ignore[operator]
            app.processEvents()

    settle(lambda: model.rowCount() > 0 and not model.loading)
    queries = [
        "delgado",
        "lukasiewicz zoe",
        "myeloma",
        "MRN00",
        "BM24-50",
        "petrova",
        "acute myeloid",
        "nguyen",
    ]
    searches = []
    for index in range(runs):
        query = queries[index % len(queries)]
        started = time.perf_counter()
        window.worklist.search_box.setText(query)
        window.worklist.apply_filters()
        settle(lambda: not model.loading)
        searches.append(time.perf_counter() - started)
    window.worklist.search_box.setText("")
    window.worklist.apply_filters()
    settle(lambda: not model.loading)
    accessions = [model.row(i * 7).accession for i in range(runs)]
    opens = []
    for accession in accessions:
        started = time.perf_counter()
        window.open_case(accession)
        editor = window.current_editor()
        assert isinstance(editor, CaseEditor)
        settle(lambda editor=editor: editor.loaded)
        opens.append(time.perf_counter() - started)
        editor.maybe_close()
        window.tabs.removeTab(window.tabs.indexOf(editor))
        editor.deleteLater()
    window.runner.wait()
    window.hide()
    marrow.close()
    return searches, opens


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("database")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child", choices=["bare", "sign-in", "worklist"])
    parser.add_argument("--before", type=Path, help="a checkout of the code to compare with")
    args = parser.parse_args()
    database = str(Path(args.database).resolve())
    if args.child == "bare":
        _child_bare()
        return 0
    if args.child == "sign-in":
        _child_sign_in(database)
        return 0
    if args.child == "worklist":
        _child_worklist(database)
        return 0
    checkouts = {"now": ROOT}
    if args.before:
        checkouts = {"before": args.before.resolve(), **checkouts}
    for checkout in checkouts.values():  # once untimed: bytecode written, files cached
        _start_time("worklist", database, checkout)
    bare: list[float] = []
    sign_in: dict[str, list[float]] = {name: [] for name in checkouts}
    worklist: dict[str, list[float]] = {name: [] for name in checkouts}
    for _ in range(args.runs):  # in turn, so that machine load affects all alike
        bare.append(_start_time("bare", database))
        for name, checkout in checkouts.items():
            sign_in[name].append(_start_time("sign-in", database, checkout))
            worklist[name].append(_start_time("worklist", database, checkout))
    bare_ms = statistics.median(bare) * 1000
    print(f"start, bare PySide6 window painted           median {bare_ms:7.1f} ms")
    for name in checkouts:
        ms = statistics.median(sign_in[name]) * 1000
        print(
            f"start, MarrowPath sign-in painted ({name:6})  median {ms:7.1f} ms   "
            f"ratio {ms / bare_ms:.2f}x"
        )
    for name in checkouts:
        ms = statistics.median(worklist[name]) * 1000
        print(
            f"start, first worklist page painted ({name:6}) median {ms:7.1f} ms   "
            f"ratio {ms / bare_ms:.2f}x"
        )
    searches, opens = _in_process(database, args.runs)
    print(
        f"search, first page shown               median {statistics.median(searches) * 1000:7.1f} ms"
        f"   (max {max(searches) * 1000:.1f} ms)"
    )
    print(
        f"open case in the editor                median {statistics.median(opens) * 1000:7.1f} ms"
        f"   (max {max(opens) * 1000:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
