"""Exports for other systems: HL7 v2 and FHIR for one issued version, the de-identified
research CSV for all issued cases. Each is one audited action ("export").

The message builders come from `ServiceContext.interfaces` (filled by bootstrap with the
functions of `marrowpath.reports`); this module decides what goes in and who may have it.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from typing import Literal

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import NotFound, Refused
from marrowpath.domain.interfaces import Cancellation, ResearchRow, ResultRequest
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.types import nfc
from marrowpath.domain.users import Permission, User
from marrowpath.domain.versions import IssuedVersion, UnreadableVersion
from marrowpath.services.context import ServiceContext
from marrowpath.services.issued import issued_for_use
from marrowpath.services.outbox import new_control_id
from marrowpath.services.ports import CaseQuery, InterfaceBuilders, UnitOfWork

PSEUDONYM_SECRET = "research-pseudonym"
EXCLUDED_FROM_RESEARCH = (Status.CANCELLED, Status.ENTERED_IN_ERROR)


def pseudonym(secret: bytes, kind: str, value: str) -> str:
    """A keyed hash (HMAC-SHA-256, 64 bits shown): stable for the same value and secret,
    meaningless without the secret, which never leaves the database."""
    digest = hmac.new(secret, f"{kind}:{nfc(value).casefold()}".encode(), hashlib.sha256)
    return f"{kind[0].upper()}-{digest.hexdigest()[:16]}"


class InterfaceService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def _builders(self, what: str) -> InterfaceBuilders:
        if self._ctx.interfaces is None:
            raise Refused(f"export: {what} is not available in this installation")
        return self._ctx.interfaces

    def export_hl7(self, actor: User, accession: str, *, version: int | None = None) -> str:
        """The ORU^R01 message of the latest (or the given) issued version."""
        build = self._builders("HL7").hl7_result
        return self._export(actor, accession, version, "hl7", build)

    def export_fhir(self, actor: User, accession: str, *, version: int | None = None) -> str:
        """The FHIR R4 Bundle of the latest (or the given) issued version."""
        build = self._builders("FHIR").fhir_bundle
        return self._export(actor, accession, version, "fhir", build)

    def _export(
        self,
        actor: User,
        accession: str,
        number: int | None,
        kind: Literal["hl7", "fhir"],
        build: Callable[[ResultRequest], str],
    ) -> str:
        try:
            actor.require(Permission.SEE_ISSUED)
            with self._ctx.uow() as uow:
                request = self._request(uow, accession, number, actor)
                uow.record(
                    AuditEntry(
                        "export",
                        actor.username,
                        accession,
                        {"format": kind, "version": request.version.number},
                    )
                )
                text = build(request)
                uow.commit()
            return text
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, f"export {kind}", str(refusal), accession)
            raise

    def _request(
        self, uow: UnitOfWork, accession: str, number: int | None, actor: User
    ) -> ResultRequest:
        case = uow.cases.get(accession)
        if not actor.can(Permission.SEE_WORKING) and (case is None or case.issued_count == 0):
            raise NotFound(f"{accession}: no issued report")  # never "it is a draft"
        if case is None:
            raise NotFound(f"{accession}: no such case")
        versions = issued_for_use(uow, case, number, done="exported")
        if not versions:
            raise Refused(
                f"{accession}: HL7 and FHIR need an issued version; the case is "
                f"{case.status.value.replace('_', ' ')}"
            )
        latest = versions[-1].number == len(uow.versions.kinds(case.id))
        cancellation = None
        if case.status is Status.CANCELLED and latest:
            cancellation = Cancellation(
                reason=case.closing_reason or "", at=case.updated_at, by=case.updated_by
            )
        return ResultRequest(
            versions=versions,
            control_id=new_control_id(),
            created_at=self._ctx.clock.now(),
            cancellation=cancellation,
            patient_mrn=case.patient.mrn if case.patient else None,
        )

    def export_research_csv(self, actor: User) -> tuple[str, int]:
        """One row per issued case (its latest version), no identifiers; returns the CSV
        and the number of cases. Withdrawn and cancelled cases are left out: their
        findings may belong to another patient or were never final."""
        build = self._builders("the research export").research_csv
        try:
            actor.require(Permission.SEE_ISSUED)
            with self._ctx.uow() as uow:
                secret = uow.settings.secret(PSEUDONYM_SECRET)
                excluded = {
                    row.accession
                    for row in uow.cases.search(CaseQuery(statuses=EXCLUDED_FROM_RESEARCH))
                }
                latest: dict[str, IssuedVersion] = {}
                for version in uow.versions.all():
                    if isinstance(version, UnreadableVersion):
                        continue  # `audit verify` names it; its values cannot be read
                    accession = version.content.accession
                    if accession in excluded:
                        continue
                    if accession not in latest or version.number > latest[accession].number:
                        latest[accession] = version
                rows = [
                    ResearchRow(
                        patient=pseudonym(secret, "patient", v.content.document.patient.mrn),
                        case=pseudonym(secret, "case", accession),
                        version=v,
                    )
                    for accession, v in latest.items()
                    if v.kind is not VersionKind.WITHDRAWAL
                ]
                rows.sort(key=lambda row: row.case)  # not accession order, which dates cases
                text = build(rows)
                uow.record(
                    AuditEntry(
                        "export",
                        actor.username,
                        None,
                        {"format": "csv", "deidentified": True, "cases": len(rows)},
                    )
                )
                uow.commit()
            return text, len(rows)
        except Refused as refusal:
            self._ctx.record_refusal(actor.username, "export csv --deidentify", str(refusal))
            raise
