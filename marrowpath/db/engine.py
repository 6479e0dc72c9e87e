"""Engines for the embedded SQLite database and a shared PostgreSQL server.

SQLite runs in WAL mode with foreign keys on and a busy timeout; a new database file is
created 0600 in a folder created 0700 (`files.py`). Its transactions start
with `BEGIN IMMEDIATE` (write) or `BEGIN` (read-only), issued by us rather than by the
driver, so that two writers queue for the lock instead of failing half-way through.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from marrowpath.files import create_private_file, private_folder

APP_NAME = "MarrowPath"
BUSY_TIMEOUT_MS = 15_000
READ_ONLY_OPTION = "marrowpath_read_only"


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
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5, **options)


def _sqlite_engine(url: str, **options: Any) -> Engine:
    database = make_url(url).database
    if database and database != ":memory:" and not database.startswith("file:"):
        private_folder(Path(database).parent)
        create_private_file(Path(database))  # 0600; SQLite gives -wal and -shm its mode
    engine = create_engine(
        url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "isolation_level": None}, **options
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        read_only = connection.get_execution_options().get(READ_ONLY_OPTION, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine
