"""Which constraint the database refused a change on, by its name.

Constraints are named by `models.NAMING_CONVENTION` (`uq_cases_accession`, ...), and the
unit of work decides what a refusal means from that name, never by searching the
driver's wording (which differs between servers, versions and languages).

PostgreSQL reports the constraint's name and table (psycopg's `diag`). SQLite names a
CHECK constraint, but reports a UNIQUE or PRIMARY KEY constraint by its columns, in a
fixed form ("UNIQUE constraint failed: cases.accession"); those columns are looked up
in the schema's metadata to find the constraint's name, so that callers compare names
on both databases.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import PrimaryKeyConstraint, UniqueConstraint
from sqlalchemy.exc import DBAPIError

from marrowpath.db.models import Base

INSUFFICIENT_PRIVILEGE = "42501"  # PostgreSQL's SQLSTATE for "permission denied"
_SQLITE_KEY_FAILURES = ("UNIQUE constraint failed: ", "PRIMARY KEY constraint failed: ")
_SQLITE_CHECK_FAILURE = "CHECK constraint failed: "


@dataclass(frozen=True)
class Violation:
    """The constraint a change broke: its name and table, as far as the driver says."""

    constraint: str | None
    table: str | None


def violation(error: DBAPIError) -> Violation:
    """The named constraint behind an integrity error (both fields None when unknown)."""
    diag = getattr(error.orig, "diag", None)
    if diag is not None:  # psycopg
        return Violation(diag.constraint_name, diag.table_name)
    return _sqlite_violation(str(error.orig))


def sqlstate(error: DBAPIError) -> str | None:
    """The SQLSTATE of a PostgreSQL error (SQLite has none)."""
    code = getattr(error.orig, "sqlstate", None)
    return code if isinstance(code, str) else None


def _sqlite_violation(message: str) -> Violation:
    if message.startswith(_SQLITE_CHECK_FAILURE):
        return Violation(message.removeprefix(_SQLITE_CHECK_FAILURE).strip(), None)
    for prefix in _SQLITE_KEY_FAILURES:
        if message.startswith(prefix):
            columns = [part.strip() for part in message.removeprefix(prefix).split(",")]
            tables = {column.split(".", 1)[0] for column in columns}
            if len(tables) != 1:
                break
            table = tables.pop()
            names = frozenset(column.split(".", 1)[-1] for column in columns)
            return Violation(_key_named(table, names), table)
    return Violation(None, None)


def _key_named(table_name: str, columns: frozenset[str]) -> str | None:
    """The name of the UNIQUE or PRIMARY KEY constraint of `table_name` over `columns`."""
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return None
    for constraint in table.constraints:
        if not isinstance(constraint, UniqueConstraint | PrimaryKeyConstraint):
            continue
        if frozenset(column.name for column in constraint.columns) == columns:
            return str(constraint.name) if constraint.name else None
    return None
