"""Verifying the audit trail: the hash chain, every version's hash, signing events."""

from __future__ import annotations

from dataclasses import dataclass, field

from marrowpath.domain.audit import AuditEvent, ChainCheck
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
