"""Drafts sent for review and who has a case open: the rows behind the sign-out bench."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from marrowpath.db.models import CasePresenceRow, CaseReviewRow, UserRow
from marrowpath.domain.bench import Presence, ReviewRequest


class SqlReviewRepository:
    """One review request per case: sending again replaces it, signing removes it."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, case_id: int) -> ReviewRequest | None:
        row = self._session.execute(
            select(CaseReviewRow, UserRow.full_name)
            .outerjoin(UserRow, UserRow.username == CaseReviewRow.resident)
            .where(CaseReviewRow.case_id == case_id)
        ).first()
        if row is None:
            return None
        review, full_name = row
        return ReviewRequest(
            resident=review.resident,
            resident_name=full_name or review.resident,
            attending=review.attending,
            sent_at=review.sent_at,
            text=dict(review.text),
        )

    def put(
        self, case_id: int, *, resident: str, attending: str, at: datetime, text: dict[str, Any]
    ) -> None:
        self._session.execute(delete(CaseReviewRow).where(CaseReviewRow.case_id == case_id))
        self._session.add(
            CaseReviewRow(
                case_id=case_id, resident=resident, attending=attending, sent_at=at, text=text
            )
        )
        self._session.flush()

    def remove(self, case_id: int) -> bool:
        result = self._session.execute(
            delete(CaseReviewRow).where(CaseReviewRow.case_id == case_id)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


class SqlPresenceRepository:
    """One row per case, user and workstation; `since` stays, `seen_at` moves on."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def touch(self, case_id: int, username: str, workstation: str, *, at: datetime) -> None:
        key = (
            CasePresenceRow.case_id == case_id,
            CasePresenceRow.username == username,
            CasePresenceRow.workstation == workstation,
        )
        result = self._session.execute(update(CasePresenceRow).where(*key).values(seen_at=at))
        if not result.rowcount:  # type: ignore[attr-defined]
            self._session.add(
                CasePresenceRow(
                    case_id=case_id,
                    username=username,
                    workstation=workstation,
                    since=at,
                    seen_at=at,
                )
            )
            self._session.flush()

    def release(self, case_id: int, username: str, workstation: str) -> None:
        self._session.execute(
            delete(CasePresenceRow).where(
                CasePresenceRow.case_id == case_id,
                CasePresenceRow.username == username,
                CasePresenceRow.workstation == workstation,
            )
        )

    def of_case(self, case_id: int) -> list[Presence]:
        rows = self._session.execute(
            select(CasePresenceRow, func.coalesce(UserRow.full_name, CasePresenceRow.username))
            .outerjoin(UserRow, UserRow.username == CasePresenceRow.username)
            .where(CasePresenceRow.case_id == case_id)
            .order_by(CasePresenceRow.since, CasePresenceRow.workstation)
        ).all()
        return [
            Presence(
                username=row.username,
                full_name=full_name,
                workstation=row.workstation,
                since=row.since,
                seen_at=row.seen_at,
            )
            for row, full_name in rows
        ]

    def expire(self, before: datetime) -> int:
        result = self._session.execute(
            delete(CasePresenceRow).where(CasePresenceRow.seen_at < before)
        )
        return int(result.rowcount)  # type: ignore[attr-defined]
