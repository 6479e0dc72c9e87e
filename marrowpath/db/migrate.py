"""Schema migrations through the Alembic API (users have no `alembic` command).

A workstation upgrades its own SQLite file automatically; a shared PostgreSQL server is
upgraded by an administrator with `marrowpath db upgrade`. A database whose schema is
newer than this program (a newer workstation upgraded it) is refused, never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from marrowpath.db.models import UNCOMPARED_INDEXES
from marrowpath.db.roles import AppRole, check_role_name, grant_app_role
from marrowpath.db.search_index import is_index_table
from marrowpath.domain.errors import Refused, SchemaMismatch

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"

# Revisions are numbered 0001, 0002, ... in one line, so the files name them all and the
# highest is the head. Reading the names (not importing Alembic) keeps start-up quick;
# a test checks that this agrees with Alembic's own view.
KNOWN_REVISIONS = frozenset(
    path.name[:4] for path in (MIGRATIONS / "versions").glob("[0-9][0-9][0-9][0-9]_*.py")
)
HEAD = max(KNOWN_REVISIONS)


def for_dialect(dialect: str) -> Callable[..., bool]:
    """An Alembic `include_object` hook: leave out indexes meant for the other database
    (`Index(...).ddl_if(dialect=...)`) and SQLite's full-text index tables (made by a
    migration, not declared as models), which autogenerate would otherwise report."""

    def include(obj: object, name: object, kind: str, _reflected: bool, _other: object) -> bool:
        if kind == "table" and isinstance(name, str) and is_index_table(name):
            return False
        if kind == "index" and name in UNCOMPARED_INDEXES:
            return False
        condition = getattr(obj, "_ddl_if", None)
        return not (
            kind == "index" and condition is not None and condition.dialect not in (None, dialect)
        )

    return include


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def alembic_head() -> str | None:
    """The head as Alembic computes it from the scripts (used by tests)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(
    engine: Engine, *, app_role: str | None = None, revision: str = "head"
) -> AppRole | None:
    """Create or migrate the schema to this program's head revision.

    Args:
        revision: an earlier target, for tests that replay one migration on a database
            as the release before it left it.
        app_role: PostgreSQL only: the role the workstations use, created if missing and
            granted its privileges in the same transaction (`roles.grant_app_role`).
    """
    from alembic import command

    if app_role is not None:
        refuse_roles_unless_postgresql(engine.dialect.name)
        check_role_name(app_role)
    _refuse_newer(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
        return grant_app_role(connection, app_role) if app_role is not None else None


def refuse_roles_unless_postgresql(backend: str) -> None:
    """An application role is a PostgreSQL notion; say so before a SQLite file is made."""
    if backend != "postgresql":
        raise Refused(
            "db upgrade --app-role: roles exist on PostgreSQL only; a SQLite file is "
            "protected by the file system"
        )


def check_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is this program's; upgrade it when allowed (SQLite)."""
    _refuse_newer(engine)
    current = current_revision(engine)
    if current == HEAD:
        return
    if auto_upgrade:
        upgrade(engine)
        return
    state = "has no MarrowPath schema yet" if current is None else "has an older schema"
    raise SchemaMismatch(
        f"the database {state}; an administrator runs `marrowpath db upgrade` first"
    )


def _refuse_newer(engine: Engine) -> None:
    current = current_revision(engine)
    if current is not None and current not in KNOWN_REVISIONS:
        raise SchemaMismatch(
            f"the database schema ({current}) is newer than this MarrowPath "
            f"(expects {HEAD}); install the newer version of MarrowPath"
        )
