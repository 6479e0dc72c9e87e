"""Delivery without anyone remembering: the persistent outbox and its sender.

Signing queues one HL7 result message per destination in the same transaction as the
new version (`queue_version`), so a report is never issued without its delivery being
recorded, and a failed signing queues nothing. The sender (`OutboxService`) claims a
message, commits, sends it over MLLP outside any transaction, checks the ACK and
records the outcome; a connection failure is retried with back-off, every time with the
same bytes and the same MSH-10, so the receiver can recognise a repeat.

Routing: a version goes to every configured destination that wants its kind, and to
every configured destination that had a message for the case before (an amendment,
addendum, withdrawal or cancellation must reach whoever holds the earlier report). An
ad-hoc address given to `send --mllp` (admins) gets that one message and nothing after:
only the lab's configured destinations are standing recipients.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from marrowpath.domain import hl7v2
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.destinations import Destination
from marrowpath.domain.errors import NotFound, Refused
from marrowpath.domain.integrity import message_problem
from marrowpath.domain.interfaces import Cancellation, ResultRequest
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.context import ServiceContext
from marrowpath.services.issued import SignedVersions, issued_for_use
from marrowpath.services.ports import (
    CaseRecord,
    MllpError,
    MllpSender,
    NewOutboxMessage,
    OutboxEntry,
    OutboxStatus,
    UnitOfWork,
)

SYSTEM_USER = "outbox"
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 10  # about three hours of back-off before a message shows as failed
FIRST_RETRY = timedelta(seconds=30)
LONGEST_WAIT = timedelta(hours=1)


def new_control_id() -> str:
    """MSH-10: 20 characters, unique without coordination between workstations."""
    return "MP" + uuid.uuid4().hex[:18].upper()


def backoff(attempts: int) -> timedelta:
    """Wait before attempt n+1: 30 s, 1 min, 2 min, ... at most an hour."""
    wait: timedelta = FIRST_RETRY * (2 ** max(attempts - 1, 0))
    return min(wait, LONGEST_WAIT)


@dataclass(frozen=True)
class Route:
    """Where one message goes: a configured destination, or an ad-hoc address (`send`)."""

    name: str
    host: str
    port: int
    destination: Destination | None = None


def _routes(
    uow: UnitOfWork,
    case_id: int,
    settings: LabSettings,
    *,
    new_kind_wanted: Callable[[Destination], bool] | None,
) -> list[Route]:
    """Configured destinations that want this message, plus every earlier receiver that
    is still configured. Neither a removed destination nor an ad-hoc address given to
    `send` (named HOST:PORT) receives anything new."""
    configured = {d.name: d for d in settings.destinations or ()}
    routes: dict[str, Route] = {}
    for name, _host, _port in uow.outbox.routes_for_case(case_id):
        destination = configured.get(name)
        if destination is not None:
            routes[name] = Route(name, destination.host, destination.port, destination)
    for destination in configured.values():
        wanted = new_kind_wanted is not None and new_kind_wanted(destination)
        if destination.name not in routes and wanted:
            routes[destination.name] = Route(
                destination.name, destination.host, destination.port, destination
            )
    return list(routes.values())


def _enqueue(
    ctx: ServiceContext,
    uow: UnitOfWork,
    case: CaseRecord,
    versions: tuple[IssuedVersion, ...],
    routes: Iterable[Route],
    actor: str,
    *,
    cancellation: Cancellation | None = None,
    manual: bool = False,
) -> list[int]:
    builders = ctx.interfaces
    assert builders is not None
    version = versions[-1]
    event = "cancellation" if cancellation else version.kind.value
    ids = []
    for route in routes:
        now = ctx.clock.now()
        control_id = new_control_id()
        request = ResultRequest(
            versions=versions,
            control_id=control_id,
            created_at=now,
            cancellation=cancellation,
            destination=route.destination,
            patient_mrn=case.patient.mrn if case.patient else None,
        )
        uow.outbox.supersede_failed(case.id, route.name)
        ids.append(
            uow.outbox.add(
                NewOutboxMessage(
                    case_id=case.id,
                    accession=case.accession,
                    version_number=version.number,
                    event=event,
                    destination=route.name,
                    host=route.host,
                    port=route.port,
                    control_id=control_id,
                    message=builders.hl7_result(request),
                    created_at=now,
                )
            )
        )
        uow.record(
            AuditEntry(
                "transmit-queued",
                actor,
                case.accession,
                {
                    "destination": route.name,
                    "address": f"{route.host}:{route.port}",
                    "control_id": control_id,
                    "version": version.number,
                    "event": event,
                    "manual": manual,
                },
            )
        )
    return ids


def queue_version(
    ctx: ServiceContext,
    uow: UnitOfWork,
    case: CaseRecord,
    versions: tuple[IssuedVersion, ...],
    actor: str,
) -> None:
    """Queue the newly issued version (the last of `versions`) in the signing transaction."""
    if ctx.interfaces is None:
        return
    kind = versions[-1].kind
    settings = uow.settings.load()
    routes = _routes(uow, case.id, settings, new_kind_wanted=lambda d: d.wants(kind))
    _enqueue(ctx, uow, case, versions, routes, actor)


def queue_cancellation(
    ctx: ServiceContext, uow: UnitOfWork, case: CaseRecord, reason: str, actor: str
) -> None:
    """Tell every destination that had the preliminary report that the case was cancelled."""
    if ctx.interfaces is None:
        return
    routes = _routes(uow, case.id, uow.settings.load(), new_kind_wanted=None)
    if not routes:
        return
    versions = tuple(uow.versions.list(case.id))
    cancellation = Cancellation(reason=reason, at=ctx.clock.now(), by=actor)
    _enqueue(ctx, uow, case, versions, routes, actor, cancellation=cancellation)


# ---------------------------------------------------------------------- the sender

Outcome = Literal["sent", "rejected", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class Delivery:
    """What one attempt did: the entry as recorded after it, and the words for people."""

    entry: OutboxEntry
    outcome: Outcome
    text: str

    def line(self) -> str:
        e = self.entry
        return (
            f"{e.accession}\tversion {e.version_number}\t{e.event}\t{e.destination}\t"
            f"{e.address}\t{e.control_id}\t{self.outcome}\t{self.text}"
        )


class OutboxService:
    """Lists the outbox and delivers what is due; safe to run on several workstations."""

    def __init__(self, context: ServiceContext, *, client: MllpSender) -> None:
        self._ctx = context
        self._client = client

    def entries(
        self,
        actor: User,
        *,
        statuses: tuple[OutboxStatus, ...] = (),
        accession: str | None = None,
        limit: int | None = None,
    ) -> list[OutboxEntry]:
        """Newest first (the roles that run the interfaces; not clinicians, cli.md)."""
        actor.require(Permission.INTERFACES)
        with self._ctx.uow(read_only=True) as uow:
            return uow.outbox.entries(statuses=statuses, accession=accession, limit=limit)

    def deliver_due(
        self,
        actor: str = SYSTEM_USER,
        *,
        accession: str | None = None,
        ignore_backoff: bool = False,
    ) -> list[Delivery]:
        """Send every message that is due, oldest first, until nothing more is due (a
        message waiting behind an earlier one for the same case and destination goes
        once that one is sent); each message is tried at most once per call."""
        deliveries: list[Delivery] = []
        tried: set[int] = set()
        while True:
            with self._ctx.uow(read_only=True) as uow:
                due = uow.outbox.due(
                    self._ctx.clock.now(), accession=accession, ignore_backoff=ignore_backoff
                )
            batch = []
            for entry in due:
                if entry.id in tried:
                    continue
                tried.add(entry.id)
                delivery = self.deliver(entry.id, actor)
                if delivery is not None:
                    batch.append(delivery)
            deliveries += batch
            if not any(delivery.outcome == "sent" for delivery in batch):
                return deliveries

    def retry(self, actor: User, *, accession: str | None = None) -> list[Delivery]:
        """`outbox --retry`: failed messages are queued again and everything queued is
        sent now, without waiting for its back-off."""
        actor.require(Permission.INTERFACES)
        with self._ctx.uow() as uow:
            again = uow.outbox.requeue_failed(accession=accession)
            for entry in again:
                uow.record(
                    AuditEntry(
                        "transmit-retry",
                        actor.username,
                        entry.accession,
                        {"control_id": entry.control_id, "destination": entry.destination},
                    )
                )
            uow.commit()
        return self.deliver_due(actor.username, accession=accession, ignore_backoff=True)

    def deliver(self, entry_id: int, actor: str = SYSTEM_USER) -> Delivery | None:
        """Claim one message, send it, record the ACK. None when another sender has it."""
        now = self._ctx.clock.now()
        with self._ctx.uow() as uow:
            claimed = uow.outbox.claim(entry_id, now=now, lease_until=now + LEASE)
            settings = uow.settings.load() if claimed else None
            refusal = _not_as_signed(uow, *claimed) if claimed else None
            uow.commit()
        if claimed is None or settings is None:
            return None
        entry, message = claimed
        if refusal is not None:
            return self._refuse(entry, refusal, actor)
        host, port = _current_address(entry, settings)
        outcome: Outcome
        status: OutboxStatus
        ack_code: str | None = None
        try:
            ack = hl7v2.read_ack(self._client.exchange(host, port, message))
            if ack.control_id and ack.control_id != entry.control_id:
                raise MllpError(f"the ACK acknowledges {ack.control_id}, not {entry.control_id}")
        except (MllpError, hl7v2.Er7Error) as error:
            text = str(error) if isinstance(error, MllpError) else f"unreadable ACK ({error})"
            if entry.attempts >= MAX_ATTEMPTS:
                outcome, status, next_at = "failed", "failed", None
                text = f"{text}; gave up after {entry.attempts} attempts"
            else:
                outcome, status = "retry", "queued"
                next_at = self._ctx.clock.now() + backoff(entry.attempts)
        else:
            ack_code = ack.code
            if ack.accepted:
                outcome, status, next_at, text = "sent", "sent", None, ack.text or "accepted"
            else:
                outcome, status, next_at = "rejected", "failed", None
                text = f"{ack.code}: {ack.text or 'no reason given'}"
        at = self._ctx.clock.now()
        with self._ctx.uow() as uow:
            uow.outbox.finish(
                entry.id,
                status=status,
                at=at,
                ack_code=ack_code,
                error=None if status == "sent" else text,
                next_attempt_at=next_at,
            )
            uow.record(
                AuditEntry(
                    "transmit",
                    actor,
                    entry.accession,
                    {
                        "destination": entry.destination,
                        "address": f"{host}:{port}",
                        "control_id": entry.control_id,
                        "version": entry.version_number,
                        "event": entry.event,
                        "attempt": entry.attempts,
                        "outcome": outcome,
                        "ack": ack_code,
                        "text": text[:500],
                    },
                )
            )
            uow.commit()
        finished = replace(
            entry,
            host=host,
            port=port,
            status=status,
            ack_code=ack_code,
            error=None if status == "sent" else text,
            sent_at=at if status == "sent" else None,
            next_attempt_at=next_at,
        )
        return Delivery(finished, outcome, text)

    def _refuse(self, entry: OutboxEntry, reason: str, actor: str) -> Delivery:
        """A message that is not what was signed is never sent: failed, and audited."""
        at = self._ctx.clock.now()
        with self._ctx.uow() as uow:
            uow.outbox.finish(
                entry.id, status="failed", at=at, ack_code=None, error=reason, next_attempt_at=None
            )
            uow.record(
                AuditEntry(
                    "refused",
                    actor,
                    entry.accession,
                    {"action": "transmit", "reason": reason, "control_id": entry.control_id},
                )
            )
            uow.commit()
        return Delivery(replace(entry, status="failed", error=reason), "failed", reason)

    def send_to(self, actor: User, accession: str, name: str) -> Delivery:
        """`send ACCESSION --to NAME`: the latest result to a configured destination, now
        (every role that sees issued reports)."""
        try:
            actor.require(Permission.SEE_ISSUED)
            destinations = {d.name: d for d in self._settings().destinations or ()}
            destination = destinations.get(name)
            if destination is None:
                known = ", ".join(sorted(destinations)) or "none is configured"
                raise NotFound(f"send: no destination named {name} ({known})")
            route = Route(destination.name, destination.host, destination.port, destination)
            return self._send(actor, accession, route)
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, f"send to {name}", str(refusal), accession)
            raise

    def send_to_address(self, actor: User, accession: str, host: str, port: int) -> Delivery:
        """`send ACCESSION --mllp HOST:PORT` (admins): the latest result to an address
        that is not a configured destination. It gets this one message; later versions
        of the case never follow it there."""
        address = f"{host}:{port}"
        try:
            actor.require(Permission.DESTINATIONS)
            configured = next(
                (d for d in self._settings().destinations or () if d.address == address), None
            )
            route = (
                Route(configured.name, host, port, configured)
                if configured
                else Route(address, host, port)
            )
            return self._send(actor, accession, route)
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, f"send to {address}", str(refusal), accession)
            raise

    def _settings(self) -> LabSettings:
        with self._ctx.uow(read_only=True) as uow:
            return uow.settings.load()

    def _send(self, actor: User, accession: str, route: Route) -> Delivery:
        """A message still queued for the same version and route is sent (same MSH-10);
        otherwise a new one is queued and sent (a rejected one is superseded). A
        connection failure leaves it queued, so the outbox keeps trying."""
        if self._ctx.interfaces is None:
            raise Refused("send: HL7 messages are not available in this installation")
        with self._ctx.uow() as uow:
            case = uow.cases.get(accession, for_update=True)
            issued_only = not actor.can(Permission.SEE_WORKING)
            if issued_only and (case is None or case.issued_count == 0):
                raise NotFound(f"{accession}: no issued report")  # never "it is a draft"
            if case is None:
                raise NotFound(f"{accession}: no such case")
            versions = issued_for_use(uow, case, None, done="sent")
            if not versions:
                raise Refused(
                    f"{accession}: cannot send: nothing was issued yet "
                    f"(the case is {case.status.value})"
                )
            pending = [
                e
                for e in uow.outbox.entries(statuses=("queued",), accession=accession)
                if e.destination == route.name and e.version_number == versions[-1].number
            ]
            if pending:
                entry_id = pending[0].id
            else:
                cancellation = None
                if case.status is Status.CANCELLED:
                    cancellation = Cancellation(
                        reason=case.closing_reason or "", at=case.updated_at, by=case.updated_by
                    )
                entry_id = _enqueue(
                    self._ctx,
                    uow,
                    case,
                    versions,
                    [route],
                    actor.username,
                    cancellation=cancellation,
                    manual=True,
                )[0]
            uow.commit()
        delivery = self.deliver(entry_id, actor.username)
        if delivery is None:
            raise Refused(f"{accession}: another workstation is sending this message right now")
        return delivery


def _not_as_signed(uow: UnitOfWork, entry: OutboxEntry, message: str) -> str | None:
    """Why a claimed message must not go out (its PDF is not the one signed), or None."""
    signed = SignedVersions(uow, entry.accession, done="sent")
    try:
        record = signed.record(entry.version_number)
    except Refused as refusal:
        return str(refusal)
    problem = message_problem(message, record, carries_pdf=entry.event != "cancellation")
    return None if problem is None else str(signed.refuse(entry.version_number, problem))


def _current_address(entry: OutboxEntry, settings: LabSettings) -> tuple[str, int]:
    """A configured destination's address as set today (the engine may have moved)."""
    for destination in settings.destinations or ():
        if destination.name == entry.destination:
            return destination.host, destination.port
    return entry.host, entry.port


def needs_attention(entries: Iterable[OutboxEntry]) -> list[OutboxEntry]:
    """What the lab should look at: failed messages and queued ones that already failed
    at least once (the receiver is down)."""
    return [e for e in entries if e.status == "failed" or (e.status == "queued" and e.attempts)]
