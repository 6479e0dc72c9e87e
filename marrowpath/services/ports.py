"""What the services need from storage, as protocols; `marrowpath.db` implements them.

Repositories take and return plain domain objects (never ORM rows), so nothing above
this line can trigger a lazy load or touch an expired object.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal, Protocol

from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.users import Role, User

# Types of the signatures only: every command imports the ports (the sign-in's unit of
# work included), and these would bring in the document models, the settings and the
# interface messages, which a search never builds.
if TYPE_CHECKING:
    from marrowpath.domain.audit import AnchoredHead, AuditEntry, AuditEvent
    from marrowpath.domain.bench import Presence, ReviewRequest
    from marrowpath.domain.enums import Sex
    from marrowpath.domain.integrity import CaseState, StoredVersion
    from marrowpath.domain.interfaces import ResearchRow, ResultRequest
    from marrowpath.domain.providers import DirectoryProvider
    from marrowpath.domain.settings import LabSettings
    from marrowpath.domain.text_templates import TextTemplate
    from marrowpath.domain.versions import IssuedVersion, UnreadableVersion


@dataclass(frozen=True)
class UserRecord:
    user: User
    password_hash: str
    failed_sign_ins: int


@dataclass(frozen=True)
class PatientRecord:
    id: int
    mrn: str
    family_name: str
    given_names: str
    birth_date: date
    sex: Sex
    # MRNs of duplicate registrations merged into this patient: search finds them too
    former_mrns: tuple[str, ...] = ()
    # set while this registration is merged into another patient (`patient merge`)
    merged_into_id: int | None = None


@dataclass(frozen=True)
class PatientMerge:
    """A merge as recorded: which registration went into which, and the cases it moved."""

    id: int
    from_patient_id: int
    into_patient_id: int
    from_mrn: str
    into_mrn: str
    reason: str
    case_ids: tuple[int, ...]
    merged_by: str
    merged_at: datetime


@dataclass(frozen=True)
class CaseRecord:
    """A case as stored: identity, status and the working document (maybe incomplete)."""

    id: int
    accession: str
    status: Status
    working: dict[str, Any]
    amendment_in_progress: bool
    row_version: int
    patient: PatientRecord | None
    assigned_pathologist: str | None
    resident: str | None
    issued_count: int
    created_at: datetime
    updated_at: datetime
    updated_by: str
    closing_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SecondCountCase:
    """A case whose working document holds a second observer's count (QC export):
    its aspirate as stored (maybe incomplete: a draft is exported as typed)."""

    accession: str
    status: Status
    procedure_date: date | None
    aspirate: dict[str, Any]


@dataclass(frozen=True, slots=True)
class CaseSummary:
    """One row of the worklist and of `search` (slots: the worklist may hold 100,000)."""

    accession: str
    status: Status
    patient_name: str
    mrn: str
    procedure_date: date | None
    diagnosis: str
    ordering_provider: str
    assigned_pathologist: str | None
    created_at: datetime
    issued_count: int
    # when the first version was issued (the end of the turnaround); None: nothing issued
    first_issued_at: datetime | None = None
    # for the reader of the query (`CaseQuery.reader`): issued or changed since she last
    # opened it; amended, and the amendment's changes table not yet shown to her
    new: bool = False
    amended: bool = False
    # where the next page starts (`CaseQuery.after`): the sort column's value and the id
    position: tuple[Any, int] | None = None
    # the resident who sent this draft for review, by name (the attending's queue marks it)
    review_from: str | None = None
    # the assigned pathologist's display name (None: not a user here, or none assigned)
    pathologist_name: str | None = None


SortKey = Literal[
    "procedure_date",
    "accession",
    "patient",
    "mrn",
    "status",
    "provider",
    "diagnosis",
    "pathologist",
    "created_at",
]


@dataclass(frozen=True)
class CaseQuery:
    """A worklist or search query; the database filters, sorts and pages."""

    words: tuple[str, ...] = ()  # folded, matched against the search key
    statuses: tuple[Status, ...] = ()
    date_from: date | None = None
    date_to: date | None = None
    # Only cases with an issued version, read, searched and sorted by its text (clinicians).
    issued_only: bool = False
    assigned_to: str | None = None
    sort: SortKey = "procedure_date"
    descending: bool = True
    offset: int = 0
    limit: int | None = None
    # keyset paging: rows after this `CaseSummary.position` (never OFFSET for pages)
    after: tuple[Any, int] | None = None
    # only the cases whose latest issued version names this provider id ("My patients")
    recipient: str | None = None
    # the user whose New and Amended marks the rows carry; `unread_only` keeps the marked
    reader: str | None = None
    unread_only: bool = False
    # "Awaiting my signature": cases assigned to this pathologist, unsigned or with an
    # amendment in progress, complete enough to sign or sent to her for review
    awaiting_signature_of: str | None = None


@dataclass(frozen=True)
class PatientCase:
    """A case of a patient as the timeline lists it, from the summary columns (no
    document is read: the values come from its issued version)."""

    id: int
    accession: str
    status: Status
    issued_count: int
    procedure_date: date | None
    diagnosis: str


@dataclass(frozen=True)
class CaseWrite:
    """The stored columns derived from a working document, written with it."""

    working: dict[str, Any]
    search_key: str
    patient_id: int | None
    procedure_date: date | None
    diagnosis: str
    ordering_provider: str
    extra: dict[str, Any] = field(default_factory=dict)
    # the document parses as a whole case: it could be signed as it stands
    signable: bool = False


class UserRepository(Protocol):
    def get(self, username: str) -> UserRecord | None: ...
    def add(self, user: User, password_hash: str) -> None: ...
    def count(self) -> int: ...
    def list(self) -> list[User]: ...
    def update(self, username: str, **values: Any) -> None: ...
    def counter_keymap(self, username: str) -> str | None: ...
    def register_failure(
        self, username: str, *, now: datetime, limit: int, lock_until: datetime
    ) -> tuple[int, bool]: ...


@dataclass(frozen=True)
class NewPatient:
    """A patient to insert, with the columns `resolve_patient` derives."""

    mrn: str
    family_name: str
    given_names: str
    birth_date: date
    sex: Sex
    search_key: str


@dataclass(frozen=True)
class NewCase:
    """A case inserted once in its final state (bulk loading): the arguments of
    `CaseRepository.add`."""

    accession: str
    write: CaseWrite
    user: str
    at: datetime
    assigned_pathologist: str | None
    resident: str | None
    status: Status = Status.DRAFT
    issued_count: int = 0
    issued: CaseWrite | None = None


@dataclass(frozen=True)
class NewVersion:
    """An issued version for bulk loading, as plain data (it crosses processes): what
    its row stores, with `content_json` the canonical JSON of its content as hashed into
    `sha256`, stored as it is rather than dumped again."""

    number: int
    kind: VersionKind
    signed_by: str
    signed_at: datetime
    sha256: str
    content_json: str


class PatientRepository(Protocol):
    def by_mrn(self, mrn: str) -> PatientRecord | None: ...
    def by_mrn_key(self, key: str) -> list[PatientRecord]: ...
    def by_mrns(self, mrns: Collection[str]) -> dict[str, PatientRecord]: ...
    def taken_mrn_keys(self, keys: Collection[str]) -> set[str]: ...
    def add_many(self, patients: Sequence[NewPatient]) -> list[PatientRecord]: ...
    def add(
        self,
        *,
        mrn: str,
        family_name: str,
        given_names: str,
        birth_date: date,
        sex: Sex,
        search_key: str,
    ) -> PatientRecord: ...
    def lock(self, mrn: str) -> PatientRecord | None: ...
    def get(self, patient_id: int) -> PatientRecord | None: ...
    def update(self, patient_id: int, **values: Any) -> None: ...


class PatientMergeRepository(Protocol):
    def add(
        self,
        *,
        from_patient: PatientRecord,
        into_patient: PatientRecord,
        reason: str,
        case_ids: Sequence[int],
        by: str,
        at: datetime,
    ) -> PatientMerge: ...
    def active(self, from_patient_id: int) -> PatientMerge | None: ...
    def close(self, merge_id: int, *, by: str, at: datetime) -> None: ...


class CaseRepository(Protocol):
    def get(self, accession: str, *, for_update: bool = False) -> CaseRecord | None: ...
    def add(
        self,
        *,
        accession: str,
        write: CaseWrite,
        user: str,
        at: datetime,
        assigned_pathologist: str | None,
        resident: str | None,
        status: Status = Status.DRAFT,
        issued_count: int = 0,
        issued: CaseWrite | None = None,
    ) -> CaseRecord: ...
    def add_many(self, cases: Sequence[NewCase]) -> list[int]: ...
    def update_working(
        self,
        case: CaseRecord,
        write: CaseWrite,
        *,
        user: str,
        at: datetime,
        amendment_in_progress: bool | None = None,
    ) -> int: ...
    def set_status(
        self,
        case: CaseRecord,
        status: Status,
        *,
        user: str,
        at: datetime,
        issued_count: int,
        amendment_in_progress: bool = False,
        closing_reason: str | None = None,
        issued: CaseWrite | None = None,
    ) -> int: ...
    def mark_read(
        self,
        case: CaseRecord,
        username: str,
        *,
        read_count: int | None,
        amendment_seen: int | None,
        at: datetime,
    ) -> bool: ...
    def assign(
        self,
        case: CaseRecord,
        *,
        pathologist: str | None,
        resident: str | None,
        user: str,
        at: datetime,
    ) -> int: ...
    def search(self, query: CaseQuery) -> list[CaseSummary]: ...
    def count(self, query: CaseQuery) -> int: ...
    def states(self) -> Iterator[CaseState]: ...
    def existing(self, accessions: list[str]) -> set[str]: ...
    def accessions_with_prefix(self, prefix: str) -> list[str]: ...
    def of_patient(self, patient_id: int, *, for_update: bool = False) -> list[CaseRecord]: ...
    def listed_for_patient(self, patient_id: int) -> list[PatientCase]: ...
    def with_second_count(
        self, start: date | None = None, end: date | None = None
    ) -> Iterator[SecondCountCase]: ...
    def by_ids(self, case_ids: Sequence[int], *, for_update: bool = False) -> list[CaseRecord]: ...
    def set_search_key(self, case_id: int, key: str) -> None: ...
    def set_issued_search_key(self, case_id: int, key: str) -> None: ...


class ReviewRepository(Protocol):
    def get(self, case_id: int) -> ReviewRequest | None: ...
    def put(
        self, case_id: int, *, resident: str, attending: str, at: datetime, text: dict[str, Any]
    ) -> None: ...
    def remove(self, case_id: int) -> bool: ...


class PresenceRepository(Protocol):
    def touch(self, case_id: int, username: str, workstation: str, *, at: datetime) -> None: ...
    def release(self, case_id: int, username: str, workstation: str) -> None: ...
    def of_case(self, case_id: int) -> list[Presence]: ...
    def expire(self, before: datetime) -> int: ...


class VersionRepository(Protocol):
    def list(self, case_id: int, *, with_pdf: bool = False) -> list[IssuedVersion]: ...
    def kinds(self, case_id: int) -> tuple[VersionKind, ...]: ...
    def get(self, case_id: int, number: int) -> IssuedVersion | None: ...
    def latest(self, case_ids: Sequence[int]) -> dict[int, IssuedVersion]: ...
    def add(self, case_id: int, version: IssuedVersion) -> None: ...
    def add_many(self, versions: Sequence[tuple[int, NewVersion]]) -> None: ...
    def all(
        self, *, with_pdf: bool = False, accessions: Collection[str] | None = None
    ) -> Iterator[IssuedVersion | UnreadableVersion]: ...
    def for_verification(self) -> Iterator[StoredVersion | UnreadableVersion]: ...


class SettingsRepository(Protocol):
    def load(self) -> LabSettings: ...
    def lockout_minutes(self) -> int:
        """`LabSettings.lockout_minutes` as stored, without reading the whole settings:
        the sign-in of every command needs this one value."""
        ...

    def save(self, settings: LabSettings) -> None: ...
    def secret(self, name: str) -> bytes: ...


class AccessionCounter(Protocol):
    def next(self, prefix: str, digits: int) -> int: ...
    def at_least(self, prefix: str, number: int) -> None: ...


class AuditLog(Protocol):
    def events(self) -> Iterator[AuditEvent]: ...
    def for_case(self, accession: str) -> list[AuditEvent]: ...
    def signing_events(self, accession: str) -> list[AuditEvent]: ...
    def links(self, seqs: Collection[int]) -> dict[int, tuple[str, str]]: ...
    def head(self) -> tuple[int, str] | None: ...
    def anchored_head(self) -> AnchoredHead | None: ...
    def hash_at(self, seq: int) -> str | None: ...


OutboxStatus = Literal["queued", "sending", "sent", "failed", "superseded"]


@dataclass(frozen=True)
class NewOutboxMessage:
    """A result message to deliver, as queued in the transaction that issued it."""

    case_id: int
    accession: str
    version_number: int
    event: str  # the version kind, or "cancellation"
    destination: str
    host: str
    port: int
    control_id: str
    message: str
    created_at: datetime


@dataclass(frozen=True)
class OutboxEntry:
    """One queued, sent or failed delivery (without the message text)."""

    id: int
    case_id: int
    accession: str
    version_number: int
    event: str
    destination: str
    host: str
    port: int
    control_id: str
    status: OutboxStatus
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    sent_at: datetime | None
    ack_code: str | None
    error: str | None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class OutboxRepository(Protocol):
    def add(self, message: NewOutboxMessage) -> int: ...
    def entries(
        self,
        *,
        statuses: tuple[OutboxStatus, ...] = (),
        accession: str | None = None,
        limit: int | None = None,
    ) -> list[OutboxEntry]: ...
    def routes_for_case(self, case_id: int) -> list[tuple[str, str, int]]: ...
    def supersede_failed(self, case_id: int, destination: str) -> int: ...
    def due(
        self, now: datetime, *, accession: str | None = None, ignore_backoff: bool = False
    ) -> list[OutboxEntry]: ...
    def claim(
        self, entry_id: int, *, now: datetime, lease_until: datetime
    ) -> tuple[OutboxEntry, str] | None: ...
    def finish(
        self,
        entry_id: int,
        *,
        status: OutboxStatus,
        at: datetime,
        ack_code: str | None,
        error: str | None,
        next_attempt_at: datetime | None,
    ) -> None: ...
    def requeue_failed(self, *, accession: str | None = None) -> list[OutboxEntry]: ...


class ReceivedOrderRepository(Protocol):
    def accession_for(self, placer_order_number: str) -> str | None: ...
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
    ) -> None: ...


class TemplateRepository(Protocol):
    def list(self) -> list[TextTemplate]: ...
    def get(self, name: str) -> TextTemplate | None: ...
    def save(self, template: TextTemplate, *, by: str, at: datetime) -> None: ...
    def delete(self, name: str) -> bool: ...


class ProviderRepository(Protocol):
    """The provider directory (`domain/providers.py`); `key` is the row's number."""

    def list(self) -> list[DirectoryProvider]: ...
    def get(self, key: int, *, for_update: bool = False) -> DirectoryProvider | None: ...
    def by_identifier(self, identifier: str) -> DirectoryProvider | None: ...
    def by_name_without_id(self, name: str) -> DirectoryProvider | None: ...
    def add(self, provider: DirectoryProvider, *, by: str, at: datetime) -> DirectoryProvider: ...
    def replace(
        self, key: int, provider: DirectoryProvider, *, by: str, at: datetime
    ) -> DirectoryProvider: ...


