"""SQLAlchemy 2 typed models: the relational entities and the stored documents.

Patients, users, cases, versions, settings and audit events are rows; the findings of a
working document and of every issued version are JSON (JSONB on PostgreSQL), with the few
values people search and plot extracted into indexed columns.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    literal_column,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from marrowpath.domain.search_key import TEXT_SEPARATOR

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC, returns aware datetimes on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    credentials: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    failed_sign_ins: Mapped[int] = mapped_column(Integer, default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    # the end of a lockout (`session.lockout_minutes` after the last failure); NULL: none
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # the id (e.g. NPI) this user orders under: a clinician's "My patients" are the cases
    # whose issued report names this id as ordering provider or copy recipient
    provider_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # the differential counter's keymap (`Keymap.to_json`); NULL: the default letters
    counter_keymap: Mapped[str | None] = mapped_column(Text)


class PatientRow(Base):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(primary_key=True)
    mrn: Mapped[str] = mapped_column(String(32), unique=True)
    # the MRN's look-alike key (`domain.identity.mrn_key`): another MRN with the same key
    # differs only by case or confusable characters and is refused
    mrn_key: Mapped[str | None] = mapped_column(String(128), index=True)
    family_name: Mapped[str] = mapped_column(String(200))
    given_names: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[str] = mapped_column(String(10))
    search_key: Mapped[str] = mapped_column(String(500), index=True)
    # set while this registration is merged into another (`patient merge`): its MRN then
    # names no patient of its own, and its cases are the surviving patient's
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"))
    # the MRNs merged into this patient, space-separated: search by either MRN finds the
    # patient's cases (`services/patients.py`)
    former_mrns: Mapped[str] = mapped_column(Text, default="", server_default="")


class PatientMergeRow(Base):
    """One merge of a duplicate registration into the surviving patient: who, when, why,
    and exactly which cases moved, so that an unmerge moves those back and no others."""

    __tablename__ = "patient_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    from_patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    into_patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    from_mrn: Mapped[str] = mapped_column(String(32))
    into_mrn: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(Text)
    case_ids: Mapped[list[int]] = mapped_column(JsonDocument)
    merged_by: Mapped[str] = mapped_column(String(64))
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime())
    unmerged_by: Mapped[str | None] = mapped_column(String(64))
    unmerged_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CaseRow(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_procedure_date", "status", "procedure_date"),
        Index("ix_cases_procedure_date_id", "procedure_date", "id"),
        Index("ix_cases_assigned_pathologist", "assigned_pathologist"),
        # Search finds substrings of the folded keys through trigram indexes: pg_trgm
        # here, an FTS5 table kept by triggers on SQLite (`db/search_index.py`, made by
        # migration 0012, which the models do not declare).
        Index(
            "ix_cases_search_trgm",
            "search_key",
            postgresql_using="gin",
            postgresql_ops={"search_key": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
        # The same for the issued columns, which clinicians search and sort.
        Index("ix_cases_issued_procedure_date_id", "issued_procedure_date", "id"),
        Index(
            "ix_cases_issued_search_trgm",
            "issued_search_key",
            postgresql_using="gin",
            postgresql_ops={"issued_search_key": "gin_trgm_ops"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    accession: Mapped[str] = mapped_column(String(32), unique=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    working: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    amendment_in_progress: Mapped[bool] = mapped_column(Boolean, default=False)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    issued_count: Mapped[int] = mapped_column(Integer, default=0)
    assigned_pathologist: Mapped[str | None] = mapped_column(String(64))
    resident: Mapped[str | None] = mapped_column(String(64))
    procedure_date: Mapped[date | None] = mapped_column(Date)
    diagnosis: Mapped[str] = mapped_column(Text, default="")
    ordering_provider: Mapped[str] = mapped_column(String(200), default="")
    patient_name: Mapped[str] = mapped_column(String(400), default="")
    mrn: Mapped[str] = mapped_column(String(32), default="")
    search_key: Mapped[str] = mapped_column(Text, default="")
    # The same summary as issued (the latest version), written when a version is issued:
    # what clinicians search, sort and see; empty until something is issued.
    issued_search_key: Mapped[str] = mapped_column(Text, default="", server_default="")
    issued_diagnosis: Mapped[str] = mapped_column(Text, default="", server_default="")
    issued_patient_name: Mapped[str] = mapped_column(String(400), default="", server_default="")
    issued_mrn: Mapped[str] = mapped_column(String(32), default="", server_default="")
    issued_procedure_date: Mapped[date | None] = mapped_column(Date)
    issued_ordering_provider: Mapped[str] = mapped_column(
        String(200), default="", server_default=""
    )
    closing_reason: Mapped[str | None] = mapped_column(Text)
    # The working document is complete enough to sign (it parses as a whole case):
    # written with it, so that "Awaiting my signature" is one indexed query.
    signable: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


# PostgreSQL sorts NULL dates first when descending, so the worklist's order (newest
# first, no date last) needs indexes of its own there: with them the planner walks the
# cases newest first and stops at a page when a search word is common, and takes the
# trigram index when it is rare (SQLite's plain indexes already give this order).
for _name, _date in (
    ("ix_cases_newest_first", CaseRow.procedure_date),
    ("ix_cases_issued_newest_first", CaseRow.issued_procedure_date),
):
    Index(_name, _date.desc().nulls_last(), CaseRow.id.desc()).ddl_if(dialect="postgresql")


def marked_words(key: Any) -> Any:
    """The marked words of a search key (accession, MRN, name words): the part before
    the key's first " | " (`domain/search_key.py`), as the expression the indexes below
    are built on; the separator is written as a literal so the planner matches it."""
    return func.split_part(key, literal_column(f"'{TEXT_SEPARATOR}'"), literal_column("1"))


# The accession counter reads the highest number of each length under a prefix from the
# top of this index (`SqlAccessionCounter._highest_taken`), in byte order: the "C"
# collation on PostgreSQL, SQLite's default.
Index(
    "ix_cases_accession_length_pg",
    func.length(CaseRow.accession).label("accession_length"),
    CaseRow.accession.collate("C").label("accession_c"),
).ddl_if(dialect="postgresql")
# Alembic reflects a collated column of an expression index apart from its collation and
# reports this index as different from itself: the schema comparison leaves it out.
UNCOMPARED_INDEXES = frozenset({"ix_cases_accession_length_pg"})
Index(
    "ix_cases_accession_length",
    func.length(CaseRow.accession).label("accession_length"),
    CaseRow.accession,
).ddl_if(dialect="sqlite")


# A word of one or two letters matches the start of a marked word. pg_trgm ignores the
# mark (control characters), so over the whole key "li" would fetch every case with a
# word beginning "li" anywhere, diagnosis words included (0.2-0.4 s at a million cases);
# over the marked words alone, only the names, MRNs and accessions that begin so.
for _name, _key in (
    ("ix_cases_marked_trgm", CaseRow.search_key),
    ("ix_cases_issued_marked_trgm", CaseRow.issued_search_key),
):
    Index(
        _name,
        marked_words(_key).label("marked"),
        postgresql_using="gin",
        postgresql_ops={"marked": "gin_trgm_ops"},
    ).ddl_if(dialect="postgresql")


class CaseReviewRow(Base):
    """A resident's draft sent for review: to whom, when, and the text as sent (the
    attending's changes to it are shown before signing); removed when a version is
    signed or the draft is sent again."""

    __tablename__ = "case_reviews"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    resident: Mapped[str] = mapped_column(String(64))
    attending: Mapped[str] = mapped_column(String(64), index=True)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime())
    text: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class CasePresenceRow(Base):
    """A case open for editing on a workstation (`bench.md`: presence). Refreshed by the
    open editor, deleted when it closes; a row not refreshed expires (domain/bench.py)."""

    __tablename__ = "case_presence"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    workstation: Mapped[str] = mapped_column(String(200), primary_key=True)
    since: Mapped[datetime] = mapped_column(UtcDateTime())
    seen_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)


class VersionRow(Base):
    """An issued report version. Rows are inserted once and never updated or deleted."""

    __tablename__ = "report_versions"
    __table_args__ = (UniqueConstraint("case_id", "number", name="uq_report_versions_case_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(20))
    content: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    signed_by: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    sha256: Mapped[str] = mapped_column(String(64))
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))


class CaseRecipientRow(Base):
    """A provider id the latest issued version of a case names (ordering or copy to):
    whose "My patients" the case is in. Replaced at every issue."""

    __tablename__ = "case_recipients"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class ReportReadRow(Base):
    """What a user has read of a case's issued report: the number of issued versions when
    they last opened it (New while fewer), and the latest amendment whose changes table
    they were shown (Amended while older than the case's latest amendment)."""

    __tablename__ = "report_reads"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    read_count: Mapped[int] = mapped_column(Integer, default=0)
    amendment_seen: Mapped[int] = mapped_column(Integer, default=0)
    read_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SettingsRow(Base):
    """Lab settings (one row, id 1) and per-installation secrets."""

    __tablename__ = "lab_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JsonDocument)


class SecretRow(Base):
    __tablename__ = "secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[bytes] = mapped_column(LargeBinary)


class AccessionCounterRow(Base):
    __tablename__ = "accession_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer)


class AuditEventRow(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    workstation: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    username: Mapped[str] = mapped_column(String(64))
    accession: Mapped[str | None] = mapped_column(String(32), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDocument)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The chain's head (id 1): locked while appending, so the chain stays one line."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class OutboxRow(Base):
    """One result message for one destination, written in the signing transaction.

    The message text is stored whole, so every retry sends the same bytes with the same
    control id (MSH-10). `lease_until` marks a message a sender is working on; a sender
    that died mid-send leaves a lease that expires, and the message goes out again.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_case_id_destination", "case_id", "destination"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    accession: Mapped[str] = mapped_column(String(32))
    version_number: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(20))
    destination: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(253))
    port: Mapped[int] = mapped_column(Integer)
    control_id: Mapped[str] = mapped_column(String(20), unique=True)
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UtcDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ack_code: Mapped[str | None] = mapped_column(String(2))
    error: Mapped[str | None] = mapped_column(Text)


class ReceivedOrderRow(Base):
    """An HL7 order that created a draft case: a resent order finds its case here."""

    __tablename__ = "received_orders"

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    control_id: Mapped[str] = mapped_column(String(199))
    sender: Mapped[str] = mapped_column(String(200))
    message_type: Mapped[str] = mapped_column(String(20))
    placer_order_number: Mapped[str | None] = mapped_column(String(200), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    accession: Mapped[str] = mapped_column(String(32))


class AuditAnchorRow(Base):
    """The chain's head after each commit, written on PostgreSQL by a connection of its
    own once the commit is done (a SQLite database anchors to a file beside it)."""

    __tablename__ = "audit_anchors"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))
    anchored_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TextTemplateRow(Base):
    """One template of the lab's text library (`domain/text_templates.py`): checked before
    it is stored, so a row is always a valid template. Changes are audited."""

    __tablename__ = "text_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # lower case: `NML;` and `nml;` expand alike, and one abbreviation names one text
    abbreviation: Mapped[str] = mapped_column(String(16), unique=True)
    targets: Mapped[list[str]] = mapped_column(JsonDocument)
    text: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ProviderRow(Base):
    """One provider of the lab's directory (`domain/providers.py`). Cases copy the
    fields they print; nothing refers to a row, so a row may change or be deactivated."""

    __tablename__ = "providers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    family_name: Mapped[str | None] = mapped_column(String(200))
    given_names: Mapped[str | None] = mapped_column(String(200))
    # the provider's identifier (e.g. NPI): one entry per identifier
    identifier: Mapped[str | None] = mapped_column(String(200), unique=True)
    organization: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))
