"""The SQLAlchemy unit of work: one session and one transaction per user action.

Audit entries recorded during the action are appended to the hash chain at commit, in
the same transaction, after locking the chain head (`SELECT ... FOR UPDATE` on
PostgreSQL; SQLite transactions are already `BEGIN IMMEDIATE`), so the chain stays one
line when several workstations write at once. The next sequence number comes from the
last stored event, not from the head row alone, so a deleted or altered head row can
lock nobody out (the repair is itself an audit event). After the commit the new head is
anchored outside the database (`anchor`). Database errors leave as `Refused`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from marrowpath.db.anchor import AuditAnchor, NoAnchor, anchor_for
from marrowpath.db.bench import SqlPresenceRepository, SqlReviewRepository
from marrowpath.db.bulk_insert import insert_rows
from marrowpath.db.engine import read_only_options
from marrowpath.db.errors import INSUFFICIENT_PRIVILEGE, sqlstate, violation
from marrowpath.db.merges import SqlPatientMergeRepository
from marrowpath.db.models import AuditEventRow, AuditHeadRow, CaseRow
from marrowpath.db.outbox import SqlOutboxRepository, SqlReceivedOrderRepository
from marrowpath.db.providers import SqlProviderRepository
from marrowpath.db.repositories import (
    SqlAccessionCounter,
    SqlAuditLog,
    SqlCaseRepository,
    SqlPatientRepository,
    SqlSettingsRepository,
    SqlUserRepository,
    SqlVersionRepository,
    StaleCase,
    ensure_row,
    utcnow,
)
from marrowpath.db.templates import SqlTemplateRepository
from marrowpath.domain.audit import GENESIS, AnchoredHead, AuditEntry, event_hash
from marrowpath.domain.errors import ConcurrentChange, Refused
from marrowpath.loggers import logger

log = logger(__name__)

# the words of the triggers of migration 0006 on report_versions and audit_events
IMMUTABLE_MARK = "rows are never updated or deleted"
# The constraints whose refusals mean something to the user (named as in the migrations).
VERSION_NUMBER = "uq_report_versions_case_number"
ACCESSION = "uq_cases_accession"
MRN = "uq_patients_mrn"
PROVIDER_ID = "uq_providers_identifier"


class SqlUnitOfWork:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        *,
        workstation: str,
        now: Callable[[], datetime] = utcnow,
        read_only: bool = False,
        lookup: bool = False,
        anchor: AuditAnchor | None = None,
    ) -> None:
        self._session_factory = session_factory
        self._workstation = workstation
        self._now = now
        self._read_only = read_only or lookup
        self._lookup = lookup
        self._anchor = anchor or NoAnchor()
        self._pending: list[AuditEntry] = []
        self._new_head: AnchoredHead | None = None

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._session_factory()
        if self._read_only:
            dialect = self.session.get_bind().dialect.name
            options = read_only_options(dialect, lookup=self._lookup)
            self.session.connection(execution_options=options)
        self.users = SqlUserRepository(self.session)
        self.patients = SqlPatientRepository(self.session)
        self.merges = SqlPatientMergeRepository(self.session)
        self.cases = SqlCaseRepository(self.session)
        self.versions = SqlVersionRepository(self.session)
        self.settings = SqlSettingsRepository(self.session)
        self.accessions = SqlAccessionCounter(self.session)
        self.audit = SqlAuditLog(self.session, self._anchor)
        self.outbox = SqlOutboxRepository(self.session)
        self.orders = SqlReceivedOrderRepository(self.session)
        self.templates = SqlTemplateRepository(self.session)
        self.providers = SqlProviderRepository(self.session)
        self.reviews = SqlReviewRepository(self.session)
        self.presence = SqlPresenceRepository(self.session)
        self._pending = []
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        if exc is not None:
            translated = self._translate(exc)
            if translated is not None:
                raise translated from None

    def record(self, entry: AuditEntry) -> None:
        self._pending.append(entry)

    def commit(self) -> None:
        self._new_head = None
        try:
            self._append_audit()
            self.session.commit()
        except Exception as error:
            self.session.rollback()
            translated = self._translate(error)
            if translated is not None:
                raise translated from None
            raise
        self._anchor_new_head()

    def _anchor_new_head(self) -> None:
        """Record the committed head outside the database. The action is done and was
        committed: a failure here is logged (verification then sees an older anchor),
        never reported as a failure of the action."""
        if self._new_head is None:
            return
        try:
            self._anchor.append(self._new_head)
        except (OSError, DBAPIError) as error:
            log.warning("the audit head %s was not anchored: %s", self._new_head.seq, error)

    def _append_audit(self) -> None:
        if not self._pending:
            return
        ensure_row(self.session, AuditHeadRow, {"id": 1, "seq": 0, "hash": GENESIS})
        head = self.session.get(AuditHeadRow, 1, with_for_update=True, populate_existing=True)
        assert head is not None
        at = self._now()
        self._repair_head(head)
        rows: list[dict[str, Any]] = []  # one batched insert: bulk loads record thousands
        for entry in self._pending:
            seq = head.seq + 1
            digest = event_hash(
                seq=seq,
                at=at,
                workstation=self._workstation,
                action=entry.action,
                username=entry.username,
                accession=entry.accession,
                detail=entry.detail,
                prev_hash=head.hash,
            )
            rows.append(
                {
                    "seq": seq,
                    "at": at,
                    "workstation": self._workstation,
                    "action": entry.action,
                    "username": entry.username,
                    "accession": entry.accession,
                    "detail": entry.detail,
                    "prev_hash": head.hash,
                    "hash": digest,
                }
            )
            head.seq, head.hash = seq, digest
        insert_rows(self.session, AuditEventRow, rows)  # COPY for a bulk batch
        self._pending = []
        self._new_head = AnchoredHead(head.seq, head.hash, at)
        self.session.flush()

    def _repair_head(self, head: AuditHeadRow) -> None:
        """Continue the chain after its last stored event. A head row that disagrees
        (deleted and recreated empty, or altered) is set right, and the repair goes into
        the chain first; `audit verify` compares the chain with its anchor."""
        last = self.session.execute(
            select(AuditEventRow.seq, AuditEventRow.hash)
            .order_by(AuditEventRow.seq.desc())
            .limit(1)
        ).first()
        stored = (last.seq, last.hash) if last is not None else (0, GENESIS)
        if (head.seq, head.hash) == stored:
            return
        repair = AuditEntry(
            "audit-head-repaired",
            self._pending[0].username,
            None,
            {
                "head_row": {"seq": head.seq, "hash": head.hash},
                "last_event": {"seq": stored[0], "hash": stored[1]},
            },
        )
        self._pending.insert(0, repair)
        head.seq, head.hash = stored

    def _translate(self, error: BaseException) -> Exception | None:
        if isinstance(error, StaleCase):
            return self._stale_message(error.accession)
        if isinstance(error, DBAPIError) and IMMUTABLE_MARK in str(error.orig):
            return Refused(
                "the database refused to change an issued report version or an audit "
                "event: they are never updated or deleted"
            )
        if isinstance(error, DBAPIError) and sqlstate(error) == INSUFFICIENT_PRIVILEGE:
            return Refused(
                f"the database refused the change ({_first_line(error.orig)}); the "
                "workstations' database role may not do this"
            )
        if isinstance(error, IntegrityError):
            broken = violation(error)
            if broken.table == "report_versions" or broken.constraint == VERSION_NUMBER:
                return ConcurrentChange(
                    "the case was signed at the same moment on another workstation; reload"
                )
            if broken.constraint == ACCESSION:
                return Refused("that accession number is already in use")
            if broken.constraint == PROVIDER_ID:
                return ConcurrentChange(
                    "a provider with that id was added at the same moment elsewhere; try again"
                )
            if broken.constraint == MRN:
                return ConcurrentChange(
                    "a patient with that MRN was added at the same moment elsewhere; try again"
                )
            return Refused(f"the database refused the change ({_first_line(error.orig)})")
        if isinstance(error, OperationalError | DBAPIError):
            return Refused(
                f"the database is busy or cannot be reached ({_first_line(error.orig)}); "
                "nothing was changed, try again"
            )
        return None

    def _stale_message(self, accession: str) -> ConcurrentChange:
        with self._session_factory() as session:
            row = session.scalar(select(CaseRow).where(CaseRow.accession == accession))
        if row is None:
            return ConcurrentChange(f"{accession}: was removed by someone else; reload")
        when = row.updated_at.strftime("%Y-%m-%d %H:%M UTC")
        return ConcurrentChange(f"{accession}: changed by {row.updated_by} at {when}; reload")


def _first_line(error: object) -> str:
    return str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__


class SqlUnitOfWorkFactory:
    """Makes a unit of work per user action, all sharing one engine's connection pool."""

    def __init__(
        self, engine: Engine, *, workstation: str, now: Callable[[], datetime] = utcnow
    ) -> None:
        self._sessions = sessionmaker(bind=engine, expire_on_commit=False)
        self._workstation = workstation
        self._now = now
        self._anchor = anchor_for(engine)

    def __call__(self, *, read_only: bool = False, lookup: bool = False) -> SqlUnitOfWork:
        return SqlUnitOfWork(
            self._sessions,
            workstation=self._workstation,
            now=self._now,
            read_only=read_only,
            lookup=lookup,
            anchor=self._anchor,
        )
