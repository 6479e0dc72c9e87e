"""Key press to painted grid with the differential counter running, against bare Qt.

Usage:
    python benchmarks/bench_counter.py [--keys 1000] [--rate 15]

Opens a new case in the real case editor (offscreen, 1366x768, on a throw-away SQLite
database), starts the counter with F9 (target 1,000) and sends `--keys` cell keys at
`--rate` keys a second, drawn from a marrow's usual proportions. For each key it takes
the time from sending the key press until the events it caused have run and the grid's
viewport has been painted (the count, percentages and H/L marks are there; the cells
counted, M:E ratio and advisory flags are repainted in the same pass). The baseline,
measured in the same run and the same way: a bare QTableView of 19 rows whose key press
adds one to a cell. Prints the median and 99th percentile of both, and their ratio.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# a normal-ish marrow: granulocytes, erythroid precursors, lymphocytes, a few blasts
KEYS = "b" * 3 + "p" * 4 + "m" * 10 + "t" * 8 + "a" * 10 + "n" * 15 + "e" * 3 + "l" * 12
KEYS += "c" * 2 + "o" * 2 + "1" + "2" * 4 + "3" * 14 + "4" * 6 + "s" + "z"


class PaintSeen:
    """An application event filter noting whether a widget was painted."""

    def __init__(self) -> None:
        from PySide6.QtCore import QEvent, QObject

        outer = self

        class Filter(QObject):
            def eventFilter(self, watched: QObject, event: QEvent) -> bool:
                if event.type() == QEvent.Type.Paint and watched in outer.targets:
                    outer.painted = True
                return False

        self.filter = Filter()
        self.targets: list[object] = []
        self.painted = False


def timed_keys(
    send: Callable[[str], None],
    seen: PaintSeen,
    keys: list[str],
    rate: float,
) -> list[float]:
    """Milliseconds from each key press until its paint, keys sent at `rate` a second."""
    from PySide6.QtWidgets import QApplication

    interval = 1 / rate
    times: list[float] = []
    next_at = time.perf_counter()
    for name in keys:
        while time.perf_counter() < next_at:  # the idle time between keys, as at a microscope
            QApplication.processEvents()
            time.sleep(0.002)
        seen.painted = False
        start = time.perf_counter()
        send(name)
        while not seen.painted and time.perf_counter() - start < 1:  # never hang
            QApplication.processEvents()
        QApplication.processEvents()  # whatever else the key posted (flags, labels)
        times.append((time.perf_counter() - start) * 1000)
        next_at += interval
    return times


def baseline(keys: list[str], rate: float, seen: PaintSeen) -> list[float]:
    from PySide6.QtCore import Qt
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
    seen.targets = [table.viewport()]
    times = timed_keys(lambda k: QTest.keyClicks(table, k), seen, keys, rate)
    assert sum(int(model.item(r, 1).text()) for r in range(19)) == len(keys)
    table.close()
    _ = Qt
    return times


def counter(keys: list[str], rate: float, seen: PaintSeen, folder: Path) -> list[float]:
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
    panel = editor.form.differential
    # the grid; for a smudge cell (outside the grid) the counter's line
    seen.targets = [panel.table.viewport(), differential.bar.state]

    def send(name: str) -> None:
        QTest.keyClicks(QApplication.focusWidget() or editor, name)

    times = timed_keys(send, seen, keys, rate)
    counted = panel.model.summary.cells_counted + differential.smudge
    assert counted == len(keys), (counted, len(keys))
    # (a normal marrow of 1,000 cells raises no advisory flag: the flags were recomputed
    # on every key all the same, as the count passed through the low-count flags)
    QTest.keyClick(editor, Qt.Key.Key_F9)
    editor.close()
    runner.wait(10_000)
    app.close()
    return times


def describe(name: str, times: list[float]) -> tuple[float, float]:
    median = statistics.median(times)
    p99 = statistics.quantiles(times, n=100)[98]
    print(f"{name:<44} median {median:6.2f} ms   p99 {p99:6.2f} ms   max {max(times):6.2f} ms")
    return median, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=15.0)
    options = parser.parse_args()
    from PySide6.QtWidgets import QApplication

    qt = QApplication([])
    seen = PaintSeen()
    qt.installEventFilter(seen.filter)
    chosen = random.Random(13).choices(KEYS, k=options.keys)
    with tempfile.TemporaryDirectory() as folder:
        bare = baseline(chosen, options.rate, seen)
        real = counter(chosen, options.rate, seen, Path(folder))
    print(f"{options.keys} keys at {options.rate:g} keys a second, key press to painted grid:")
    base_median, base_p99 = describe("baseline: bare QTableView, one cell +1", bare)
    median, p99 = describe("counter: case editor, grid + summary + flags", real)
    print(f"ratio to baseline: median {median / base_median:.1f}x, p99 {p99 / base_p99:.1f}x")
    print(f"p99 under one frame (16 ms): {'yes' if p99 < 16 else 'no'}")


if __name__ == "__main__":
    main()
