"""The record of patient merges: kept after an unmerge, which closes it (never deleted)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from marrowpath.db.models import PatientMergeRow
from marrowpath.services.ports import PatientMerge, PatientRecord


def _merge(row: PatientMergeRow) -> PatientMerge:
    return PatientMerge(
        id=row.id,
        from_patient_id=row.from_patient_id,
        into_patient_id=row.into_patient_id,
        from_mrn=row.from_mrn,
        into_mrn=row.into_mrn,
        reason=row.reason,
        case_ids=tuple(int(case_id) for case_id in row.case_ids),
        merged_by=row.merged_by,
        merged_at=row.merged_at,
    )


class SqlPatientMergeRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(
        self,
        *,
        from_patient: PatientRecord,
        into_patient: PatientRecord,
        reason: str,
        case_ids: Sequence[int],
        by: str,
        at: datetime,
    ) -> PatientMerge:
        row = PatientMergeRow(
            from_patient_id=from_patient.id,
            into_patient_id=into_patient.id,
            from_mrn=from_patient.mrn,
            into_mrn=into_patient.mrn,
            reason=reason,
            case_ids=list(case_ids),
            merged_by=by,
            merged_at=at,
        )
        self._session.add(row)
        self._session.flush()
        return _merge(row)

    def active(self, from_patient_id: int) -> PatientMerge | None:
        """The merge of this registration that has not been undone, if any."""
        row = self._session.scalar(
            select(PatientMergeRow)
            .where(
                PatientMergeRow.from_patient_id == from_patient_id,
                PatientMergeRow.unmerged_at.is_(None),
            )
            .order_by(PatientMergeRow.id.desc())
        )
        return _merge(row) if row else None

    def close(self, merge_id: int, *, by: str, at: datetime) -> None:
        self._session.execute(
            update(PatientMergeRow)
            .where(PatientMergeRow.id == merge_id)
            .values(unmerged_by=by, unmerged_at=at)
        )
