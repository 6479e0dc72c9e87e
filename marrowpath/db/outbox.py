"""The outbox of result messages and the log of received orders, over one session.

A sender claims a message with a conditional UPDATE (only one workstation wins it) and
commits before it opens a socket, so no database transaction waits on the network.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from marrowpath.db.models import OutboxRow, ReceivedOrderRow
from marrowpath.services.ports import NewOutboxMessage, OutboxEntry, OutboxStatus


def _entry(row: OutboxRow) -> OutboxEntry:
    return OutboxEntry(
        id=row.id,
        case_id=row.case_id,
        accession=row.accession,
        version_number=row.version_number,
        event=row.event,
        destination=row.destination,
        host=row.host,
        port=row.port,
        control_id=row.control_id,
        status=row.status,  # type: ignore[arg-type]
        attempts=row.attempts,
        created_at=row.created_at,
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        sent_at=row.sent_at,
        ack_code=row.ack_code,
        error=row.error,
    )


class SqlOutboxRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, message: NewOutboxMessage) -> int:
        row = OutboxRow(
            case_id=message.case_id,
            accession=message.accession,
            version_number=message.version_number,
            event=message.event,
            destination=message.destination,
            host=message.host,
            port=message.port,
            control_id=message.control_id,
            message=message.message,
            status="queued",
            attempts=0,
            created_at=message.created_at,
        )
        self._session.add(row)
        self._session.flush()
        return row.id

    def entries(
        self,
        *,
        statuses: tuple[OutboxStatus, ...] = (),
        accession: str | None = None,
        limit: int | None = None,
    ) -> list[OutboxEntry]:
        statement = select(OutboxRow).order_by(OutboxRow.id.desc())
        if statuses:
            statement = statement.where(OutboxRow.status.in_(statuses))
        if accession:
            statement = statement.where(OutboxRow.accession == accession)
        if limit is not None:
            statement = statement.limit(limit)
        return [_entry(row) for row in self._session.scalars(statement)]

    def routes_for_case(self, case_id: int) -> list[tuple[str, str, int]]:
        """Every destination that was sent (or was to be sent) a message for the case,
        with the address used most recently."""
        rows = self._session.execute(
            select(OutboxRow.destination, OutboxRow.host, OutboxRow.port)
            .where(OutboxRow.case_id == case_id)
            .order_by(OutboxRow.id)
        )
        routes: dict[str, tuple[str, str, int]] = {}
        for destination, host, port in rows:
            routes[destination] = (destination, host, port)
        return list(routes.values())

    def supersede_failed(self, case_id: int, destination: str) -> int:
        result = self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.case_id == case_id,
                OutboxRow.destination == destination,
                OutboxRow.status == "failed",
            )
            .values(status="superseded", next_attempt_at=None)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def due(
        self, now: datetime, *, accession: str | None = None, ignore_backoff: bool = False
    ) -> list[OutboxEntry]:
        """Messages to send now, oldest first; a message waits while an older one for
        the same case and destination is still queued or being sent (order is kept)."""
        statement = (
            select(OutboxRow)
            .where(OutboxRow.status.in_(("queued", "sending")))
            .order_by(OutboxRow.id)
        )
        if accession:
            statement = statement.where(OutboxRow.accession == accession)
        seen: set[tuple[int, str]] = set()
        due: list[OutboxEntry] = []
        for row in self._session.scalars(statement):
            key = (row.case_id, row.destination)
            if key in seen:
                continue
            seen.add(key)
            if row.status == "sending":
                ready = row.lease_until is None or row.lease_until <= now
            else:
                ready = ignore_backoff or row.next_attempt_at is None or row.next_attempt_at <= now
            if ready:
                due.append(_entry(row))
        return due

    def claim(
        self, entry_id: int, *, now: datetime, lease_until: datetime
    ) -> tuple[OutboxEntry, str] | None:
        result = self._session.execute(
            update(OutboxRow)
            .where(
                OutboxRow.id == entry_id,
                or_(
                    OutboxRow.status == "queued",
                    and_(
                        OutboxRow.status == "sending",
                        or_(OutboxRow.lease_until.is_(None), OutboxRow.lease_until <= now),
                    ),
                ),
            )
            .values(
                status="sending",
                lease_until=lease_until,
                last_attempt_at=now,
                attempts=OutboxRow.attempts + 1,
            )
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return None
        row = self._session.get(OutboxRow, entry_id, populate_existing=True)
        assert row is not None
        return _entry(row), row.message

    def finish(
        self,
        entry_id: int,
        *,
        status: OutboxStatus,
        at: datetime,
        ack_code: str | None,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> None:
        values: dict[str, Any] = {
            "status": status,
            "lease_until": None,
            "ack_code": ack_code,
            "error": error,
            "next_attempt_at": next_attempt_at,
        }
        if status == "sent":
            values["sent_at"] = at
        self._session.execute(
            update(OutboxRow)
            .where(OutboxRow.id == entry_id, OutboxRow.status == "sending")
            .values(**values)
        )

    def requeue_failed(self, *, accession: str | None = None) -> list[OutboxEntry]:
        statement = select(OutboxRow).where(OutboxRow.status == "failed")
        if accession:
            statement = statement.where(OutboxRow.accession == accession)
        rows = list(self._session.scalars(statement.with_for_update()))
        for row in rows:
            row.status = "queued"
            row.next_attempt_at = None
        self._session.flush()
        return [_entry(row) for row in rows]


class SqlReceivedOrderRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def accession_for(self, placer_order_number: str) -> str | None:
        return self._session.scalar(
            select(ReceivedOrderRow.accession).where(
                ReceivedOrderRow.placer_order_number == placer_order_number
            )
        )

    def add(
        self,
        *,
        received_at: datetime,
        control_id: str,
        sender: str,
        message_type: str,
        placer_order_number: str | None,
        case_id: int,
        accession: str,
    ) -> None:
        self._session.add(
            ReceivedOrderRow(
                received_at=received_at,
                control_id=control_id[:199],
                sender=sender[:200],
                message_type=message_type[:20],
                placer_order_number=placer_order_number,
                case_id=case_id,
                accession=accession,
            )
        )
        self._session.flush()
