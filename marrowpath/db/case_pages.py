"""The worklist's statements: its pages of case summaries and its counts.

A search costs the app its statement's construction as well as the query: about 0.15
ms on SQLite and 0.35 ms on PostgreSQL (a clinician's, with her marks) of a rare word's
1-3 ms, before SQLAlchemy has even found the compiled SQL in its cache. So a statement
is built once for each `Shape` of query (which filters it has, which key and which way
the words are looked for, the order, the paging), with named parameters
(`statement`), and run with the query's values (`values`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    tuple_,
)

from marrowpath.db import search_index
from marrowpath.db.models import (
    CaseRecipientRow,
    CaseReviewRow,
    CaseRow,
    ReportReadRow,
    UserRow,
    VersionRow,
)
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.search_key import WORD_START
from marrowpath.services.ports import CaseQuery

# How a query's words are looked for: by the trigram index; among the newest cases (the
# probe: `search_index.newest_matching`); as the ids the index found already; no words.
Words = Literal["index", "probe", "ids", ""]


@dataclass(frozen=True)
class _Summary:
    """The columns a worklist row is read, searched and sorted from: the working
    document's for those who may see drafts, the latest issued version's for the others."""

    search_key: Any
    patient_name: Any
    mrn: Any
    procedure_date: Any
    diagnosis: Any
    ordering_provider: Any

    def sort_column(self, key: str) -> Any:
        return {
            "procedure_date": self.procedure_date,
            "accession": CaseRow.accession,
            "patient": self.patient_name,
            "mrn": self.mrn,
            "status": CaseRow.status,
            "provider": self.ordering_provider,
            "diagnosis": self.diagnosis,
            "pathologist": CaseRow.assigned_pathologist,
            "created_at": CaseRow.created_at,
        }[key]


_WORKING = _Summary(
    CaseRow.search_key,
    CaseRow.patient_name,
    CaseRow.mrn,
    CaseRow.procedure_date,
    CaseRow.diagnosis,
    CaseRow.ordering_provider,
)
_ISSUED = _Summary(
    CaseRow.issued_search_key,
    CaseRow.issued_patient_name,
    CaseRow.issued_mrn,
    CaseRow.issued_procedure_date,
    CaseRow.issued_diagnosis,
    CaseRow.issued_ordering_provider,
)


def summary_of(query: CaseQuery) -> _Summary:
    return _ISSUED if query.issued_only else _WORKING


def _latest_amendment() -> Any:
    """The number of the case's latest issued amendment (NULL: never amended)."""
    return (
        select(func.max(VersionRow.number))
        .where(VersionRow.case_id == CaseRow.id, VersionRow.kind == VersionKind.AMENDMENT.value)
        .scalar_subquery()
    )


def _first_issued_at() -> Any:
    """When the case's first version was issued (NULL: nothing issued)."""
    return (
        select(func.min(VersionRow.signed_at))
        .where(VersionRow.case_id == CaseRow.id)
        .scalar_subquery()
    )


def _new_mark() -> Any:
    """Issued or changed since the reader last opened it (the query joins her read row)."""
    return or_(ReportReadRow.read_count.is_(None), ReportReadRow.read_count < CaseRow.issued_count)


def _amended_mark() -> Any:
    """Amended, and the latest amendment's changes table never shown to the reader."""
    latest = _latest_amendment()
    return and_(latest.is_not(None), func.coalesce(ReportReadRow.amendment_seen, 0) < latest)


def _awaiting_signature_of(username: Any) -> Any:
    """Assigned to `username`, not signed yet (or an amendment being written), and either
    complete enough to sign or sent to her for review (a resident may ask for help with
    an unfinished draft)."""
    sent_to_her = (
        select(CaseReviewRow.case_id)
        .where(CaseReviewRow.case_id == CaseRow.id, CaseReviewRow.attending == username)
        .exists()
    )
    unsigned = or_(
        CaseRow.status.in_([Status.DRAFT.value, Status.PRELIMINARY.value]),
        CaseRow.amendment_in_progress.is_(True),
    )
    return and_(
        CaseRow.assigned_pathologist == username,
        unsigned,
        or_(CaseRow.signable.is_(True), sent_to_her),
    )


def _review_from() -> Any:
    """The resident who sent the case for review, if any, by name (the username when
    not a user here)."""
    return (
        select(func.coalesce(_user_name(CaseReviewRow.resident), CaseReviewRow.resident))
        .where(CaseReviewRow.case_id == CaseRow.id)
        .scalar_subquery()
    )


def _user_name(username: Any) -> Any:
    """The display name of the user in a username column: the worklist shows people by
    name (None when the username is not a user here)."""
    return select(UserRow.full_name).where(UserRow.username == username).scalar_subquery()


