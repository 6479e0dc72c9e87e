"""The rules of users and accounts (who may add users, the password and user-name rules,
deactivation, what a failed sign-in records), on the in-memory unit of work
(`tests/fakes.py`): they are service rules and need no database. Moved from
tests/db/test_users_and_audit.py; lockouts as stored are tested there and in
tests/db/test_sign_in.py on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from marrowpath.domain.errors import AuthenticationFailed, Forbidden, Refused
from marrowpath.domain.users import Role, User
from tests.conftest import PASSWORD
from tests.fakes import FakeApp, fake_app

WRONG = "wrong-password-1"
Team = dict[str, User]


@pytest.fixture
def app() -> FakeApp:
    return fake_app()


@pytest.fixture
def team(app: FakeApp) -> Team:
    """The team of tests/conftest.py: an admin, a pathologist, a resident, a technologist
    and a clinician, signed in."""
    app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD)
    users = {"admin": app.auth.sign_in("admin", PASSWORD)}
    for username, full_name, role, credentials in (
        ("drpark", "Dana Park", Role.PATHOLOGIST, "MD"),
        ("resident", "Rui Resident", Role.RESIDENT, "MD"),
        ("tech", "Tess Tech", Role.TECHNOLOGIST, "MLS(ASCP)"),
        ("clinician", "Carl Clinician", Role.CLINICIAN, "MD"),
    ):
        app.auth.add_user(
            users["admin"],
            username,
            full_name=full_name,
            role=role,
            password=PASSWORD,
            credentials=credentials,
        )
        users[username] = app.auth.sign_in(username, PASSWORD)
    return users


class TestUsers:
    def test_first_user(self, app: FakeApp) -> None:
        assert app.auth.needs_first_user()
        with pytest.raises(Refused, match="the first user must be an admin or a pathologist"):
            app.auth.add_first_user(
                "tech", full_name="Tess Tech", role=Role.TECHNOLOGIST, password=PASSWORD
            )
        with pytest.raises(Refused, match="at least 12 characters"):
            app.auth.add_first_user("admin", full_name="Ada", role=Role.ADMIN, password="short")
        assert app.auth.needs_first_user()
        user = app.auth.add_first_user(
            "admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD
        )
        assert (user.username, user.role) == ("admin", Role.ADMIN)
        assert not app.auth.needs_first_user()
        with pytest.raises(Forbidden, match="the database has users; sign in as an admin"):
            app.auth.add_first_user("other", full_name="Other", role=Role.ADMIN, password=PASSWORD)
        first = [e for e in app.events() if e.action == "user-add"]
        assert [(e.username, e.detail) for e in first] == [
            ("admin", {"username": "admin", "role": "admin", "first": True})
        ]

    def test_only_admin_adds_users(self, app: FakeApp, team: Team) -> None:
        for who in ("drpark", "resident", "tech", "clinician"):
            with pytest.raises(Forbidden) as caught:
                app.auth.add_user(
                    team[who], "newbie", full_name="New Bie", role=Role.CLINICIAN, password=PASSWORD
                )
            assert str(caught.value).startswith(f"{who} (")
            assert "may not add users, reset passwords and unlock accounts" in str(caught.value)
            refusal = [e for e in app.events() if e.action == "refused"][-1]
            assert (refusal.username, refusal.detail["action"]) == (who, "add users")
        with pytest.raises(AuthenticationFailed):
            app.auth.sign_in("newbie", PASSWORD)
        added = app.auth.add_user(
            team["admin"], "newbie", full_name="New Bie", role=Role.CLINICIAN, password=PASSWORD
        )
        assert added.role is Role.CLINICIAN
        assert app.auth.sign_in("newbie", PASSWORD).username == "newbie"
        assert [u.username for u in app.auth.list_users(team["admin"])] == [
            "admin",
            "clinician",
            "drpark",
            "newbie",
            "resident",
            "tech",
        ]
        with pytest.raises(Forbidden):
            app.auth.list_users(team["drpark"])

    def test_user_add_rules(self, app: FakeApp, team: Team) -> None:
        admin = team["admin"]
        with pytest.raises(Refused, match="user add: drpark already exists"):
            app.auth.add_user(
                admin, "drpark", full_name="Dup", role=Role.PATHOLOGIST, password=PASSWORD
            )
        with pytest.raises(Refused, match="must be 2-64 characters"):
            app.auth.add_user(
                admin, "Dr Park", full_name="X", role=Role.PATHOLOGIST, password=PASSWORD
            )
        with pytest.raises(Refused, match="password: must have at least 12 characters"):
            app.auth.add_user(
                admin, "shorty", full_name="X", role=Role.PATHOLOGIST, password="12345678901"
            )
        with pytest.raises(Refused, match="--full-name must not be empty"):
            app.auth.add_user(
                admin, "nameless", full_name=" ", role=Role.CLINICIAN, password=PASSWORD
            )

    def test_failed_sign_ins_are_audited(self, app: FakeApp, team: Team) -> None:
        for _ in range(5):
            with pytest.raises(AuthenticationFailed):
                app.auth.sign_in("tech", WRONG)
        with pytest.raises(AuthenticationFailed):
            app.auth.sign_in("tech", PASSWORD)
        with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
            app.auth.sign_in("nobody", PASSWORD)
        failed = [e for e in app.events() if e.action == "sign-in-failed"]
        assert [e.username for e in failed] == ["tech"] * 6 + ["nobody"]
        assert [e.detail.get("failures") for e in failed[:5]] == [1, 2, 3, 4, 5]
        assert [e.detail.get("locked") for e in failed[:5]] == [False] * 4 + [True]
        assert {e.detail["reason"] for e in failed[:5]} == {"wrong password"}
        assert failed[5].detail["reason"] == "locked"
        assert failed[6].detail == {"purpose": "sign-in", "reason": "unknown user"}
        # the password never reaches the audit trail
        assert not any(WRONG in json.dumps(e.detail) for e in app.events())
        assert not any(PASSWORD in json.dumps(e.detail) for e in app.events())

    def test_deactivate_and_reset_password(self, app: FakeApp, team: Team) -> None:
        admin = team["admin"]
        app.auth.set_active(admin, "clinician", False)
        with pytest.raises(AuthenticationFailed, match="the account clinician is deactivated"):
            app.auth.sign_in("clinician", PASSWORD)
        app.auth.set_active(admin, "clinician", True)
        assert app.auth.sign_in("clinician", PASSWORD).username == "clinician"
        with pytest.raises(Refused, match="you cannot deactivate your own account"):
            app.auth.set_active(admin, "admin", False)
        app.auth.reset_password(admin, "clinician", "brand-new-password")
        with pytest.raises(AuthenticationFailed):
            app.auth.sign_in("clinician", PASSWORD)
        assert app.auth.sign_in("clinician", "brand-new-password").username == "clinician"
        with pytest.raises(Refused, match="no user named ghost"):
            app.auth.unlock(admin, "ghost")
