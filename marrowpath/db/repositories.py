"""Repositories over one SQLAlchemy session; they return domain objects, never rows."""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, undefer
from sqlalchemy.sql.elements import ColumnElement

from marrowpath.db import case_pages, search_index
from marrowpath.db.anchor import AuditAnchor
from marrowpath.db.bulk_insert import insert_rows, insert_with_ids
from marrowpath.db.models import (
    AccessionCounterRow,
    AuditEventRow,
    AuditHeadRow,
    CaseRecipientRow,
    CaseRow,
    PatientRow,
    ReportReadRow,
    SecretRow,
    SettingsRow,
    UserRow,
    VersionRow,
)
from marrowpath.domain.audit import AnchoredHead, AuditEvent
from marrowpath.domain.enums import Sex
from marrowpath.domain.identity import mrn_key
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.recipients import provider_ids
from marrowpath.domain.search_key import needles
from marrowpath.domain.users import DEFAULT_LOCKOUT_MINUTES, Role, User
from marrowpath.services.ports import (
    CaseQuery,
    CaseRecord,
    CaseSummary,
    CaseWrite,
    NewCase,
    NewPatient,
    NewVersion,
    PatientCase,
    PatientRecord,
    SecondCountCase,
    UserRecord,
)

# Issued versions (the document models), the lab's settings (pydantic) and the integrity
# check are read by few commands; a sign-in or a search, which every run of the command
# line does, needs none of them.
if TYPE_CHECKING:
    from marrowpath.domain.integrity import CaseState, StoredVersion
    from marrowpath.domain.settings import LabSettings
    from marrowpath.domain.versions import IssuedVersion, UnreadableVersion


