"""One SQLite database stays one database, whatever else touches its files.

Why: on POSIX, closing *any* descriptor of a file drops every lock the process holds on
it (SQLite documents the hazard; a file dialog that sniffs `d.db-wal` for its icon is
enough). Another process then believes it is the last user, checkpoints and deletes
the WAL while this process still writes into its now private copy of it: the database
forks, each side sees only its own saves, and whichever closes last copies its pages
over the other's. Three defences, each for one part of the hazard:

1. No connection checkpoints and deletes the WAL when it closes
   (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`): a process whose locks were dropped is no longer
   taken for "nobody", because nobody deletes the WAL at close any more.
2. Every commit that wrote is checkpointed into the main file at once and the WAL
   emptied (`wal_checkpoint(TRUNCATE)`), so what a user was told is saved is in `d.db`
   itself before the next transaction begins.
3. The identities (device, inode) of `d.db` and `d.db-wal` are recorded when this
   process connects and compared before every transaction and around every commit.
   When another program deleted or replaced them, the process refuses every further
   transaction (`DatabaseChanged`) and abandons its connections without closing them,
   so that its stale WAL is never copied over newer data.

SQLite shares locks and the WAL index per process and file, so the state here is per
process and file too (`DatabaseFiles.for_path`), whatever number of engines use it.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import sqlite3
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from marrowpath.domain.errors import DatabaseChanged
from marrowpath.loggers import logger

log = logger(__name__)

BUSY_TIMEOUT_MS = 15_000
# How long a checkpoint after a commit waits for readers of older snapshots (other
# workstations' searches take milliseconds); a longer read (an export, `audit verify`)
# leaves the rest to the checkpoint before this process's next transaction.
CHECKPOINT_WAIT_MS = 250
SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE = 1006


@dataclass(frozen=True)
class FileIdentity:
    """What makes a file that file: a new file at the same path has another inode."""

    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> FileIdentity | None:
        try:
            status = os.stat(path)
        except FileNotFoundError:
            return None
        return cls(status.st_dev, status.st_ino)


# Connections of a process whose guard fired: kept open (and referenced from C, so not
# even interpreter shutdown closes them) for the rest of the process's life.
_ABANDONED: list[sqlite3.Connection] = []


def abandon(connection: sqlite3.Connection) -> None:
    """Never close this connection: closing could copy its stale WAL into the file."""
    _ABANDONED.append(connection)
    with contextlib.suppress(Exception):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(connection))


class DatabaseFiles:
    """The main file and the WAL of one SQLite database, as this process holds them."""

    _registry: ClassVar[dict[Path, DatabaseFiles]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path) -> None:
        self.path = path
        self.wal = path.with_name(path.name + "-wal")
        self.changed: str | None = None
        self.keeps_wal_on_close = True
        self.checkpoint_pending = False
        self._lock = threading.Lock()
        self._open = 0
        self._expected: dict[Path, FileIdentity] = {}
        self.connection_class: type[GuardedConnection] = type(
            "GuardedConnection", (GuardedConnection,), {"files": self}
        )

    @classmethod
    def for_path(cls, path: Path) -> DatabaseFiles:
        path = path.resolve()
        with cls._registry_lock:
            files = cls._registry.get(path)
            if files is None:
                files = cls._registry[path] = cls(path)
            return files

    # ------------------------------------------------------------ the guard

    def connected(self, connection: sqlite3.Connection) -> None:
        """A new connection (WAL mode already set): keep the WAL at close, then check."""
        if not keep_wal_on_close(connection, self.path):
            self._warn_once()
        with self._lock:
            self._open += 1
        self.check()

    def closed(self) -> None:
        """A connection really closed. With none left, SQLite forgets the files too: a
        WAL deleted while we held nothing was deleted by its last user, legitimately."""
        with self._lock:
            self._open -= 1
            if self._open <= 0 and self.changed is None:
                self._open = 0
                self._expected.clear()

    def check(self) -> None:
        """Raise `DatabaseChanged` unless `d.db` and `d.db-wal` are the files we hold."""
        with self._lock:
            if self.changed is None:
                self.changed = self._compare()
                if self.changed is not None:
                    log.error("SQLite database %s: %s", self.path, self.changed)
            if self.changed is not None:
                raise DatabaseChanged(self.changed)

    def _compare(self) -> str | None:
        for path in (self.path, self.wal):
            now = FileIdentity.of(path)
            before = self._expected.get(path)
            if before is None:
                # First sight (a new database has no WAL before its first write).
                if now is not None:
                    self._expected[path] = now
            elif now is None:
                return f"{path.name} was deleted while MarrowPath had it open"
            elif now != before:
                return f"{path.name} was replaced while MarrowPath had it open"
        return None

    def before_begin(self, connection: GuardedConnection, *, write: bool) -> None:
        """Called just before BEGIN: refuse on changed files; finish a checkpoint that
        readers held up after the last commit."""
        self.check()
        if self.checkpoint_pending:
            self.checkpoint(connection, wait_ms=0)
        connection.writing = write

    # ------------------------------------------------------------ checkpoints

    def checkpoint(self, connection: sqlite3.Connection, *, wait_ms: int) -> None:
        """Copy the WAL into the main file and empty it, waiting at most `wait_ms` for
        readers of older snapshots. An empty WAL also means that no stale frames wait
        in it for a database file put back from a copy."""
        done = False
        try:
            connection.execute(f"PRAGMA busy_timeout={wait_ms}")
            row = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            _busy, frames, copied = row
            done = copied >= frames  # all in the main file (emptying may have to wait)
        except sqlite3.Error as error:
            log.warning("checkpoint of %s postponed: %s", self.path, error)
        finally:
            with contextlib.suppress(sqlite3.Error):
                connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        self.checkpoint_pending = not done

    def _warn_once(self) -> None:
        if self.keeps_wal_on_close:
            self.keeps_wal_on_close = False
            log.warning(
                "SQLite database %s: connections cannot be told to keep the WAL at close "
                "on this Python; the file guard still refuses a forked database",
                self.path,
            )


class GuardedConnection(sqlite3.Connection):
    """A sqlite3 connection that checks its files around commits, checkpoints after a
    commit that wrote, and is abandoned instead of closed once its files changed."""

    files: ClassVar[DatabaseFiles]
    writing: bool = False
    _closed: bool = False

    def commit(self) -> None:
        if not (self.in_transaction and self.writing):
            super().commit()
            return
        self.writing = False
        self.files.check()  # never commit into a WAL that is no longer the database's
        super().commit()
        self.files.check()  # never copy a stale WAL into the main file
        self.files.checkpoint(self, wait_ms=CHECKPOINT_WAIT_MS)

    def rollback(self) -> None:
        self.writing = False
        super().rollback()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self.files.changed is not None:
            abandon(self)
            return
        super().close()
        self.files.closed()


def keep_wal_on_close(connection: sqlite3.Connection, path: Path) -> bool:
    """Tell SQLite not to checkpoint and delete the WAL when this connection closes.

    Python 3.12 has `Connection.setconfig`; on 3.11 `sqlite3_db_config` is called through
    ctypes on the handle the connection object holds, after `sqlite3_db_filename` has
    confirmed that it is this database's handle. Returns False when neither works.
    """
    setconfig = getattr(connection, "setconfig", None)
    if setconfig is not None:
        setconfig(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, True)
        return True
    try:
        return _db_config_through_ctypes(connection, path)
    except (OSError, AttributeError, ValueError):
        return False


def _db_config_through_ctypes(connection: sqlite3.Connection, path: Path) -> bool:
    # CPython 3.11's pysqlite_Connection: the object header, then `sqlite3 *db`. Only
    # where variadic integer arguments travel like fixed ones (not macOS on arm64).
    if sys.implementation.name != "cpython" or sys.platform not in ("linux", "win32"):
        return False
    library = _sqlite_library()
    if library is None:
        return False
    handle = ctypes.c_void_p.from_address(id(connection) + object.__basicsize__).value
    if not handle:
        return False
    name = library.sqlite3_db_filename(handle, b"main")
    if not name or Path(os.fsdecode(name)).resolve() != path:
        return False
    value = ctypes.c_int(-1)
    status = library.sqlite3_db_config(
        ctypes.c_void_p(handle),
        ctypes.c_int(SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE),
        ctypes.c_int(1),
        ctypes.byref(value),
    )
    return status == 0 and value.value == 1


_LIBRARY: list[Any] = []


def _sqlite_library() -> Any:
    """The SQLite library the `sqlite3` module itself uses (never a second copy)."""
    if not _LIBRARY:
        import _sqlite3

        library: Any = None
        with contextlib.suppress(OSError, AttributeError):
            candidate = ctypes.CDLL(_sqlite3.__file__)
            candidate.sqlite3_db_filename.restype = ctypes.c_char_p
            candidate.sqlite3_db_filename.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
            candidate.sqlite3_db_config.restype = ctypes.c_int
            library = candidate
        _LIBRARY.append(library)
    return _LIBRARY[0]
