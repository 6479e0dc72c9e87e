"""Recovery copies: unsaved editor work written to disk, for its author only.

Why: a power cut, a crash, a forced log-off or a session locked and handed to another
user must not cost a pathologist a morning's differential. While an editor has unsaved
changes its document is written, atomically, every half minute (and at once when the
session ends without its user) to `<data_dir>/recovery/<user>/<accession>.json`
(`new-....json` before a new case has its first save). A successful save or a deliberate
discard deletes the file; opening a case whose recovery copy is newer than the case's
last save offers it back.

Why per user: a recovery copy is unsaved work with a patient's name, MRN and birth date,
and whoever saves it signs it as theirs. So each user's copies live in their own folder
(0700, the files 0600), and an editor only ever looks in the folder of the user who
opened it: another user is never offered, never shown and never saves someone else's
work. Copies from before this rule (directly in `recovery/`) belong to nobody known and
are offered to no one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Recovery files held by an editor in this process (not offered to another editor).
_IN_USE: set[Path] = set()
_PRIVATE_FOLDER = 0o700


def user_folder_name(username: str) -> str:
    """A folder name for a user: the name itself when it is plain, else a cleaned name
    with a short hash, so that two users never share a folder."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", username)[:48]
    if safe == username and safe and not safe.startswith("."):
        return safe
    digest = hashlib.sha256(username.encode("utf-8")).hexdigest()[:10]
    return f"{safe.lstrip('.') or 'user'}-{digest}"


class RecoveryFiles:
    """The recovery copies of one user (`owner`, a user name) in one data directory."""

    def __init__(self, data_dir: str | os.PathLike[str], owner: str) -> None:
        self.owner = owner
        self.folder = Path(data_dir) / "recovery" / user_folder_name(owner)

    def for_case(self, accession: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9-]", "_", accession)[:64] or "case"
        return self.folder / f"{safe}.json"

    def for_new_case(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return self.folder / f"new-{stamp}-{uuid.uuid4().hex[:8]}.json"

    def _make_private_folder(self) -> None:
        """The user's folder, and the `recovery` folder above it, readable by the
        operating-system user only (on POSIX)."""
        self.folder.mkdir(mode=_PRIVATE_FOLDER, parents=True, exist_ok=True)
        if os.name == "posix":
            for folder in (self.folder.parent, self.folder):
                if folder.stat().st_mode & 0o777 != _PRIVATE_FOLDER:
                    os.chmod(folder, _PRIVATE_FOLDER)

    def write(self, path: Path, document: dict[str, Any]) -> None:
        """Write atomically (a crash mid-write leaves the previous file, never half of
        one) and privately (0600: `mkstemp` creates the file so, the rename keeps it)."""
        self._make_private_folder()
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                json.dump(document, stream, ensure_ascii=False, indent=1)
                stream.flush()
                os.fsync(stream.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @staticmethod
    def read(path: Path) -> dict[str, Any] | None:
        """The document in a recovery file, or None when it is missing or unreadable."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def delete(path: Path | None) -> None:
        if path is not None:
            # A file that cannot be removed is offered again later, never lost.
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)

    @staticmethod
    def modified(path: Path) -> datetime | None:
        try:
            return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        except OSError:
            return None

    def newer_than(self, path: Path, when: datetime) -> bool:
        """Whether the file holds work from after `when` (the case's last save)."""
        modified = self.modified(path)
        if modified is None:
            return False
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return modified > when

    def belongs_here(self, path: Path) -> bool:
        """Whether `path` is one of this user's copies (never offer any other)."""
        return path.parent == self.folder

    def unsaved_new_cases(self) -> list[Path]:
        """This user's recovery files of new cases no editor of this program holds,
        newest first."""
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.glob("new-*.json") if p not in _IN_USE]
        return sorted(files, key=lambda p: self.modified(p) or datetime.min.replace(tzinfo=UTC))[
            ::-1
        ]


def keep_recovery_copy(
    data_dir: str | os.PathLike[str],
    owner: str,
    accession: str | None,
    document: dict[str, Any],
) -> Path:
    """Write `document` as `owner`'s recovery copy of a case (a new case when
    `accession` is None) and return its path. For work that cannot be saved now and must
    not be lost; only `owner` will be offered it."""
    files = RecoveryFiles(data_dir, owner)
    path = files.for_case(accession) if accession else files.for_new_case()
    files.write(path, document)
    return path


def hold(path: Path | None) -> None:
    if path is not None:
        _IN_USE.add(path)


def release(path: Path | None) -> None:
    if path is not None:
        _IN_USE.discard(path)
