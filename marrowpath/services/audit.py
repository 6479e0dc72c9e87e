"""Verifying the audit trail: the hash chain, and every issued version, PDF and case
status against the signing and cancellation events in it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from marrowpath.domain.audit import AnchoredHead, AuditEvent, ChainCheck
from marrowpath.domain.errors import Forbidden
from marrowpath.domain.integrity import IssuedCheck
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import UnitOfWork


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
        """Walk the chain and every issued version; name what does not fit (the chain up to
        its first break, then every version, signing and case status)."""
        try:
            actor.require(Permission.AUDIT)
        except Forbidden as refusal:
            self._ctx.record_refusal(actor.username, "audit verify", str(refusal))
            raise
        chain = ChainCheck()
        issued = IssuedCheck()
        with self._ctx.uow(read_only=True) as uow:
            anchored = uow.audit.anchored_head()  # before the chain: it may lag, never lead
            for event in uow.audit.events():
                chain.feed(event)
                issued.see_event(event)
            problems = [chain.broken] if chain.broken else []
            head = uow.audit.head()
            if not chain.broken and head is not None and head != (chain.count, chain.head):
                problems.append(
                    f"event {head[0]}: the chain head does not match the last "
                    f"event (events were removed from the end)"
                )
            problems.extend(anchor_problems(anchored, uow.audit.hash_at))
            versions = _check_issued(uow, issued)
            problems += issued.problems
        return Verification(chain.count, chain.head, versions, problems)

    def events_for_case(self, actor: User, accession: str) -> list[AuditEvent]:
        actor.require(Permission.AUDIT)
        with self._ctx.uow(read_only=True) as uow:
            return uow.audit.for_case(accession)


def _check_issued(uow: UnitOfWork, issued: IssuedCheck) -> int:
    """Every stored version and PDF against its signing event, every signing event against
    its version, every case's status against both; returns the number of versions."""
    versions = 0
    for version in uow.versions.for_verification():
        versions += 1
        issued.see_version(version)
    issued.problems += issued.missing_versions()
    issued.problems += issued.status_problems(uow.cases.states())
    return versions


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
