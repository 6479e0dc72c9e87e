"""Desktop app timings on a large database, against a bare PySide6 window in the same run.

Usage:
    python benchmarks/bench_ui.py DB [--runs N]

DB is a MarrowPath database filled with `marrowpath demo --cases 100000`. Prints
medians of:
  * start: process start to an interactive window, as seen by the parent process:
    a bare QMainWindow with an empty table (baseline) vs MarrowPath's main window with
    the first worklist page shown;
  * search: typing a query to the worklist showing its first page;
  * open: asking for a case to the editor showing it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
USER, PASSWORD = "achen", "marrow-demo-1"


def _child_bare() -> None:
    from PySide6.QtWidgets import QApplication, QMainWindow, QTableView

    app = QApplication(sys.argv)
    window = QMainWindow()
    window.setCentralWidget(QTableView())
    window.resize(1366, 768)
    window.show()
    app.processEvents()
    print("ready", flush=True)


def _child_app(database: str) -> None:
    from PySide6.QtWidgets import QApplication

    from marrowpath.bootstrap import build
    from marrowpath.launcher import desktop_services
    from marrowpath.ui.main_window import MainWindow

    app = QApplication(sys.argv)
    marrow = build(database, with_renderer=False)
    services = desktop_services(marrow, str(Path(database).parent))
    user = marrow.auth.sign_in(USER, PASSWORD)
    window = MainWindow(services, user, idle_minutes=60)
    window.resize(1366, 768)
    window.show()
    while window.worklist.model.rowCount() == 0:
        app.processEvents()
    print("ready", flush=True)
    window.runner.wait()


def _child_sign_in(database: str) -> None:
    """The real `marrowpath --db DB gui` path, up to the moment the sign-in dialog shows."""
    from PySide6.QtWidgets import QApplication

    from marrowpath import cli
    from marrowpath.ui.sign_in import SignInDialog

    def shown(dialog: SignInDialog) -> int:
        dialog.show()
        QApplication.processEvents()
        print("ready", flush=True)
        return 0

    SignInDialog.exec = shown  # type: ignore[method-assign]
    cli.main(["--db", database, "gui"])


def _start_time(mode: str, database: str) -> float:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", mode, database],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.wait(60)
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
    parser.add_argument("--child", choices=["bare", "app", "sign-in"])
    args = parser.parse_args()
    if args.child == "bare":
        _child_bare()
        return 0
    if args.child == "app":
        _child_app(args.database)
        return 0
    if args.child == "sign-in":
        _child_sign_in(args.database)
        return 0
    bare, sign_in, app = [], [], []
    for _ in range(args.runs):  # alternate so that machine load affects all alike
        bare.append(_start_time("bare", args.database))
        sign_in.append(_start_time("sign-in", args.database))
        app.append(_start_time("app", args.database))
    searches, opens = _in_process(args.database, args.runs)
    bare_ms, app_ms = statistics.median(bare) * 1000, statistics.median(app) * 1000
    sign_in_ms = statistics.median(sign_in) * 1000
    print(f"start, bare PySide6 window      median {bare_ms:7.1f} ms")
    print(
        f"start, MarrowPath sign-in shown median {sign_in_ms:7.1f} ms   ratio "
        f"{sign_in_ms / bare_ms:.2f}x"
    )
    print(
        f"start, MarrowPath worklist      median {app_ms:7.1f} ms   ratio {app_ms / bare_ms:.2f}x"
    )
    print(
        f"search, first page shown        median {statistics.median(searches) * 1000:7.1f} ms"
        f"   (max {max(searches) * 1000:.1f} ms)"
    )
    print(
        f"open case in the editor         median {statistics.median(opens) * 1000:7.1f} ms"
        f"   (max {max(opens) * 1000:.1f} ms)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