def ensure_row(session: Session, model: type[Any], values: dict[str, Any]) -> None:
    """Insert a row unless its primary key exists, without racing another workstation
    (INSERT ... ON CONFLICT DO NOTHING); the caller then locks it with FOR UPDATE."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    key = [column.name for column in model.__table__.primary_key.columns]
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=key))


def utcnow() -> datetime:
    return datetime.now(UTC)


class StaleCase(Exception):
    """The case row changed under us: the optimistic version check failed."""

    def __init__(self, accession: str) -> None:
        super().__init__(accession)
        self.accession = accession


def _user(row: UserRow) -> User:
    return User(
        username=row.username,
        full_name=row.full_name,
        role=Role(row.role),
        credentials=row.credentials,
        active=row.active,
        locked=row.locked,
        locked_until=row.locked_until,
        provider_id=row.provider_id,
    )


class SqlUserRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, username: str) -> UserRecord | None:
        row = self._session.scalar(select(UserRow).where(UserRow.username == username))
        if row is None:
            return None
        return UserRecord(_user(row), row.password_hash, row.failed_sign_ins)

    def add(self, user: User, password_hash: str) -> None:
        self._session.add(
            UserRow(
                username=user.username,
                full_name=user.full_name,
                role=user.role.value,
                credentials=user.credentials,
                password_hash=password_hash,
                failed_sign_ins=0,
                locked=False,
                active=user.active,
                created_at=utcnow(),
                provider_id=user.provider_id,
            )
        )
        self._session.flush()

    def count(self) -> int:
        return self._session.scalar(select(func.count()).select_from(UserRow)) or 0

    def list(self) -> list[User]:
        return [
            _user(row) for row in self._session.scalars(select(UserRow).order_by(UserRow.username))
        ]

    def update(self, username: str, **values: Any) -> None:
        self._session.execute(update(UserRow).where(UserRow.username == username).values(**values))

    def counter_keymap(self, username: str) -> str | None:
        return self._session.scalar(
            select(UserRow.counter_keymap).where(UserRow.username == username)
        )

    def register_failure(
        self, username: str, *, now: datetime, limit: int, lock_until: datetime
    ) -> tuple[int, bool]:
        """Count one failed password; lock at `limit`. Returns (failures, locked now).

        Increments in SQL (not read-modify-write) so that parallel guesses from many
        workstations each count; an expired lockout starts the count again; failures
        during a lockout do not extend it; an unknown user name changes nothing.
        """
        named = UserRow.username == username
        self._session.execute(
            update(UserRow)
            .where(named, UserRow.locked.is_(True), UserRow.locked_until <= now)
            .values(locked=False, locked_until=None, failed_sign_ins=0)
        )
        self._session.execute(
            update(UserRow)
            .where(named, UserRow.locked.is_(False))
            .values(failed_sign_ins=UserRow.failed_sign_ins + 1)
        )
        row = self._session.execute(
            select(UserRow.failed_sign_ins, UserRow.locked).where(named)
        ).one_or_none()
        if row is None:  # no such user: nothing counted (the statements ran all the same)
            return 0, False
        failures, already = int(row.failed_sign_ins), bool(row.locked)
        if already or failures < limit:
            return failures, False
        self._session.execute(
            update(UserRow).where(named).values(locked=True, locked_until=lock_until)
        )
        return failures, True


def _patient(row: PatientRow) -> PatientRecord:
    return PatientRecord(
        id=row.id,
        mrn=row.mrn,
        family_name=row.family_name,
        given_names=row.given_names,
        birth_date=row.birth_date,
        sex=Sex(row.sex),
        former_mrns=tuple((row.former_mrns or "").split()),
        merged_into_id=row.merged_into_id,
    )


class SqlPatientRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def by_mrn(self, mrn: str) -> PatientRecord | None:
        row = self._session.scalar(select(PatientRow).where(PatientRow.mrn == mrn))
        return _patient(row) if row else None

    def by_mrn_key(self, key: str) -> list[PatientRecord]:
        rows = self._session.scalars(
            select(PatientRow).where(PatientRow.mrn_key == key).order_by(PatientRow.id)
        )
        return [_patient(row) for row in rows]

    def add(
        self,
        *,
        mrn: str,
        family_name: str,
        given_names: str,
        birth_date: date,
        sex: Sex,
        search_key: str,
    ) -> PatientRecord:
        row = PatientRow(
            mrn=mrn,
            mrn_key=mrn_key(mrn),
            family_name=family_name,
            given_names=given_names,
            birth_date=birth_date,
            sex=sex.value,
            search_key=search_key,
        )
        self._session.add(row)
        self._session.flush()
        return _patient(row)

    def lock(self, mrn: str) -> PatientRecord | None:
        """The patient with this MRN, locked until the end of the transaction (FOR UPDATE
        on PostgreSQL; a SQLite write transaction holds the whole database already), read
        anew after waiting: the second of two workstations sees the first one's change."""
        self._session.expire_all()
        row = self._session.scalar(
            select(PatientRow).where(PatientRow.mrn == mrn).with_for_update()
        )
        return _patient(row) if row else None

    def get(self, patient_id: int) -> PatientRecord | None:
        row = self._session.get(PatientRow, patient_id)
        return _patient(row) if row else None

    def update(self, patient_id: int, **values: Any) -> None:
        if "former_mrns" in values:
            values["former_mrns"] = " ".join(values["former_mrns"])
        if "sex" in values:
            values["sex"] = Sex(values["sex"]).value
        self._session.execute(
            update(PatientRow).where(PatientRow.id == patient_id).values(**values)
        )
        self._session.expire_all()

    def by_mrns(self, mrns: Collection[str]) -> dict[str, PatientRecord]:
        rows = self._session.scalars(select(PatientRow).where(PatientRow.mrn.in_(list(mrns))))
        return {row.mrn: _patient(row) for row in rows}

    def taken_mrn_keys(self, keys: Collection[str]) -> set[str]:
        """Which of these look-alike keys an existing patient has."""
        found = self._session.scalars(
            select(PatientRow.mrn_key).where(PatientRow.mrn_key.in_(list(keys))).distinct()
        )
        return {key for key in found if key is not None}

    def add_many(self, patients: Sequence[NewPatient]) -> list[PatientRecord]:
        """Insert patients in one go (bulk loading: `insert_with_ids`), in the order given."""
        if not patients:
            return []
        ids = insert_with_ids(
            self._session,
            PatientRow,
            [
                {
                    "mrn": p.mrn,
                    "mrn_key": mrn_key(p.mrn),
                    "family_name": p.family_name,
                    "given_names": p.given_names,
                    "birth_date": p.birth_date,
                    "sex": p.sex.value,
                    "search_key": p.search_key,
                }
                for p in patients
            ],
        )
        return [
            PatientRecord(
                id=id_,
                mrn=p.mrn,
                family_name=p.family_name,
                given_names=p.given_names,
                birth_date=p.birth_date,
                sex=p.sex,
            )
            for id_, p in zip(ids, patients, strict=True)
        ]


def issued_columns(write: CaseWrite) -> dict[str, Any]:
    """The issued twins of the summary columns, from the columns of an issued document
    (the same functions fill both, so search folds the issued text exactly alike)."""
    return {
        "issued_search_key": write.search_key,
        "issued_diagnosis": write.diagnosis,
        "issued_patient_name": write.extra.get("patient_name", ""),
        "issued_mrn": write.extra.get("mrn", ""),
        "issued_procedure_date": write.procedure_date,
        "issued_ordering_provider": write.ordering_provider,
    }


