"""The worklist on a big database: memory after scrolling all of it, and keyset pages
against OFFSET pages at the same depths (issue 15, item 4).

Usage:
    nice python benchmarks/bench_worklist.py [DATABASE]

DATABASE defaults to /work/bench-data/h-clinician/cases-100k.sqlite, made once with
`marrowpath --db FILE demo --cases 100000` (about 7 minutes on an idle machine). Opens the
real worklist view (offscreen) as a pathologist, scrolls to the end page by page as the
view would, then prints: rows held, resident memory before and after (aim: under 300
MiB), and the median time of a page at the same depths by keyset and by OFFSET (the
baseline, measured in the same run) with their ratio.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from marrowpath.bootstrap import build
from marrowpath.launcher import desktop_services
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import PAGE_SIZE, WorklistView

DEFAULT = Path("/work/bench-data/h-clinician/cases-100k.sqlite")
SAMPLES = 12


def resident_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def wait(view: WorklistView) -> None:
    while view.model.loading:
        QCoreApplication.processEvents()
        time.sleep(0.001)


def main() -> int:
    database = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not database.exists():
        database.parent.mkdir(parents=True, exist_ok=True)
        print(f"making {database} (100,000 demo cases, several minutes)...", flush=True)
        subprocess.run(
            ["marrowpath", "--db", str(database), "demo", "--cases", "100000"], check=True
        )
    qt = QApplication.instance() or QApplication(sys.argv)
    app = build(str(database))
    user = app.auth.user("achen")
    assert user is not None, "a demo database (user achen) is needed"
    with tempfile.TemporaryDirectory() as folder:
        services = desktop_services(app, folder)
        runner = TaskRunner()
        view = WorklistView(services=services, runner=runner, user=lambda: user)
        before = resident_mib()
        started = time.perf_counter()
        view.apply_filters()
        wait(view)
        page_times: list[float] = []
        while view.model.canFetchMore():
            start = time.perf_counter()
            view.model.fetchMore()
            wait(view)
            page_times.append(time.perf_counter() - start)
        scrolled = time.perf_counter() - started
        rows = view.model.rowCount()
        after = resident_mib()
        print(
            f"rows held after scrolling the whole worklist: {rows:,} ({len(page_times) + 1} pages)"
        )
        print(f"resident memory: {before:.0f} MiB before, {after:.0f} MiB after (aim < 300 MiB)")
        print(
            f"whole scroll: {scrolled:.1f} s; page median {statistics.median(page_times or [0]) * 1000:.1f} ms"
        )

        depths = [rows * k // SAMPLES for k in range(1, SAMPLES)]
        keyset, offset = [], []
        for depth in depths:
            position = view.model.row(depth - 1).position
            start = time.perf_counter()
            services.cases.search(user, after=position, limit=PAGE_SIZE)
            keyset.append(time.perf_counter() - start)
            start = time.perf_counter()
            services.cases.search(user, offset=depth, limit=PAGE_SIZE)
            offset.append(time.perf_counter() - start)
        k, o = statistics.median(keyset) * 1000, statistics.median(offset) * 1000
        print(
            f"page at depths {depths[0]:,}..{depths[-1]:,}: keyset median {k:.1f} ms, OFFSET median {o:.1f} ms, ratio {o / k:.1f}x"
        )
        deepest_k, deepest_o = keyset[-1] * 1000, offset[-1] * 1000
        print(
            f"deepest page ({depths[-1]:,}): keyset {deepest_k:.1f} ms, OFFSET {deepest_o:.1f} ms"
        )
        runner.wait()
    app.close()
    del qt
    return 0


if __name__ == "__main__":
    sys.exit(main())
