"""A generated case's steps replayed without the services: the versions they issue, with
the same documents and hashes, and the columns stored with the case.

Runs in worker processes for large loads (`demo.loader`), so everything here is plain
data in and out: no database, no clock (the signing time is handed in).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marrowpath.demo.model import DemoCase, DemoStep
from marrowpath.domain.canonical import canonical_json, sha256_hex
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.lifecycle import MEANING, STATUS_AFTER, AmendmentReason, Status, VersionKind
from marrowpath.domain.people import usernames_in
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import User
from marrowpath.domain.validation import parse_case
from marrowpath.domain.versions import VersionContent
from marrowpath.services.documents import case_write, merge_ancillary, parse_ancillary
from marrowpath.services.ports import CaseWrite, NewVersion


@dataclass(frozen=True)
class Replayed:
    """A generated case with its steps replayed, as plain data for the writer (it comes
    back from a worker process pickled, so no models): the final document and status,
    the versions issued on the way (signed at `at`, each with the canonical JSON it was
    hashed from), the columns to store (the patient is resolved when the batch is
    written), and what its audit events name."""

    accession: str
    mrn: str
    working: dict[str, Any]
    write: CaseWrite
    issued: list[NewVersion]
    issued_write: CaseWrite | None
    status: Status
    at: datetime
    assigned_pathologist: str
    resident: str | None
    cancel_reason: str | None


def replay_batch(
    batch: list[DemoCase],
    users: dict[str, User],
    settings: LabSettings,
    now: datetime,
    today: date,
) -> list[Replayed]:
    # the settings snapshot every version of the batch carries, dumped once
    snapshot = settings.model_dump(mode="json", exclude_none=True)
    return [_replayed(demo, users, settings, snapshot, now, today) for demo in batch]


def _replayed(
    demo: DemoCase,
    users: dict[str, User],
    settings: LabSettings,
    snapshot: dict[str, Any],
    now: datetime,
    today: date,
) -> Replayed:
    document, contents, status = _replay(users, demo, settings, now, today)
    dumps: dict[int, dict[str, Any]] = {}  # by document object: versions share documents

    def dumped(of: CaseDocument) -> dict[str, Any]:
        if id(of) not in dumps:
            dumps[id(of)] = of.to_json_dict()
        return dumps[id(of)]

    issued: list[NewVersion] = []
    for content in contents:
        canonical = canonical_json(content.stored_reusing(dumped(content.document), snapshot))
        issued.append(
            NewVersion(
                number=content.number,
                kind=content.kind,
                signed_by=content.signed_by,
                signed_at=content.signed_at,
                sha256=sha256_hex(canonical),
                content_json=canonical.decode("utf-8"),
            )
        )
    working = dumped(document)
    write = case_write(working, None, document)
    cancel = next((s.reason for s in demo.steps if s.action == "cancel"), None)
    return Replayed(
        accession=str(demo.document["accession"]),
        mrn=document.patient.mrn,
        working=working,
        write=write,
        issued=issued,
        issued_write=_issued_write(contents, document, write, dumped),
        status=status,
        at=now,
        assigned_pathologist=demo.assigned_pathologist,
        resident=demo.resident,
        cancel_reason=(cancel or "Cancelled.") if status is Status.CANCELLED else None,
    )


def _replay(
    users: dict[str, User], demo: DemoCase, settings: LabSettings, now: datetime, today: date
) -> tuple[CaseDocument, list[VersionContent], Status]:
    """A case's steps as the versions they issue, without going through each service."""
    accession = str(demo.document["accession"])
    document = parse_case(demo.document, today=today).findings()
    issued: list[VersionContent] = []
    status = Status.DRAFT
    for step in demo.steps:
        if step.action == "cancel":
            status = Status.CANCELLED
            continue
        signer = users[step.signer or demo.assigned_pathologist]
        kind, reason, category, text = _step_version(step)
        if step.action == "amend" and step.document is not None:
            document = parse_case(step.document, today=today).findings()
        if step.action == "addendum" and step.ancillary:
            document = merge_ancillary(document, parse_ancillary(step.ancillary, accession))
        content = VersionContent(
            accession=accession,
            number=len(issued) + 1,
            kind=kind,
            document=document,
            settings=settings,
            signed_by=signer.username,
            signer_name=signer.full_name,
            signer_credentials=signer.credentials,
            signed_at=now,
            meaning=MEANING[kind],
            reason_category=category,
            reason=reason,
            addendum_text=text,
            people={u: users[u].full_name for u in sorted(usernames_in(document)) if u in users}
            or None,
        )
        issued.append(content)
        status = STATUS_AFTER[kind]
    return document, issued, status


def _step_version(step: DemoStep) -> tuple[VersionKind, str | None, str | None, str | None]:
    if step.action == "sign_preliminary":
        return VersionKind.PRELIMINARY, None, None, None
    if step.action == "sign_final":
        return VersionKind.FINAL, None, None, None
    if step.action == "amend":
        category = AmendmentReason(step.reason_category or "other").value
        return VersionKind.AMENDMENT, step.reason or "Corrected.", category, None
    if step.action == "addendum":
        return VersionKind.ADDENDUM, None, None, step.text or "Addendum."
    return VersionKind.WITHDRAWAL, step.reason or "Entered in error.", None, None


def _issued_write(
    issued: list[VersionContent],
    working: CaseDocument,
    write: CaseWrite,
    dumped: Callable[[CaseDocument], dict[str, Any]],
) -> CaseWrite | None:
    """The issued columns of a bulk case: its latest version's (a case edited after a
    preliminary report shows clinicians the preliminary text). A replayed case ends on
    the document it last issued, so the working columns serve, computed once."""
    if not issued:
        return None
    document = issued[-1].document
    if document is working:
        return write
    return case_write(dumped(document), None, document)
