"""What verifying issued content costs: a reprint and `audit verify`, against the bare
reads they are built on, measured in the same run.

- Reprint: `CaseService.report_pdf` of a showcase version with a stored PDF (the signing
  events looked up, the event links, content and PDF hashes checked, the print audited)
  against reading the same version row with its PDF in a unit of work.
- Verify: `AuditService.verify` over a demo database (the chain, every version and PDF
  against its signing event, every case status) against walking the same events and
  versions without any check.

Run: `.venv/bin/python benchmarks/bench_integrity.py [--cases N] [--repeat N]` (SQLite in
a temporary folder, or `--db URL` for an empty PostgreSQL database).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text

from marrowpath.bootstrap import App, build


def median_seconds(action: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def report(name: str, measured: float, baseline: float) -> None:
    print(
        f"{name:<10} {measured * 1000:9.2f} ms   baseline {baseline * 1000:9.2f} ms   "
        f"ratio {measured / baseline:5.2f}"
    )


def run(app: App, cases: int, repeat: int) -> None:
    users, _ = app.demo.ensure_users_and_lab()
    today = app.context.clock.today()
    app.demo.load_showcase(users, today)
    app.demo.load_bulk(users, cases, today)
    reader = next(u for u in users.values() if u.role.value == "pathologist")
    with app.engine.connect() as connection:
        accession, case_id = connection.execute(
            text(
                "SELECT c.accession, c.id FROM report_versions v JOIN cases c ON c.id = "
                "v.case_id WHERE v.number = 1 AND v.pdf IS NOT NULL ORDER BY c.id LIMIT 1"
            )
        ).one()

    def bare_read() -> bytes | None:
        with app.context.uow(read_only=True) as uow:
            version = uow.versions.get(case_id, 1)
            return version.pdf if version else None

    def reprint() -> bytes:
        return app.cases.report_pdf(reader, accession, version=1)

    def bare_walk() -> int:
        count = 0
        with app.context.uow(read_only=True) as uow:
            for _event in uow.audit.events():
                count += 1
            for _version in uow.versions.all(with_pdf=True):
                count += 1
        return count

    def verify() -> bool:
        return app.audit.verify(reader).intact

    assert reprint() == bare_read()
    assert verify()
    print(f"{accession} version 1 reprinted; {cases} generated cases plus the showcase")
    report("reprint", median_seconds(reprint, repeat), median_seconds(bare_read, repeat))
    report("verify", median_seconds(verify, max(repeat // 10, 3)), median_seconds(bare_walk, 3))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: SQLite)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = build(args.db or str(Path(folder) / "bench.db"), migrate_schema=True)
        try:
            run(app, args.cases, args.repeat)
        finally:
            app.close()


if __name__ == "__main__":
    main()
