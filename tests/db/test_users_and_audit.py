"""Users, roles, lockout and the audit trail on SQLite and PostgreSQL, including tampering
with the stored rows behind the services' back."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App
from marrowpath.domain.audit import GENESIS, event_hash
from marrowpath.domain.canonical import canonical_json, sha256_hex
from marrowpath.domain.errors import AuthenticationFailed, Forbidden
from marrowpath.domain.users import Role, User
from tests.conftest import PASSWORD, example_case
from tests.tamper import tampering

ACCESSION = "BM26-00042"
WRONG = "wrong-password-1"
Team = dict[str, User]


def events(app: App) -> list[Any]:
    with app.context.uow(read_only=True) as uow:
        return list(uow.audit.events())


def execute(app: App, sql: str, **params: Any) -> Any:
    """Run SQL behind the services' back, with the owner's rights (`tests.tamper`)."""
    with tampering(app.engine) as connection:
        result = connection.execute(text(sql), params)
        return result.freeze()() if result.returns_rows else result


def as_json(app: App, name: str) -> str:
    """A bound JSON parameter in SQL, cast where the column is JSONB."""
    return f"CAST(:{name} AS JSONB)" if app.engine.dialect.name == "postgresql" else f":{name}"


def loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def signed_case(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], example_case())
    app.cases.sign(team["drpark"], ACCESSION, PASSWORD)


# ------------------------------------------------------------------ users


class TestUsers:
    def test_wrong_password_five_times_locks(self, app: App, team: Team) -> None:
        refusal = (
            "sign-in refused: wrong user name or password (5 failures in a row lock an "
            "account for 15 minutes)"
        )
        for _attempt in range(5):
            with pytest.raises(AuthenticationFailed) as caught:
                app.auth.sign_in("drpark", WRONG)
            assert str(caught.value) == refusal
        # even the right password fails now, in the same words
        with pytest.raises(AuthenticationFailed) as caught:
            app.auth.sign_in("drpark", PASSWORD)
        assert str(caught.value) == refusal
        # a locked pathologist cannot sign either
        app.cases.import_case(team["drpark"], example_case())
        with pytest.raises(AuthenticationFailed, match="signature refused: drpark is locked"):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        assert app.cases.versions(team["drpark"], ACCESSION) == []
        # only an admin unlocks
        with pytest.raises(Forbidden, match="may not add users, reset passwords and unlock"):
            app.auth.unlock(team["tech"], "drpark")
        app.auth.unlock(team["admin"], "drpark")
        assert app.auth.sign_in("drpark", PASSWORD).username == "drpark"
        unlocked = [e for e in events(app) if e.action == "user-unlock"]
        assert [(e.username, e.detail) for e in unlocked] == [("admin", {"username": "drpark"})]

    def test_a_success_resets_the_failure_count(self, app: App, team: Team) -> None:
        for _ in range(4):
            with pytest.raises(AuthenticationFailed):
                app.auth.sign_in("resident", WRONG)
        app.auth.sign_in("resident", PASSWORD)
        for _ in range(4):
            with pytest.raises(AuthenticationFailed):
                app.auth.sign_in("resident", WRONG)
        assert app.auth.sign_in("resident", PASSWORD).username == "resident"

    def test_wrong_signature_passwords_count_towards_the_lockout(
        self, app: App, team: Team
    ) -> None:
        app.cases.import_case(team["drpark"], example_case())
        for _ in range(5):
            with pytest.raises(AuthenticationFailed, match="signature refused"):
                app.cases.sign(team["drpark"], ACCESSION, WRONG)
        with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
            app.auth.sign_in("drpark", PASSWORD)  # the right one, but locked
        with pytest.raises(AuthenticationFailed, match="drpark is locked"):
            app.cases.sign(team["drpark"], ACCESSION, PASSWORD)


# ------------------------------------------------------------------ audit trail


class TestAuditTrail:
    def test_actions_and_refusals_are_recorded(self, app: App, team: Team) -> None:
        app.cases.import_case(team["drpark"], example_case())
        with pytest.raises(Forbidden):
            app.cases.sign(team["tech"], ACCESSION, PASSWORD)
        app.cases.sign(team["drpark"], ACCESSION, PASSWORD)
        app.cases.open(team["clinician"], ACCESSION)
        trail = [
            (e.action, e.username)
            for e in events(app)
            if e.accession == ACCESSION or e.action == "refused"
        ]
        assert trail == [
            ("create", "drpark"),
            ("refused", "tech"),
            ("sign", "drpark"),
            ("view", "clinician"),
        ]
        refusal = next(e for e in events(app) if e.action == "refused")
        assert refusal.detail == {
            "action": "sign",
            "reason": "tech (technologist) may not sign, amend, add addenda, withdraw or "
            "cancel reports",
        }
        per_case = app.audit.events_for_case(team["drpark"], ACCESSION)
        assert [e.action for e in per_case] == ["create", "refused", "sign", "view"]

    def test_events_form_a_chain(self, app: App, team: Team) -> None:
        signed_case(app, team)
        trail = events(app)
        assert [e.seq for e in trail] == list(range(1, len(trail) + 1))
        assert trail[0].prev_hash == GENESIS
        for before, after in itertools.pairwise(trail):
            assert after.prev_hash == before.hash
        for event in trail:
            assert event.hash == event.expected_hash()
            assert event.at.tzinfo is not None

    def test_verify_intact(self, app: App, team: Team) -> None:
        signed_case(app, team)
        app.cases.addendum(team["drpark"], ACCESSION, PASSWORD, text="Karyotype pending still.")
        result = app.audit.verify(team["drpark"])
        trail = events(app)
        assert result.intact
        assert result.problems == []
        assert result.events == len(trail)
        assert result.head == trail[-1].hash
        assert result.versions == 2
        # the admin verifies too
        assert app.audit.verify(team["admin"]).intact

    def test_verify_empty_database(self, app: App) -> None:
        admin = app.auth.add_first_user(
            "admin", full_name="Ada Admin", role=Role.ADMIN, password=PASSWORD
        )
        result = app.audit.verify(admin)
        assert result.intact
        assert (result.events, result.versions) == (1, 0)  # the user-add event

    def test_verify_is_for_admins_and_pathologists(self, app: App, team: Team) -> None:
        for who in ("resident", "tech", "clinician"):
            with pytest.raises(Forbidden, match="may not read or verify the audit trail"):
                app.audit.verify(team[who])
            refusal = [e for e in events(app) if e.action == "refused"][-1]
            assert (refusal.username, refusal.detail["action"]) == (who, "audit verify")


class TestTampering:
    def test_altered_event_detail_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        target = next(e for e in events(app) if e.action == "create")
        execute(
            app,
            f"UPDATE audit_events SET detail = {as_json(app, 'detail')} WHERE seq = :seq",
            detail=json.dumps({"source": "editor"}),
            seq=target.seq,
        )
        result = app.audit.verify(team["drpark"])
        assert not result.intact
        assert result.problems[0] == f"event {target.seq} (create by drpark): content altered"
        assert result.events == target.seq - 1  # the events before it are fine

    def test_altered_username_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        target = next(e for e in events(app) if e.action == "sign")
        execute(app, "UPDATE audit_events SET username = 'tech' WHERE seq = :seq", seq=target.seq)
        result = app.audit.verify(team["admin"])
        assert result.problems[0] == f"event {target.seq} (sign by tech): content altered"

    def test_deleted_middle_event_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        trail = events(app)
        middle = trail[len(trail) // 2]
        execute(app, "DELETE FROM audit_events WHERE seq = :seq", seq=middle.seq)
        result = app.audit.verify(team["drpark"])
        assert result.problems[0] == (
            f"event {middle.seq + 1}: expected event {middle.seq} next "
            f"(an event was removed or inserted)"
        )

    def test_deleted_last_event_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        last = events(app)[-1]
        execute(app, "DELETE FROM audit_events WHERE seq = :seq", seq=last.seq)
        result = app.audit.verify(team["drpark"])
        assert not result.intact
        assert any(
            p.startswith(f"event {last.seq}: the chain head does not match the last event")
            for p in result.problems
        ), result.problems

    def test_appended_forged_event_is_detected(self, app: App, team: Team) -> None:
        signed_case(app, team)
        last = events(app)[-1]
        forged = event_hash(
            seq=last.seq + 1,
            at=last.at,
            workstation=last.workstation,
            action="view",
            username="mallory",
            accession=ACCESSION,
            detail={},
            prev_hash=last.hash,
        )
        execute(
            app,
            "INSERT INTO audit_events (seq, at, workstation, action, username, accession, "
            f"detail, prev_hash, hash) VALUES (:seq, :at, :ws, 'view', 'mallory', :acc, "
            f"{as_json(app, 'detail')}, :prev, :hash)",
            seq=last.seq + 1,
            at=last.at.replace(tzinfo=None) if app.engine.dialect.name == "sqlite" else last.at,
            ws=last.workstation,
            acc=ACCESSION,
            detail="{}",
            prev=last.hash,
            hash=forged,
        )
        result = app.audit.verify(team["drpark"])
        assert not result.intact
        assert result.problems[0].startswith(f"event {last.seq}: the chain head does not match")

    def test_altered_version_content_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        row = execute(app, "SELECT id, content FROM report_versions WHERE number = 1").one()
        content = loaded(row.content)
        content["document"]["diagnosis"]["lines"][0] = "Normal marrow."
        execute(
            app,
            f"UPDATE report_versions SET content = {as_json(app, 'content')} WHERE id = :id",
            content=json.dumps(content, ensure_ascii=False),
            id=row.id,
        )
        result = app.audit.verify(team["drpark"])
        assert result.problems == [
            f"{ACCESSION} version 1: content does not match its SHA-256 (altered)"
        ]
        assert result.events == len(events(app))  # the chain itself is intact
        stored = app.cases.versions(team["drpark"], ACCESSION)[0]
        assert not stored.intact()

    def test_version_rehashed_after_alteration_is_named(self, app: App, team: Team) -> None:
        """Altering the content and its stored hash together still fails: the signing event
        in the chain carries the original hash."""
        signed_case(app, team)
        row = execute(app, "SELECT id, content FROM report_versions WHERE number = 1").one()
        content = loaded(row.content)
        content["signer_name"] = "Someone Else"
        execute(
            app,
            f"UPDATE report_versions SET content = {as_json(app, 'content')}, sha256 = :sha "
            "WHERE id = :id",
            content=json.dumps(content, ensure_ascii=False),
            sha=sha256_hex(canonical_json(content)),
            id=row.id,
        )
        result = app.audit.verify(team["drpark"])
        assert result.problems == [f"{ACCESSION} version 1: no signing event carries its hash"]

    def test_version_content_broken_beyond_reading_is_named(self, app: App, team: Team) -> None:
        signed_case(app, team)
        row = execute(app, "SELECT id, content FROM report_versions WHERE number = 1").one()
        content = loaded(row.content)
        del content["document"]["patient"]
        content["number"] = "one"
        execute(
            app,
            f"UPDATE report_versions SET content = {as_json(app, 'content')} WHERE id = :id",
            content=json.dumps(content, ensure_ascii=False),
            id=row.id,
        )
        result = app.audit.verify(team["drpark"])
        assert not result.intact
        assert result.problems == [
            f"{ACCESSION} version 1: content cannot be read (2 fields fail validation; altered)"
        ]
        assert result.versions == 1