# The issued columns of a case with nothing issued (their defaults), so every row of a
# batched insert has the same keys.
_NOT_ISSUED: dict[str, Any] = {
    "issued_search_key": "",
    "issued_diagnosis": "",
    "issued_patient_name": "",
    "issued_mrn": "",
    "issued_procedure_date": None,
    "issued_ordering_provider": "",
}


class SqlCaseRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _record(self, row: CaseRow) -> CaseRecord:
        patient = self._session.get(PatientRow, row.patient_id) if row.patient_id else None
        return CaseRecord(
            id=row.id,
            accession=row.accession,
            status=Status(row.status),
            working=dict(row.working),
            amendment_in_progress=row.amendment_in_progress,
            row_version=row.row_version,
            patient=_patient(patient) if patient else None,
            assigned_pathologist=row.assigned_pathologist,
            resident=row.resident,
            issued_count=row.issued_count,
            created_at=row.created_at,
            updated_at=row.updated_at,
            updated_by=row.updated_by,
            closing_reason=row.closing_reason,
        )

    def get(self, accession: str, *, for_update: bool = False) -> CaseRecord | None:
        statement = select(CaseRow).where(CaseRow.accession == accession)
        if for_update:
            statement = statement.with_for_update()
        row = self._session.scalar(statement)
        return self._record(row) if row else None

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
    ) -> CaseRecord:
        row = CaseRow(
            accession=accession,
            status=status.value,
            amendment_in_progress=False,
            row_version=1,
            issued_count=issued_count,
            assigned_pathologist=assigned_pathologist,
            resident=resident,
            created_at=at,
            updated_at=at,
            updated_by=user,
            **self._columns(write),
            **(issued_columns(issued) if issued else {}),
        )
        self._session.add(row)
        self._session.flush()
        if issued is not None:
            self._set_recipients(row.id, issued)
        return self._record(row)

    def _set_recipients(self, case_id: int, issued: CaseWrite) -> None:
        """Whose patients the case is: the provider ids its newly issued version names."""
        self._session.execute(delete(CaseRecipientRow).where(CaseRecipientRow.case_id == case_id))
        ids = provider_ids(issued.working)
        if ids:
            self._session.execute(
                insert(CaseRecipientRow),
                [{"case_id": case_id, "provider_id": pid} for pid in ids],
            )

    def mark_read(
        self,
        case: CaseRecord,
        username: str,
        *,
        read_count: int | None,
        amendment_seen: int | None,
        at: datetime,
    ) -> bool:
        """`username` has opened the case's report as it stands with `read_count` issued
        versions (no longer New); `amendment_seen`: the amendment whose changes table she
        was shown (no longer Amended up to it). Marks only move forward; returns whether
        one did."""
        row = self._session.get(ReportReadRow, (case.id, username))
        if row is None:
            row = ReportReadRow(
                case_id=case.id, username=username, read_count=0, amendment_seen=0, read_at=at
            )
            self._session.add(row)
        before = (row.read_count, row.amendment_seen)
        row.read_count = max(row.read_count, read_count or 0)
        row.amendment_seen = max(row.amendment_seen, amendment_seen or 0)
        row.read_at = at
        self._session.flush()
        return (row.read_count, row.amendment_seen) != before

    def add_many(self, cases: Sequence[NewCase]) -> list[int]:
        """Insert cases in one batched statement (bulk loading); their ids, in order. The
        same columns as `add`, search keys included (`insert_with_ids`: `COPY` on
        PostgreSQL)."""
        if not cases:
            return []
        rows = [
            {
                "accession": case.accession,
                "status": case.status.value,
                "amendment_in_progress": False,
                "row_version": 1,
                "issued_count": case.issued_count,
                "assigned_pathologist": case.assigned_pathologist,
                "resident": case.resident,
                "created_at": case.at,
                "updated_at": case.at,
                "updated_by": case.user,
                "closing_reason": None,
                **self._columns(case.write),
                **(issued_columns(case.issued) if case.issued else _NOT_ISSUED),
            }
            for case in cases
        ]
        return insert_with_ids(self._session, CaseRow, rows)

    @staticmethod
    def _columns(write: CaseWrite) -> dict[str, Any]:
        return {
            "working": write.working,
            "patient_id": write.patient_id,
            "search_key": write.search_key,
            "procedure_date": write.procedure_date,
            "diagnosis": write.diagnosis,
            "ordering_provider": write.ordering_provider,
            "patient_name": write.extra.get("patient_name", ""),
            "mrn": write.extra.get("mrn", ""),
            "signable": write.signable,
        }

    def _bump(self, case: CaseRecord, values: dict[str, Any], user: str, at: datetime) -> int:
        """Update with the optimistic version check; returns the new row version."""
        new_version = case.row_version + 1
        result = self._session.execute(
            update(CaseRow)
            .where(CaseRow.id == case.id, CaseRow.row_version == case.row_version)
            .values(row_version=new_version, updated_at=at, updated_by=user, **values)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            raise StaleCase(case.accession)
        return new_version

    def update_working(
        self,
        case: CaseRecord,
        write: CaseWrite,
        *,
        user: str,
        at: datetime,
        amendment_in_progress: bool | None = None,
    ) -> int:
        values = self._columns(write)
        if amendment_in_progress is not None:
            values["amendment_in_progress"] = amendment_in_progress
        return self._bump(case, values, user, at)

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
    ) -> int:
        """Move the case to a new status; `issued` is the newly issued version's columns."""
        values: dict[str, Any] = {
            "status": status.value,
            "issued_count": issued_count,
            "amendment_in_progress": amendment_in_progress,
        }
        if closing_reason is not None:
            values["closing_reason"] = closing_reason
        if issued is not None:
            values.update(issued_columns(issued))
            self._set_recipients(case.id, issued)
        return self._bump(case, values, user, at)

    def assign(
        self,
        case: CaseRecord,
        *,
        pathologist: str | None,
        resident: str | None,
        user: str,
        at: datetime,
    ) -> int:
        return self._bump(
            case, {"assigned_pathologist": pathologist, "resident": resident}, user, at
        )

    def search(self, query: CaseQuery) -> list[CaseSummary]:
        dialect = self._session.get_bind().dialect.name
        words = needles(query.words)
        if self._first_page_of_words(query):
            key = case_pages.summary_of(query).search_key
            if dialect == "sqlite":
                # the index's first matches: all of them when fewer than a page, and
                # the page is read by id without asking the index again
                literal = tuple(search_index.is_literal(n) for n in words)
                first = search_index.first_matches(key.key, literal)
                patterns = search_index.patterns(dialect, words)
                ids = self._session.scalars(first, {**patterns, "limit": query.limit}).all()
                if len(ids) < (query.limit or 0):
                    return self._page(query, words, "ids", ids=list(ids)) if ids else []
            elif not search_index.worth_probing(self._session.connection(), key, words):
                return self._page(query, words, "index", sort_matches=True)
            window = search_index.PROBE_WINDOW
            while window:
                found = self._probe(query, words, window)
                if found is None:
                    break
                if len(found) == query.limit:
                    return found
                window = search_index.next_window(window, len(found), query.limit or 0)
            # a page not among the newest: the index's matches, sorted
            return self._page(query, words, "index", sort_matches=dialect != "sqlite")
        return self._page(query, words, "index")

    def _probe(self, query: CaseQuery, words: list[str], window: int) -> list[CaseSummary] | None:
        """The page among the `window` newest cases in the worklist's order. On
        PostgreSQL the window is bounded by its last row, read first by the date index;
        None when it has none with a date (the window would hold every case): then the
        index answers."""
        if self._session.get_bind().dialect.name == "sqlite":
            return self._page(query, words, "probe", window=window)
        shape = case_pages.Shape.of("postgresql", query, words, words="probe")
        column = case_pages.summary_of(query).sort_column(query.sort)
        last = self._session.execute(
            select(column, CaseRow.id)
            .order_by(*case_pages.order(shape))
            .offset(window - 1)
            .limit(1)
        ).first()
        if last is None or last[0] is None:
            return None
        return self._page(query, words, "probe", last=(last[0], last[1]))

    @staticmethod
    def _first_page_of_words(query: CaseQuery) -> bool:
        """A first page of words, newest first: worth looking among the newest cases
        before asking the index (`search_index.newest_matching`) when the words match
        many cases. SQLite's index gives a page of matches in a millisecond (and all of
        them for a rare word); on PostgreSQL the keys' statistics tell
        (`search_index.worth_probing`). Either way a rare word skips the probe."""
        return bool(
            query.words
            and query.limit is not None
            and 0 < query.limit <= search_index.PROBE_WINDOW
            and query.sort == "procedure_date"
            and query.descending
            and query.after is None
            and not query.offset
        )

    def _page(
        self,
        query: CaseQuery,
        words: list[str],
        how: case_pages.Words,
        *,
        sort_matches: bool = False,
        ids: list[int] | None = None,
        window: int | None = None,
        last: tuple[Any, int] | None = None,
    ) -> list[CaseSummary]:
        dialect = self._session.get_bind().dialect.name
        shape = case_pages.Shape.of(dialect, query, words, words=how, sort_matches=sort_matches)
        statement = case_pages.statement(shape)
        found = case_pages.values(query, shape, words, ids=ids, window=window, last=last)
        return [
            CaseSummary(
                accession=row.accession,
                status=Status(row.status),
                patient_name=row.patient_name,
                mrn=row.mrn,
                procedure_date=row.procedure_date,
                diagnosis=row.diagnosis,
                ordering_provider=row.ordering_provider,
                assigned_pathologist=row.assigned_pathologist,
                pathologist_name=row.pathologist_name,
                created_at=row.created_at,
                issued_count=row.issued_count,
                first_issued_at=case_pages.aware(row.first_issued_at),
                new=bool(row.new) if shape.reader else False,
                amended=bool(row.amended) if shape.reader else False,
                position=(row.sort_value, row.id),
                review_from=row.review_from if shape.awaiting else None,
            )
            for row in self._session.execute(statement, found)
        ]

    def count(self, query: CaseQuery) -> int:
        dialect = self._session.get_bind().dialect.name
        words = needles(query.words)
        shape = case_pages.Shape.of(dialect, query, words, count=True)
        found = case_pages.values(query, shape, words)
        return self._session.scalar(case_pages.statement(shape), found) or 0

    def states(self) -> Iterator[CaseState]:
        """Every case's accession, status and count of issued versions (`audit verify`)."""
        from marrowpath.domain.integrity import CaseState

        statement = select(CaseRow.accession, CaseRow.status, CaseRow.issued_count).order_by(
            CaseRow.id
        )
        for accession, status, issued_count in self._session.execute(
            statement.execution_options(yield_per=2000)
        ):
            yield CaseState(accession, status, issued_count)

    def with_second_count(
        self, start: date | None = None, end: date | None = None
    ) -> Iterator[SecondCountCase]:
        """The cases whose working document has `aspirate.second_count`, by procedure
        date then accession, optionally within procedure dates `start`..`end`. The JSON
        is filtered in the database (a lab's archive has few second counts)."""
        has_second: ColumnElement[bool]
        if self._session.get_bind().dialect.name == "postgresql":
            has_second = CaseRow.working[("aspirate", "second_count")].is_not(None)
        else:
            has_second = func.json_type(CaseRow.working, "$.aspirate.second_count") == "object"
        statement = select(
            CaseRow.accession, CaseRow.status, CaseRow.procedure_date, CaseRow.working
        ).where(has_second)
        if start is not None:
            statement = statement.where(CaseRow.procedure_date >= start)
        if end is not None:
            statement = statement.where(CaseRow.procedure_date <= end)
        statement = statement.order_by(CaseRow.procedure_date, CaseRow.accession)
        for accession, status, procedure_date, working in self._session.execute(
            statement.execution_options(yield_per=500)
        ):
            aspirate = working.get("aspirate") if isinstance(working, dict) else None
            if isinstance(aspirate, dict) and isinstance(aspirate.get("second_count"), dict):
                yield SecondCountCase(accession, Status(status), procedure_date, aspirate)

    def existing(self, accessions: list[str]) -> set[str]:
        """Which of these accessions are taken (one query for a batch)."""
        statement = select(CaseRow.accession).where(CaseRow.accession.in_(accessions))
        return set(self._session.scalars(statement))

    def accessions_with_prefix(self, prefix: str) -> list[str]:
        return list(
            self._session.scalars(
                select(CaseRow.accession).where(CaseRow.accession.startswith(prefix))
            )
        )

    def of_patient(self, patient_id: int, *, for_update: bool = False) -> list[CaseRecord]:
        """A patient's cases in the order of their ids (locked when about to change them)."""
        statement = select(CaseRow).where(CaseRow.patient_id == patient_id).order_by(CaseRow.id)
        if for_update:
            statement = statement.with_for_update()
        return [self._record(row) for row in self._session.scalars(statement)]

    def listed_for_patient(self, patient_id: int) -> list[PatientCase]:
        """A patient's cases from the summary columns only (the timeline's list)."""
        statement = (
            select(
                CaseRow.id,
                CaseRow.accession,
                CaseRow.status,
                CaseRow.issued_count,
                CaseRow.procedure_date,
                CaseRow.diagnosis,
            )
            .where(CaseRow.patient_id == patient_id)
            .order_by(CaseRow.id)
        )
        return [
            PatientCase(
                row.id,
                row.accession,
                Status(row.status),
                row.issued_count,
                row.procedure_date,
                row.diagnosis,
            )
            for row in self._session.execute(statement)
        ]

    def by_ids(self, case_ids: Sequence[int], *, for_update: bool = False) -> list[CaseRecord]:
        statement = select(CaseRow).where(CaseRow.id.in_(list(case_ids))).order_by(CaseRow.id)
        if for_update:
            statement = statement.with_for_update()
        return [self._record(row) for row in self._session.scalars(statement)]

    def set_search_key(self, case_id: int, key: str) -> None:
        """The working document's search key alone (the patient's MRNs changed, not the
        document): no new row version, so an editor open on the case is not interrupted."""
        self._session.execute(update(CaseRow).where(CaseRow.id == case_id).values(search_key=key))

    def set_issued_search_key(self, case_id: int, key: str) -> None:
        """The issued text's search key, widened by a patient correction or merge to the
        patient's current name and MRNs (the issued columns it is read with are unchanged)."""
        self._session.execute(
            update(CaseRow).where(CaseRow.id == case_id).values(issued_search_key=key)
        )


