"""Patient records: correct a patient's identity, merge a duplicate registration, undo it.

Each action is one transaction over the patient rows (locked, in id order) and every
case they own: the working documents, the denormalised columns and the search keys
follow together, or nothing changes. Issued versions are never touched; the reports that
printed another identity are listed so that each can be amended (`misidentification`).

Two workstations at once: the rows are locked and read anew, and each action compares
what it finds with what its user saw (`expected`); the second one is told and changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, ParamSpec, TypeVar

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import ConcurrentChange, NotFound, Refused
from marrowpath.domain.lifecycle import AFTER_FINAL, VersionKind
from marrowpath.domain.patients import (
    FieldChange,
    Identity,
    birth_date_problem,
    changes_between,
    corrected_identity,
    printed_differences,
)
from marrowpath.domain.users import Permission, User
from marrowpath.domain.validation import parse_case
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import (
    case_search_key,
    case_write,
    patient_block,
    require_text,
    with_patient,
)
from marrowpath.services.ports import CaseRecord, PatientRecord, UnitOfWork

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class PrintedReport:
    """An issued report whose current version printed another identity than the
    patient's now: a candidate for an amendment (`misidentification`)."""

    accession: str
    version: int
    differences: tuple[FieldChange, ...]

    @property
    def text(self) -> str:
        return "; ".join(f"{d.label} {d.was}" for d in self.differences)


@dataclass(frozen=True)
class PatientChange:
    """What a correction, merge or unmerge did."""

    patient: PatientRecord
    changes: tuple[FieldChange, ...]
    cases: tuple[str, ...]  # accessions whose working document changed
    printed: tuple[PrintedReport, ...]


def identity_of(patient: PatientRecord) -> Identity:
    return Identity(patient.family_name, patient.given_names, patient.birth_date, patient.sex)


def _refusals_audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record a refusal of this action in the audit trail (its own transaction)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except Refused as refusal:
                service, actor = args[0], args[1]
                assert isinstance(service, PatientService) and isinstance(actor, User)
                service._ctx.record_refusal(actor.username, action, str(refusal))
                raise

        wrapper.__doc__ = method.__doc__
        return wrapper

    return decorate


