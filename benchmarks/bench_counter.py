"""Key press to painted grid with the differential counter running, against baselines.

Usage:
    python benchmarks/bench_counter.py [--keys 1000] [--rate 15]

Opens a new case in the real case editor (offscreen, 1366x768, on a throw-away SQLite
database), starts the counter with F9 (target 1,000) and sends `--keys` cell keys at
`--rate` keys a second (not back-to-back: the time between keys is spent in the event
loop), drawn from a marrow's usual proportions. For each key it takes the time from
sending the key press until the end of the last paint pass that drew what the key
changes within the frame (`bench.md` section 1): the grid (count, percentage, H/L),
the counter's line, cells counted, M:E ratio, the intervals beside the grid and in the
key results, and the advisory flags. Qt paints every dirty widget of a window in one
pass; a label that grew is laid out and painted again in a later pass, and that later
pass is the one that counts. Also printed: the GUI thread's CPU time over the same span (less sensitive
to other processes on the machine than the wall time), and "settled", the time until a
round of the event loop found nothing left to do (work deferred past the paint: the
problems and missing fields, consistency findings, banner and tab title).

Two baselines, measured in the same run and the same way: a bare QTableView of 19 rows
whose key press adds one to a cell, and the differential grid with its counter in a
window of their own (no case editor around them). Prints medians, 99th percentiles and
the ratios.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# a normal-ish marrow: granulocytes, erythroid precursors, lymphocytes, a few blasts
KEYS = "b" * 3 + "p" * 4 + "m" * 10 + "t" * 8 + "a" * 10 + "n" * 15 + "e" * 3 + "l" * 12
KEYS += "c" * 2 + "o" * 2 + "1" + "2" * 4 + "3" * 14 + "4" * 6 + "s" + "z"


class PaintClock:
    """When the last paint pass that drew a watched widget ended, and how many events
    ran: an application event filter that delivers each window's paint pass itself.

    Why deliver it: a filter sees a paint start, not its end. Qt paints every dirty
    widget of a window in one pass (the window's UpdateRequest); a key may take more
    than one pass (a label that grew is laid out, then painted again), so the key's
    changes are on screen when the last pass that painted a watched widget (the grid,
    the counter's line, the summary and interval labels, the flags) ended. (An override
    of `QApplication.notify` would see the end too, but crashed when Qt Multimedia
    loaded its audio back end.)
    """

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject
        from PySide6.QtWidgets import QApplication, QWidget

        from marrowpath.ui.app import prepare_qt_environment

        clock = self
        paint, update = QEvent.Type.Paint, QEvent.Type.UpdateRequest

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                clock.delivered += 1
                kind = event.type()
                if kind == paint and clock.watched(watched):
                    clock.seen = True
                    return False
                if kind != update or clock.passing or not isinstance(watched, QWidget):
                    return False
                clock.passing = True
                try:
                    watched.event(event)  # the window's paint pass, all of it
                finally:
                    clock.passing = False
                if clock.seen:
                    clock.seen = False
                    clock.painted_at = time.perf_counter()
                    clock.painted_cpu = time.thread_time()
                return True  # delivered

        prepare_qt_environment()  # as the app does before its QApplication
        self.app = QApplication([])
        self.filter = Filter()
        self.app.installEventFilter(self.filter)
        self.targets: list[QWidget] = []
        self.delivered = 0
        self.seen = False
        self.passing = False
        self.painted_at: float | None = None
        self.painted_cpu = 0.0

    def watched(self, receiver: object) -> bool:
        """A target or a widget inside one (a flag's row, a label of the summary)."""
        from PySide6.QtWidgets import QWidget

        return isinstance(receiver, QWidget) and any(
            receiver is target or target.isAncestorOf(receiver) for target in self.targets
        )

    def arm(self) -> None:
        self.seen = False
        self.painted_at = None


@dataclass
class Timings:
    """Per key, in milliseconds: until painted (wall and the GUI thread's CPU), and until
    every event the key caused has run (deferred work included)."""

    painted: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    settled: list[float] = field(default_factory=list)


def timed_keys(
    send: Callable[[str], None],
    clock: PaintClock,
    keys: list[str],
    rate: float,
) -> Timings:
    """Each key from its press until its paint pass ended, keys sent at `rate` a second
    (never back-to-back: the idle time between keys, as at a microscope, is spent in the
    event loop, so work a key deferred runs there, as it would in the app)."""
    from PySide6.QtWidgets import QApplication

    interval = 1 / rate
    times = Timings()
    next_at = time.perf_counter()
    for name in keys:
        while time.perf_counter() < next_at:
            QApplication.processEvents()
            time.sleep(0.002)
        clock.arm()
        start = time.perf_counter()
        start_cpu = time.thread_time()
        send(name)  # the key press runs its handler synchronously, as a real key would
        while clock.painted_at is None and time.perf_counter() - start < 1:  # never hang
            QApplication.processEvents()
        while True:  # then until a round of the event loop finds nothing more to do
            before = clock.delivered
            QApplication.processEvents()
            if clock.delivered == before:
                break
        settled = time.perf_counter()
        painted = clock.painted_at or settled
        times.painted.append((painted - start) * 1000)
        times.cpu.append((clock.painted_cpu - start_cpu) * 1000)
        times.settled.append((settled - start) * 1000)
        next_at += interval
    return times


def settle(seconds: float) -> None:
    from PySide6.QtWidgets import QApplication

    until = time.perf_counter() + seconds
    while time.perf_counter() < until:
        QApplication.processEvents()
        time.sleep(0.002)


def bare_table(keys: list[str], rate: float, clock: PaintClock) -> Timings:
    """Baseline: a bare QTableView of 19 rows whose key press adds one to a cell."""
    from PySide6.QtGui import QStandardItem, QStandardItemModel
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QTableView

    model = QStandardItemModel(19, 5)
    for row in range(19):
        model.setItem(row, 1, QStandardItem("0"))
    rows = {key: i for i, key in enumerate(sorted(set(KEYS)))}

    class Table(QTableView):
        def keyPressEvent(self, event: object) -> None:
            row = rows[event.text()]  # type: ignore[attr-defined]
            item = model.item(row, 1)
            item.setText(str(int(item.text()) + 1))

    table = Table()
    table.setModel(model)
    table.resize(1366, 768)
    table.show()
    table.setFocus()
    clock.targets = [table.viewport()]
    times = timed_keys(lambda k: QTest.keyClicks(table, k), clock, keys, rate)
    assert sum(int(model.item(r, 1).text()) for r in range(19)) == len(keys)
    table.close()
    return times


def grid_alone(keys: list[str], rate: float, clock: PaintClock) -> Timings:
    """Baseline: the differential grid and its counter in a window of their own, without
    the case editor around them (no flags, checks, banner, live labels)."""
    from datetime import UTC, datetime

    from PySide6.QtTest import QTest

    from marrowpath.domain.settings import LabSettings
    from marrowpath.ui.editor.counter import DifferentialCounter
    from marrowpath.ui.editor.differential import DifferentialPanel

    panel = DifferentialPanel(LabSettings())
    differential = DifferentialCounter(
        panel, username=lambda: "bench", now=lambda: datetime.now(UTC)
    )
    panel.resize(1366, 768)
    panel.show()
    panel.table.setFocus()
    differential.start()  # (F9 is the editor's: here the counter is started directly)
    assert differential.running
    differential.bar.target.setCurrentIndex(4)  # 1,000 cells
    clock.targets = [panel]  # the grid, the counter's line, the summary
    times = timed_keys(lambda k: QTest.keyClicks(panel.table, k), clock, keys, rate)
    assert panel.model.summary.cells_counted + differential.smudge == len(keys)
    differential.stop()
    panel.close()
    return times


def counter(keys: list[str], rate: float, clock: PaintClock, folder: Path) -> Timings:
    """The case editor of a new case, counting with F9."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from marrowpath.bootstrap import build
    from marrowpath.domain.users import Role
    from marrowpath.launcher import desktop_services
    from marrowpath.ui.editor.case_editor import CaseEditor
    from marrowpath.ui.tasks import TaskRunner

    app = build(f"sqlite:///{folder / 'bench.db'}")
    password = "marrow-counter-bench-17"
    app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=password)
    admin = app.auth.sign_in("admin", password)
    app.auth.add_user(
        admin, "bench", full_name="Bea Bench", role=Role.PATHOLOGIST, password=password
    )
    user = app.auth.sign_in("bench", password)
    runner = TaskRunner()
    editor = CaseEditor(
        services=desktop_services(app, str(folder / "data")),
        runner=runner,
        user=lambda: user,
        accession=None,
    )
    editor.resize(1366, 768)
    editor.show()
    while not editor.form.accession.edit.text():
        QApplication.processEvents()
    QTest.keyClick(editor, Qt.Key.Key_F9)
    differential = editor.counters.differential
    assert differential is not None and differential.running
    differential.bar.target.setCurrentIndex(4)  # 1,000 cells
    settle(0.5)  # F9's own work done (at the microscope the first cell comes later)
    panel = editor.form.differential
    # what a key changes within the frame: the grid (counts, percentages, H/L), the
    # counter's line, the cells counted, M:E ratio and intervals, and the flags
    live = editor.form.live
    clock.targets = [
        panel,
        differential.bar.state,
        editor.flags,
        live.blasts,
        live.blast_equivalents,
        live.plasma_cells,
    ]

    def send(name: str) -> None:
        QTest.keyClicks(QApplication.focusWidget() or editor, name)

    times = timed_keys(send, clock, keys, rate)
    counted = panel.model.summary.cells_counted + differential.smudge
    assert counted == len(keys), (counted, len(keys))
    # (a normal marrow of 1,000 cells raises no advisory flag: the flags were recomputed
    # on every key all the same, as the count passed through the low-count flags)
    QTest.keyClick(editor, Qt.Key.Key_F9)
    editor.close()
    runner.wait(10_000)
    app.close()
    return times


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def describe(name: str, times: Timings) -> tuple[float, float]:
    median, high = statistics.median(times.painted), p99(times.painted)
    print(
        f"{name:<40} painted: median {median:6.2f} p99 {high:6.2f} max "
        f"{max(times.painted):6.2f} | CPU median {statistics.median(times.cpu):5.2f} "
        f"p99 {p99(times.cpu):6.2f} | settled median {statistics.median(times.settled):6.2f} "
        f"p99 {p99(times.settled):6.2f} (ms)"
    )
    return median, high


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=15.0)
    options = parser.parse_args()
    clock = PaintClock()
    chosen = random.Random(13).choices(KEYS, k=options.keys)
    print(f"load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        bare = bare_table(chosen, options.rate, clock)
        alone = grid_alone(chosen, options.rate, clock)
        real = counter(chosen, options.rate, clock, Path(folder))
    print(f"load after: {os.getloadavg()[0]:.2f}")
    print(f"{options.keys} keys at {options.rate:g} keys a second, key press to painted:")
    base_median, base_p99 = describe("baseline: bare QTableView, one cell +1", bare)
    alone_median, alone_p99 = describe("baseline: the grid and counter alone", alone)
    median, high = describe("counter: case editor, grid+summary+flags", real)
    print(
        f"ratio to the bare table: median {median / base_median:.1f}x, p99 "
        f"{high / base_p99:.1f}x; to the grid alone: median {median / alone_median:.1f}x, "
        f"p99 {high / alone_p99:.1f}x"
    )
    print(f"p99 under one frame (16 ms): {'yes' if high < 16 else 'no'}")


if __name__ == "__main__":
    main()
