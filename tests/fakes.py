"""An in-memory unit of work: the ports of `services/ports.py` without a database.

Service rules (who may do what, which input is refused and in which words, what is
audited) do not depend on storage, so their tests run on this fake: no engine, no
migration, no file, about a millisecond a test. What storage itself must do (queries,
constraints, concurrency, migrations) is tested on SQLite and PostgreSQL in tests/db.

The fake keeps the unit of work's contract: work happens on a copy of the store, which
replaces the store only at `commit()`; leaving without commit rolls back; audit entries
recorded are chained and stored at commit. It holds users, lab settings, secrets,
accession counters and the audit trail. The repositories of cases, patients, versions,
the outbox and received orders are not here: a service rule that reaches them fails with
`NotImplementedError` naming the repository, and its test belongs with the database.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from marrowpath.domain.audit import GENESIS, AnchoredHead, AuditEntry, AuditEvent, event_hash
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.users import Role, User
from marrowpath.services.auth import AuthService
from marrowpath.services.context import Clock, ServiceContext
from marrowpath.services.lab import LabService
from marrowpath.services.ports import PasswordHasher, UserRecord
from tests.hashing import TEST_HASHER

WORKSTATION = "fake:0"


@dataclass
class Store:
    """What a database would hold, as plain values."""

    users: dict[str, UserRecord] = field(default_factory=dict)
    settings: LabSettings = field(default_factory=LabSettings)
    secrets: dict[str, bytes] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    events: list[AuditEvent] = field(default_factory=list)
    keymaps: dict[str, str] = field(default_factory=dict)  # users.counter_keymap


class FakeUserRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def get(self, username: str) -> UserRecord | None:
        return self._store.users.get(username)

    def counter_keymap(self, username: str) -> str | None:
        return self._store.keymaps.get(username)

    def add(self, user: User, password_hash: str) -> None:
        self._store.users[user.username] = UserRecord(user, password_hash, 0)

    def count(self) -> int:
        return len(self._store.users)

    def list(self) -> list[User]:
        return [self._store.users[name].user for name in sorted(self._store.users)]

    def update(self, username: str, **values: Any) -> None:
        """The columns of the users table: user fields, `password_hash`, `failed_sign_ins`."""
        record = self._store.users.get(username)
        if record is None:
            return
        if "counter_keymap" in values:
            self._store.keymaps[username] = values.pop("counter_keymap")
        password_hash = values.pop("password_hash", record.password_hash)
        failures = values.pop("failed_sign_ins", record.failed_sign_ins)
        if "role" in values:
            values["role"] = type(record.user.role)(values["role"])
        self._store.users[username] = UserRecord(
            replace(record.user, **values), password_hash, failures
        )

    def register_failure(
        self, username: str, *, now: datetime, limit: int, lock_until: datetime
    ) -> tuple[int, bool]:
        """As `SqlUserRepository.register_failure`: an expired lockout starts the count
        again, failures during a lockout neither count nor extend it."""
        record = self._store.users.get(username)
        if record is None:
            return 0, False
        user, failures = record.user, record.failed_sign_ins
        if user.locked and user.locked_until is not None and user.locked_until <= now:
            user, failures = replace(user, locked=False, locked_until=None), 0
        if user.locked:
            self._store.users[username] = UserRecord(user, record.password_hash, failures)
            return failures, False
        failures += 1
        locked_now = failures >= limit
        if locked_now:
            user = replace(user, locked=True, locked_until=lock_until)
        self._store.users[username] = UserRecord(user, record.password_hash, failures)
        return failures, locked_now


class FakeSettingsRepository:
    def __init__(self, store: Store) -> None:
        self._store = store

    def load(self) -> LabSettings:
        return self._store.settings

    def lockout_minutes(self) -> int:
        return self._store.settings.lockout_minutes

    def save(self, settings: LabSettings) -> None:
        self._store.settings = settings

    def secret(self, name: str) -> bytes:
        return self._store.secrets.setdefault(name, os.urandom(32))


class FakeAccessionCounter:
    def __init__(self, store: Store) -> None:
        self._store = store

    def next(self, prefix: str, digits: int) -> int:
        self._store.counters[prefix] = self._store.counters.get(prefix, 0) + 1
        return self._store.counters[prefix]

    def at_least(self, prefix: str, number: int) -> None:
        self._store.counters[prefix] = max(self._store.counters.get(prefix, 0), number)


class FakeAuditLog:
    def __init__(self, store: Store) -> None:
        self._store = store

    def events(self) -> Iterator[AuditEvent]:
        return iter(list(self._store.events))

    def for_case(self, accession: str) -> list[AuditEvent]:
        return [event for event in self._store.events if event.accession == accession]

    def signing_events(self, accession: str) -> list[AuditEvent]:
        return [e for e in self.for_case(accession) if e.action in {"sign", "amend", "addend"}]

    def links(self, seqs: Collection[int]) -> dict[int, tuple[str, str]]:
        return {e.seq: (e.prev_hash, e.hash) for e in self._store.events if e.seq in seqs}

    def head(self) -> tuple[int, str] | None:
        last = self._store.events[-1] if self._store.events else None
        return (last.seq, last.hash) if last is not None else None

    def anchored_head(self) -> AnchoredHead | None:
        return None  # nothing outside the database in memory

    def hash_at(self, seq: int) -> str | None:
        return next((e.hash for e in self._store.events if e.seq == seq), None)


class FakeUnitOfWork:
    """One user action over a copy of the store; `commit()` makes the copy the store."""

    def __init__(self, owner: FakeUnitOfWorkFactory, *, read_only: bool) -> None:
        self._owner = owner
        self._read_only = read_only
        self._work = copy.deepcopy(owner.store)
        self._pending: list[AuditEntry] = []

    @property
    def users(self) -> FakeUserRepository:
        return FakeUserRepository(self._work)

    @property
    def settings(self) -> FakeSettingsRepository:
        return FakeSettingsRepository(self._work)

    @property
    def accessions(self) -> FakeAccessionCounter:
        return FakeAccessionCounter(self._work)

    @property
    def audit(self) -> FakeAuditLog:
        return FakeAuditLog(self._work)

    @property
    def patients(self) -> Any:
        raise NotImplementedError("patients: not in the fake unit of work; test on a database")

    @property
    def templates(self) -> Any:
        raise NotImplementedError("templates: not in the fake unit of work; test on a database")

    @property
    def merges(self) -> Any:
        raise NotImplementedError("merges: not in the fake unit of work; test on a database")

    @property
    def cases(self) -> Any:
        raise NotImplementedError("cases: not in the fake unit of work; test on a database")

    @property
    def versions(self) -> Any:
        raise NotImplementedError("versions: not in the fake unit of work; test on a database")

    @property
    def outbox(self) -> Any:
        raise NotImplementedError("outbox: not in the fake unit of work; test on a database")

    @property
    def reviews(self) -> Any:
        raise NotImplementedError("reviews: not in the fake unit of work; test on a database")

    @property
    def presence(self) -> Any:
        raise NotImplementedError("presence: not in the fake unit of work; test on a database")

    @property
    def orders(self) -> Any:
        raise NotImplementedError("orders: not in the fake unit of work; test on a database")

    @property
    def providers(self) -> Any:
        raise NotImplementedError("providers: not in the fake unit of work; test on a database")

    def __enter__(self) -> FakeUnitOfWork:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._pending.clear()  # without commit: nothing happened

    def record(self, entry: AuditEntry) -> None:
        self._pending.append(entry)

    def commit(self) -> None:
        if self._read_only:
            raise AssertionError("commit in a read-only unit of work")
        at = self._owner.now()
        prev = self._work.events[-1].hash if self._work.events else GENESIS
        for entry in self._pending:
            seq = len(self._work.events) + 1
            values: dict[str, Any] = {
                "seq": seq,
                "at": at,
                "workstation": WORKSTATION,
                "action": entry.action,
                "username": entry.username,
                "accession": entry.accession,
                "detail": entry.detail,
                "prev_hash": prev,
            }
            prev = event_hash(**values)
            self._work.events.append(AuditEvent(**values, hash=prev))
        self._pending.clear()
        self._owner.store = self._work
        self._work = copy.deepcopy(self._work)


class FakeUnitOfWorkFactory:
    """The `UnitOfWorkFactory` port over one in-memory store."""

    def __init__(self, store: Store | None = None, *, clock: Clock | None = None) -> None:
        self.store = store or Store()
        self.now = (clock or Clock()).now

    def __call__(self, *, read_only: bool = False, lookup: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, read_only=read_only or lookup)


@dataclass(frozen=True)
class FakeApp:
    """The account and lab services over the fake unit of work (what `bootstrap.build`
    wires over a database), for tests of their rules."""

    uow: FakeUnitOfWorkFactory
    context: ServiceContext
    auth: AuthService
    lab: LabService

    def events(self) -> list[AuditEvent]:
        return list(self.uow.store.events)


def fake_app(*, clock: Clock | None = None, hasher: PasswordHasher = TEST_HASHER) -> FakeApp:
    uow = FakeUnitOfWorkFactory(clock=clock)
    context = ServiceContext(uow=uow, hasher=hasher, clock=clock or Clock(now=_utcnow))
    return FakeApp(uow=uow, context=context, auth=AuthService(context), lab=LabService(context))


def _utcnow() -> datetime:
    return datetime.now(UTC)


def fake_team(app: FakeApp, password: str = "correct-horse-1") -> dict[str, User]:
    """The `team` of tests/conftest.py on the fake: an admin, a pathologist, a resident, a
    technologist and a clinician, signed in, in a lab whose identity is set."""
    app.auth.add_first_user("admin", full_name="Ada Admin", role=Role.ADMIN, password=password)
    users = {"admin": app.auth.sign_in("admin", password)}
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
            password=password,
            credentials=credentials,
        )
        users[username] = app.auth.sign_in(username, password)
    app.lab.set_identity(
        users["admin"],
        name="Riverside Hematopathology Laboratory",
        address="200 River Road, Springfield, IL 62701",
        clia_id="14D0123456",
        director="Alan Grant, MD",
        phone="217-555-0100",
    )
    return users
