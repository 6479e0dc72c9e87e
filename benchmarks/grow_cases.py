"""Grow a demo database to N cases by cloning its cases under new accession numbers.

Usage:
    python benchmarks/grow_cases.py DB N

For benchmarks only, when `marrowpath demo --cases N` would take too long on a busy
machine: every clone is a copy of a case row (document, keys, columns) with the
accession prefixed `C<k>-`, so the table has N rows of realistic width and the same mix
of names and diagnoses as the generated cases (each name k times as often). Clones have
no versions or audit events of their own; they are for search, not for printing.
Run it before `marrowpath db upgrade` to time migration 0012 over N cases.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from sqlalchemy import create_engine, func, inspect, select, table, text

from marrowpath.bootstrap import resolve_url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="SQLite file or PostgreSQL URL")
    parser.add_argument("cases", type=int, help="the number of cases wanted")
    args = parser.parse_args()
    engine = create_engine(resolve_url(args.db))
    columns = [c["name"] for c in inspect(engine).get_columns("cases") if c["name"] != "id"]
    cases = table("cases")
    start = time.perf_counter()
    with engine.begin() as connection:
        original = connection.scalar(select(func.max(text("id"))).select_from(cases)) or 0
        total = connection.scalar(select(func.count()).select_from(cases)) or 0
        clone = 1 + last_clone(connection)
        while total < args.cases:
            wanted = min(original, args.cases - total)
            values = [f"'C{clone}-' || accession" if c == "accession" else c for c in columns]
            connection.execute(
                text(
                    f"INSERT INTO cases ({', '.join(columns)}) SELECT {', '.join(values)} "
                    f"FROM cases WHERE id <= :original ORDER BY id LIMIT :wanted"
                ),
                {"original": original, "wanted": wanted},
            )
            total += wanted
            clone += 1
    print(f"{total:,} cases ({time.perf_counter() - start:.0f} s)")


def last_clone(connection: Any) -> int:
    """The highest k of the `C<k>-` prefixes a database grown before holds (0 if none)."""
    accessions = connection.execute(
        text("SELECT accession FROM cases WHERE accession LIKE 'C%-%'")
    ).scalars()
    prefixes = {accession[1:].split("-", 1)[0] for accession in accessions}
    return max((int(p) for p in prefixes if p.isdigit()), default=0)


if __name__ == "__main__":
    main()
