"""Shared fixtures: `database_url` (and `app`, `team` over it) runs a test on SQLite and on
PostgreSQL; `sqlite_url` on SQLite only, for tests where the database is not what is
tested (the desktop's tests override `database_url` with it, tests/ui/conftest.py).

PostgreSQL is the server on 127.0.0.1:5432 (`MARROWPATH_TEST_PG` overrides the URL of
its maintenance database). A laptop without a server skips those tests; CI never does:
with `CI` set an unreachable server fails the run. Each run (each pytest-xdist worker)
migrates its own throw-away database once; a test gets it emptied of what the previous
test wrote (`_empty_postgres`).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from sqlalchemy import create_engine, text

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from marrowpath.bootstrap import App, build, upgrade_database
from marrowpath.domain.upgrade import upgrade_case
from marrowpath.domain.users import Role, User
from marrowpath.services import passwords
from tests.hashing import TEST_HASHER

# Rating a password with zxcvbn takes a few milliseconds, and every test's team sets the
# same five; the rating is a pure function of (password, user name), so the suite
# remembers it. The rule itself is unchanged (tests/db/test_sign_in.py).
passwords._rating = functools.cache(passwords._rating)

# The specification's example cases, copied into the repository so that the suite runs
# from a clean clone (tests/unit/test_fixtures.py checks the copies against the spec).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
EXAMPLE_CASE = FIXTURES / "example-case.json"
EXAMPLE_CASE_V2 = FIXTURES / "example-case-v2.json"
PG_ADMIN_URL = os.environ.get(
    "MARROWPATH_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PASSWORD = "correct-horse-1"


def example_case() -> dict[str, Any]:
    """The `/1` example as the app holds it: upgraded to `/2` (the import path); the file
    itself is read as written by the tests of importing `/1`."""
    data: dict[str, Any] = upgrade_case(json.loads(EXAMPLE_CASE.read_text(encoding="utf-8")))
    return data


def example_case_v2() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE_CASE_V2.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="session", autouse=True)
def _logs_in_a_throwaway_folder(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The `marrowpath` processes tests start log faults into a folder of the run, not
    into the developer's log folder (`marrowpath.logs`)."""
    os.environ.setdefault("MARROWPATH_LOG_DIR", str(tmp_path_factory.mktemp("logs")))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_database(f"sqlite:///{path}")
    return path


def no_postgres(error: Exception) -> NoReturn:
    """The server could not be reached: a laptop skips the test; CI (which has a server)
    fails it, so PostgreSQL tests never pass silently by skipping."""
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI but unreachable: {error}")
    pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN_URL}: {error}")


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A throw-away database on the server, migrated once for the whole run (named with a
    uuid, so parallel runs and pytest-xdist workers each have their own)."""
    name = f"marrowpath_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # no server here
        admin.dispose()
        no_postgres(error)
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    upgrade_database(url)
    yield url
    with admin.connect() as connection:
        connection.execute(
            text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")
        )
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


class _PostgresCleaner:
    """Empties the test database between tests, touching only what was written.

    TRUNCATE of every table took about 0.8 s a test (it replaces each table's files and
    syncs them); most tests write a handful of rows to a few tables. So one query finds
    the tables holding rows, those rows are deleted and the sequences that were used
    start again at 1, in one transaction. `session_replication_role =
    replica` (the test server's superuser only) lets the delete pass the triggers that
    keep issued versions and audit events immutable, and the foreign keys, whose order
    no longer matters when every row goes. Tables added by later migrations are found
    in the catalogue, so no list here needs to follow the schema.
    """

    def __init__(self, url: str) -> None:
        # one connection kept open for the run: connecting costs more than the cleaning
        self._engine = create_engine(url, pool_size=1, max_overflow=0)
        with self._engine.connect() as connection:
            tables = connection.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version' ORDER BY tablename"
                )
            ).scalars()
            self._written = text(
                " UNION ALL ".join(
                    f"SELECT '{table}' WHERE EXISTS (SELECT 1 FROM \"{table}\")" for table in tables
                )
            )

    def empty(self) -> None:
        with self._engine.begin() as connection:
            written = connection.execute(self._written).scalars().all()
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            for table in written:
                connection.execute(text(f'DELETE FROM "{table}"'))
            # setval, not ALTER SEQUENCE ... RESTART, which gives the sequence a new file
            connection.execute(
                text(
                    "SELECT setval(format('%I', sequencename)::regclass, 1, false) "
                    "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
                )
            )

    def close(self) -> None:
        self._engine.dispose()


@pytest.fixture(scope="session")
def _postgres_cleaner(postgres_database: str) -> Iterator[_PostgresCleaner]:
    cleaner = _PostgresCleaner(postgres_database)
    yield cleaner
    cleaner.close()


def _database_folder(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """Where a test's SQLite database goes: a RAM disk when there is one (removed after
    the test), since every write is checkpointed with fsyncs (docs/decisions.md, 17),
    which on a disk costs milliseconds per commit; the test's folder otherwise."""
    shm = Path("/dev/shm")
    try:
        roomy = shm.is_dir() and shutil.disk_usage(shm).free > 256 * 1024 * 1024
        folder = Path(tempfile.mkdtemp(prefix="marrowpath-test-", dir=shm)) if roomy else None
    except OSError:
        folder = None
    if folder is None:
        return tmp_path
    request.addfinalizer(lambda: shutil.rmtree(folder, ignore_errors=True))
    return folder


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> str:
    """An empty, migrated SQLite database: a copy of the run's migrated template."""
    path = _database_folder(request, tmp_path) / "marrowpath.db"
    shutil.copy(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def postgres_url(postgres_database: str, _postgres_cleaner: _PostgresCleaner) -> str:
    """The run's PostgreSQL test database, emptied of what earlier tests wrote."""
    _postgres_cleaner.empty()
    return postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """An empty, migrated database: the test runs once on SQLite and once on PostgreSQL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    application = build(database_url, with_renderer=False, hasher=TEST_HASHER)
    yield application
    application.close()


@pytest.fixture
def team(app: App) -> dict[str, User]:
    """An admin, a pathologist, a resident, a technologist and a clinician, signed in, in a
    lab whose identity is set (ready to sign)."""
    app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD)
    admin = app.auth.sign_in("admin", PASSWORD)
    users = {"admin": admin}
    for username, full_name, role, credentials in (
        ("drpark", "Dana Park", Role.PATHOLOGIST, "MD"),
        ("resident", "Rui Resident", Role.RESIDENT, "MD"),
        ("tech", "Tess Tech", Role.TECHNOLOGIST, "MLS(ASCP)"),
        ("clinician", "Carl Clinician", Role.CLINICIAN, "MD"),
    ):
        app.auth.add_user(
            admin,
            username,
            full_name=full_name,
            role=role,
            password=PASSWORD,
            credentials=credentials,
        )
        users[username] = app.auth.sign_in(username, PASSWORD)
    app.lab.set_identity(
        admin,
        name="Riverside Hematopathology Laboratory",
        address="200 River Road, Springfield, IL 62701",
        clia_id="14D0123456",
        director="Alan Grant, MD",
        phone="217-555-0100",
    )
    return users


@pytest.fixture
def pathologist(team: dict[str, User]) -> User:
    return team["drpark"]
