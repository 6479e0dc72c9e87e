"""How fast `marrowpath demo --cases N` fills a database, against generating the same cases.

    python benchmarks/bench_demo.py --cases 100000 [--db URL] [--workers N]

The baseline, measured in the same run, is generating the N documents alone (no parsing,
no database): the ratio says what loading costs on top of making the data. Prints wall
and CPU seconds, the CPU per case of this process and its workers and (PostgreSQL on
this machine) of the server backends, cases per second, the projection to a million
cases, and whether `audit verify` passes on the result (it must: the bulk path skips
nothing the app relies on).
`--db` defaults to a fresh SQLite file; give an empty PostgreSQL database to measure that.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import date

from marrowpath.bootstrap import build
from marrowpath.demo.bulk import bulk_cases


def cpu_seconds() -> float:
    """This process and its finished workers (the database server's CPU is not counted)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def server_cpu_seconds(url: str) -> float | None:
    """CPU of the PostgreSQL backends serving `url`'s database (from /proc, so only with
    the server on this machine): the server's share of a bulk load. None for SQLite or
    when the backends cannot be read. Backends that ended are not counted; the load's
    connections stay open until the app closes."""
    if not url.startswith("postgresql"):
        return None
    database = url.rsplit("/", 1)[-1].split("?")[0]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    found = False
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as file:
                title = file.read().replace(b"\0", b" ").decode(errors="replace")
            if not title.startswith("postgres: ") or f" {database} " not in title:
                continue
            with open(f"/proc/{pid}/stat") as file:
                fields = file.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
        found = True
    return total if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--db", help="an empty database (default: a new SQLite file)")
    parser.add_argument("--workers", type=int, help="replay processes (default: as `demo`)")
    parser.add_argument("--no-verify", action="store_true", help="skip `audit verify`")
    args = parser.parse_args()
    url = args.db or f"sqlite:///{tempfile.mkdtemp(prefix='bench-demo-')}/demo.db"
    today = date.today()

    start, cpu = time.perf_counter(), cpu_seconds()
    for _case in bulk_cases(args.cases, today=today):
        pass
    generate = time.perf_counter() - start, cpu_seconds() - cpu

    app = build(url, migrate_schema=True, with_renderer=False)
    users, _empty = app.demo.ensure_users_and_lab()
    server = server_cpu_seconds(url)
    start, cpu = time.perf_counter(), cpu_seconds()
    added = app.demo.load_bulk(users, args.cases, today, workers=args.workers)
    load = time.perf_counter() - start, cpu_seconds() - cpu
    server_after = server_cpu_seconds(url)
    print(f"database: {app.database_label}; {added} cases loaded")
    print(f"generate only (baseline): {generate[0]:8.1f} s wall {generate[1]:8.1f} s CPU")
    print(f"demo --cases {args.cases}:  {load[0]:8.1f} s wall {load[1]:8.1f} s CPU")
    print(f"per case: {load[1] / added * 1000:.2f} ms client CPU", end="")
    if server is not None and server_after is not None:
        print(f", {(server_after - server) / added * 1000:.2f} ms server CPU (backends)")
    else:
        print(" (server CPU: not read)")
    print(f"ratio load/generate (wall): {load[0] / generate[0]:.1f}x")
    print(f"cases per second: {added / load[0]:.0f}")
    print(f"projected for 1,000,000 cases: {load[0] / added * 1_000_000 / 60:.0f} min")
    if not args.no_verify:
        start = time.perf_counter()
        result = app.audit.verify(users["admin"])
        print(
            f"audit verify: {'intact' if not result.problems else result.problems[:3]} "
            f"({result.events} events, {result.versions} versions, "
            f"{time.perf_counter() - start:.1f} s)"
        )
    app.close()


if __name__ == "__main__":
    main()
