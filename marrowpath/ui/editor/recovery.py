"""Recovery files: unsaved editor work written to disk every half minute.

Why: a power cut, a crash or a forced log-off must not cost a pathologist a morning's
differential. While an editor has unsaved changes its document is written, atomically,
to `<data_dir>/recovery/<accession>.json` (`new-....json` before a new case has its
first save). A successful save or a deliberate discard deletes the file; opening a case
whose recovery file is newer than the case's last save offers it back.
"""

from __future__ import annotations

import contextlib
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


class RecoveryFiles:
    """The recovery folder of one data directory."""

    def __init__(self, data_dir: str | os.PathLike[str]) -> None:
        self.folder = Path(data_dir) / "recovery"

    def for_case(self, accession: str) -> Path:
        safe = re.sub(r"[^A-Za-z0-9-]", "_", accession)[:64] or "case"
        return self.folder / f"{safe}.json"

    def for_new_case(self) -> Path:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        return self.folder / f"new-{stamp}-{uuid.uuid4().hex[:8]}.json"

    def write(self, path: Path, document: dict[str, Any]) -> None:
        """Write atomically: a crash mid-write leaves the previous file, never half of one."""
        self.folder.mkdir(parents=True, exist_ok=True)
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

    def unsaved_new_cases(self) -> list[Path]:
        """Recovery files of new cases no editor of this program holds, newest first."""
        if not self.folder.is_dir():
            return []
        files = [p for p in self.folder.glob("new-*.json") if p not in _IN_USE]
        return sorted(files, key=lambda p: self.modified(p) or datetime.min.replace(tzinfo=UTC))[
            ::-1
        ]


def hold(path: Path | None) -> None:
    if path is not None:
        _IN_USE.add(path)


def release(path: Path | None) -> None:
    if path is not None:
        _IN_USE.discard(path)