def _version(row: VersionRow, *, with_pdf: bool) -> IssuedVersion:
    from marrowpath.domain.types import STORED
    from marrowpath.domain.versions import IssuedVersion, VersionContent

    return IssuedVersion(
        # as signed: rules added since then do not apply to what was already issued
        content=VersionContent.model_validate(row.content, context=STORED),
        sha256=row.sha256,
        pdf=row.pdf if with_pdf else None,
        pdf_sha256=row.pdf_sha256,
    )


class SqlVersionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def _select(self, with_pdf: bool) -> Select[Any]:
        statement = select(VersionRow)
        return statement.options(undefer(VersionRow.pdf)) if with_pdf else statement

    def list(self, case_id: int, *, with_pdf: bool = False) -> list[IssuedVersion]:
        statement = (
            self._select(with_pdf).where(VersionRow.case_id == case_id).order_by(VersionRow.number)
        )
        return [_version(row, with_pdf=with_pdf) for row in self._session.scalars(statement)]

    def latest(self, case_ids: Sequence[int]) -> dict[int, IssuedVersion]:
        """The latest issued version of each of these cases (one query; cases with
        nothing issued are absent)."""
        if not case_ids:
            return {}
        newest = (
            select(VersionRow.case_id, func.max(VersionRow.number).label("number"))
            .where(VersionRow.case_id.in_(list(case_ids)))
            .group_by(VersionRow.case_id)
            .subquery()
        )
        statement = select(VersionRow).join(
            newest,
            (VersionRow.case_id == newest.c.case_id) & (VersionRow.number == newest.c.number),
        )
        return {
            row.case_id: _version(row, with_pdf=False) for row in self._session.scalars(statement)
        }

    def kinds(self, case_id: int) -> tuple[VersionKind, ...]:
        """The kinds of a case's versions in order, without reading their documents."""
        statement = (
            select(VersionRow.kind).where(VersionRow.case_id == case_id).order_by(VersionRow.number)
        )
        return tuple(VersionKind(kind) for kind in self._session.scalars(statement))

    def get(self, case_id: int, number: int) -> IssuedVersion | None:
        row = self._session.scalar(
            self._select(True).where(VersionRow.case_id == case_id, VersionRow.number == number)
        )
        return _version(row, with_pdf=True) if row else None

    def add(self, case_id: int, version: IssuedVersion) -> None:
        self._session.execute(
            insert(VersionRow),
            [
                {
                    "case_id": case_id,
                    "number": version.content.number,
                    "kind": version.content.kind.value,
                    "content": version.content.stored(),
                    "signed_by": version.content.signed_by,
                    "signed_at": version.content.signed_at,
                    "sha256": version.sha256,
                    "pdf": version.pdf,
                    "pdf_sha256": version.pdf_sha256,
                }
            ],
        )

    def add_many(self, versions: Sequence[tuple[int, NewVersion]]) -> None:
        """Insert versions of cases in one go (`bulk_insert`), each content stored as the
        canonical JSON it was hashed from; they are never updated. No PDF: rendered on
        demand."""
        insert_rows(
            self._session,
            VersionRow,
            [
                {
                    "case_id": case_id,
                    "number": new.number,
                    "kind": new.kind.value,
                    "content": new.content_json,
                    "signed_by": new.signed_by,
                    "signed_at": new.signed_at,
                    "sha256": new.sha256,
                    "pdf": None,
                    "pdf_sha256": None,
                }
                for case_id, new in versions
            ],
            json_text=("content",),
        )

    def all(
        self, *, with_pdf: bool = False, accessions: Collection[str] | None = None
    ) -> Iterator[IssuedVersion | UnreadableVersion]:
        """Every issued version (of these cases only, when `accessions` is given: checking
        what one run did on a million-case database); one whose stored content no longer
        parses comes as an `UnreadableVersion` naming its case and number."""
        for row, accession in self._every(with_pdf=with_pdf, accessions=accessions):
            yield _read_version(row, accession, with_pdf=with_pdf)

    def for_verification(self) -> Iterator[StoredVersion | UnreadableVersion]:
        """Every issued version with its PDF, as `audit verify` checks them: hashed as
        stored, and read in full only when that hash differs from the recorded one (to
        say why). At a million versions, rebuilding each model took most of the check."""
        from marrowpath.domain.integrity import StoredVersion
        from marrowpath.domain.versions import UnreadableVersion

        for row, accession in self._every(with_pdf=True, accessions=None):
            stored = StoredVersion.as_signed(row.content, row.sha256, row.pdf, row.pdf_sha256)
            if stored is not None and stored.accession == accession:
                yield stored
                continue
            version = _read_version(row, accession, with_pdf=True)
            yield version if isinstance(version, UnreadableVersion) else StoredVersion.of(version)

    def _every(
        self, *, with_pdf: bool, accessions: Collection[str] | None
    ) -> Iterator[tuple[VersionRow, str]]:
        statement = (
            self._select(with_pdf)
            .add_columns(CaseRow.accession)
            .join(CaseRow, CaseRow.id == VersionRow.case_id)
            .order_by(VersionRow.id)
        )
        if accessions is not None:
            statement = statement.where(CaseRow.accession.in_(list(accessions)))
        yield from self._session.execute(statement.execution_options(yield_per=500))


