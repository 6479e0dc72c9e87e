"""Dump what `marrowpath demo` puts in a database, to prove a refactoring changed nothing.

    python scripts/demo_snapshot.py dump OUT.json [--db URL] [--cases N] [--today YYYY-MM-DD]
    python scripts/demo_snapshot.py compare BEFORE.json AFTER.json

`dump` loads the demo (showcase, plus N bulk cases) into a fresh database with a fixed
clock (a given `today`, and a `now` that ticks one second per call, so timestamps are
repeatable) and writes, for every case: accession, status, the summary columns, the
working document, and every version's kind, signer, hash and content; the audit trail
(action, user, accession, detail); and the text of the PDFs of a few cases. `compare`
prints the first differences and exits 1 when there are any.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from marrowpath.bootstrap import build
from marrowpath.db.models import AuditEventRow, CaseRow, VersionRow
from marrowpath.services.context import Clock

PDF_CASES = 4  # the PDFs of the first few signed cases are read back as text
SKIPPED_COLUMNS = {"id", "patient_id"}


def ticking(start: datetime) -> Callable[[], datetime]:
    state = {"now": start}

    def now() -> datetime:
        state["now"] += timedelta(seconds=1)
        return state["now"]

    return now


def dump(url: str | None, cases: int, today: date) -> dict[str, Any]:
    from pypdf import PdfReader

    folder = tempfile.mkdtemp(prefix="demo-snapshot-")
    database = url or f"sqlite:///{folder}/demo.db"
    clock = Clock(
        now=ticking(datetime(today.year, today.month, today.day, 9, tzinfo=UTC)),
        today=lambda: today,
    )
    app = build(database, clock=clock, migrate_schema=True)
    try:
        users, empty = app.demo.ensure_users_and_lab()
        assert empty, "dump needs an empty database"
        app.demo.load_showcase(users, today)
        if cases:
            app.demo.load_bulk(users, cases, today)
        out: dict[str, Any] = {"today": today.isoformat(), "cases": [], "audit": [], "pdf": {}}
        with app.engine.connect() as connection:
            for row in connection.execute(select(CaseRow.__table__).order_by(CaseRow.accession)):
                record = {k: _plain(v) for k, v in row._mapping.items() if k not in SKIPPED_COLUMNS}
                versions = connection.execute(
                    select(
                        VersionRow.number,
                        VersionRow.kind,
                        VersionRow.signed_by,
                        VersionRow.sha256,
                        VersionRow.content,
                        VersionRow.pdf,
                    )
                    .where(VersionRow.case_id == row.id)
                    .order_by(VersionRow.number)
                ).all()
                record["versions"] = [
                    {
                        "number": v.number,
                        "kind": v.kind,
                        "signed_by": v.signed_by,
                        "sha256": v.sha256,
                        "content": v.content,
                        "pdf": v.pdf is not None,
                    }
                    for v in versions
                ]
                with_pdf = [v for v in versions if v.pdf]
                if with_pdf and len(out["pdf"]) < PDF_CASES:
                    reader = PdfReader(io.BytesIO(with_pdf[-1].pdf))
                    out["pdf"][row.accession] = [p.extract_text() for p in reader.pages]
                out["cases"].append(record)
            for event in connection.execute(
                select(
                    AuditEventRow.action,
                    AuditEventRow.username,
                    AuditEventRow.accession,
                    AuditEventRow.detail,
                ).order_by(AuditEventRow.seq)
            ):
                out["audit"].append(
                    [event.action, event.username, event.accession, _scrub(event.detail)]
                )
    finally:
        app.close()
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def _scrub(detail: dict[str, Any]) -> dict[str, Any]:
    """Audit details name the workstation process; nothing else varies between runs."""
    return {k: v for k, v in detail.items() if k not in {"workstation", "pid"}}


def compare(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    differences: list[str] = []

    def walk(a: Any, b: Any, where: str) -> None:
        if len(differences) >= 40:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for key in sorted(set(a) | set(b), key=str):
                if key not in a or key not in b:
                    differences.append(
                        f"{where}.{key}: only in {'after' if key in b else 'before'}"
                    )
                else:
                    walk(a[key], b[key], f"{where}.{key}")
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                differences.append(f"{where}: {len(a)} items before, {len(b)} after")
            for index, (x, y) in enumerate(zip(a, b, strict=False)):
                walk(x, y, f"{where}[{index}]")
        elif a != b:
            differences.append(f"{where}: {a!r} -> {b!r}")

    walk(before, after, "")
    return differences


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("dump")
    d.add_argument("out", type=Path)
    d.add_argument("--db")
    d.add_argument("--cases", type=int, default=0)
    d.add_argument("--today", type=date.fromisoformat, default=date(2026, 11, 26))
    c = sub.add_parser("compare")
    c.add_argument("before", type=Path)
    c.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "dump":
        data = dump(args.db, args.cases, args.today)
        args.out.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))
        print(f"{len(data['cases'])} cases, {len(data['audit'])} audit events -> {args.out}")
        return 0
    differences = compare(json.loads(args.before.read_text()), json.loads(args.after.read_text()))
    for line in differences:
        print(line)
    print("identical" if not differences else f"{len(differences)}+ differences")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