class PatientService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def patient(self, actor: User, mrn: str) -> PatientRecord:
        """The stored patient with this MRN (for a correction or merge dialog)."""
        if not (actor.can(Permission.CORRECT_PATIENTS) or actor.can(Permission.MERGE_PATIENTS)):
            actor.require(Permission.CORRECT_PATIENTS)
        with self._ctx.uow(read_only=True) as uow:
            return _known(uow.patients.by_mrn(mrn.strip()), mrn)

    # ------------------------------------------------------------------ correction

    @_refusals_audited("correct a patient")
    def correct(
        self,
        actor: User,
        mrn: str,
        *,
        reason: str,
        family_name: str | None = None,
        given_names: str | None = None,
        birth_date: str | date | None = None,
        sex: str | None = None,
        expected: PatientRecord | None = None,
    ) -> PatientChange:
        """Correct the name, birth date or sex of a patient, with a reason.

        Args:
            expected: the patient as the user saw it; if another workstation changed or
                merged it since, the correction is refused (reload and decide again).
        """
        actor.require(Permission.CORRECT_PATIENTS)
        reason = require_text(reason, "the reason", mrn)
        with self._ctx.uow() as uow:
            patient = _known(uow.patients.lock(mrn), mrn)
            _require_unmerged(uow, patient)
            _require_as_seen(patient, expected)
            before = identity_of(patient)
            after = corrected_identity(
                mrn,
                before,
                family_name=family_name,
                given_names=given_names,
                birth_date=birth_date,
                sex=sex,
            )
            changes = changes_between(before, after)
            if not changes:
                raise Refused(f"{mrn}: the correction changes nothing")
            cases = uow.cases.of_patient(patient.id, for_update=True)
            problem = birth_date_problem(
                mrn, after.birth_date, _procedures(cases), self._ctx.clock.today()
            )
            if problem:
                raise Refused(problem)
            corrected = replace(
                patient,
                family_name=after.family_name,
                given_names=after.given_names,
                birth_date=after.birth_date,
                sex=after.sex,
            )
            uow.patients.update(
                patient.id,
                family_name=after.family_name,
                given_names=after.given_names,
                birth_date=after.birth_date,
                sex=after.sex,
                search_key=case_search_key({"patient": patient_block(corrected)}, None),
            )
            moved = self._follow(uow, actor, cases, corrected, "patient-correct")
            printed = _printed(uow, cases, corrected)
            uow.record(
                AuditEntry(
                    "patient-correct",
                    actor.username,
                    None,
                    {
                        "mrn": mrn,
                        "reason": reason,
                        "changes": [
                            {"field": c.field, "was": c.was, "now": c.now} for c in changes
                        ],
                        "cases": list(moved),
                        "printed": [p.accession for p in printed],
                    },
                )
            )
            uow.commit()
        return PatientChange(corrected, tuple(changes), moved, printed)

    # ------------------------------------------------------------------ merge

    @_refusals_audited("merge patients")
    def merge(
        self,
        actor: User,
        from_mrn: str,
        into_mrn: str,
        *,
        reason: str,
        expected: tuple[PatientRecord, PatientRecord] | None = None,
    ) -> PatientChange:
        """Merge a duplicate registration (FROM) into the surviving patient (INTO): its
        cases move to INTO's MRN; FROM's MRN stays searchable and the merge reversible."""
        actor.require(Permission.MERGE_PATIENTS)
        reason = require_text(reason, "the reason", from_mrn)
        if from_mrn == into_mrn:
            raise Refused(f"{from_mrn}: a patient cannot be merged into itself")
        with self._ctx.uow() as uow:
            source, target = _lock_pair(uow, from_mrn, into_mrn)
            for patient in (source, target):
                _require_unmerged(uow, patient)
            if expected is not None:
                _require_as_seen(source, expected[0])
                _require_as_seen(target, expected[1])
            source_cases = uow.cases.of_patient(source.id, for_update=True)
            target_cases = uow.cases.of_patient(target.id, for_update=True)
            _refuse_overlap(uow, source, target, source_cases, target_cases)
            survivor = replace(
                target,
                former_mrns=_unique((*target.former_mrns, source.mrn, *source.former_mrns)),
            )
            problem = birth_date_problem(
                into_mrn, survivor.birth_date, _procedures(source_cases), self._ctx.clock.today()
            )
            if problem:
                raise Refused(problem)
            uow.patients.update(source.id, merged_into_id=target.id)
            uow.patients.update(target.id, former_mrns=survivor.former_mrns)
            moved = self._follow(uow, actor, source_cases, survivor, "patient-merge")
            self._rekey(uow, target_cases, survivor)
            record = uow.merges.add(
                from_patient=source,
                into_patient=target,
                reason=reason,
                case_ids=[case.id for case in source_cases],
                by=actor.username,
                at=self._ctx.clock.now(),
            )
            printed = _printed(uow, source_cases, survivor)
            uow.record(
                AuditEntry(
                    "patient-merge",
                    actor.username,
                    None,
                    {
                        "from": from_mrn,
                        "into": into_mrn,
                        "merge": record.id,
                        "reason": reason,
                        "cases": [case.accession for case in source_cases],
                    },
                )
            )
            uow.commit()
        changes = tuple(changes_between(identity_of(source), identity_of(target)))
        return PatientChange(survivor, changes, moved, printed)

    @_refusals_audited("unmerge patients")
    def unmerge(self, actor: User, from_mrn: str) -> PatientChange:
        """Undo the merge of FROM: exactly the cases that moved go back to FROM's MRN."""
        actor.require(Permission.MERGE_PATIENTS)
        with self._ctx.uow() as uow:
            source = _known(uow.patients.by_mrn(from_mrn), from_mrn)
            merge = uow.merges.active(source.id) if source.merged_into_id is not None else None
            if merge is None:
                raise Refused(f"{from_mrn}: is not merged into another patient; nothing to undo")
            source, target = _lock_pair(uow, from_mrn, merge.into_mrn)
            if source.merged_into_id != target.id:
                raise ConcurrentChange(f"{from_mrn}: changed by another workstation; reload")
            _require_unmerged(uow, target)
            cases = uow.cases.by_ids(merge.case_ids, for_update=True)
            elsewhere = [
                c.accession for c in cases if c.patient is None or c.patient.id != target.id
            ]
            if elsewhere:
                raise Refused(
                    f"{elsewhere[0]}: moved to another patient since the merge of {from_mrn} "
                    f"into {merge.into_mrn}; the merge cannot be undone exactly"
                )
            absorbed = {source.mrn, *source.former_mrns}
            survivor = replace(
                target, former_mrns=tuple(m for m in target.former_mrns if m not in absorbed)
            )
            restored = replace(source, merged_into_id=None)
            uow.patients.update(source.id, merged_into_id=None)
            uow.patients.update(target.id, former_mrns=survivor.former_mrns)
            moved = self._follow(uow, actor, cases, restored, "patient-unmerge")
            staying = [c for c in uow.cases.of_patient(target.id) if c.id not in merge.case_ids]
            self._rekey(uow, staying, survivor)
            uow.merges.close(merge.id, by=actor.username, at=self._ctx.clock.now())
            printed = _printed(uow, cases, restored)
            uow.record(
                AuditEntry(
                    "patient-unmerge",
                    actor.username,
                    None,
                    {
                        "from": from_mrn,
                        "into": merge.into_mrn,
                        "merge": merge.id,
                        "cases": [case.accession for case in cases],
                    },
                )
            )
            uow.commit()
        return PatientChange(restored, (), moved, printed)

    # ------------------------------------------------------------------ the cases follow

    def _follow(
        self,
        uow: UnitOfWork,
        actor: User,
        cases: Iterable[CaseRecord],
        patient: PatientRecord,
        source: str,
    ) -> tuple[str, ...]:
        """Give each case this patient: its working document, columns and search keys
        (working and issued); returns the accessions whose working document changed."""
        now = self._ctx.clock.now()
        changed = []
        cases = list(cases)
        latest = uow.versions.latest([case.id for case in cases])
        for case in cases:
            working = with_patient(case.working, patient)
            uow.cases.update_working(
                case,
                case_write(working, patient, self._document_or_none(working)),
                user=actor.username,
                at=now,
            )
            if case.id in latest:
                issued = latest[case.id].content.document.to_json_dict()
                uow.cases.set_issued_search_key(case.id, issued_search_key(issued, patient))
            if working != case.working:
                changed.append(case.accession)
                uow.record(
                    AuditEntry(
                        "change",
                        actor.username,
                        case.accession,
                        {"source": source, "patient": patient_block(patient)},
                    )
                )
        return tuple(changed)

    def _rekey(self, uow: UnitOfWork, cases: Iterable[CaseRecord], patient: PatientRecord) -> None:
        """The search keys of cases that stay with the patient, whose MRNs changed (their
        documents do not change, so an editor open on one is not interrupted)."""
        cases = list(cases)
        latest = uow.versions.latest([case.id for case in cases])
        for case in cases:
            uow.cases.set_search_key(case.id, case_search_key(case.working, patient))
            if case.id in latest:
                issued = latest[case.id].content.document.to_json_dict()
                uow.cases.set_issued_search_key(case.id, issued_search_key(issued, patient))

    def _document_or_none(self, data: dict[str, Any]) -> Any:
        try:
            return parse_case(data, today=self._ctx.clock.today()).findings()
        except Refused:
            return None


