"""`db backup`: a consistent copy of a SQLite database while workstations use it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.engine import make_url

from marrowpath.db.sqlite_files import keep_wal_on_close
from marrowpath.domain.errors import Refused
from marrowpath.files import cannot_write, written_whole


def backup_sqlite(url: str, target: Path) -> Path:
    """Copy with SQLite's online backup API (consistent even during writes).

    The copy is written to a private temporary file beside the target and renamed when
    complete; a full disk leaves nothing behind (`files.py`).
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise Refused(
            "db backup: works on the embedded SQLite database; back up a PostgreSQL "
            "server with pg_dump"
        )
    target = target.expanduser().resolve()
    if target.exists():
        raise Refused(f"db backup: {target} already exists; choose a new file name")
    source = sqlite3.connect(parsed.database)
    # Like every MarrowPath connection, never delete the WAL at close: a workstation
    # whose locks a file dialog dropped must not find its WAL gone.
    keep_wal_on_close(source, Path(parsed.database).resolve())
    try:
        with written_whole(target) as temporary:
            destination = sqlite3.connect(temporary)
            try:
                # no rollback journal beside the copy: a failed copy is deleted whole
                destination.execute("PRAGMA journal_mode=OFF")
                source.backup(destination)
            finally:
                destination.close()
    except sqlite3.Error as error:
        raise Refused(f"db backup: cannot write {target} ({error}); nothing was written") from None
    except OSError as error:
        raise Refused(cannot_write(target, error, what="db backup")) from None
    finally:
        source.close()
    return target