def _read_version(
    row: VersionRow, accession: str, *, with_pdf: bool
) -> IssuedVersion | UnreadableVersion:
    """The stored version, or an `UnreadableVersion` when its content no longer parses or
    names another case than the one it is filed under (moved)."""
    from pydantic import ValidationError

    from marrowpath.domain.versions import UnreadableVersion

    try:
        version = _version(row, with_pdf=with_pdf)
    except ValidationError as error:
        return UnreadableVersion(
            accession, row.number, f"{error.error_count()} fields fail validation"
        )
    if version.content.accession != accession:  # moved to another case
        return UnreadableVersion(
            accession, row.number, f"it was signed for {version.content.accession}"
        )
    return version


class SqlSettingsRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def load(self) -> LabSettings:
        from marrowpath.domain.settings import LabSettings, upgraded_settings

        row = self._session.get(SettingsRow, 1)
        # the working settings carry every rule in force (a version's snapshot does not)
        return upgraded_settings(LabSettings.model_validate(row.data) if row else LabSettings())

    def lockout_minutes(self) -> int:
        # the value `LabSettings.lockout_minutes` gives; saved settings were validated
        row = self._session.get(SettingsRow, 1)
        minutes = row.data.get("session_lockout_minutes") if row else None
        return int(minutes) if minutes else DEFAULT_LOCKOUT_MINUTES

    def save(self, settings: LabSettings) -> None:
        data = settings.model_dump(mode="json")
        row = self._session.get(SettingsRow, 1, with_for_update=True)
        if row is None:
            self._session.add(SettingsRow(id=1, data=data))
        else:
            row.data = data
        self._session.flush()

    def secret(self, name: str) -> bytes:
        row = self._session.get(SecretRow, name)
        if row is None:
            row = SecretRow(name=name, value=os.urandom(32))
            self._session.add(row)
            self._session.flush()
        return row.value