# The worklist page's computed columns, built once: SQL expressions are immutable, and
# building them anew took a tenth of a millisecond of every search.
_FIRST_ISSUED_AT = _first_issued_at().label("first_issued_at")
_PATHOLOGIST_NAME = _user_name(CaseRow.assigned_pathologist).label("pathologist_name")
_MARKS = (_new_mark().label("new"), _amended_mark().label("amended"))
_UNREAD = or_(_new_mark(), _amended_mark())
_REVIEW_FROM = _review_from().label("review_from")


def _after(column: Any, *, after_null: bool, descending: bool) -> Any:
    """The rows after the position (sort value, id: the parameters `after_value`,
    `after_id`) in the worklist order, where NULL sort values come last in either
    direction: a keyset page, as fast on the last page as on the first (an OFFSET reads
    and drops every row before it). `after_null`: the position has no sort value."""
    last_id = bindparam("after_id", type_=Integer)
    later_id = CaseRow.id < last_id if descending else CaseRow.id > last_id
    if after_null:
        return and_(column.is_(None), later_id)
    value = bindparam("after_value", type_=column.type)
    later_value = column < value if descending else column > value
    return or_(later_value, and_(column == value, later_id), column.is_(None))


def aware(value: datetime | str | None) -> datetime | None:
    """A scalar subquery's datetime (SQLite hands back naive text or datetime) in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass(frozen=True)
class Shape:
    """What decides a worklist statement's SQL, apart from its values."""

    dialect: str
    issued: bool
    words: Words
    marked: tuple[bool, ...]  # per needle: a short word's (looked for in the marked words)
    literal: tuple[bool, ...]  # SQLite, per needle: tested with instr (`search_index.is_literal`)
    statuses: bool
    date_from: bool
    date_to: bool
    assigned: bool
    awaiting: bool
    recipient: bool
    reader: bool
    unread_only: bool
    sort: str
    descending: bool
    sort_matches: bool  # by an expression no index holds (`search_index.unindexed_order`)
    after: Literal["", "value", "null"]  # keyset paging after a row with or without a value
    offset: bool
    limit: bool
    count: bool  # how many, not the page

    @classmethod
    def of(
        cls,
        dialect: str,
        query: CaseQuery,
        needles: list[str],
        *,
        words: Words = "index",
        sort_matches: bool = False,
        count: bool = False,
    ) -> Shape:
        after = query.after
        return cls(
            dialect=dialect,
            issued=query.issued_only,
            words=words if needles else "",
            marked=tuple(n.startswith(WORD_START) for n in needles),
            literal=tuple(search_index.is_literal(n) for n in needles)
            if dialect == "sqlite"
            else (),
            statuses=bool(query.statuses),
            date_from=query.date_from is not None,
            date_to=query.date_to is not None,
            assigned=bool(query.assigned_to),
            awaiting=query.awaiting_signature_of is not None,
            recipient=query.recipient is not None,
            reader=query.reader is not None,
            unread_only=query.reader is not None and query.unread_only,
            sort=query.sort,
            descending=query.descending,
            sort_matches=sort_matches,
            after="" if count or after is None else "null" if after[0] is None else "value",
            offset=not count and bool(query.offset),
            limit=not count and query.limit is not None,
            count=count,
        )


# The parameters named as the `Shape` field that says they are present, each with the
# `CaseQuery` field that gives its value as it is.
_PLAIN_VALUES = {
    "date_from": "date_from",
    "date_to": "date_to",
    "assigned": "assigned_to",
    "awaiting": "awaiting_signature_of",
    "recipient": "recipient",
    "reader": "reader",
    "offset": "offset",
    "limit": "limit",
}


def values(
    query: CaseQuery,
    shape: Shape,
    needles: list[str],
    *,
    ids: list[int] | None = None,
    window: int | None = None,
    last: tuple[Any, int] | None = None,
) -> dict[str, Any]:
    """The values of `statement(shape)`'s parameters for `query`. `ids`: the cases the
    index found (`words="ids"`); a probe's `window` of newest cases (SQLite) or its
    `last` row (sort value and id, PostgreSQL)."""
    found: dict[str, Any] = {}
    if shape.words == "index":
        found.update(search_index.patterns(shape.dialect, needles))
    else:  # the probe tests the needles themselves (instr, strpos)
        found.update({search_index.needle_parameter(i): n for i, n in enumerate(needles)})
    if shape.words == "ids":
        found["ids"] = ids
    if shape.words == "probe":
        if shape.dialect == "sqlite":
            found["window"] = window
        else:
            assert last is not None
            found["last_value"], found["last_id"] = last
    if shape.statuses:
        found["statuses"] = [status.value for status in query.statuses]
    for parameter, attribute in _PLAIN_VALUES.items():
        if getattr(shape, parameter):
            found[parameter] = getattr(query, attribute)
    if shape.after:
        assert query.after is not None
        found["after_id"] = query.after[1]
        if shape.after == "value":
            found["after_value"] = query.after[0]
    return found


