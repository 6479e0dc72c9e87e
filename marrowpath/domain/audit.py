"""The audit trail as a hash chain: each event's SHA-256 covers its content and the
previous event's hash, so an altered, inserted or removed event breaks the chain."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from marrowpath.domain.canonical import canonical_json, sha256_hex

GENESIS = "0" * 64


@dataclass(frozen=True)
class AuditEntry:
    """What a service records: who did what to which case, with details (before/after)."""

    action: str
    username: str
    accession: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnchoredHead:
    """The chain's head as recorded outside the database after a commit: the chain may
    grow past it but never end before it, and its event must keep this hash."""

    seq: int
    hash: str
    at: datetime | None = None


@dataclass(frozen=True)
class AuditEvent:
    """A stored event: the entry, when and where, its place in the chain and its hash."""

    seq: int
    at: datetime
    workstation: str
    action: str
    username: str
    accession: str | None
    detail: dict[str, Any]
    prev_hash: str
    hash: str

    def expected_hash(self) -> str:
        return event_hash(
            seq=self.seq,
            at=self.at,
            workstation=self.workstation,
            action=self.action,
            username=self.username,
            accession=self.accession,
            detail=self.detail,
            prev_hash=self.prev_hash,
        )


def event_hash(
    *,
    seq: int,
    at: datetime,
    workstation: str,
    action: str,
    username: str,
    accession: str | None,
    detail: dict[str, Any],
    prev_hash: str,
) -> str:
    body = {
        "seq": seq,
        "at": at.isoformat(),
        "workstation": workstation,
        "action": action,
        "username": username,
        "accession": accession,
        "detail": detail,
        "prev": prev_hash,
    }
    return sha256_hex(canonical_json(body))


@dataclass
class ChainCheck:
    """Walks the events in order; `broken` names the first event that does not fit."""

    count: int = 0
    head: str = GENESIS
    broken: str | None = None
    _next_seq: int = 1

    def feed(self, event: AuditEvent) -> None:
        if self.broken:
            return
        if event.seq != self._next_seq:
            self.broken = (
                f"event {event.seq}: expected event {self._next_seq} next "
                f"(an event was removed or inserted)"
            )
        elif event.prev_hash != self.head:
            self.broken = f"event {event.seq}: does not link to the event before it"
        elif event.expected_hash() != event.hash:
            self.broken = f"event {event.seq} ({event.action} by {event.username}): content altered"
        else:
            self.count += 1
            self.head = event.hash
            self._next_seq += 1
