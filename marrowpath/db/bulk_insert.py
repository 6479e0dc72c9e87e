"""Many rows into one table in one go, for the bulk paths (demo loads, the audit events
of a bulk batch): PostgreSQL `COPY ... FROM STDIN`, SQLite one batched INSERT.

`COPY` skips what makes a batched INSERT cost on the client (SQLAlchemy's parameter
processing, psycopg's many-row statements) and on the server (parsing and planning each
statement); it still fires the tables' triggers and checks their constraints, so the
immutability triggers and unique keys hold as for any insert (decision 84). Columns
given as JSON text (`json_text`) are stored as they are: the caller dumped them once,
for instance to hash them.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, Text, bindparam, insert, select, text
from sqlalchemy.orm import Session

# below this many rows a plain INSERT costs no more than setting up a COPY
COPY_FROM = 50


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def insert_rows(
    session: Session,
    model: type[Any],
    rows: Sequence[dict[str, Any]],
    *,
    json_text: Collection[str] = (),
) -> None:
    """Insert `rows` (dicts with the same keys) into the table of the mapped class
    `model` in this transaction."""
    if not rows:
        return
    table: Table = model.__table__
    if not is_postgresql(session):
        statement = insert(table)
        if json_text:  # bound as text, stored as given
            statement = statement.values({n: bindparam(n, type_=Text()) for n in json_text})
        session.execute(statement, list(rows))
    elif len(rows) >= COPY_FROM:
        _copy(session, table, rows)
    else:
        parsed = [{**row, **{n: json.loads(row[n]) for n in json_text}} for row in rows]
        session.execute(insert(table), parsed)


def insert_with_ids(
    session: Session, model: type[Any], rows: Sequence[dict[str, Any]]
) -> list[int]:
    """`insert_rows`, returning the new rows' ids in the order given: by `COPY` with ids
    taken from the table's sequence first (PostgreSQL), else INSERT ... RETURNING."""
    if not rows:
        return []
    if is_postgresql(session) and len(rows) >= COPY_FROM:
        ids = _reserve_ids(session, model, len(rows))
        _copy(session, model.__table__, [{"id": i, **r} for i, r in zip(ids, rows, strict=True)])
        return ids
    returning = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(returning, list(rows)).all())


def _reserve_ids(session: Session, model: type[Any], count: int) -> list[int]:
    """`count` new ids from the sequence of `model.id` (PostgreSQL), ascending: rows
    written by `COPY` return none, and callers need them for their child rows."""
    sequence = session.execute(
        select(text("pg_get_serial_sequence(:table, 'id')")),
        {"table": model.__table__.name},
    ).scalar_one()
    ids = session.execute(
        text("SELECT nextval(CAST(:sequence AS regclass)) FROM generate_series(1, :count)"),
        {"sequence": sequence, "count": count},
    ).scalars()
    return sorted(ids)


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    names = list(rows[0])
    columns = ", ".join(f'"{name}"' for name in names)
    # a cursor of this session's own connection: the rows join its transaction
    connection = session.connection().connection.driver_connection
    with (
        connection.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f'COPY "{table.name}" ({columns}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([_copy_value(row[name]) for name in names])


def _copy_value(value: Any) -> Any:
    """As the column types bind them: JSON as text, datetimes in UTC."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database")
        return value.astimezone(UTC)
    return value
