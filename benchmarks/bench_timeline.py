"""A patient's timeline and the Patient panel on a large database (issue 14).

Usage:
    python benchmarks/bench_timeline.py DB [--runs N]

DB is a MarrowPath database (a SQLite path or a PostgreSQL URL) filled with
`marrowpath demo --cases 100000`. The first run adds one patient (MRN0BENCH10) with ten
signed marrows (`marrowpath.case/2`, each with two ancillary measurements and the therapy
periods so far) to it. Prints medians of:
  * timeline: `TimelineService.timeline` for that patient (ten cases, ten issued
    versions, their measurements and therapy periods, audited as a view), against the baseline of the same run: searching the
    worklist for the patient's MRN (`CaseService.search`, the query a user types);
  * panel: the Patient panel showing that timeline, painted (list and chart, `grab()`),
    against the same panel painted empty.
Targets: timeline under 50 ms, panel under 200 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
USER, PASSWORD = "achen", "marrow-demo-1"
MRN = "MRN0BENCH10"
SPEC_CASE = ROOT / "tests" / "fixtures" / "example-case-v2.json"


def median_ms(work: Callable[[], Any], runs: int) -> float:
    work()  # warm: imports, caches, the first connection
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def ensure_patient(marrow: Any, user: Any) -> None:
    """Ten marrows a month apart for one patient, each signed final (once per database):
    MRD by flow and an NPM1 VAF on each, and a therapy period per month before it."""
    import json

    if marrow.cases.search(user, MRN):
        return
    base = json.loads(SPEC_CASE.read_text(encoding="utf-8"))
    first = date(2025, 1, 6)
    for index in range(10):
        day = first + timedelta(days=30 * index)
        data = json.loads(json.dumps(base))
        # above the numbers a 100,000-case demo gives 2025 (up to about BM25-97000)
        data["accession"] = f"BM25-9999{index}"
        data["patient"]["mrn"] = MRN
        data["procedure"]["date"] = day.isoformat()
        data["procedure"]["collected_at"] = f"{day.isoformat()}T09:00:00Z"
        data["received_at"] = f"{day.isoformat()}T15:00:00Z"
        data["aspirate"]["differential"]["blasts"] = 5 + 3 * index
        data["ancillary"][0]["reported_on"] = day.isoformat()
        data["ancillary"][0]["measurements"] = [
            {"name": "MRD by flow", "value": round(0.01 * 2**index, 3), "unit": "percent"},
            {"name": "NPM1 VAF", "value": 2 + 4 * index, "unit": "vaf_percent"},
        ]
        data["clinical"]["therapy"] = [
            {
                "name": f"Cycle {month + 1}",
                "kind": "chemotherapy" if month % 2 else "targeted",
                "started_on": (first + timedelta(days=30 * month - 25)).isoformat(),
                "ended_on": (first + timedelta(days=30 * month - 20)).isoformat(),
            }
            for month in range(index + 1)
        ]
        marrow.cases.import_case(user, data)
        marrow.cases.sign(user, data["accession"], PASSWORD, acknowledge=["all"])
    print(f"added {MRN} with ten signed marrows", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", metavar="DB")
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()

    from PySide6.QtWidgets import QApplication

    from marrowpath.bootstrap import build
    from marrowpath.launcher import desktop_services
    from marrowpath.ui.patient_panel import PatientPanel
    from marrowpath.ui.tasks import TaskRunner

    app = QApplication(sys.argv)
    marrow = build(args.database, with_renderer=False)
    user = marrow.auth.sign_in(USER, PASSWORD)
    ensure_patient(marrow, user)
    timeline = marrow.timeline.timeline(user, MRN)
    assert len(timeline.points) == 10, timeline
    assert len(timeline.therapy) == 10 and all(
        p.values and p.values.measurements for p in timeline.points
    )

    search = median_ms(lambda: marrow.cases.search(user, MRN), args.runs)
    reading = median_ms(lambda: marrow.timeline.timeline(user, MRN), args.runs)
    print(f"timeline of 10 marrows: {reading:.1f} ms median (worklist search for the MRN "
          f"{search:.1f} ms; ratio {reading / search:.2f})")  # fmt: skip

    services = desktop_services(marrow, str(Path.home()))
    runner = TaskRunner()
    panel = PatientPanel(services=services, runner=runner, user=lambda: user)
    panel.resize(1100, 650)
    panel.show()
    app.processEvents()
    empty = median_ms(lambda: panel.grab(), args.runs)

    def paint() -> None:
        panel.show_timeline(timeline)
        panel.grab()

    painted = median_ms(paint, args.runs)
    print(f"Patient panel painted: {painted:.1f} ms median (empty panel {empty:.1f} ms; "
          f"ratio {painted / empty:.2f})")  # fmt: skip
    runner.wait()
    marrow.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
