"""Tampering with the stored rows as an attacker who holds the database owner's rights.

Issued versions and audit events refuse UPDATE and DELETE through triggers (migration
0006). The owner of a PostgreSQL database, or anyone who can write a SQLite file, can
still switch those triggers off; the attacks in the tests do exactly that, so that what
they prove is what MarrowPath detects afterwards, not merely that the triggers hold.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, text


@contextmanager
def tampering(engine: Engine) -> Iterator[Connection]:
    """A transaction in which no trigger fires (committed at the end of the block)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # a superuser (the test server's) may; an owner would ALTER TABLE ... DISABLE TRIGGER
            connection.execute(text("SET LOCAL session_replication_role = replica"))
            yield connection
            return
        triggers = connection.execute(
            text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
        ).all()
        for name, _sql in triggers:
            connection.exec_driver_sql(f'DROP TRIGGER "{name}"')
        yield connection
        for _name, sql in triggers:
            connection.exec_driver_sql(sql)


def tamper(engine: Engine, sql: str, **params: Any) -> int:
    """Run one statement behind MarrowPath's back; returns the number of rows it touched."""
    with tampering(engine) as connection:
        return int(connection.execute(text(sql), params).rowcount)


def as_json(engine: Engine, name: str) -> str:
    """A bound JSON parameter in SQL, cast where the column is JSONB."""
    return f"CAST(:{name} AS JSONB)" if engine.dialect.name == "postgresql" else f":{name}"