def issued_search_key(issued: dict[str, Any], patient: PatientRecord) -> str:
    """What search matches for an issued case: the issued text (with the identity it
    printed) and the patient's identity now (corrected name, surviving and merged MRNs)."""
    now = case_search_key(with_patient(issued, patient), patient)
    if issued.get("patient") == patient_block(patient):
        return now
    return " | ".join([case_search_key(issued, None), now])


def _known(patient: PatientRecord | None, mrn: str) -> PatientRecord:
    if patient is None:
        raise NotFound(f"{mrn}: no patient with this MRN")
    return patient


def _require_unmerged(uow: UnitOfWork, patient: PatientRecord) -> None:
    if patient.merged_into_id is None:
        return
    survivor = uow.patients.get(patient.merged_into_id)
    into = survivor.mrn if survivor else "another patient"
    raise Refused(f"{patient.mrn}: was merged into {into}; work on {into}, or unmerge first")


def _require_as_seen(patient: PatientRecord, expected: PatientRecord | None) -> None:
    if expected is not None and patient != expected:
        raise ConcurrentChange(
            f"{patient.mrn}: the patient record was changed on another workstation since it "
            "was opened; reload it and decide again"
        )


def _lock_pair(uow: UnitOfWork, first: str, second: str) -> tuple[PatientRecord, PatientRecord]:
    """Both patients, locked in the order of their ids (two merges at once cannot wait
    for each other)."""
    a = _known(uow.patients.by_mrn(first), first)
    b = _known(uow.patients.by_mrn(second), second)
    locked = {}
    for patient in sorted((a, b), key=lambda p: p.id):
        locked[patient.id] = _known(uow.patients.lock(patient.mrn), patient.mrn)
    return locked[a.id], locked[b.id]


