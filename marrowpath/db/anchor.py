"""The audit chain's head, anchored outside the transaction (and file) that wrote it.

Why: every event's hash covers the one before, but someone able to write the database
can cut the tail off and move the head row back, or rewrite the whole chain with
recomputed hashes; the chain alone still verifies. After each commit that appended
events, the new head (sequence and hash) is appended to an anchor: a file beside a
SQLite database (`d.db-anchor`, mode 0600), a table written through a connection of its
own on PostgreSQL. `audit verify` then requires the chain to reach the highest anchored
event with the anchored hash. The anchor is written after the commit, so it may lag
behind the chain (a crash in between) but never lead it.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy import Engine, select
from sqlalchemy.dialects.postgresql import insert as pg_insert

from marrowpath.db.engine import sqlite_files
from marrowpath.db.models import AuditAnchorRow
from marrowpath.domain.audit import AnchoredHead
from marrowpath.loggers import logger

log = logger(__name__)

# Appends from several processes land in commit order give or take the few commits that
# finish at the same moment, so the highest head is always among the last lines.
TAIL_BYTES = 64 * 1024


class AuditAnchor(Protocol):
    def append(self, head: AnchoredHead) -> None: ...
    def latest(self) -> AnchoredHead | None: ...


class FileAnchor:
    """One line per commit, `SEQ HASH TIME`, appended to a file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, head: AnchoredHead) -> None:
        at = head.at.isoformat() if head.at else "-"
        line = f"{head.seq} {head.hash} {at}\n".encode("ascii")
        descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)  # one write with O_APPEND: lines never interleave
        finally:
            os.close(descriptor)

    def latest(self) -> AnchoredHead | None:
        try:
            with self.path.open("rb") as stream:
                size = stream.seek(0, os.SEEK_END)
                stream.seek(max(0, size - TAIL_BYTES))
                tail = stream.read()
        except FileNotFoundError:
            return None
        heads = [head for line in tail.splitlines() if (head := _parse(line)) is not None]
        return max(heads, key=lambda head: head.seq, default=None)


def _parse(line: bytes) -> AnchoredHead | None:
    parts = line.decode("ascii", "replace").split()
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[1]) != 64:
        return None  # the first line of the tail is usually cut
    try:
        at = None if parts[2] == "-" else datetime.fromisoformat(parts[2])
    except ValueError:
        return None
    return AnchoredHead(int(parts[0]), parts[1], at)


class TableAnchor:
    """The `audit_anchors` table, written through its own connection after the commit."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def append(self, head: AnchoredHead) -> None:
        with self._engine.connect() as connection:
            connection.execute(
                pg_insert(AuditAnchorRow)
                .values(seq=head.seq, hash=head.hash, anchored_at=head.at)
                .on_conflict_do_nothing(index_elements=["seq"])
            )
            connection.commit()

    def latest(self) -> AnchoredHead | None:
        statement = select(AuditAnchorRow).order_by(AuditAnchorRow.seq.desc()).limit(1)
        with self._engine.connect() as connection:
            row = connection.execute(statement).first()
        return AnchoredHead(row.seq, row.hash, row.anchored_at) if row else None


class NoAnchor:
    """An in-memory database has nowhere outside itself to anchor to."""

    def append(self, head: AnchoredHead) -> None:
        return None

    def latest(self) -> AnchoredHead | None:
        return None


def anchor_for(engine: Engine) -> AuditAnchor:
    url = engine.url.render_as_string(hide_password=False)
    if engine.dialect.name == "postgresql":
        return TableAnchor(engine)
    files = sqlite_files(url)
    if files is None:
        return NoAnchor()
    return FileAnchor(files.path.with_name(files.path.name + "-anchor"))
