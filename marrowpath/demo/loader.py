"""`marrowpath demo`: users, the lab, and cases in every state, through the real services.

The showcase cases go through the same calls a pathologist makes (import, sign, amend,
addendum, withdraw, cancel), so their versions, PDFs and audit events are genuine. The
generated bulk cases (`--cases N`, for performance work up to 100,000) are written in
batches by a lean path: the same documents, versions and hashes, one audit event per
batch, and PDFs rendered on demand rather than at load time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from marrowpath.demo.bulk import bulk_cases
from marrowpath.demo.model import DemoCase, DemoStep
from marrowpath.demo.people import DEMO_LAB, DEMO_USERS
from marrowpath.demo.showcase import showcase_cases
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.errors import Refused
from marrowpath.domain.lifecycle import MEANING, STATUS_AFTER, AmendmentReason, Status, VersionKind
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Role, User
from marrowpath.domain.validation import parse_case
from marrowpath.domain.versions import IssuedVersion, VersionContent
from marrowpath.services.auth import AuthService
from marrowpath.services.cases import CaseService
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import (
    case_write,
    merge_ancillary,
    parse_ancillary,
    resolve_patients,
)
from marrowpath.services.lab import LabService
from marrowpath.services.ports import CaseWrite, NewCase, UnitOfWork

BATCH = 500


@dataclass(frozen=True)
class _Replayed:
    """A generated case with its steps replayed: the final document and status, and the
    versions issued on the way."""

    demo: DemoCase
    accession: str
    mrn: str
    document: CaseDocument
    working: dict[str, Any]
    issued: list[IssuedVersion]
    status: Status

    @classmethod
    def of(
        cls, demo: DemoCase, document: CaseDocument, issued: list[IssuedVersion], status: Status
    ) -> _Replayed:
        working = document.to_json_dict()
        return cls(demo, _accession(demo), document.patient.mrn, document, working, issued, status)


class DemoService:
    def __init__(
        self, context: ServiceContext, auth: AuthService, cases: CaseService, lab: LabService
    ) -> None:
        self._ctx = context
        self._auth = auth
        self._cases = cases
        self._lab = lab

    def ensure_users_and_lab(self) -> tuple[dict[str, User], bool]:
        """The demo users and whether the database was empty (so the showcase may load).

        An empty database gets the demo users and lab. On a database that has users the
        demo never signs anyone in and never adds or changes a user (running it again
        must not count failed sign-ins against a real account): it finds its users by
        name, or refuses when they are not there.
        """
        specs = [
            (
                User(
                    username=spec["username"],
                    full_name=spec["full_name"],
                    role=Role(spec["role"]),
                    credentials=spec.get("credentials"),
                ),
                spec["password"],
            )
            for spec in DEMO_USERS
        ]
        if self._auth.needs_first_user():
            self._auth.add_initial_users(specs, source="demo")
            users = {user.username: user for user, _password in specs}
            admin = next(user for user in users.values() if user.role == Role.ADMIN)
            if self._lab.settings().identity.missing_for_signing():
                self._lab.set_identity(admin, **DEMO_LAB)
            return users, True
        found = {user.username: self._auth.user(user.username) for user, _password in specs}
        missing = sorted(name for name, user in found.items() if user is None)
        if missing:
            raise Refused(
                f"demo: this database already has users and not the demo's "
                f"({', '.join(missing)} missing); run the demo on an empty database"
            )
        return {name: user for name, user in found.items() if user is not None}, False

    def load_showcase(self, users: dict[str, User], today: date) -> int:
        """The hand-written cases, each through the services; existing ones are skipped."""
        added = 0
        for demo in showcase_cases(today):
            accession = str(demo.document["accession"])
            with self._ctx.uow(read_only=True) as uow:
                if uow.cases.get(accession) is not None:
                    continue
            author = users[demo.resident] if demo.resident else users[demo.assigned_pathologist]
            self._cases.import_case(author, demo.document)
            self._cases.assign(
                author, accession, pathologist=demo.assigned_pathologist, resident=demo.resident
            )
            for step in demo.steps:
                self._apply(users, demo, step)
            added += 1
        return added

    def _apply(self, users: dict[str, User], demo: DemoCase, step: DemoStep) -> None:
        accession = str(demo.document["accession"])
        signer_name = step.signer or demo.assigned_pathologist
        signer = users[signer_name]
        password = _password(signer_name)
        cases = self._cases
        if step.action in ("sign_preliminary", "sign_final"):
            cases.sign(signer, accession, password, preliminary=step.action == "sign_preliminary")
        elif step.action == "amend":
            cases.amend(
                signer,
                accession,
                step.document,
                password,
                reason_category=step.reason_category or "other",
                reason=step.reason or "Corrected.",
            )
        elif step.action == "addendum":
            cases.addendum(
                signer, accession, password, text=step.text or "", ancillary=step.ancillary
            )
        elif step.action == "withdraw":
            cases.withdraw(signer, accession, password, reason=step.reason or "Entered in error.")
        elif step.action == "cancel":
            cases.cancel(signer, accession, reason=step.reason or "Cancelled.")

    def load_bulk(
        self,
        users: dict[str, User],
        count: int,
        today: date,
        progress: Callable[[int], None] = lambda _n: None,
    ) -> int:
        """Generated cases for performance work, `BATCH` per transaction."""
        added = 0
        batch: list[DemoCase] = []
        for demo in bulk_cases(count, today=today):
            batch.append(demo)
            if len(batch) == BATCH:
                added += self._write_batch(users, batch, today)
                progress(added)
                batch = []
        if batch:
            added += self._write_batch(users, batch, today)
            progress(added)
        return added

    def _write_batch(self, users: dict[str, User], batch: list[DemoCase], today: date) -> int:
        """One transaction: each case inserted once in its final state, with the rows and
        audit events the real paths would have left, in a few batched statements."""
        with self._ctx.uow() as uow:
            settings = uow.settings.load()
            now = self._ctx.clock.now()
            taken = uow.cases.existing([_accession(d) for d in batch])
            cases = [
                _Replayed.of(demo, *self._replay(users, demo, settings, now, today))
                for demo in batch
                if _accession(demo) not in taken
            ]
            patients = resolve_patients(uow, [(c.accession, c.working) for c in cases])
            new_cases = []
            for c in cases:
                write = case_write(c.working, patients.get(c.mrn), c.document)
                new_cases.append(
                    NewCase(
                        accession=c.accession,
                        write=write,
                        user=c.demo.assigned_pathologist,
                        at=now,
                        assigned_pathologist=c.demo.assigned_pathologist,
                        resident=c.demo.resident,
                        status=c.status,
                        issued_count=len(c.issued),
                        issued=_issued_write(c.issued, c.document, write),
                    )
                )
            ids = uow.cases.add_many(new_cases)
            versions: list[tuple[int, IssuedVersion]] = []
            for case_id, case in zip(ids, cases, strict=True):
                versions += [(case_id, version) for version in case.issued]
                self._record_history(uow, case.demo, case.issued, case.status)
            uow.versions.add_many(versions)
            uow.record(
                AuditEntry("create", "demo", None, {"source": "demo bulk load", "cases": len(ids)})
            )
            uow.commit()
        return len(ids)

    @staticmethod
    def _record_history(
        uow: UnitOfWork, demo: DemoCase, issued: list[IssuedVersion], status: Status
    ) -> None:
        """The audit records `audit verify` checks a case against: one signing event per
        version (no PDF stored: rendered on demand), and the cancellation."""
        accession = str(demo.document["accession"])
        for version in issued:
            uow.record(
                AuditEntry(
                    "sign",
                    version.content.signed_by,
                    accession,
                    {
                        "version": version.number,
                        "kind": version.kind.value,
                        "sha256": version.sha256,
                        "pdf_sha256": None,
                        "source": "demo bulk load",
                    },
                )
            )
        if status is Status.CANCELLED:
            reason = next((s.reason for s in demo.steps if s.action == "cancel"), None)
            uow.record(
                AuditEntry(
                    "cancel",
                    demo.assigned_pathologist,
                    accession,
                    {"reason": reason or "Cancelled.", "source": "demo bulk load"},
                )
            )

    @staticmethod
    def _replay(
        users: dict[str, User], demo: DemoCase, settings: LabSettings, now: datetime, today: date
    ) -> tuple[CaseDocument, list[IssuedVersion], Status]:
        """A case's steps as the versions they issue, without going through each service."""
        accession = str(demo.document["accession"])
        document = parse_case(demo.document, today=today).findings()
        issued: list[IssuedVersion] = []
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
            )
            issued.append(IssuedVersion(content=content, sha256=content.sha256()))
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


def _accession(demo: DemoCase) -> str:
    return str(demo.document["accession"])


def _password(username: str) -> str:
    return next(str(u["password"]) for u in DEMO_USERS if u["username"] == username)


def _issued_write(
    issued: list[IssuedVersion], working: CaseDocument, write: CaseWrite
) -> CaseWrite | None:
    """The issued columns of a bulk case: its latest version's (a case edited after a
    preliminary report shows clinicians the preliminary text). A replayed case ends on
    the document it last issued, so the working columns serve, computed once."""
    if not issued:
        return None
    document = issued[-1].content.document
    if document is working:
        return write
    return case_write(document.to_json_dict(), None, document)
