"""Opening a case on a large database (issue 15: under 50 ms median at a million cases).

Usage:
    python benchmarks/bench_open.py DB [--runs N]

DB is a MarrowPath database (a SQLite path or a PostgreSQL URL) filled with
`marrowpath demo --cases N`. It takes N accessions spread over the whole table (old and
new, drafts and signed) and times, for each, one after the other:

  * app: `CaseService.open`, what the editor and the preview run when a case is opened
    (the case row, its issued versions, the lab's settings, the checks of the working
    document, the names of the people in it, and the audit event the view writes);
  * raw: the baseline of the same run, the rows that open reads by hand-written SQL
    through the bare driver (sqlite3 or psycopg): the case by accession and its versions.

as a pathologist (the working document) and as a clinician (the latest issued version).
Prints medians and the 99th percentile of each and the ratio app / raw.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import make_url

from marrowpath.bootstrap import build, resolve_url

DEMO_PASSWORD = "marrow-demo-1"
PATHOLOGIST, CLINICIAN = "achen", "praman"


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


class RawOpen:
    """The case row and its version rows by hand-written SQL: the baseline."""

    def __init__(self, url: str) -> None:
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            import sqlite3

            self._connection: Any = sqlite3.connect(
                f"file:{make_url(url).database}?mode=ro", uri=True
            )
            self._mark = "?"
        else:
            import psycopg

            plain = make_url(url).set(drivername="postgresql").render_as_string(False)
            self._connection = psycopg.connect(plain, autocommit=True)
            self._mark = "%s"

    def accessions(self, count: int, *, issued: bool) -> list[str]:
        """`count` accessions at random ids over the whole table."""
        only = " WHERE issued_count > 0" if issued else ""
        low, high = self._connection.execute(f"SELECT min(id), max(id) FROM cases{only}").fetchone()
        chosen: list[str] = []
        rng = random.Random(15)
        while len(chosen) < count:
            start = rng.randint(low, high)
            row = self._connection.execute(
                f"SELECT accession FROM cases WHERE id >= {self._mark}"
                f"{' AND issued_count > 0' if issued else ''} ORDER BY id LIMIT 1",
                [start],
            ).fetchone()
            if row and row[0] not in chosen:
                chosen.append(row[0])
        return chosen

    def open(self, accession: str) -> int:
        case = self._connection.execute(
            f"SELECT * FROM cases WHERE accession = {self._mark}", [accession]
        ).fetchone()
        versions = self._connection.execute(
            f"SELECT * FROM report_versions WHERE case_id = {self._mark} ORDER BY number",
            [case[0]],
        ).fetchall()
        return len(versions)


def timed_ms(work: Any, *args: Any) -> float:
    started = time.perf_counter()
    work(*args)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite file or PostgreSQL URL")
    parser.add_argument("--runs", type=int, default=200, help="cases opened per user")
    args = parser.parse_args()
    url = resolve_url(args.db)
    app = build(url, with_renderer=False)
    raw = RawOpen(url)
    print(f"{raw.dialect}: {args.runs} cases opened per user, one after the other")
    print(
        f"{'as':<10} {'app median':>11} {'app p99':>9} {'raw median':>11} {'raw p99':>9} {'ratio':>6}"
    )
    app_all: list[float] = []
    raw_all: list[float] = []
    for username in (PATHOLOGIST, CLINICIAN):
        user = app.auth.sign_in(username, DEMO_PASSWORD)
        accessions = raw.accessions(args.runs, issued=username == CLINICIAN)
        app.cases.open(user, accessions[0])  # warm: the first connection, imports
        raw.open(accessions[0])
        app_ms = [timed_ms(app.cases.open, user, a) for a in accessions]
        raw_ms = [timed_ms(raw.open, a) for a in accessions]
        app_all += app_ms
        raw_all += raw_ms
        print(
            f"{username:<10} {statistics.median(app_ms):9.1f}ms {percentile(app_ms, 0.99):7.1f}ms"
            f" {statistics.median(raw_ms):9.1f}ms {percentile(raw_ms, 0.99):7.1f}ms"
            f" {statistics.median(app_ms) / statistics.median(raw_ms):5.1f}x"
        )
    print(
        f"all: app median {statistics.median(app_all):.1f} ms, p99 {percentile(app_all, 0.99):.1f}"
        f" ms; raw median {statistics.median(raw_all):.1f} ms (aim: app median under 50 ms)"
    )
    app.close()


if __name__ == "__main__":
    main()
