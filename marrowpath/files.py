"""Files that hold patient data: private to their user, written whole or not at all.

On POSIX the data folder is 0700 and the database, its WAL and shared-memory files,
backups, reports and exports are 0600, whatever the umask: a laboratory workstation is
often shared, and a report is as private as the record. A file is written to a hidden
temporary file in its target folder and renamed over the target only when complete; on
any failure (a full disk, a refused permission, a crash of the renderer) the temporary
file is removed, so no half-written `report.pdf.partial` with a patient's name is left
behind. Nothing here knows about Qt, SQL or PDFs: the CLI, the desktop app and the
database layer all use it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from marrowpath.domain.errors import Refused

PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
POSIX = os.name == "posix"


def private_folder(path: Path, *, tighten: bool = False) -> Path:
    """Create `path` (and its parents) with the last folder 0700.

    Args:
        tighten: also set 0700 when the folder exists: for MarrowPath's own data folder,
            never for a folder a user chose.
    """
    existed = path.is_dir()
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    if POSIX and (tighten or not existed):
        os.chmod(path, PRIVATE_FOLDER)  # mkdir's mode is filtered by the umask
    return path


def create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only, unless it exists (a new SQLite
    database: SQLite gives its WAL and shared-memory files the database file's mode)."""
    with contextlib.suppress(FileExistsError):
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
        os.close(descriptor)
        if POSIX:
            os.chmod(path, PRIVATE_FILE)


@contextlib.contextmanager
def written_whole(path: Path) -> Iterator[Path]:
    """A temporary path in `path`'s folder to write to; renamed to `path` when the block
    ends normally, removed when it raises. The file is 0600 from its creation."""
    folder = path.parent
    if not folder.exists():
        private_folder(folder)
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".partial")
    os.close(descriptor)
    temporary = Path(name)
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_whole(path: Path, data: bytes, *, what: str = "write") -> Path:
    """Write `data` to `path` atomically (see `written_whole`).

    Raises `Refused` naming the file and the reason (a full disk, no permission); nothing
    is left behind then.
    """
    try:
        with written_whole(path) as temporary, open(temporary, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        raise Refused(cannot_write(path, error, what=what)) from None
    return path


def cannot_write(path: Path, error: OSError, *, what: str = "write") -> str:
    """`report: cannot write /media/usb/r.pdf (No space left on device); nothing was
    written` without the errno noise."""
    reason = error.strerror or str(error)
    return f"{what}: cannot write {path} ({reason}); nothing was written"
