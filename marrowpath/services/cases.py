"""Case use cases: create, import, edit, search, sign, amend, addendum, withdraw, cancel.

Each public method is one user action and one unit of work. Roles and the lifecycle are
enforced here, whatever the caller; every refusal is audited and changes nothing.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal, ParamSpec, TypeVar

from marrowpath.domain import lifecycle
from marrowpath.domain.acknowledgement import require_acknowledged, require_known
from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.bench import ReviewChanges
from marrowpath.domain.canonical import sha256_hex
from marrowpath.domain.case import FORMAT, CaseDocument
from marrowpath.domain.checks import CheckReport, check_document
from marrowpath.domain.diff import changes
from marrowpath.domain.errors import (
    AuthenticationFailed,
    ConcurrentChange,
    InvalidCase,
    LifecycleRefused,
    NotFound,
    Problem,
    Refused,
)
from marrowpath.domain.findings import findings
from marrowpath.domain.flags import Flag, advisory_flags, name_flags
from marrowpath.domain.interfaces import Cancellation
from marrowpath.domain.lifecycle import Action, AmendmentReason, Status, VersionKind
from marrowpath.domain.redline import ChangeRow, redline
from marrowpath.domain.reporting import ReportRequest, ReportState
from marrowpath.domain.settings import LabSettings, accession_prefix
from marrowpath.domain.users import Permission, User
from marrowpath.domain.validation import DraftCheck, check_draft, parse_case
from marrowpath.domain.versions import (
    IssuedVersion,
    ProviderNotice,
    VersionContent,
)
from marrowpath.services.auth import AuthService
from marrowpath.services.bench import close_review, review_of
from marrowpath.services.case_search import CaseSearch
from marrowpath.services.context import ServiceContext
from marrowpath.services.documents import (
    case_write,
    merge_ancillary,
    parse_ancillary,
    require_text,
    resolve_patient,
    with_patient,
)
from marrowpath.services.issued import issued_for_use, require_status_follows
from marrowpath.services.outbox import queue_cancellation, queue_version
from marrowpath.services.people import display_names, usernames_in
from marrowpath.services.ports import (
    CaseRecord,
    PatientRecord,
    UnitOfWork,
)
from marrowpath.services.timeline import prior_marrows_for

P = ParamSpec("P")
R = TypeVar("R")


def audited(action: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Record a refusal of this action in the audit trail (in its own transaction)."""

    def decorate(method: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(method)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return method(*args, **kwargs)
            except AuthenticationFailed:
                raise  # already audited as a failed sign-in
            except Refused as refusal:
                service, actor = args[0], args[1]
                accession = args[2] if len(args) > 2 and isinstance(args[2], str) else None
                assert isinstance(service, CaseService) and isinstance(actor, User)
                service._ctx.record_refusal(actor.username, action, str(refusal), accession)
                raise

        return wrapper

    return decorate


@dataclass(frozen=True)
class CaseView:
    """An opened case: the record, its versions (without PDFs), the check of its document."""

    record: CaseRecord
    versions: list[IssuedVersion]
    check: DraftCheck
    document: CaseDocument | None
    settings: LabSettings
    # a resident's draft sent for review: the changes made to the text since
    review: ReviewChanges | None = None
    # display names of the users the record and its document name by username (who
    # saved it last, who counted, who communicated), for the editor to show
    people: dict[str, str] = field(default_factory=dict)

    def name_of(self, username: str | None) -> str:
        """A user's display name, or the username as stored when not a user here."""
        return self.people.get(username or "", username or "")

    @property
    def flags(self) -> list[Flag]:
        return advisory_flags(self.document) if self.document else []


@dataclass(frozen=True)
class ReportChoices:
    """What a case offers to print: its versions, its status, and why a patient summary
    or any print at all is not offered (None when it is)."""

    versions: list[IssuedVersion]
    status: Status
    no_patient_summary: str | None
    nothing_to_print: str | None


@dataclass(frozen=True)
class SaveResult:
    row_version: int
    missing: list[str]


MAX_AUDIT_VALUE = 200
DONE = {"print": "printed", "preview": "shown", "save": "saved"}


class CaseService(CaseSearch):
    """Every action on a case; the searches (`CaseSearch`) are inherited."""

    def __init__(self, context: ServiceContext, auth: AuthService) -> None:
        super().__init__(context)
        self._auth = auth

    @audited("open a case")
    def open(self, actor: User, accession: str) -> CaseView:
        """Open a case for reading or editing (audited as a view)."""
        with self._ctx.uow() as uow:
            case = self._visible(uow, actor, accession)
            versions = uow.versions.list(case.id)
            settings = uow.settings.load()
            if not actor.can(Permission.SEE_WORKING):
                case = _as_issued(case, versions[-1])
            check = check_draft(case.working, today=self._ctx.clock.today())
            document = self._document_or_none(case.working)
            review = review_of(uow, case) if actor.can(Permission.SEE_WORKING) else None
            named = usernames_in(case.working) | {case.updated_by}
            people = display_names(uow, named | {case.assigned_pathologist or ""})
            uow.record(AuditEntry("view", actor.username, accession, {}))
            uow.commit()
        return CaseView(case, versions, check, document, settings, review, people)

    @audited("check")
    def check(self, actor: User, accession: str) -> CheckReport:
        """The problems, advisory flags and findings of the working document under the
        lab's settings (those who see issued reports only: of the latest issued version,
        under the settings it was signed with). Changes nothing; audited as a view."""
        with self._ctx.uow() as uow:
            case = self._visible(uow, actor, accession)
            if actor.can(Permission.SEE_WORKING):
                data, settings = case.working, uow.settings.load()
            else:
                latest = uow.versions.list(case.id)[-1].content
                data, settings = latest.document.to_json_dict(), latest.settings
            uow.record(AuditEntry("view", actor.username, accession, {"check": True}))
            uow.commit()
        return check_document(data, settings, today=self._ctx.clock.today())

    def check_file(self, actor: User, data: object) -> CheckReport:
        """The same for a case file that is not stored (`check --file`)."""
        actor.require(Permission.SEE_ISSUED)
        with self._ctx.uow(read_only=True) as uow:
            settings = uow.settings.load()
        return check_document(data, settings, today=self._ctx.clock.today())

    def versions(self, actor: User, accession: str) -> list[IssuedVersion]:
        with self._ctx.uow(read_only=True) as uow:
            case = self._visible(uow, actor, accession)
            return uow.versions.list(case.id)

    def find_patient(self, actor: User, mrn: str) -> PatientRecord | None:
        """The stored patient with this MRN, so the editor can fill the name, birth date and
        sex of a returning patient (a save with different details would be refused)."""
        actor.require(Permission.EDIT)
        mrn = mrn.strip()
        if not mrn:
            return None
        with self._ctx.uow(read_only=True) as uow:
            return uow.patients.by_mrn(mrn)

    @audited("export")
    def export_json(self, actor: User, accession: str) -> dict[str, Any]:
        """The case with its `versions`: the working document (`marrowpath.case/2`), or for
        clinicians the latest issued document exactly as signed (`/1` or `/2`)."""
        with self._ctx.uow() as uow:
            case = self._visible(uow, actor, accession)
            versions = uow.versions.list(case.id)
            if actor.can(Permission.SEE_WORKING):
                data = dict(case.working)
            else:
                # as signed, in the format it was signed in (`/1` stays `/1`)
                data = versions[-1].content.signed_document()
            data["versions"] = [
                v.entry().model_dump(mode="json", exclude_none=True) for v in versions
            ]
            uow.record(AuditEntry("export", actor.username, accession, {"format": "json"}))
            uow.commit()
        return data

    @audited("print")
    def report_pdf(
        self,
        actor: User,
        accession: str,
        *,
        version: int | None = None,
        patient_summary: bool = False,
        purpose: Literal["print", "preview", "save"] = "print",
    ) -> bytes:
        """The PDF of an issued version exactly as issued, or a working document as DRAFT.

        Args:
            purpose: what the user does with it, recorded in the audit trail.
        """
        with self._ctx.uow() as uow:
            case = self._visible(uow, actor, accession)
            request, stored = self._report_request(
                uow, case, version, patient_summary, done=DONE[purpose]
            )
            detail = {
                "version": request.version.number if request.version else None,
                "patient_summary": patient_summary,
            }
            uow.record(AuditEntry(purpose, actor.username, accession, detail))
            if not actor.can(Permission.SEE_WORKING):
                self._mark_read(uow, actor, case, request)
            uow.commit()
        if stored is not None:
            return self._as_it_stands_now(stored, request)
        return self._render(request)

    def _mark_read(
        self, uow: UnitOfWork, actor: User, case: CaseRecord, request: ReportRequest
    ) -> None:
        """Opening the current version clears its New mark; being shown an amendment (its
        first page carries the changes table) clears the Amended mark up to it. Audited
        when a mark clears."""
        shown = request.version
        if shown is None:
            return
        current = not request.later
        amendment = shown.number if shown.kind is VersionKind.AMENDMENT else None
        if not current and amendment is None:
            return  # an older version, not an amendment: nothing new was read
        changed = uow.cases.mark_read(
            case,
            actor.username,
            read_count=case.issued_count if current else None,
            amendment_seen=amendment,
            at=self._ctx.clock.now(),
        )
        if changed:
            uow.record(
                AuditEntry(
                    "mark-read",
                    actor.username,
                    case.accession,
                    {"version": shown.number, "changes_shown": amendment is not None},
                )
            )

    def _as_it_stands_now(self, stored: bytes, request: ReportRequest) -> bytes:
        """The issued PDF's bytes, stamped when its version is now superseded or withdrawn
        (the stored bytes stay intact underneath, as an incremental update)."""
        if not request.stamped:
            return stored
        if self._ctx.stamper is None:
            raise Refused("printing is not available in this installation (no PDF stamper)")
        return self._ctx.stamper(stored, request)

    def report_requests(
        self,
        actor: User,
        accession: str,
        *,
        version: int | None = None,
        patient_summary: bool = False,
    ) -> tuple[ReportRequest, bytes | None]:
        """What `report_pdf` would print, without auditing (previews, batch printing)."""
        with self._ctx.uow(read_only=True) as uow:
            case = self._visible(uow, actor, accession)
            return self._report_request(uow, case, version, patient_summary, done="shown")

    def _report_request(
        self,
        uow: UnitOfWork,
        case: CaseRecord,
        version: int | None,
        patient_summary: bool,
        *,
        done: str = "printed",
    ) -> tuple[ReportRequest, bytes | None]:
        """The request for the chosen version with the case's whole version list (what
        was issued after it decides its banner), and its stored PDF, checked against its
        signing event, when that is what prints (not for a patient summary, nor for a
        cancelled case, printed anew)."""
        issued = issued_for_use(uow, case, version, done=done)
        if not issued:
            if case.status is Status.CANCELLED:
                raise Refused(
                    f"{case.accession}: the case was cancelled before any report was issued; "
                    "there is nothing to print"
                )
            if version is not None:
                raise NotFound(f"{case.accession}: has no issued version {version}")
            document = self._complete_document(case, action="print")
            return ReportRequest(
                document=document,
                settings=uow.settings.load(),
                draft=True,
                patient_summary=patient_summary,
                rendered_at=self._ctx.clock.now(),
                people=display_names(uow, usernames_in(document)),
            ), None
        chosen = issued[-1]
        request = ReportRequest(
            document=chosen.content.document,
            settings=chosen.content.settings,
            versions=issued,
            later=tuple(uow.versions.list(case.id)[chosen.number :]),
            cancellation=self._cancellation(uow, case),
            patient_summary=patient_summary,
        )
        if patient_summary:
            refusal = _no_patient_summary(case.accession, request.state)
            if refusal:
                raise Refused(refusal)
        printed_anew = patient_summary or request.cancellation is not None
        stored = chosen.pdf if (chosen.pdf and not printed_anew) else None
        return request, stored

    def _cancellation(self, uow: UnitOfWork, case: CaseRecord) -> Cancellation | None:
        """Who cancelled the case, when and why: a cancelled case is closed, so its last
        change is the cancellation."""
        if case.status is not Status.CANCELLED:
            return None
        record = uow.users.get(case.updated_by)
        who = case.updated_by
        if record is not None:
            user = record.user
            who = f"{user.full_name}, {user.credentials}" if user.credentials else user.full_name
        return Cancellation(reason=case.closing_reason or "", at=case.updated_at, by=who)

    def report_choices(self, actor: User, accession: str) -> ReportChoices:
        """What the preview offers for this case: its versions, and whether a patient
        summary (or anything) can be printed."""
        with self._ctx.uow(read_only=True) as uow:
            case = self._visible(uow, actor, accession)
            versions = uow.versions.list(case.id)
        state = {
            Status.CANCELLED: ReportState.CANCELLED,
            Status.ENTERED_IN_ERROR: ReportState.WITHDRAWN,
        }.get(case.status, ReportState.FINAL)
        nothing = None
        if case.status is Status.CANCELLED and not versions:
            nothing = (
                f"{accession}: the case was cancelled before any report was issued; "
                "there is nothing to print"
            )
        return ReportChoices(versions, case.status, _no_patient_summary(accession, state), nothing)

    @audited("compare")
    def compare(self, actor: User, accession: str, first: int, second: int) -> list[ChangeRow]:
        """The changes table from version `first` to version `second` (any two issued
        versions), as the amended report prints it. Audited as a view."""
        with self._ctx.uow() as uow:
            case = self._visible(uow, actor, accession)
            versions = {v.number: v for v in uow.versions.list(case.id)}
            for number in (first, second):
                if number not in versions:
                    have = f"versions 1 to {len(versions)}" if versions else "none issued"
                    raise NotFound(f"{accession}: has no version {number} ({have})")
            rows = redline(
                versions[first].content.document.findings().to_json_dict(),
                versions[second].content.document.findings().to_json_dict(),
            )
            uow.record(AuditEntry("view", actor.username, accession, {"compare": [first, second]}))
            uow.commit()
        return rows

    # ---------------------------------------------------------------- writing drafts

    @audited("propose an accession number")
    def next_accession(self, actor: User) -> str:
        """Reserve the next accession number of the lab's pattern (never handed out twice)."""
        actor.require(Permission.EDIT)
        with self._ctx.uow() as uow:
            accession = self._next_accession(uow)
            uow.commit()
        return accession

    def _next_accession(self, uow: UnitOfWork) -> str:
        pattern = uow.settings.load().accession_pattern
        prefix, digits = accession_prefix(pattern, self._ctx.clock.today())
        while True:
            candidate = f"{prefix}{uow.accessions.next(prefix, digits):0{digits}d}"
            if uow.cases.get(candidate) is None:
                return candidate

    @audited("create a case")
    def create(
        self,
        actor: User,
        data: dict[str, Any],
        *,
        assigned_pathologist: str | None = None,
        resident: str | None = None,
    ) -> CaseRecord:
        """A new draft from the editor; it may be incomplete but must break no rule."""
        actor.require(Permission.EDIT)
        with self._ctx.uow() as uow:
            data = dict(data)
            if not data.get("accession"):
                data["accession"] = self._next_accession(uow)
            data.setdefault("format", FORMAT)
            accession = str(data["accession"])
            check = self._check_savable(data, accession)
            if uow.cases.get(accession) is not None:
                raise Refused(f"{accession}: a case with this accession already exists")
            patient = resolve_patient(uow, data, accession)
            record = uow.cases.add(
                accession=accession,
                write=case_write(data, patient, self._document_or_none(data)),
                user=actor.username,
                at=self._ctx.clock.now(),
                assigned_pathologist=assigned_pathologist or _default_pathologist(actor),
                resident=resident,
            )
            uow.record(
                AuditEntry(
                    "create",
                    actor.username,
                    accession,
                    {"source": "editor", "missing": check.missing},
                )
            )
            uow.commit()
        return record

    @audited("import")
    def import_case(self, actor: User, data: Any) -> tuple[str, bool]:
        """Import a complete case: a new draft, or the new working document of an open case.

        Returns the accession and whether the case was created (False: replaced).
        """
        actor.require(Permission.EDIT)
        document = parse_case(data, today=self._ctx.clock.today()).findings()
        accession = document.accession
        working = document.to_json_dict()
        with self._ctx.uow() as uow:
            existing = uow.cases.get(accession, for_update=True)
            if existing is not None:
                require_status_follows(uow, existing)
                lifecycle.require(Action.EDIT, existing.status, accession)
                if existing.amendment_in_progress:
                    raise LifecycleRefused(
                        f"{accession}: an amendment is in progress; import cannot replace it"
                    )
            patient = resolve_patient(uow, working, accession)
            write = case_write(working, patient, document)
            now = self._ctx.clock.now()
            flagged = name_flags(document.patient.family_name, document.patient.given_names)
            review = {"review": [flag.code for flag in flagged]} if flagged else {}
            if existing is None:
                uow.cases.add(
                    accession=accession,
                    write=write,
                    user=actor.username,
                    at=now,
                    assigned_pathologist=_default_pathologist(actor),
                    resident=None,
                )
                uow.record(
                    AuditEntry("create", actor.username, accession, {"source": "import", **review})
                )
            else:
                uow.cases.update_working(existing, write, user=actor.username, at=now)
                uow.record(
                    AuditEntry(
                        "change",
                        actor.username,
                        accession,
                        {
                            "source": "import",
                            "changes": _audit_changes(existing.working, working),
                            **review,
                        },
                    )
                )
            uow.commit()
        return accession, existing is None

    @audited("save")
    def save(
        self, actor: User, accession: str, data: dict[str, Any], *, expected_row_version: int
    ) -> SaveResult:
        """Save the working document from the editor (drafts may be incomplete)."""
        actor.require(Permission.EDIT)
        data = dict(data)
        if data.get("accession") != accession:
            raise InvalidCase(
                accession,
                [Problem("accession", f"must stay {accession}; a case cannot be renamed")],
            )
        check = self._check_savable(data, accession)
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(
                Action.EDIT,
                case.status,
                accession,
                amendment_in_progress=case.amendment_in_progress,
            )
            self._check_version(uow, case, expected_row_version)
            patient = resolve_patient(uow, data, accession)
            row_version = uow.cases.update_working(
                case,
                case_write(data, patient, self._document_or_none(data)),
                user=actor.username,
                at=self._ctx.clock.now(),
            )
            uow.record(
                AuditEntry(
                    "change",
                    actor.username,
                    accession,
                    {"source": "editor", "changes": _audit_changes(case.working, data)},
                )
            )
            uow.commit()
        return SaveResult(row_version, check.missing)

    @audited("assign")
    def assign(
        self, actor: User, accession: str, *, pathologist: str | None, resident: str | None = None
    ) -> None:
        actor.require(Permission.EDIT)
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            uow.cases.assign(
                case,
                pathologist=pathologist,
                resident=resident,
                user=actor.username,
                at=self._ctx.clock.now(),
            )
            uow.record(
                AuditEntry(
                    "assign",
                    actor.username,
                    accession,
                    {"pathologist": pathologist, "resident": resident},
                )
            )
            uow.commit()

    # ---------------------------------------------------------------- issuing versions

    @audited("sign")
    def sign(
        self,
        actor: User,
        accession: str,
        password: str,
        *,
        preliminary: bool = False,
        expected_row_version: int | None = None,
        acknowledge: Sequence[str] = (),
    ) -> IssuedVersion:
        """Issue a preliminary or final report version (pathologists; password required).

        Refused (`FindingsNotAcknowledged`) while a discordant finding of the document is
        not in `acknowledge` (codes, or `all` for those present)."""
        actor.require(Permission.SIGN)
        require_known(accession, acknowledge)
        self._auth.sign_in(actor.username, password, purpose="signature")
        action = Action.SIGN_PRELIMINARY if preliminary else Action.SIGN_FINAL
        kind = VersionKind.PRELIMINARY if preliminary else VersionKind.FINAL
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(action, case.status, accession)
            self._check_version(uow, case, expected_row_version)
            document = self._complete_document(case, action="sign")
            previous = uow.versions.list(case.id)
            if preliminary and previous and previous[-1].content.document == document:
                raise Refused(
                    f"{accession}: nothing changed since preliminary version "
                    f"{previous[-1].number}; nothing to sign"
                )
            version = self._issue(
                uow, case, previous, kind, document, actor, acknowledge=acknowledge
            )
            close_review(uow, case, actor.username, self._ctx.clock.now())
            uow.commit()
        return version

    @audited("amend")
    def start_amendment(self, actor: User, accession: str) -> CaseRecord:
        """Reopen the working document as an amendment in progress (issued versions untouched)."""
        return self._reset_working(actor, accession, Action.START_AMENDMENT, amending=True)

    @audited("discard the amendment")
    def discard_amendment(self, actor: User, accession: str) -> None:
        """Give up the amendment in progress: the working document is the latest version's."""
        self._reset_working(actor, accession, Action.DISCARD_AMENDMENT, amending=False)

    def _reset_working(
        self, actor: User, accession: str, action: Action, *, amending: bool
    ) -> CaseRecord:
        """Set the working document to the latest issued one, with or without an amendment
        in progress (starting an amendment twice changes nothing)."""
        actor.require(Permission.SIGN)
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(
                action, case.status, accession, amendment_in_progress=case.amendment_in_progress
            )
            if amending and case.amendment_in_progress:
                return case
            latest = uow.versions.list(case.id)[-1].content.document
            # the patient as now recorded: a corrected or merged identity is not undone
            working = with_patient(latest.to_json_dict(), case.patient)
            uow.cases.update_working(
                case,
                case_write(working, case.patient, latest),
                user=actor.username,
                at=self._ctx.clock.now(),
                amendment_in_progress=amending,
            )
            event = "amendment-start" if amending else "amendment-discard"
            uow.record(AuditEntry(event, actor.username, accession, {}))
            uow.commit()
            updated = uow.cases.get(accession)
        assert updated is not None
        return updated

    @audited("sign the amendment")
    def sign_amendment(
        self,
        actor: User,
        accession: str,
        password: str,
        *,
        reason_category: str,
        reason: str,
        expected_row_version: int | None = None,
        provider_notice: ProviderNotice | None = None,
        acknowledge: Sequence[str] = (),
    ) -> IssuedVersion:
        """Issue the amendment in progress as version n+1 (reason category and reason, and
        how the ordering provider was told when the diagnosis or identity changes); the
        discordant findings of the amended document must be acknowledged as for `sign`."""
        actor.require(Permission.SIGN)
        category, reason = self._amendment_reason(accession, reason_category, reason)
        require_known(accession, acknowledge)
        self._auth.sign_in(actor.username, password, purpose="signature")
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(
                Action.SIGN_AMENDMENT,
                case.status,
                accession,
                amendment_in_progress=case.amendment_in_progress,
            )
            self._check_version(uow, case, expected_row_version)
            document = self._complete_document(case, action="sign the amendment")
            version = self._issue_amendment(
                uow, case, document, actor, category, reason, acknowledge, provider_notice
            )
            uow.commit()
        return version

    @audited("amend")
    def amend(
        self,
        actor: User,
        accession: str,
        data: Any,
        password: str,
        *,
        reason_category: str,
        reason: str,
        acknowledge: Sequence[str] = (),
    ) -> IssuedVersion:
        """Amend in one step (the command line): the corrected findings, signed at once
        (discordant findings of the amended document acknowledged as for `sign`)."""
        actor.require(Permission.SIGN)
        category, reason = self._amendment_reason(accession, reason_category, reason)
        require_known(accession, acknowledge)
        document = parse_case(data, today=self._ctx.clock.today()).findings()
        if document.accession != accession:
            raise InvalidCase(
                accession,
                [
                    Problem(
                        "accession", f"{document.accession} in the file does not match {accession}"
                    )
                ],
            )
        self._auth.sign_in(actor.username, password, purpose="signature")
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(Action.START_AMENDMENT, case.status, accession)
            patient = resolve_patient(uow, document.to_json_dict(), accession)
            # a corrected patient (misidentification) moves the case to that patient
            case = replace(case, patient=patient)
            version = self._issue_amendment(
                uow, case, document, actor, category, reason, acknowledge
            )
            uow.commit()
        return version

    def _issue_amendment(
        self,
        uow: UnitOfWork,
        case: CaseRecord,
        document: CaseDocument,
        actor: User,
        category: AmendmentReason,
        reason: str,
        acknowledge: Sequence[str],
        provider_notice: ProviderNotice | None = None,
    ) -> IssuedVersion:
        previous = uow.versions.list(case.id)
        if previous[-1].content.document == document:
            raise Refused(
                f"{case.accession}: the amendment is identical to version "
                f"{previous[-1].number}; nothing to amend"
            )
        rows = redline(previous[-1].content.document.to_json_dict(), document.to_json_dict())
        if not rows:
            raise Refused(
                f"{case.accession}: the amendment changes no printed value (compared with "
                f"version {previous[-1].number}); nothing to amend"
            )
        return self._issue(
            uow,
            case,
            previous,
            VersionKind.AMENDMENT,
            document,
            actor,
            reason_category=category.value,
            reason=reason,
            changes=tuple(rows),
            provider_notice=provider_notice,
            acknowledge=acknowledge,
        )

    @audited("addendum")
    def addendum(
        self, actor: User, accession: str, password: str, *, text: str, ancillary: Any = None
    ) -> IssuedVersion:
        """Add text (and ancillary results replacing pending studies); earlier text unchanged."""
        actor.require(Permission.SIGN)
        text = require_text(text, "the addendum text", accession)
        studies = parse_ancillary(ancillary, accession) if ancillary is not None else []
        self._auth.sign_in(actor.username, password, purpose="signature")
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(
                Action.ADDENDUM,
                case.status,
                accession,
                amendment_in_progress=case.amendment_in_progress,
            )
            previous = uow.versions.list(case.id)
            document = merge_ancillary(previous[-1].content.document, studies)
            version = self._issue(
                uow, case, previous, VersionKind.ADDENDUM, document, actor, addendum_text=text
            )
            uow.commit()
        return version

    def issue_addendum(
        self, uow: UnitOfWork, case: CaseRecord, actor: User, document: CaseDocument, text: str
    ) -> IssuedVersion:
        """Issue `document` as an addendum inside the caller's unit of work, for services
        whose action after sign-out is an addendum (a critical-result communication,
        `communications.py`); the caller has re-authenticated the signer and asked the
        lifecycle, as `addendum` does."""
        previous = uow.versions.list(case.id)
        return self._issue(
            uow, case, previous, VersionKind.ADDENDUM, document, actor, addendum_text=text
        )

    @audited("withdraw")
    def withdraw(self, actor: User, accession: str, password: str, *, reason: str) -> IssuedVersion:
        """Mark an issued report entered in error (a version of kind withdrawal)."""
        actor.require(Permission.SIGN)
        reason = require_text(reason, "the reason", accession)
        self._auth.sign_in(actor.username, password, purpose="signature")
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(Action.WITHDRAW, case.status, accession)
            previous = uow.versions.list(case.id)
            version = self._issue(
                uow,
                case,
                previous,
                VersionKind.WITHDRAWAL,
                previous[-1].content.document,
                actor,
                reason=reason,
            )
            uow.commit()
        return version

    @audited("cancel")
    def cancel(self, actor: User, accession: str, *, reason: str) -> None:
        """Cancel a draft or preliminary case, with a reason."""
        actor.require(Permission.SIGN)
        reason = require_text(reason, "the reason", accession)
        with self._ctx.uow() as uow:
            case = self._get(uow, accession, for_update=True)
            lifecycle.require(Action.CANCEL, case.status, accession)
            uow.cases.set_status(
                case,
                Status.CANCELLED,
                user=actor.username,
                at=self._ctx.clock.now(),
                issued_count=case.issued_count,
                closing_reason=reason,
            )
            uow.record(AuditEntry("cancel", actor.username, accession, {"reason": reason}))
            queue_cancellation(self._ctx, uow, case, reason, actor.username)
            uow.commit()

    def _issue(
        self,
        uow: UnitOfWork,
        case: CaseRecord,
        previous: list[IssuedVersion],
        kind: VersionKind,
        document: CaseDocument,
        actor: User,
        *,
        reason_category: str | None = None,
        reason: str | None = None,
        addendum_text: str | None = None,
        changes: tuple[ChangeRow, ...] | None = None,
        provider_notice: ProviderNotice | None = None,
        acknowledge: Sequence[str] | None = None,
    ) -> IssuedVersion:
        """Build, hash, render and store version n+1, and move the case to its new status.

        With `acknowledge` (signing and amending; not addenda or withdrawals, which issue
        an already signed document) the consistency findings run on `document` under the
        settings snapshot stored with it, and refuse while a discordant one is not
        acknowledged; the acknowledged codes are stored with the version."""
        settings = uow.settings.load()
        missing = settings.identity.missing_for_signing()
        if missing:
            raise Refused(
                f"{case.accession}: cannot sign: the lab identity has no "
                f"{', '.join(m.replace('_id', ' number').replace('_', ' ') for m in missing)}; "
                f"set it with `marrowpath lab set` or in Administration"
            )
        acknowledged: tuple[str, ...] = ()
        if acknowledge is not None:
            found = findings(document, settings)
            final = kind is not VersionKind.PRELIMINARY
            acknowledged = require_acknowledged(
                case.accession, found, acknowledge, advisory_flags(document, final_sign_out=final)
            )
        content = VersionContent(
            accession=case.accession,
            number=len(previous) + 1,
            kind=kind,
            document=document,
            settings=settings,
            signed_by=actor.username,
            signer_name=actor.full_name,
            signer_credentials=actor.credentials,
            signed_at=self._ctx.clock.now(),
            meaning=lifecycle.MEANING[kind],
            reason_category=reason_category,
            reason=reason,
            addendum_text=addendum_text,
            changes=changes,
            provider_notice=provider_notice,
            prior_marrows=prior_marrows_for(uow, case, document)
            if settings.prior_marrows_on
            else None,
            acknowledged=acknowledged or None,
            people=display_names(uow, usernames_in(document)) or None,
        )
        version = IssuedVersion(content=content, sha256=content.sha256())
        if self._ctx.renderer is not None:
            pdf = self._render(
                ReportRequest(document=document, settings=settings, versions=(*previous, version))
            )
            version = version.model_copy(update={"pdf": pdf, "pdf_sha256": sha256_hex(pdf)})
        uow.versions.add(case.id, version)
        working = document.to_json_dict()
        issued = case_write(working, case.patient, document)
        if working != case.working:
            uow.cases.update_working(case, issued, user=actor.username, at=content.signed_at)
            case = _bumped(case)
        uow.cases.set_status(
            case,
            lifecycle.STATUS_AFTER[kind],
            user=actor.username,
            at=content.signed_at,
            issued_count=content.number,
            amendment_in_progress=False,
            closing_reason=reason if kind is VersionKind.WITHDRAWAL else None,
            issued=issued,
        )
        uow.record(
            AuditEntry(
                "sign",
                actor.username,
                case.accession,
                {
                    "version": content.number,
                    "kind": kind.value,
                    "sha256": version.sha256,
                    "pdf_sha256": version.pdf_sha256,
                    **({"acknowledged": list(acknowledged)} if acknowledged else {}),
                    "changes": _audit_changes(previous[-1].content.document.to_json_dict(), working)
                    if previous
                    else [],
                },
            )
        )
        # The delivery is queued in this transaction: no report is issued undelivered.
        queue_version(self._ctx, uow, case, (*previous, version), actor.username)
        return version

    def _render(self, request: ReportRequest) -> bytes:
        if self._ctx.renderer is None:
            raise Refused("printing is not available in this installation (no PDF renderer)")
        return self._ctx.renderer(request)

    # ---------------------------------------------------------------- helpers

    def _get(self, uow: UnitOfWork, accession: str, *, for_update: bool = False) -> CaseRecord:
        case = uow.cases.get(accession, for_update=for_update)
        if case is None:
            raise NotFound(f"{accession}: no such case")
        if for_update:  # about to change it: the status must follow from its versions
            require_status_follows(uow, case)
        return case

    def _visible(self, uow: UnitOfWork, actor: User, accession: str) -> CaseRecord:
        """The case if this user may read it. Those who see issued reports only get the
        same answer for a case with nothing issued as for no case at all: they never
        learn that a draft exists."""
        actor.require(Permission.SEE_ISSUED)
        if actor.can(Permission.SEE_WORKING):
            return self._get(uow, accession)
        case = uow.cases.get(accession)
        if case is None or case.issued_count == 0:
            raise NotFound(f"{accession}: no issued report")
        return case

    def _check_version(self, uow: UnitOfWork, case: CaseRecord, expected: int | None) -> None:
        if expected is not None and case.row_version != expected:
            when = case.updated_at.strftime("%Y-%m-%d %H:%M UTC")
            raise ConcurrentChange(
                f"{case.accession}: changed by {case.updated_by} at {when}; reload"
            )

    def _check_savable(self, data: dict[str, Any], accession: str) -> DraftCheck:
        check = check_draft(data, today=self._ctx.clock.today())
        if check.problems:
            raise InvalidCase(accession, check.problems)
        return check

    def _complete_document(self, case: CaseRecord, *, action: str) -> CaseDocument:
        try:
            return parse_case(case.working, today=self._ctx.clock.today()).findings()
        except InvalidCase as error:
            raise InvalidCase(case.accession, error.problems, doing=action) from None

    def _document_or_none(self, data: dict[str, Any]) -> CaseDocument | None:
        try:
            return parse_case(data, today=self._ctx.clock.today()).findings()
        except InvalidCase:
            return None

    @staticmethod
    def _amendment_reason(
        accession: str, category: str, reason: str
    ) -> tuple[AmendmentReason, str]:
        try:
            reason_category = AmendmentReason(category)
        except ValueError:
            choices = ", ".join(r.value for r in AmendmentReason)
            raise Refused(
                f"{accession}: the reason category must be one of {choices}, got {category!r}"
            ) from None
        return reason_category, require_text(reason, "the reason", accession)


def _no_patient_summary(accession: str, state: ReportState) -> str | None:
    """Why a case has no patient summary: its findings may be another patient's
    (withdrawn) or were never final (cancelled)."""
    if state is ReportState.WITHDRAWN:
        return f"{accession}: a withdrawn report has no patient summary"
    if state is ReportState.CANCELLED:
        return f"{accession}: a cancelled report has no patient summary"
    return None


def _default_pathologist(actor: User) -> str | None:
    return actor.username if actor.can(Permission.SIGN) else None


def _bumped(case: CaseRecord) -> CaseRecord:
    return replace(case, row_version=case.row_version + 1)


def _as_issued(case: CaseRecord, latest: IssuedVersion) -> CaseRecord:
    """The case as issued: the latest version's document, and nothing that tells of work
    in progress (an amendment being written, an edit after the last signature)."""
    cancelled = case.status is Status.CANCELLED  # when and by whom it was cancelled
    return replace(
        case,
        working=latest.content.document.to_json_dict(),
        amendment_in_progress=False,
        updated_at=case.updated_at if cancelled else latest.content.signed_at,
        updated_by=case.updated_by if cancelled else latest.content.signed_by,
    )


def _audit_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-level before/after for the audit trail (long values shortened)."""

    def short(value: Any) -> Any:
        if isinstance(value, str) and len(value) > MAX_AUDIT_VALUE:
            return value[:MAX_AUDIT_VALUE] + "..."
        return value

    return [
        {"path": c.path, "before": short(c.before), "after": short(c.after)}
        for c in changes(before, after)
    ]
