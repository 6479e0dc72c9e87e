"""Engines for the embedded SQLite database and a shared PostgreSQL server.

SQLite runs in WAL mode with foreign keys on and a busy timeout; a new database file is
created 0600 in a folder created 0700 (`files.py`). Its transactions start
with `BEGIN IMMEDIATE` (write) or `BEGIN` (read-only), issued by us rather than by the
driver, so that two writers queue for the lock instead of failing half-way through.
A file database's connections are guarded (`sqlite_files`): they refuse to work on
files that another program deleted or replaced, and checkpoint after every write.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from marrowpath.db.sqlite_files import BUSY_TIMEOUT_MS, DatabaseFiles
from marrowpath.files import create_private_file, private_folder

APP_NAME = "MarrowPath"
# The WAL is kept between sessions (see sqlite_files); after a checkpoint it is cut back
# to this size instead of keeping the size of the largest transaction ever written.
WAL_SIZE_LIMIT = 8 * 1024 * 1024
READ_ONLY_OPTION = "marrowpath_read_only"


def read_only_options(dialect: str, *, lookup: bool = False) -> dict[str, Any]:
    """A read-only unit of work's connection options. SQLite takes a read transaction
    (`BEGIN`, not `BEGIN IMMEDIATE`: `_on_begin`). A lookup on PostgreSQL (statements
    that each stand alone: a search, a count) runs in autocommit: at its default READ
    COMMITTED each statement sees what was committed when it began, in a transaction or
    not, so a transaction would buy nothing and cost two round trips, BEGIN and
    ROLLBACK, about 0.7 ms of a rare word's 3 ms search at a million cases (decision
    93). Other reads keep their transaction: a streamed result (a server-side cursor)
    needs one."""
    if lookup and dialect == "postgresql":
        return {READ_ONLY_OPTION: True, "isolation_level": "AUTOCOMMIT"}
    return {READ_ONLY_OPTION: True}


def default_database_path() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "marrowpath.db"


def resolve_url(database: str | None) -> str:
    """A SQLAlchemy URL from `--db`/`MARROWPATH_DB`: a URL, a file path, or the default."""
    if not database:
        path = default_database_path()
        private_folder(path.parent, tighten=True)  # MarrowPath's own data folder: 0700
        return f"sqlite:///{path}"
    if "://" in database:
        return database
    return f"sqlite:///{Path(database).expanduser().resolve()}"


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def describe(url: str) -> str:
    """What the status bar and messages show: the file, or user@host/db (no password)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return f"SQLite {parsed.database}"
    return f"PostgreSQL {parsed.username or ''}@{parsed.host or 'localhost'}/{parsed.database}"


def make_engine(url: str, **options: Any) -> Engine:
    if is_sqlite(url):
        return _sqlite_engine(url, **options)
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # psycopg prepares a statement run five times, and PostgreSQL may then plan it
        # once for every value: a search word's plan depends on how common the word is
        # (walk the newest cases, or take the trigram index), so plan each time.
        # No JIT compilation: the worklist's correlated subqueries (first issue, the
        # pathologist's name) make the planner's estimate for a page of a million cases
        # pass `jit_above_cost`, and compiling took tens of milliseconds (18.9 ms in one
        # EXPLAIN ANALYZE), where the query itself takes 1-30 ms. JIT pays only for long
        # analytical queries, which the app does not run.
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
            cursor.execute("SET jit = off")
        dbapi_connection.commit()

    return engine


def sqlite_files(url: str) -> DatabaseFiles | None:
    """The guarded files of a SQLite file database (None for memory and PostgreSQL)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:"):
        return None
    return DatabaseFiles.for_path(Path(database))


def _sqlite_engine(url: str, **options: Any) -> Engine:
    files = sqlite_files(url)
    connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None}
    if files is not None:
        private_folder(files.path.parent)
        create_private_file(files.path)  # 0600; SQLite gives -wal and -shm its mode
        connect_args["factory"] = files.connection_class
    engine = create_engine(url, connect_args=connect_args, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        cursor.close()
        if files is not None:
            files.connected(dbapi_connection)

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        if files is not None:
            files.before_begin(connection.connection.dbapi_connection, write=not read_only)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
