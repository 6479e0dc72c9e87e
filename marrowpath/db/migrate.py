"""Schema migrations through the Alembic API (users have no `alembic` command).

A workstation upgrades its own SQLite file automatically; a shared PostgreSQL server is
upgraded by an administrator with `marrowpath db upgrade`. A database whose schema is
newer than this program (a newer workstation upgraded it) is refused, never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from marrowpath.domain.errors import SchemaMismatch

MIGRATIONS = Path(__file__).parent / "migrations"


def for_dialect(dialect: str) -> Callable[..., bool]:
    """An Alembic `include_object` hook: leave out indexes meant for the other database
    (`Index(...).ddl_if(dialect=...)`), which autogenerate would otherwise report."""

    def include(obj: object, _name: object, kind: str, _reflected: bool, _other: object) -> bool:
        condition = getattr(obj, "_ddl_if", None)
        return not (
            kind == "index" and condition is not None and condition.dialect not in (None, dialect)
        )

    return include


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Create or migrate the schema to this program's head revision."""
    _refuse_newer(engine)
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def check_schema(engine: Engine, *, auto_upgrade: bool) -> None:
    """Make sure the schema is this program's; upgrade it when allowed (SQLite)."""
    _refuse_newer(engine)
    current = current_revision(engine)
    if current == head_revision():
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
    if current is None:
        return
    scripts = ScriptDirectory.from_config(_config())
    try:
        scripts.get_revision(current)
    except Exception:
        raise SchemaMismatch(
            f"the database schema ({current}) is newer than this MarrowPath "
            f"(expects {head_revision()}); install the newer version of MarrowPath"
        ) from None
