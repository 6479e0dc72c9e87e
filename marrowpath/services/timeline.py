"""A patient's timeline of marrows (`timeline MRN`, the Patient panel).

Read in one transaction: the patient's cases and the latest issued version of each (one
query each), the values, measurements and therapy periods taken by `domain/timeline.py`
from each plotted version. Those who see issued reports only (clinicians) never learn of
a case with nothing issued. Audited as a view.
"""

from __future__ import annotations

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.errors import NotFound
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.text import display_name
from marrowpath.domain.timeline import (
    UNPLOTTED,
    PriorMarrow,
    Timeline,
    TimelineEntry,
    course_therapy,
    entry_order,
    prior_marrows,
    therapy_of,
    values_of,
)
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion
from marrowpath.services.context import ServiceContext
from marrowpath.services.ports import CaseRecord, PatientCase, UnitOfWork


class TimelineService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def timeline(self, actor: User, mrn: str) -> Timeline:
        """The patient's cases by procedure date; a merged MRN gives the surviving
        patient's timeline."""
        actor.require(Permission.SEE_ISSUED)
        sees_drafts = actor.can(Permission.SEE_WORKING)
        mrn = mrn.strip()
        with self._ctx.uow() as uow:
            patient = uow.patients.by_mrn(mrn)
            if patient is not None and patient.merged_into_id is not None:
                patient = uow.patients.get(patient.merged_into_id)
            cases = uow.cases.listed_for_patient(patient.id) if patient else []
            if not sees_drafts:
                cases = [case for case in cases if case.issued_count > 0]
            if patient is None or (not cases and not sees_drafts):
                # the same answer for an unknown MRN as for a patient with nothing issued
                raise NotFound(
                    f"{mrn}: no patient with this MRN"
                    if sees_drafts
                    else (f"{mrn}: no issued report for this MRN")
                )
            entries = _entries(uow, cases)
            uow.record(AuditEntry("view", actor.username, None, {"timeline": patient.mrn}))
            uow.commit()
        return Timeline(
            mrn=patient.mrn,
            patient_name=display_name(patient.family_name, patient.given_names),
            entries=tuple(sorted(entries, key=entry_order)),
            therapy=course_therapy(entries),
        )


def _entries(uow: UnitOfWork, cases: list[PatientCase]) -> list[TimelineEntry]:
    latest = uow.versions.latest([case.id for case in cases])
    return [_entry(case, latest.get(case.id)) for case in cases]


def _entry(case: PatientCase, version: IssuedVersion | None) -> TimelineEntry:
    if version is None:  # nothing issued: listed with its working date, no values
        return TimelineEntry(
            accession=case.accession,
            procedure_date=case.procedure_date,
            status=case.status,
            version=None,
            values=None,
            diagnosis=case.diagnosis,
        )
    document = version.content.document
    shown = case.status not in UNPLOTTED and version.kind is not VersionKind.WITHDRAWAL
    return TimelineEntry(
        accession=case.accession,
        procedure_date=document.procedure.date,
        status=case.status,
        version=version.number,
        values=values_of(document, version.content.settings) if shown else None,
        diagnosis=document.diagnosis.lines[0] if shown else "",
        therapy=therapy_of(document) if shown else (),
    )


def prior_marrows_for(
    uow: UnitOfWork, case: CaseRecord, document: CaseDocument
) -> tuple[PriorMarrow, ...] | None:
    """What a version signed now prints under "Prior marrows at this laboratory": the
    patient's earlier issued marrows as issued today (None when there are none)."""
    if case.patient is None:
        return None
    others = [c for c in uow.cases.listed_for_patient(case.patient.id) if c.id != case.id]
    priors = prior_marrows(_entries(uow, others), case.accession, document.procedure.date)
    return priors or None
