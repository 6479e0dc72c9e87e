"""The worklist on a big database: memory after scrolling all of it, the paged model
against the model on `main` that held every row (the baseline, same run), and keyset
pages against OFFSET pages at the same depths (issue 15, item 4).

Usage:
    nice python benchmarks/bench_worklist.py [DATABASE] [--baseline REF]

DATABASE defaults to /work/bench-data/h-clinician/cases-100k.sqlite, made once with
`marrowpath --db FILE demo --cases 100000` (about 7 minutes on an idle machine), or
quicker with `benchmarks/grow_cases.py FILE 100000` from a small demo. Each model runs in
a process of its own (resident memory never shrinks): the baseline is
`marrowpath/ui/worklist.py` as it is at git REF (default `main`), the other the working
tree's. Each opens the real worklist view (offscreen) as a pathologist, scrolls to the
end page by page as the view would, reading every row, then back up to the top, and
prints rows, resident memory (VmRSS) before and after (aim: under 300 MiB) and the
scroll times; then the median time of a page at the same depths by keyset and by OFFSET
with their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication

from marrowpath.bootstrap import build
from marrowpath.launcher import desktop_services
from marrowpath.ui import worklist as current_worklist
from marrowpath.ui.tasks import TaskRunner
from marrowpath.ui.worklist import PAGE_SIZE, WorklistView

REPO = Path(__file__).resolve().parent.parent
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


def worklist_module(ref: str | None) -> types.ModuleType:
    """The worklist module of the working tree, or as it is at git `ref` (the baseline):
    its imports are absolute, so it runs beside the working tree's other modules."""
    if ref is None:
        return current_worklist
    source = subprocess.run(
        ["git", "show", f"{ref}:marrowpath/ui/worklist.py"],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    module = types.ModuleType(f"worklist_at_{ref}")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    exec(compile(source, f"{ref}:marrowpath/ui/worklist.py", "exec"), module.__dict__)
    return module


def read_every_row(view: WorklistView, rows: range) -> None:
    """What painting the rows asks of the model: every column's text."""
    model = view.model
    for number in rows:
        model.row(number)
        for column in range(model.columnCount()):
            model.data(model.index(number, column))


def measure(database: str, ref: str | None, offsets: bool) -> None:
    """One model in this process: memory and times of scrolling the whole list."""
    module = worklist_module(ref)
    qt = QApplication.instance() or QApplication(sys.argv)
    app = build(database)
    user = app.auth.user("achen")
    assert user is not None, "a demo database (user achen) is needed"
    name = f"model at {ref}" if ref else "paged model (working tree)"
    with tempfile.TemporaryDirectory() as folder:
        services = desktop_services(app, folder)
        runner = TaskRunner()
        view = module.WorklistView(services=services, runner=runner, user=lambda: user)
        before = resident_mib()
        started = time.perf_counter()
        view.apply_filters()
        wait(view)
        page_times: list[float] = []
        read_every_row(view, range(view.model.rowCount()))
        while view.model.canFetchMore():
            start = time.perf_counter()
            held = view.model.rowCount()
            view.model.fetchMore()
            wait(view)
            page_times.append(time.perf_counter() - start)
            read_every_row(view, range(held, view.model.rowCount()))
        scrolled = time.perf_counter() - started
        rows = view.model.rowCount()
        after = resident_mib()
        start = time.perf_counter()
        read_every_row(view, range(rows - 1, -1, -1))  # and back up to the top
        back = time.perf_counter() - start
        after_back = resident_mib()
        print(f"{name}: {rows:,} rows ({len(page_times) + 1} pages)")
        print(
            f"  resident memory: {before:.0f} MiB before, {after:.0f} MiB after scrolling "
            f"down, {after_back:.0f} MiB after scrolling back up (aim < 300 MiB)"
        )
        print(
            f"  scroll down: {scrolled:.1f} s (page median "
            f"{statistics.median(page_times or [0]) * 1000:.1f} ms); back up: {back:.1f} s"
        )
        print(f"RESULT {before:.1f} {after:.1f} {after_back:.1f} {scrolled:.2f} {back:.2f}")
        if offsets:
            compare_offsets(view, services, user, rows)
        runner.wait()
    app.close()
    del qt


def compare_offsets(view: WorklistView, services: object, user: object, rows: int) -> None:
    """A page at the same depths by keyset and by OFFSET (the baseline)."""
    cases = services.cases  # type: ignore[attr-defined]
    depths = [rows * k // SAMPLES for k in range(1, SAMPLES)]
    keyset, offset = [], []
    for depth in depths:
        position = view.model.row(depth - 1).position
        start = time.perf_counter()
        cases.search(user, after=position, limit=PAGE_SIZE)
        keyset.append(time.perf_counter() - start)
        start = time.perf_counter()
        cases.search(user, offset=depth, limit=PAGE_SIZE)
        offset.append(time.perf_counter() - start)
    k, o = statistics.median(keyset) * 1000, statistics.median(offset) * 1000
    print(
        f"page at depths {depths[0]:,}..{depths[-1]:,}: keyset median {k:.1f} ms, "
        f"OFFSET median {o:.1f} ms, ratio {o / k:.1f}x"
    )
    deepest_k, deepest_o = keyset[-1] * 1000, offset[-1] * 1000
    print(f"deepest page ({depths[-1]:,}): keyset {deepest_k:.1f} ms, OFFSET {deepest_o:.1f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "database", nargs="?", default=str(DEFAULT), help="SQLite file or PostgreSQL URL"
    )
    parser.add_argument("--baseline", default="main", help="git ref of the baseline model")
    parser.add_argument("--child", choices=["baseline", "paged"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        measure(
            args.database,
            args.baseline if args.child == "baseline" else None,
            offsets=args.child == "paged",
        )
        return 0
    local = "://" not in args.database
    if local and not Path(args.database).exists():
        Path(args.database).parent.mkdir(parents=True, exist_ok=True)
        print(f"making {args.database} (100,000 demo cases, several minutes)...", flush=True)
        subprocess.run(
            ["marrowpath", "--db", str(args.database), "demo", "--cases", "100000"], check=True
        )
    results = {}
    for child in ("baseline", "paged"):
        done = subprocess.run(
            [
                sys.executable,
                __file__,
                str(args.database),
                "--baseline",
                args.baseline,
                "--child",
                child,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        for line in done.stdout.splitlines():
            if line.startswith("RESULT "):
                results[child] = [float(x) for x in line.split()[1:]]
            else:
                print(line, flush=True)
    base, paged = results["baseline"], results["paged"]
    print(
        f"growth while scrolling down: baseline {base[1] - base[0]:.0f} MiB, paged "
        f"{paged[1] - paged[0]:.0f} MiB; resident after: {paged[1] / base[1]:.2f}x the baseline"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
