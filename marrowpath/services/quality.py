"""The laboratory's quality records (`bench.md` section 1): second observers' counts and
their concordance with the differential reported, for `marrowpath qc second-counts`.

Read in one transaction from the working documents (a second count is recorded on the
case while it is worked on, and a signed case's working document is what was signed);
the concordance is `domain/concordance.py`'s, the same the editor shows. Audited as an
export: the QC list names cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.concordance import Concordance, concordance
from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import Permission, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import SecondCountCase


@dataclass(frozen=True)
class SecondCountRecord:
    """One case's second count against its reported differential."""

    accession: str
    status: Status
    procedure_date: date | None
    counted_by: str  # who counted the reported differential ("" when not recorded)
    method: str
    second_counted_by: str
    second_method: str
    concordance: Concordance


class QualityService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def second_counts(
        self, actor: User, *, start: date | None = None, end: date | None = None
    ) -> list[SecondCountRecord]:
        """Every case with a second observer's count, by procedure date (within
        `start`..`end` when given), each with its concordance."""
        actor.require(Permission.SEE_WORKING)
        if start is not None and end is not None and start > end:
            raise Refused(f"qc second-counts: --from {start} is after --to {end}")
        with self._ctx.uow() as uow:
            records = [_record(case) for case in uow.cases.with_second_count(start, end)]
            detail = {"qc": "second-counts", "cases": len(records)}
            uow.record(AuditEntry("export", actor.username, None, detail))
            uow.commit()
        return records


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _counts(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _record(case: SecondCountCase) -> SecondCountRecord:
    aspirate = case.aspirate
    count = _counts(aspirate.get("count"))
    second = _counts(aspirate.get("second_count"))
    return SecondCountRecord(
        accession=case.accession,
        status=case.status,
        procedure_date=case.procedure_date,
        counted_by=_text(count.get("counted_by")),
        method=_text(count.get("method")),
        second_counted_by=_text(second.get("counted_by")),
        second_method=_text(second.get("method")),
        concordance=concordance(
            _counts(aspirate.get("differential")), _counts(second.get("differential"))
        ),
    )
