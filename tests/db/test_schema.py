"""The schema: models and migrations agree; newer schemas are refused; backups are whole."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, text

from marrowpath.bootstrap import backup_database, build
from marrowpath.db import migrate
from marrowpath.db.migrate import for_dialect
from marrowpath.db.models import Base
from marrowpath.domain.errors import Refused, SchemaMismatch
from marrowpath.domain.users import User
from tests.conftest import example_case
from tests.hashing import TEST_HASHER


def test_models_and_migrations_agree(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection,
                opts={
                    "compare_type": True,
                    "include_object": for_dialect(connection.dialect.name),
                },
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_the_head_read_from_file_names_is_alembics_head() -> None:
    assert migrate.alembic_head() == migrate.HEAD


def test_a_schema_newer_than_the_program_is_refused(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        current = connection.scalar(text("SELECT version_num FROM alembic_version"))
        connection.execute(text("UPDATE alembic_version SET version_num = '9999_future'"))
    try:
        with pytest.raises(SchemaMismatch, match="newer than this MarrowPath"):
            build(database_url, with_renderer=False, hasher=TEST_HASHER)
    finally:  # the PostgreSQL database is shared by the whole run
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :current"), {"current": current}
            )
        engine.dispose()


def test_postgres_is_not_migrated_behind_the_administrators_back(tmp_path: Path) -> None:
    """A fresh SQLite file is created and migrated; an unmigrated server would be refused."""
    app = build(str(tmp_path / "new.db"), with_renderer=False, hasher=TEST_HASHER)
    app.close()
    with sqlite3.connect(tmp_path / "new.db") as connection:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
    assert {"cases", "report_versions", "audit_events", "users"} <= tables
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(SchemaMismatch, match="db upgrade"):
        build(str(empty), migrate_schema=False, with_renderer=False, hasher=TEST_HASHER)


def test_backup_is_a_consistent_copy(
    tmp_path: Path,
    sqlite_template: Path,
) -> None:
    database = tmp_path / "live.db"
    database.write_bytes(sqlite_template.read_bytes())
    app = build(str(database), with_renderer=False, hasher=TEST_HASHER)
    from marrowpath.domain.users import Role

    app.auth.add_first_user(
        "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password="correct-horse-1"
    )
    user: User = app.auth.sign_in("drpark", "correct-horse-1")
    app.cases.import_case(user, example_case())
    target = backup_database(str(database), tmp_path / "copy.db")
    app.close()
    with sqlite3.connect(target) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT accession FROM cases").fetchall() == [("BM26-00042",)]
    with pytest.raises(Refused, match="already exists"):
        backup_database(str(database), target)
    with pytest.raises(Refused, match="pg_dump"):
        backup_database("postgresql+psycopg://postgres@127.0.0.1/test", tmp_path / "pg.db")