class UnitOfWork(Protocol):
    """One user action: enter, work, `commit()`; leaving without commit rolls back.

    Audit entries recorded with `record()` are chained and written at commit, inside
    the same transaction as the change they describe.
    """

    @property
    def users(self) -> UserRepository: ...
    @property
    def patients(self) -> PatientRepository: ...
    @property
    def merges(self) -> PatientMergeRepository: ...
    @property
    def cases(self) -> CaseRepository: ...
    @property
    def versions(self) -> VersionRepository: ...
    @property
    def settings(self) -> SettingsRepository: ...
    @property
    def accessions(self) -> AccessionCounter: ...
    @property
    def audit(self) -> AuditLog: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def orders(self) -> ReceivedOrderRepository: ...
    @property
    def templates(self) -> TemplateRepository: ...
    @property
    def providers(self) -> ProviderRepository: ...
    @property
    def reviews(self) -> ReviewRepository: ...
    @property
    def presence(self) -> PresenceRepository: ...

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def record(self, entry: AuditEntry) -> None: ...
    def commit(self) -> None: ...


class UnitOfWorkFactory(Protocol):
    """`read_only`: the action only reads. `lookup`: it only reads, by statements that
    each stand alone (a search, a count), so PostgreSQL needs no transaction for it;
    streamed results need one."""

    def __call__(self, *, read_only: bool = False, lookup: bool = False) -> UnitOfWork: ...


