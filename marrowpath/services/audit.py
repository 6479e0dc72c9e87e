"""Verifying the audit trail: the hash chain, every version's hash, signing events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from marrowpath.domain.audit import AnchoredHead, AuditEvent, ChainCheck
from marrowpath.domain.errors import Forbidden
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import UnreadableVersion
from marrowpath.services.context import ServiceContext


@dataclass(frozen=True)
class Verification:
    events: int
    head: str
    versions: int
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


class AuditService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def verify(self, actor: User) -> Verification:
        """Walk the chain and every issued version; name the first thing that does not fit."""
        try:
            actor.require(Permission.AUDIT)
        except Forbidden as refusal:
            self._ctx.record_refusal(actor.username, "audit verify", str(refusal))
            raise
        chain = ChainCheck()
        signed: dict[tuple[str, int], str] = {}
        with self._ctx.uow(read_only=True) as uow:
            anchored = uow.audit.anchored_head()  # before the chain: it may lag, never lead
            for event in uow.audit.events():
                chain.feed(event)
                if event.action == "sign" and event.accession:
                    signed[(event.accession, int(event.detail.get("version", 0)))] = str(
                        event.detail.get("sha256")
                    )
            problems = [chain.broken] if chain.broken else []
            head = uow.audit.head()
            if not chain.broken and head is not None and head != (chain.count, chain.head):
                problems.append(
                    f"event {head[0]}: the chain head does not match the last "
                    f"event (events were removed from the end)"
                )
            problems.extend(anchor_problems(anchored, uow.audit.hash_at))
            versions = 0
            for version in uow.versions.all(with_pdf=True):
                versions += 1
                if isinstance(version, UnreadableVersion):
                    problems.append(
                        f"{version.accession} version {version.number}: content cannot be "
                        f"read ({version.reason}; altered)"
                    )
                    continue
                key = (version.content.accession, version.number)
                if not version.intact():
                    problems.append(
                        f"{key[0]} version {key[1]}: content does not match its SHA-256 (altered)"
                    )
                elif signed.get(key) != version.sha256:
                    problems.append(f"{key[0]} version {key[1]}: no signing event carries its hash")
        return Verification(chain.count, chain.head, versions, problems)

    def events_for_case(self, actor: User, accession: str) -> list[AuditEvent]:
        actor.require(Permission.AUDIT)
        with self._ctx.uow(read_only=True) as uow:
            return uow.audit.for_case(accession)


def anchor_problems(
    anchored: AnchoredHead | None, hash_at: Callable[[int], str | None]
) -> list[str]:
    """What the head anchored outside the database says about the chain: the chain must
    still hold the anchored event, with the anchored hash (a hash covers every event
    before it, so this one comparison catches a rewrite anywhere up to the anchor)."""
    if anchored is None:
        return []
    when = f" on {anchored.at:%Y-%m-%d %H:%M} UTC" if anchored.at else ""
    stored = hash_at(anchored.seq)
    if stored is None:
        return [
            f"event {anchored.seq}: anchored outside the database{when} but missing from the "
            "trail (the head went backwards: events were removed from the end, or the "
            "database was put back to an older copy)"
        ]
    if stored != anchored.hash:
        return [
            f"event {anchored.seq}: its hash differs from the one anchored outside the "
            f"database{when} (the trail was rewritten)"
        ]
    return []