def _refuse_overlap(
    uow: UnitOfWork,
    source: PatientRecord,
    target: PatientRecord,
    source_cases: list[CaseRecord],
    target_cases: list[CaseRecord],
) -> None:
    """A case issued under both MRNs (a misidentification amendment moved it from one to
    the other) shows that the two are different people: no merge."""
    for cases, other in ((source_cases, target), (target_cases, source)):
        mrns = {other.mrn, *other.former_mrns}
        for case in cases:
            printed = {v.content.document.patient.mrn for v in uow.versions.list(case.id)}
            if printed & mrns:
                raise Refused(
                    f"{case.accession}: was issued under both {source.mrn} and {target.mrn} "
                    "(a misidentification was corrected between them); they are not one "
                    "patient, the merge is refused"
                )


def _procedures(cases: Iterable[CaseRecord]) -> list[tuple[str, date | None]]:
    result = []
    for case in cases:
        procedure = case.working.get("procedure")
        when = procedure.get("date") if isinstance(procedure, dict) else None
        try:
            result.append(
                (case.accession, date.fromisoformat(when) if isinstance(when, str) else None)
            )
        except ValueError:
            result.append((case.accession, None))
    return result


def _printed(
    uow: UnitOfWork, cases: Iterable[CaseRecord], patient: PatientRecord
) -> tuple[PrintedReport, ...]:
    """The final reports (final, amended, appended) whose current version printed another
    identity than the patient's now."""
    cases = [case for case in cases if case.status in AFTER_FINAL]
    latest = uow.versions.latest([case.id for case in cases])
    now = identity_of(patient)
    result = []
    for case in cases:
        version = latest.get(case.id)
        if version is None or version.kind is VersionKind.WITHDRAWAL:
            continue
        printed = version.content.document.patient
        differences = printed_differences(printed, now)
        if printed.mrn != patient.mrn:
            differences.insert(0, FieldChange("mrn", printed.mrn, patient.mrn))
        if differences:
            result.append(PrintedReport(case.accession, version.number, tuple(differences)))
    return tuple(result)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