class SqlAccessionCounter:
    """A counter row per prefix (the lab's pattern for one year, e.g. "BM26-"),
    incremented under a row lock: proposed numbers only increase and are never reused,
    whatever was cancelled, discarded or imported meanwhile."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def next(self, prefix: str, digits: int) -> int:
        # Create the row if absent without racing another workstation (ON CONFLICT DO
        # NOTHING), then take it under a row lock and increment it past the highest
        # number already taken (cases imported or created with explicit numbers).
        self._ensure_row(prefix)
        row = self._session.get(
            AccessionCounterRow, prefix, with_for_update=True, populate_existing=True
        )
        assert row is not None
        row.last_number = max(row.last_number, self._highest_taken(prefix, digits)) + 1
        self._session.flush()
        return row.last_number

    def _ensure_row(self, prefix: str) -> None:
        """The prefix's row, made if absent without racing another workstation."""
        insert = (
            pg_insert if self._session.get_bind().dialect.name == "postgresql" else sqlite_insert
        )
        self._session.execute(
            insert(AccessionCounterRow)
            .values(prefix=prefix, last_number=0)
            .on_conflict_do_nothing(index_elements=["prefix"])
        )

    def at_least(self, prefix: str, number: int) -> None:
        """Numbers up to `number` are taken under `prefix` (a bulk load wrote them): the
        counter never proposes them, whatever their width. Without this, a million
        generated cases (BM26-100000 and up) made the counter try each taken number in
        turn."""
        self._ensure_row(prefix)
        self._session.execute(
            update(AccessionCounterRow)
            .where(AccessionCounterRow.prefix == prefix, AccessionCounterRow.last_number < number)
            .values(last_number=number)
        )

    def _highest_taken(self, prefix: str, digits: int) -> int:
        """The highest number of the form PREFIX + `digits` digits among the cases.

        Read from the top of the index on (length, accession) in byte order (PostgreSQL
        compares in the "C" collation so that its locale cannot reorder punctuation),
        until the first all-digit number: an index lookup whatever the table's size.
        Without that index PostgreSQL sorted every accession of the prefix (minutes at a
        million cases, for each number handed out).
        """
        column: Any = CaseRow.accession
        if self._session.get_bind().dialect.name == "postgresql":
            column = column.collate("C")
        statement = select(CaseRow.accession).where(
            func.length(CaseRow.accession) == len(prefix) + digits
        )
        if prefix:
            upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
            statement = statement.where(column >= prefix, column < upper)
        statement = statement.order_by(column.desc()).execution_options(yield_per=100)
        for accession in self._session.scalars(statement):
            number = accession[len(prefix) :]
            if accession.startswith(prefix) and number.isascii() and number.isdigit():
                return int(number)
        return 0


