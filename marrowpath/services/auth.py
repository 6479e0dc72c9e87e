"""Signing in and managing users: Argon2 hashes, lockout after 5 failures, roles."""

from __future__ import annotations

import re

from marrowpath.domain.audit import AuditEntry
from marrowpath.domain.errors import AuthenticationFailed, Forbidden, NotFound, Refused
from marrowpath.domain.users import (
    MAX_FAILED_SIGN_INS,
    MIN_PASSWORD_LENGTH,
    Permission,
    Role,
    User,
)
from marrowpath.services.context import ServiceContext

_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")


class AuthService:
    def __init__(self, context: ServiceContext) -> None:
        self._ctx = context

    def sign_in(self, username: str, password: str, *, purpose: str = "sign-in") -> User:
        """Check the password; failures count towards the lockout and are audited.

        Args:
            purpose: what the password is for ("sign-in", or "signature" when signing).
        """
        with self._ctx.uow() as uow:
            record = uow.users.get(username)
            if record is None:
                uow.record(
                    AuditEntry(
                        "sign-in-failed",
                        username,
                        None,
                        {"purpose": purpose, "reason": "unknown user"},
                    )
                )
                uow.commit()
                raise AuthenticationFailed(f"{purpose} refused: wrong user name or password")
            user = record.user
            if not user.active:
                uow.record(
                    AuditEntry(
                        "sign-in-failed",
                        username,
                        None,
                        {"purpose": purpose, "reason": "deactivated"},
                    )
                )
                uow.commit()
                raise AuthenticationFailed(
                    f"{purpose} refused: the account {username} is deactivated"
                )
            if user.locked:
                uow.record(
                    AuditEntry(
                        "sign-in-failed", username, None, {"purpose": purpose, "reason": "locked"}
                    )
                )
                uow.commit()
                raise AuthenticationFailed(
                    f"{purpose} refused: {username} is locked after {MAX_FAILED_SIGN_INS} failed "
                    f"sign-ins; an administrator must unlock it"
                )
            if not self._ctx.hasher.verify(record.password_hash, password):
                failures = record.failed_sign_ins + 1
                locked = failures >= MAX_FAILED_SIGN_INS
                uow.users.update(username, failed_sign_ins=failures, locked=locked)
                uow.record(
                    AuditEntry(
                        "sign-in-failed",
                        username,
                        None,
                        {
                            "purpose": purpose,
                            "reason": "wrong password",
                            "failures": failures,
                            "locked": locked,
                        },
                    )
                )
                uow.commit()
                suffix = (
                    f"; the account is now locked after {MAX_FAILED_SIGN_INS} failures"
                    if locked
                    else f" ({MAX_FAILED_SIGN_INS - failures} attempts left before lockout)"
                )
                raise AuthenticationFailed(
                    f"{purpose} refused: wrong user name or password{suffix}"
                )
            if record.failed_sign_ins:
                uow.users.update(username, failed_sign_ins=0)
            uow.record(AuditEntry("sign-in", username, None, {"purpose": purpose}))
            uow.commit()
            return user

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
        _check_password(password)
        self._change(
            actor,
            username,
            "password-reset",
            password_hash=self._ctx.hasher.hash(password),
            failed_sign_ins=0,
            locked=False,
        )

    def unlock(self, actor: User, username: str) -> None:
        self._require(actor, Permission.MANAGE_USERS, "unlock accounts")
        self._change(actor, username, "user-unlock", failed_sign_ins=0, locked=False)

    def set_active(self, actor: User, username: str, active: bool) -> None:
        self._require(actor, Permission.MANAGE_USERS, "deactivate users")
        if username == actor.username and not active:
            raise Refused("user: you cannot deactivate your own account")
        self._change(
            actor, username, "user-activate" if active else "user-deactivate", active=active
        )

    def change_own_password(self, actor: User, old: str, new: str) -> None:
        self.sign_in(actor.username, old, purpose="password change")
        _check_password(new)
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
        _check_password(password)
        return User(
            username=username,
            full_name=full_name.strip(),
            role=role,
            credentials=(credentials or None),
        )


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise Refused(f"password: must have at least {MIN_PASSWORD_LENGTH} characters")
