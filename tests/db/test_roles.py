"""PostgreSQL roles as the README sets them up: an owner that migrates, an application
role for the workstations that can never change issued versions or audit events.

Roles are cluster-wide, so every name here is random and everything is dropped after.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from marrowpath.bootstrap import build
from marrowpath.cli import main
from marrowpath.db.uow import SqlUnitOfWork
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import Role
from tests.conftest import PASSWORD, PG_ADMIN_URL, example_case, no_postgres
from tests.hashing import TEST_HASHER
from tests.interfaces.support import Listener

pytestmark = pytest.mark.postgres
ACCESSION = "BM26-00042"


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    database: str

    def url(self, role: str) -> str:
        return (
            make_url(PG_ADMIN_URL)
            .set(username=role, database=self.database)
            .render_as_string(hide_password=False)
        )


@pytest.fixture
def roles() -> Iterator[Roles]:
    """A database owned by a new owner role (LOGIN CREATEROLE, not a superuser), as the
    README has the lab's IT create it; the application role is left to `db upgrade`."""
    suffix = uuid.uuid4().hex[:8]
    names = Roles(f"mp_owner_{suffix}", f"mp_app_{suffix}", f"mp_roles_{suffix}")
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE ROLE {names.owner} LOGIN CREATEROLE"))
            connection.execute(text(f"CREATE DATABASE {names.database} OWNER {names.owner}"))
    except DBAPIError as error:
        admin.dispose()
        no_postgres(error)
    yield names
    with admin.connect() as connection:
        connection.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :d"),
            {"d": names.database},
        )
        connection.execute(text(f"DROP DATABASE IF EXISTS {names.database}"))
        connection.execute(text(f"DROP ROLE IF EXISTS {names.app}"))
        connection.execute(text(f"DROP ROLE IF EXISTS {names.owner}"))
    admin.dispose()


def upgrade(url: str, *extra: str) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["--db", url, "db", "upgrade", *extra], stdout=out, stderr=err)
    assert "Traceback" not in err.getvalue()
    return code, out.getvalue().splitlines(), err.getvalue()


def refused_by_the_database(url: str, sql: str) -> str:
    engine = create_engine(url)
    try:
        with pytest.raises(DBAPIError) as caught, engine.begin() as connection:
            connection.execute(text(sql))
    finally:
        engine.dispose()
    return str(caught.value.orig)


def test_the_owner_migrates_and_the_workstations_cannot_change_issued_rows(
    roles: Roles, tmp_path: Path
) -> None:
    code, lines, err = upgrade(roles.url(roles.owner), "--app-role", roles.app)
    assert (code, err) == (0, "")
    assert lines[1] == (
        f"application role {roles.app} created: issued versions and audit events may be "
        "read and added, never changed or deleted"
    )

    # a workstation connected as the application role does all its work
    app = build(roles.url(roles.app), migrate_schema=False, hasher=TEST_HASHER)
    try:
        admin = app.auth.add_first_user(
            "admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD
        )
        app.auth.add_user(
            admin, "drpark", full_name="Dana Park", role=Role.PATHOLOGIST, password=PASSWORD
        )
        drpark = app.auth.sign_in("drpark", PASSWORD)
        app.lab.set_identity(
            admin, name="Riverside Lab", address="200 River Road", clia_id="14D0123456"
        )
        with Listener() as listener:
            app.lab.add_destination(admin, name="EHR", host="127.0.0.1", port=listener.port)
            app.cases.import_case(drpark, example_case())
            app.cases.sign(drpark, ACCESSION, PASSWORD, preliminary=True)
            app.cases.sign(drpark, ACCESSION, PASSWORD)
            assert [d.outcome for d in app.outbox.deliver_due()] == ["sent", "sent"]
        assert app.cases.report_pdf(drpark, ACCESSION).startswith(b"%PDF")
        assert app.audit.verify(admin).intact
        with pytest.raises(Refused) as caught, app.context.uow() as uow:
            assert isinstance(uow, SqlUnitOfWork)
            uow.session.execute(text("DELETE FROM report_versions"))
        assert str(caught.value).endswith("the workstations' database role may not do this")
    finally:
        app.close()

    as_app = roles.url(roles.app)
    for sql in (
        "UPDATE report_versions SET pdf = NULL",
        "DELETE FROM report_versions",
        "UPDATE audit_events SET username = 'mallory'",
        "DELETE FROM audit_events",
        "TRUNCATE audit_events CASCADE",
        "UPDATE alembic_version SET version_num = '0001'",
    ):
        assert "permission denied" in refused_by_the_database(as_app, sql), sql
    for sql in (
        "ALTER TABLE report_versions DISABLE TRIGGER USER",
        "DROP TRIGGER report_versions_immutable ON report_versions",
        "CREATE TABLE mallory (id int)",
    ):
        assert refused_by_the_database(as_app, sql).startswith(
            ("must be owner", "permission denied")
        ), sql
    # the owner is held by the triggers (it could drop them: it is never given to workstations)
    assert "report_versions rows are never updated or deleted" in refused_by_the_database(
        roles.url(roles.owner), "DELETE FROM report_versions"
    )

    # a later upgrade with the role the lab created (or kept) grants it again
    code, lines, err = upgrade(roles.url(roles.owner), "--app-role", roles.app)
    assert (code, err) == (0, "")
    assert lines[1].startswith(f"application role {roles.app} granted:")


def test_the_owner_or_a_superuser_is_not_accepted_as_the_application_role(
    roles: Roles,
) -> None:
    code, _lines, err = upgrade(roles.url(roles.owner), "--app-role", roles.owner)
    assert code == 1
    assert err.strip() == (
        f"db upgrade --app-role: {roles.owner} is the role running the upgrade (the owner of "
        "the tables); the workstations need a role of their own"
    )
    superuser = make_url(PG_ADMIN_URL).username or "postgres"
    code, _lines, err = upgrade(roles.url(roles.owner), "--app-role", superuser)
    assert code == 1
    assert f"{superuser} is a superuser" in err
    code, _lines, err = upgrade(roles.url(roles.owner), "--app-role", 'x"; DROP TABLE cases; --')
    assert code == 1
    assert "is not a role name MarrowPath accepts" in err


def test_sqlite_has_no_roles(tmp_path: Path) -> None:
    code, _lines, err = upgrade(str(tmp_path / "lab.db"), "--app-role", "marrowpath_app")
    assert code == 1
    assert err.strip() == (
        "db upgrade --app-role: roles exist on PostgreSQL only; a SQLite file is protected "
        "by the file system"
    )
    assert not (tmp_path / "lab.db").exists()
