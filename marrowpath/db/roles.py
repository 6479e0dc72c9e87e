"""PostgreSQL roles: an owner that migrates, an application role the workstations use.

The owner creates and alters the tables (and could drop the triggers of migration
0006); it is used only for `db upgrade`. The application role may read and add issued
report versions and audit events but never change or delete them, may change the
tables that are mutable by design (cases, users, the outbox, ...), and may not change
the schema. Grants follow the models, so a later `db upgrade --app-role` covers the
tables a newer version adds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, text

from marrowpath.db.models import Base
from marrowpath.domain.errors import Refused

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
IMMUTABLE_TABLES = frozenset({"report_versions", "audit_events", "audit_anchors"})
READ_ONLY_TABLES = frozenset({"alembic_version"})  # the workstation checks the revision
MUTABLE = "SELECT, INSERT, UPDATE, DELETE"


@dataclass(frozen=True)
class AppRole:
    """The outcome of `db upgrade --app-role`: the role and whether it was created."""

    name: str
    created: bool


def check_role_name(name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise Refused(
            f"db upgrade --app-role: {name!r} is not a role name MarrowPath accepts "
            "(lower-case letters, digits and _, starting with a letter or _, at most 63)"
        )
    return name


def privileges(table: str) -> str:
    """What the application role may do on one table."""
    if table in IMMUTABLE_TABLES:
        return "SELECT, INSERT"
    if table in READ_ONLY_TABLES:
        return "SELECT"
    return MUTABLE


def grant_app_role(connection: Connection, name: str) -> AppRole:
    """Create the application role if it does not exist (LOGIN, no password: the lab sets
    one or relies on the server's authentication) and give it exactly its privileges.

    Runs in the upgrade's transaction, as the owner of the tables.
    """
    role = check_role_name(name)
    owner = connection.execute(text("SELECT current_user")).scalar_one()
    if role == owner:
        raise Refused(
            f"db upgrade --app-role: {role} is the role running the upgrade (the owner of "
            "the tables); the workstations need a role of their own"
        )
    found = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :role"), {"role": role}
    ).first()
    if found is not None and found.rolsuper:
        raise Refused(
            f"db upgrade --app-role: {role} is a superuser, which no privilege or trigger "
            "binds; give the workstations an ordinary role"
        )
    if found is None:
        connection.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    database = connection.execute(text("SELECT current_database()")).scalar_one()
    schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    connection.execute(text(f'GRANT CONNECT ON DATABASE "{database}" TO "{role}"'))
    connection.execute(text(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"'))
    connection.execute(text(f'REVOKE ALL ON ALL TABLES IN SCHEMA "{schema}" FROM "{role}"'))
    for table in sorted({*Base.metadata.tables, *READ_ONLY_TABLES}):
        connection.execute(text(f'GRANT {privileges(table)} ON "{table}" TO "{role}"'))
    connection.execute(
        text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA "{schema}" TO "{role}"')
    )
    return AppRole(role, created=found is None)
