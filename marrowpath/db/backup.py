"""`db backup`: a consistent copy of a SQLite database while workstations use it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from marrowpath.db.sqlite_files import keep_wal_on_close
from marrowpath.domain.errors import Refused


def backup_sqlite(url: str, target: Path) -> Path:
    """Copy with SQLite's online backup API (consistent even during writes)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise Refused(
            "db backup: works on the embedded SQLite database; back up a PostgreSQL "
            "server with pg_dump"
        )
    target = target.expanduser().resolve()
    if target.exists():
        raise Refused(f"db backup: {target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    source = sqlite3.connect(parsed.database)
    # Like every MarrowPath connection, never delete the WAL at close: a workstation
    # whose locks a file dialog dropped must not find its WAL gone.
    keep_wal_on_close(source, Path(parsed.database).resolve())
    try:
        destination = sqlite3.connect(partial)
        try:
            source.backup(destination)
        finally:
            destination.close()
    finally:
        source.close()
    partial.rename(target)
    return target