class MllpError(OSError):
    """An MLLP exchange failed: connection refused or lost, timeout, or no ACK frame."""


class MllpSender(Protocol):
    """Delivers one HL7 message over MLLP and returns the ACK text; raises `MllpError`
    (implemented with sockets by `marrowpath.adapters.mllp`)."""

    def exchange(self, host: str, port: int, message: str) -> str: ...


class PasswordHasher(Protocol):
    """Hashes and checks passwords (Argon2id in `marrowpath.adapters.passwords`)."""

    def hash(self, password: str) -> str: ...
    def verify(self, password_hash: str, password: str) -> bool: ...
    def needs_rehash(self, password_hash: str) -> bool: ...
    @property
    def dummy_hash(self) -> str: ...


class ReportRenderer(Protocol):
    """Turns a `ReportRequest` into PDF bytes (implemented by `marrowpath.reports`)."""

    def __call__(self, request: Any) -> bytes: ...


class ReportStamper(Protocol):
    """Stamps an issued PDF with what its version is now (superseded, withdrawn), leaving
    the issued bytes unchanged underneath (implemented by `marrowpath.reports`)."""

    def __call__(self, pdf: bytes, request: Any) -> bytes: ...


@dataclass(frozen=True)
class InterfaceBuilders:
    """The message builders of `marrowpath.reports`, handed to the services by bootstrap
    (the services may not import the reports package): each is pure, text out."""

    hl7_result: Callable[[ResultRequest], str]
    fhir_bundle: Callable[[ResultRequest], str]
    research_csv: Callable[[Iterable[ResearchRow]], str]


__all__ = [
    "AccessionCounter",
    "AuditLog",
    "CaseQuery",
    "CaseRecord",
    "CaseRepository",
    "CaseSummary",
    "CaseWrite",
    "InterfaceBuilders",
    "MllpError",
    "MllpSender",
    "NewOutboxMessage",
    "OutboxEntry",
    "OutboxRepository",
    "PasswordHasher",
    "PatientCase",
    "PatientMerge",
    "PatientMergeRepository",
    "PatientRecord",
    "PatientRepository",
    "PresenceRepository",
    "ProviderRepository",
    "ReceivedOrderRepository",
    "ReportRenderer",
    "ReportStamper",
    "ReviewRepository",
    "Role",
    "SettingsRepository",
    "TemplateRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
    "UserRecord",
    "UserRepository",
    "VersionRepository",
]