def order(shape: Shape) -> list[Any]:
    """The worklist's order; `sort_matches`: by an expression no index holds, so that
    PostgreSQL sorts the trigram index's matches rather than walk the date index
    (`search_index.unindexed_order`; not on SQLite, whose dates are text)."""
    column = _summary(shape).sort_column(shape.sort)
    if shape.sort_matches:
        column = search_index.unindexed_order(column)
    return [
        column.desc().nulls_last() if shape.descending else column.asc().nulls_last(),
        CaseRow.id.desc() if shape.descending else CaseRow.id.asc(),
    ]


@lru_cache(maxsize=1024)
def statement(shape: Shape) -> Select[Any]:
    """The page (or the count) for queries of this shape, with named parameters."""
    summary = _summary(shape)
    column = summary.sort_column(shape.sort)
    if shape.count:
        built: Select[Any] = select(func.count()).select_from(CaseRow)
        return _filtered(built, shape)
    built = select(
        CaseRow.id,
        column.label("sort_value"),
        *([_REVIEW_FROM] if shape.awaiting else []),
        _FIRST_ISSUED_AT,
        *(_MARKS if shape.reader else ()),
        CaseRow.accession,
        CaseRow.status,
        summary.patient_name.label("patient_name"),
        summary.mrn.label("mrn"),
        summary.procedure_date.label("procedure_date"),
        summary.diagnosis.label("diagnosis"),
        summary.ordering_provider.label("ordering_provider"),
        CaseRow.assigned_pathologist,
        _PATHOLOGIST_NAME,
        CaseRow.created_at,
        CaseRow.issued_count,
    )
    built = _filtered(built, shape).order_by(*order(shape))
    if shape.after:
        built = built.where(
            _after(column, after_null=shape.after == "null", descending=shape.descending)
        )
    if shape.offset:
        built = built.offset(bindparam("offset", type_=BigInteger))
    if shape.limit:
        built = built.limit(bindparam("limit", type_=BigInteger))
    return built


@lru_cache(maxsize=64)
def newest(shape: Shape) -> Any:
    """The probe's newest cases: on SQLite a select of the `window` newest ids; on
    PostgreSQL "at or above the window's last row" (`last_value`, `last_id`), which
    the date index answers with no join back to the cases."""
    if shape.dialect == "sqlite":
        return select(CaseRow.id).order_by(*order(shape)).limit(bindparam("window", type_=Integer))
    column = _summary(shape).sort_column(shape.sort)
    last = tuple_(bindparam("last_value", type_=column.type), bindparam("last_id", type_=Integer))
    return tuple_(column, CaseRow.id) >= last


def _summary(shape: Shape) -> _Summary:
    return _ISSUED if shape.issued else _WORKING


def _filtered(built: Select[Any], shape: Shape) -> Select[Any]:
    summary = _summary(shape)
    key = summary.search_key
    if shape.words == "ids":
        conditions: list[Any] = [CaseRow.id.in_(bindparam("ids", expanding=True))]
    elif shape.words == "probe":
        conditions = search_index.newest_matching(shape.dialect, key, newest(shape), shape.marked)
    else:
        conditions = search_index.matching(shape.dialect, key, shape.marked, shape.literal)
    built = built.where(*conditions) if conditions else built
    if shape.statuses:
        built = built.where(CaseRow.status.in_(bindparam("statuses", expanding=True)))
    if shape.date_from:
        built = built.where(summary.procedure_date >= bindparam("date_from", type_=Date))
    if shape.date_to:
        built = built.where(summary.procedure_date <= bindparam("date_to", type_=Date))
    if shape.issued:
        built = built.where(CaseRow.issued_count > 0)
    if shape.assigned:
        assigned = bindparam("assigned", type_=String)
        built = built.where(
            or_(CaseRow.assigned_pathologist == assigned, CaseRow.resident == assigned)
        )
    if shape.awaiting:
        built = built.where(_awaiting_signature_of(bindparam("awaiting", type_=String)))
    if shape.recipient:
        recipients = select(CaseRecipientRow.case_id).where(
            CaseRecipientRow.provider_id == bindparam("recipient", type_=String)
        )
        built = built.where(CaseRow.id.in_(recipients))
    if shape.reader:
        built = built.outerjoin(
            ReportReadRow,
            and_(
                ReportReadRow.case_id == CaseRow.id,
                ReportReadRow.username == bindparam("reader", type_=String),
            ),
        )
        if shape.unread_only:
            built = built.where(_UNREAD)
    return built
