"""Signing in and managing users: Argon2 hashes, timed lockout after 5 failures, roles."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import AuthenticationFailed, Forbidden, NotFound, Refused
from marrowpath.domain.users import MAX_FAILED_SIGN_INS, Permission, Role, User
from marrowpath.services.context import ServiceContext
from marrowpath.services.passwords import check_password
from marrowpath.services.ports import UnitOfWork

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AuthService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def sign_in(self, username: str, password: str, *, purpose: str = "sign-in") -> User:
        """Check the password; failures count towards the lockout and are audited.

        The hash is verified outside the write transaction (it takes tens of
        milliseconds) and for an unknown user name against a dummy hash of the same cost,
        so that an unknown user, a wrong password and a locked account take the same time
        and, at sign-in, get the same words: user names cannot be enumerated. A hash below
        the hasher's parameters is upgraded here, the only moment the password is known.

        Args:
            purpose: what the password is for ("sign-in", or "signature" when a signed-in
                user signs: their identity is known, so the refusal may say more).
        """
        hasher = self._ctx.hasher
        with self._ctx.uow(read_only=True) as uow:
            record = uow.users.get(username)
            minutes = uow.settings.lockout_minutes()
        correct = hasher.verify(record.password_hash if record else hasher.dummy_hash, password)
        now = self._ctx.clock.now()
        with self._ctx.uow() as uow:
            record = uow.users.get(username)
            locked_now = record is not None and record.user.is_locked(now)
            if record is None or locked_now or not correct:
                # the same statements for every refusal (for an unknown name they match no
                # row), so that the database work does not tell the cases apart either
                failures, locked = uow.users.register_failure(
                    username,
                    now=now,
                    limit=MAX_FAILED_SIGN_INS,
                    lock_until=now + timedelta(minutes=minutes),
                )
                if record is None:
                    self._fail(uow, username, purpose, "unknown user")
                elif locked_now:
                    self._fail(uow, username, purpose, "locked")
                else:
                    self._fail(
                        uow,
                        username,
                        purpose,
                        "wrong password",
                        failures=failures,
                        locked=locked,
                    )
                if purpose == "sign-in" or record is None:
                    raise AuthenticationFailed(_refusal(purpose, minutes))
                if locked_now:
                    raise AuthenticationFailed(_locked(purpose, record.user))
                suffix = (
                    f"; the account is now locked for {minutes} minutes after "
                    f"{MAX_FAILED_SIGN_INS} failures"
                    if locked
                    else f" ({MAX_FAILED_SIGN_INS - failures} attempts left before lockout)"
                )
                raise AuthenticationFailed(f"{purpose} refused: wrong password{suffix}")
            user = record.user
            if not user.active:
                self._fail(uow, username, purpose, "deactivated")
                raise AuthenticationFailed(
                    f"{purpose} refused: the account {username} is deactivated"
                )
            changes: dict[str, object] = {}
            if record.failed_sign_ins or user.locked:
                changes.update(failed_sign_ins=0, locked=False, locked_until=None)
            details: dict[str, object] = {"purpose": purpose}
            if hasher.needs_rehash(record.password_hash):
                changes["password_hash"] = hasher.hash(password)
                details["rehashed"] = True
            if changes:
                uow.users.update(username, **changes)
            uow.record(AuditEntry("sign-in", username, None, details))
            uow.commit()
            return replace(user, locked=False, locked_until=None)

    @staticmethod
    def _fail(uow: UnitOfWork, username: str, purpose: str, reason: str, **more: object) -> None:
        uow.record(
            AuditEntry(
                "sign-in-failed", username, None, {"purpose": purpose, "reason": reason, **more}
            )
        )
        uow.commit()

    def needs_first_user(self) -> bool:
        with self._ctx.uow(read_only=True) as uow:
            return uow.users.count() == 0

    def add_first_user(
        self,
        username: str,
        *,
        full_name: str,
        role: Role,
        password: str,
        credentials: str | None = None,
    ) -> User:
        """The first user of an empty database, added without signing in."""
        if role not in (Role.ADMIN, Role.PATHOLOGIST):
            raise Refused(f"user add: the first user must be an admin or a pathologist, not {role}")
        user = self._new_user(username, full_name, role, credentials, password)
        with self._ctx.uow() as uow:
            if uow.users.count():
                raise Forbidden("user add: the database has users; sign in as an admin")
            uow.users.add(user, self._ctx.hasher.hash(password))
            uow.record(
                AuditEntry(
                    "user-add",
                    username,
                    None,
                    {"username": username, "role": role.value, "first": True},
                )
            )
            uow.commit()
        return user

    def add_initial_users(self, users: list[tuple[User, str]], *, source: str) -> None:
        """Several users at once into a database without users (the demo), without signing
        anyone in: each (user, password) pair is checked as `user add` checks it."""
        for user, password in users:
            self._new_user(user.username, user.full_name, user.role, user.credentials, password)
        hashed = [(user, self._ctx.hasher.hash(password)) for user, password in users]
        with self._ctx.uow() as uow:
            if uow.users.count():
                raise Forbidden(f"{source}: the database has users; nothing was changed")
            for user, password_hash in hashed:
                uow.users.add(user, password_hash)
                uow.record(
                    AuditEntry(
                        "user-add",
                        source,
                        None,
                        {"username": user.username, "role": user.role.value, "source": source},
                    )
                )
            uow.commit()

    def user(self, username: str) -> User | None:
        """A user's record without signing them in (for the demo loader and workers that
        act for a user already signed in)."""
        with self._ctx.uow(read_only=True) as uow:
            record = uow.users.get(username)
        return record.user if record else None

    def add_user(
        self,
        actor: User,
        username: str,
        *,
        full_name: str,
        role: Role,
        password: str,
        credentials: str | None = None,
    ) -> User:
        self._require(actor, Permission.MANAGE_USERS, "add users")
        user = self._new_user(username, full_name, role, credentials, password)
        with self._ctx.uow() as uow:
            if uow.users.get(username) is not None:
                raise Refused(f"user add: {username} already exists")
            uow.users.add(user, self._ctx.hasher.hash(password))
            uow.record(
                AuditEntry(
                    "user-add", actor.username, None, {"username": username, "role": role.value}
                )
            )
            uow.commit()
        return user

    def list_users(self, actor: User) -> list[User]:
        self._require(actor, Permission.MANAGE_USERS, "list users")
        with self._ctx.uow(read_only=True) as uow:
            return uow.users.list()

    def pathologists(self) -> list[User]:
        """Everyone a case can be assigned to (for worklists)."""
        with self._ctx.uow(read_only=True) as uow:
            return [u for u in uow.users.list() if u.role in (Role.PATHOLOGIST, Role.RESIDENT)]

    def reset_password(self, actor: User, username: str, password: str) -> None:
        self._require(actor, Permission.MANAGE_USERS, "reset passwords")
        check_password(password, username)
        self._change(
            actor,
            username,
            "password-reset",
            password_hash=self._ctx.hasher.hash(password),
            failed_sign_ins=0,
            locked=False,
            locked_until=None,
        )

    def unlock(self, actor: User, username: str) -> None:
        """Lift a lockout before it expires."""
        self._require(actor, Permission.MANAGE_USERS, "unlock accounts")
        self._change(
            actor, username, "user-unlock", failed_sign_ins=0, locked=False, locked_until=None
        )

    def set_active(self, actor: User, username: str, active: bool) -> None:
        self._require(actor, Permission.MANAGE_USERS, "deactivate users")
        if username == actor.username and not active:
            raise Refused("user: you cannot deactivate your own account")
        self._change(
            actor, username, "user-activate" if active else "user-deactivate", active=active
        )

    def link_provider(self, actor: User, username: str, provider_id: str | None) -> None:
        """Link a user to the provider id (e.g. NPI) she orders under, or unlink her
        (None or blank): her "My patients" are the reports that name it."""
        self._require(actor, Permission.MANAGE_USERS, "link users to providers")
        value = (provider_id or "").strip() or None
        if value is not None and (len(value) > 64 or not value.isprintable()):
            raise Refused(
                f"user {username}: provider id: at most 64 printable characters, got {value!r}"
            )
        with self._ctx.uow() as uow:
            if uow.users.get(username) is None:
                raise NotFound(f"user: no user named {username}")
            uow.users.update(username, provider_id=value)
            uow.record(
                AuditEntry(
                    "user-link-provider",
                    actor.username,
                    None,
                    {"username": username, "provider_id": value},
                )
            )
            uow.commit()

    def change_own_password(self, actor: User, old: str, new: str) -> None:
        self.sign_in(actor.username, old, purpose="password change")
        check_password(new, actor.username)
        self._change(
            actor, actor.username, "password-change", password_hash=self._ctx.hasher.hash(new)
        )

    def _change(self, actor: User, username: str, action: str, **values: object) -> None:
        with self._ctx.uow() as uow:
            if uow.users.get(username) is None:
                raise NotFound(f"user: no user named {username}")
            uow.users.update(username, **values)
            uow.record(AuditEntry(action, actor.username, None, {"username": username}))
            uow.commit()

    def _require(self, actor: User, permission: Permission, what: str) -> None:
        try:
            actor.require(permission)
        except Forbidden as refusal:
            self._ctx.record_refusal(actor.username, what, str(refusal))
            raise

    @staticmethod
    def _new_user(
        username: str, full_name: str, role: Role, credentials: str | None, password: str
    ) -> User:
        if not _USERNAME.match(username):
            raise Refused(
                f"user add: the user name {username!r} must be 2-64 characters: lower-case "
                "letters, digits, '.', '_' or '-'"
            )
        if not full_name.strip():
            raise Refused("user add: --full-name must not be empty")
        check_password(password, username)
        return User(
            username=username,
            full_name=full_name.strip(),
            role=role,
            credentials=(credentials or None),
        )


def _refusal(purpose: str, lockout_minutes: int) -> str:
    """The one answer to a failed sign-in, whatever the reason (unknown user, wrong
    password, locked account): it says what to try and how the lockout works."""
    return (
        f"{purpose} refused: wrong user name or password ({MAX_FAILED_SIGN_INS} failures in "
        f"a row lock an account for {lockout_minutes} minutes)"
    )


def _locked(purpose: str, user: User) -> str:
    until = user.locked_until.astimezone().strftime("%H:%M") if user.locked_until else None
    return (
        f"{purpose} refused: {user.username} is locked after {MAX_FAILED_SIGN_INS} failed "
        f"sign-ins{f' until {until}' if until else ''}; an administrator can unlock it earlier"
    )