def _event(row: AuditEventRow) -> AuditEvent:
    return AuditEvent(
        seq=row.seq,
        at=row.at,
        workstation=row.workstation,
        action=row.action,
        username=row.username,
        accession=row.accession,
        detail=dict(row.detail),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


class SqlAuditLog:
    def __init__(self, session: Session, anchor: AuditAnchor | None = None) -> None:
        self._session = session
        self._anchor = anchor

    def head(self) -> tuple[int, str] | None:
        row = self._session.get(AuditHeadRow, 1)
        return (row.seq, row.hash) if row else None

    def anchored_head(self) -> AnchoredHead | None:
        """The highest head anchored outside the database. Read it before the events:
        the anchor may lag behind the chain then, but never lead it."""
        return self._anchor.latest() if self._anchor is not None else None

    def hash_at(self, seq: int) -> str | None:
        return self._session.scalar(select(AuditEventRow.hash).where(AuditEventRow.seq == seq))

    def events(self) -> Iterator[AuditEvent]:
        statement = select(AuditEventRow).order_by(AuditEventRow.seq)
        for row in self._session.scalars(statement.execution_options(yield_per=1000)):
            yield _event(row)

    def signing_events(self, accession: str) -> list[AuditEvent]:
        """The `sign` events of one case, in order."""
        statement = (
            select(AuditEventRow)
            .where(AuditEventRow.accession == accession, AuditEventRow.action == "sign")
            .order_by(AuditEventRow.seq)
        )
        return [_event(row) for row in self._session.scalars(statement)]

    def links(self, seqs: Collection[int]) -> dict[int, tuple[str, str]]:
        """`prev_hash` and `hash` of the events with these numbers (one query)."""
        if not seqs:
            return {}
        statement = select(AuditEventRow.seq, AuditEventRow.prev_hash, AuditEventRow.hash).where(
            AuditEventRow.seq.in_(list(seqs))
        )
        return {seq: (prev, digest) for seq, prev, digest in self._session.execute(statement)}

    def for_case(self, accession: str) -> list[AuditEvent]:
        statement = (
            select(AuditEventRow)
            .where(AuditEventRow.accession == accession)
            .order_by(AuditEventRow.seq)
        )
        return [_event(row) for row in self._session.scalars(statement)]
