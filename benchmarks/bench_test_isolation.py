"""How long emptying the PostgreSQL test database between two tests takes: the suite's
cleaner (`tests/conftest.py::_PostgresCleaner`, deleting only what was written) against
the TRUNCATE of every table it replaced, measured in the same run.

Before each measurement both start from the same state: the `team` of tests/conftest.py
(five users, the lab's identity, their audit events) written through the services.

Run: `.venv/bin/python benchmarks/bench_test_isolation.py [--repeat N]` with the
PostgreSQL server of the tests (`MARROWPATH_TEST_PG`) running.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from marrowpath.bootstrap import build, upgrade_database
from marrowpath.domain.users import Role
from tests.conftest import PASSWORD, PG_ADMIN_URL, _PostgresCleaner
from tests.hashing import TEST_HASHER


def write_a_team(url: str) -> None:
    app = build(url, with_renderer=False, hasher=TEST_HASHER)
    try:
        app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD)
        admin = app.auth.sign_in("admin", PASSWORD)
        for name, role in (("drpark", Role.PATHOLOGIST), ("tech", Role.TECHNOLOGIST)):
            app.auth.add_user(admin, name, full_name=name, role=role, password=PASSWORD)
        app.lab.set_identity(
            admin, name="Lab", address="1 Road", clia_id="14D0123456", director="A, MD", phone="1"
        )
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    repeat = parser.parse_args().repeat
    name = f"marrowpath_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        upgrade_database(url)
        cleaner = _PostgresCleaner(url)
        engine = create_engine(url)
        with engine.connect() as connection:
            tables = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            ).scalars()
            truncate = text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")

        def truncate_all() -> None:
            with engine.begin() as connection:
                connection.execute(truncate)

        ways: dict[str, Callable[[], None]] = {
            "TRUNCATE every table (before)": truncate_all,
            "delete what was written (now)": cleaner.empty,
        }
        seconds: dict[str, list[float]] = {label: [] for label in ways}
        for _ in range(repeat):  # interleaved: the machine's load affects both alike
            for label, empty in ways.items():
                write_a_team(url)
                start = time.perf_counter()
                empty()
                seconds[label].append(time.perf_counter() - start)
        cleaner.close()
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
    baseline = statistics.median(seconds["TRUNCATE every table (before)"])
    for label, values in seconds.items():
        median = statistics.median(values)
        print(f"{label:32} median {median * 1000:7.1f} ms   {median / baseline:5.2f}x")


if __name__ == "__main__":
    main()
