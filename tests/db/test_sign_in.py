"""Sign-in hardening (issue 10, attack 7): timed lockouts an admin may lift, no user-name
enumeration by message or by time, the password rule, hashes upgraded at sign-in, and a
demo that never signs in on an existing database. SQLite and PostgreSQL."""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from argon2 import extract_parameters
from sqlalchemy import text

from marrowpath.adapters.passwords import Argon2Hasher
from marrowpath.bootstrap import App, build
from marrowpath.cli import main
from marrowpath.domain.errors import AuthenticationFailed, Refused
from marrowpath.domain.users import Role, User
from marrowpath.services.context import Clock
from marrowpath.services.passwords import check_password
from tests.conftest import PASSWORD
from tests.hashing import TEST_HASHER

WRONG = "wrong-password-1"
Team = dict[str, User]
REFUSAL = (
    "sign-in refused: wrong user name or password (5 failures in a row lock an account "
    "for 15 minutes)"
)


class MovableClock:
    """A clock the test moves forward (lockouts are judged against the service clock)."""

    def __init__(self) -> None:
        self.moment = datetime.now(UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> None:
        self.moment += timedelta(**delta)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def timed(app: App, team: Team, clock: MovableClock) -> Iterator[App]:
    """The team's database, seen through a clock the test controls."""
    application = build(
        app.url, with_renderer=False, hasher=TEST_HASHER, clock=Clock(now=clock.now)
    )
    yield application
    application.close()


def lock(app: App, username: str) -> None:
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            app.auth.sign_in(username, WRONG)


def stored_hash(app: App, username: str) -> str:
    with app.engine.connect() as connection:
        value = connection.scalar(
            text("SELECT password_hash FROM users WHERE username = :u"), {"u": username}
        )
    assert isinstance(value, str)
    return value


# ------------------------------------------------------------------ lockout


def test_a_lockout_expires_after_15_minutes(timed: App, clock: MovableClock) -> None:
    lock(timed, "drpark")
    clock.advance(minutes=14, seconds=59)
    with pytest.raises(AuthenticationFailed) as caught:
        timed.auth.sign_in("drpark", PASSWORD)  # even the right password, while locked
    assert str(caught.value) == REFUSAL
    clock.advance(seconds=1)
    assert timed.auth.sign_in("drpark", PASSWORD).username == "drpark"
    # the count starts again: four failures do not lock, a fifth does
    for _ in range(4):
        with pytest.raises(AuthenticationFailed):
            timed.auth.sign_in("drpark", WRONG)
    assert timed.auth.sign_in("drpark", PASSWORD).username == "drpark"


def test_failures_during_a_lockout_do_not_extend_it(timed: App, clock: MovableClock) -> None:
    lock(timed, "tech")
    for _ in range(10):
        clock.advance(minutes=1)
        with pytest.raises(AuthenticationFailed):
            timed.auth.sign_in("tech", WRONG)
    clock.advance(minutes=5)
    assert timed.auth.sign_in("tech", PASSWORD).username == "tech"


def test_the_lockout_length_is_a_lab_setting(timed: App, team: Team, clock: MovableClock) -> None:
    timed.lab.set(team["admin"], "session.lockout_minutes", "30")
    lock(timed, "resident")
    clock.advance(minutes=29)
    with pytest.raises(AuthenticationFailed, match="lock an account for 30 minutes"):
        timed.auth.sign_in("resident", PASSWORD)
    clock.advance(minutes=1)
    assert timed.auth.sign_in("resident", PASSWORD).username == "resident"
    with pytest.raises(Refused, match=r"session\.lockout_minutes must be a whole number"):
        timed.lab.set(team["admin"], "session.lockout_minutes", "0")


def test_the_sign_in_reads_the_lockout_length_the_settings_give(app: App, team: Team) -> None:
    """The sign-in reads this one value, not the whole settings (decision 89)."""

    def both() -> tuple[int, int]:
        with app.context.uow(read_only=True) as uow:
            return uow.settings.lockout_minutes(), uow.settings.load().lockout_minutes

    assert both() == (15, 15)
    app.lab.set(team["admin"], "session.lockout_minutes", "45")
    assert both() == (45, 45)


def test_an_admin_lifts_a_lockout_early(timed: App, team: Team, clock: MovableClock) -> None:
    lock(timed, "clinician")
    clock.advance(minutes=1)
    timed.auth.unlock(team["admin"], "clinician")
    assert timed.auth.sign_in("clinician", PASSWORD).username == "clinician"


def test_a_locked_sole_admin_recovers_after_the_lockout(
    database_url: str, clock: MovableClock
) -> None:
    app = build(database_url, with_renderer=False, hasher=TEST_HASHER, clock=Clock(clock.now))
    try:
        app.auth.add_first_user("root", full_name="Only Admin", role=Role.ADMIN, password=PASSWORD)
        lock(app, "root")
        with pytest.raises(AuthenticationFailed):
            app.auth.sign_in("root", PASSWORD)
        clock.advance(minutes=15)
        admin = app.auth.sign_in("root", PASSWORD)
        assert admin.role == Role.ADMIN and not admin.is_locked(clock.now())
    finally:
        app.close()


def test_a_signer_is_told_about_the_lockout(app: App, team: Team) -> None:
    """Signing, the signer is already known: the refusal may say attempts and lockout."""
    for left in (4, 3, 2, 1):
        with pytest.raises(AuthenticationFailed) as caught:
            app.auth.sign_in("drpark", WRONG, purpose="signature")
        assert str(caught.value) == (
            f"signature refused: wrong password ({left} attempts left before lockout)"
        )
    with pytest.raises(AuthenticationFailed, match="now locked for 15 minutes"):
        app.auth.sign_in("drpark", WRONG, purpose="signature")
    with pytest.raises(AuthenticationFailed, match=r"drpark is locked .* until \d\d:\d\d"):
        app.auth.sign_in("drpark", PASSWORD, purpose="signature")


# ------------------------------------------------------------------ enumeration


def test_unknown_users_wrong_passwords_and_locked_accounts_get_the_same_words(
    app: App, team: Team
) -> None:
    answers = set()
    for username, password in (
        ("nobody", PASSWORD),
        ("drpark", WRONG),
        ("DRPARK", PASSWORD),
        ("", ""),
    ):
        with pytest.raises(AuthenticationFailed) as caught:
            app.auth.sign_in(username, password)
        answers.add(str(caught.value))
    lock(app, "tech")
    with pytest.raises(AuthenticationFailed) as caught:
        app.auth.sign_in("tech", PASSWORD)
    answers.add(str(caught.value))
    assert answers == {REFUSAL}


def _seconds(attempt: Callable[[], Any]) -> float:
    start = time.perf_counter()
    with pytest.raises(AuthenticationFailed):
        attempt()
    return time.perf_counter() - start


class _RecordingHasher:
    """The real Argon2 hasher, recording the cost parameters of every hash it checks."""

    def __init__(self, inner: Argon2Hasher) -> None:
        self._inner = inner
        self.checked: list[str] = []

    def hash(self, password: str) -> str:
        return self._inner.hash(password)

    def verify(self, password_hash: str, password: str) -> bool:
        self.checked.append(password_hash.split("$")[3])  # "m=8192,t=1,p=1"
        return self._inner.verify(password_hash, password)

    def needs_rehash(self, password_hash: str) -> bool:
        return self._inner.needs_rehash(password_hash)

    @property
    def dummy_hash(self) -> str:
        return self._inner.dummy_hash


def test_an_unknown_user_takes_as_long_as_a_wrong_password(app: App, team: Team) -> None:
    """The time of a refusal does not tell whether the account exists: an unknown name is
    checked against a dummy hash of the same cost, once, like a wrong password. (What a
    refusal costs is the hash; it is checked here by what the hasher is asked to do, not
    by timing, which the machine's load would decide.)"""
    hasher = _RecordingHasher(Argon2Hasher(time_cost=1, memory_cost=8192, parallelism=1))
    measured = build(app.url, with_renderer=False, hasher=hasher)
    try:
        measured.auth.add_user(
            team["admin"], "staff0", full_name="Staff", role=Role.RESIDENT, password=PASSWORD
        )
        hasher.checked.clear()
        with pytest.raises(AuthenticationFailed):
            measured.auth.sign_in("staff0", WRONG)
        wrong = list(hasher.checked)
        hasher.checked.clear()
        with pytest.raises(AuthenticationFailed):
            measured.auth.sign_in("nobody", WRONG)
        unknown = list(hasher.checked)
        assert wrong == unknown == ["m=8192,t=1,p=1"]
    finally:
        measured.close()


# ------------------------------------------------------------------ the password rule


@pytest.mark.parametrize(
    ("password", "username", "reason"),
    [
        # the examples, as typed
        ("          ", "drpark2", "at least 12 characters"),
        ("aaaaaaaaaa", "drpark2", "at least 12 characters"),
        ("password12", "drpark2", "at least 12 characters"),
        # and at the new length
        ("            ", "drpark2", "must not be only spaces"),
        ("aaaaaaaaaaaa", "drpark2", "too easy to guess"),
        ("password1234", "drpark2", "too easy to guess"),
        ("qwertyuiop12", "drpark2", "too easy to guess"),
        ("radiologist7", "radiologist7", "must not be the user name"),
        ("Radiologist7 ", "radiologist7", "must not be the user name"),
        ("drpark2drpark2", "drpark2", "too easy to guess"),
    ],
)
def test_weak_passwords_are_refused(password: str, username: str, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        check_password(password, username)


def test_a_good_password_passes_and_the_rule_applies_to_every_way_in(app: App, team: Team) -> None:
    check_password("correct-horse-1", "drpark")
    check_password("marrow-demo-1", "achen")
    with pytest.raises(Refused, match="password: is too easy to guess"):
        app.auth.add_user(
            team["admin"], "weak", full_name="W", role=Role.CLINICIAN, password="password1234"
        )
    with pytest.raises(Refused, match="must not be the user name"):
        app.auth.add_user(
            team["admin"],
            "radiologist7",
            full_name="R",
            role=Role.CLINICIAN,
            password="radiologist7",
        )
    with pytest.raises(Refused, match="too easy to guess"):
        app.auth.reset_password(team["admin"], "tech", "aaaaaaaaaaaaaaaa")
    with pytest.raises(Refused, match="must not be only spaces"):
        app.auth.change_own_password(team["tech"], PASSWORD, " " * 14)


# ------------------------------------------------------------------ rehash


def test_a_weak_hash_is_upgraded_at_the_next_sign_in(app: App, team: Team) -> None:
    weak = extract_parameters(stored_hash(app, "tech"))
    assert (weak.time_cost, weak.memory_cost) == (1, 8)
    policy = Argon2Hasher(time_cost=2, memory_cost=64, parallelism=1)
    upgraded = build(app.url, with_renderer=False, hasher=policy)
    try:
        with pytest.raises(AuthenticationFailed):  # a wrong password changes nothing
            upgraded.auth.sign_in("tech", WRONG)
        assert extract_parameters(stored_hash(app, "tech")) == weak
        upgraded.auth.sign_in("tech", PASSWORD)
        strong = extract_parameters(stored_hash(app, "tech"))
        assert (strong.time_cost, strong.memory_cost) == (2, 64)
        first = stored_hash(app, "tech")
        upgraded.auth.sign_in("tech", PASSWORD)  # at the policy now: left alone
        assert stored_hash(app, "tech") == first
        # a program with lower defaults verifies the stronger hash and never downgrades it
        assert app.auth.sign_in("tech", PASSWORD).username == "tech"
        assert stored_hash(app, "tech") == first
    finally:
        upgraded.close()
    with app.context.uow(read_only=True) as uow:
        rehashed = [e for e in uow.audit.events() if e.detail.get("rehashed")]
    assert [(e.action, e.username) for e in rehashed] == [("sign-in", "tech")]


# ------------------------------------------------------------------ demo


def run_cli(db: str, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["--db", db, *argv], stdin=io.StringIO(stdin), stdout=out, stderr=err, hasher=TEST_HASHER
    )
    return code, out.getvalue(), err.getvalue()


def test_demo_five_times_on_an_existing_database_leaves_admin_unlocked(
    app: App, team: Team
) -> None:
    """The team's admin is called `admin`, like the demo's, with another password."""
    before = app.auth.list_users(team["admin"])
    for _ in range(5):
        code, _out, err = run_cli(app.url, "demo")
        assert code == 1
        assert err.startswith("demo: this database already has users and not the demo's")
    assert app.auth.sign_in("admin", PASSWORD).username == "admin"
    assert app.auth.list_users(team["admin"]) == before  # no user added or changed
    with app.context.uow(read_only=True) as uow:
        actions = [e.action for e in uow.audit.events()]
    assert "sign-in-failed" not in actions
