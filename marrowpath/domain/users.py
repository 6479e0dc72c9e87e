"""Users and roles: who may do what (the role table of `cli.md`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from marrowpath.domain.errors import Forbidden


class Role(StrEnum):
    ADMIN = "admin"
    PATHOLOGIST = "pathologist"
    RESIDENT = "resident"
    TECHNOLOGIST = "technologist"
    CLINICIAN = "clinician"


class Permission(StrEnum):
    MANAGE_USERS = "add users, reset passwords and unlock accounts"
    MANAGE_LAB = "change the lab identity and settings"
    EDIT = "import, create or edit working documents"
    SIGN = "sign, amend, add addenda, withdraw or cancel reports"
    SEE_WORKING = "see or print working documents"
    SEE_ISSUED = "search, see, print and export issued reports"
    AUDIT = "read or verify the audit trail"
    DESTINATIONS = "manage destinations or send a report to an ad-hoc address"
    INTERFACES = "run the order listener and read or retry the outbox"
    CORRECT_PATIENTS = "correct patient records"
    MERGE_PATIENTS = "merge or unmerge patient records"
    TEMPLATES = "maintain the lab's text templates"
    PROVIDERS = "maintain the provider directory"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(
        {
            Permission.MANAGE_USERS,
            Permission.MANAGE_LAB,
            Permission.SEE_ISSUED,
            Permission.AUDIT,
            Permission.DESTINATIONS,
            Permission.INTERFACES,
            Permission.CORRECT_PATIENTS,
            Permission.MERGE_PATIENTS,
            Permission.TEMPLATES,
            Permission.PROVIDERS,
        }
    ),
    Role.PATHOLOGIST: frozenset(
        {
            Permission.MANAGE_LAB,
            Permission.CORRECT_PATIENTS,
            Permission.TEMPLATES,
            Permission.EDIT,
            Permission.SIGN,
            Permission.SEE_WORKING,
            Permission.SEE_ISSUED,
            Permission.AUDIT,
            Permission.INTERFACES,
            Permission.PROVIDERS,
        }
    ),
    Role.RESIDENT: frozenset(
        {Permission.EDIT, Permission.SEE_WORKING, Permission.SEE_ISSUED, Permission.INTERFACES}
    ),
    Role.TECHNOLOGIST: frozenset(
        {Permission.EDIT, Permission.SEE_WORKING, Permission.SEE_ISSUED, Permission.INTERFACES}
    ),
    Role.CLINICIAN: frozenset({Permission.SEE_ISSUED}),
}

MIN_PASSWORD_LENGTH = 12
PASSWORD_RULE = (
    f"at least {MIN_PASSWORD_LENGTH} characters, not only spaces, not the user name, and "
    "not a common or easily guessed password"
)
MAX_FAILED_SIGN_INS = 5
DEFAULT_LOCKOUT_MINUTES = 15


@dataclass(frozen=True)
class User:
    """A user as the services see one (never the password hash)."""

    username: str
    full_name: str
    role: Role
    credentials: str | None = None
    active: bool = True
    locked: bool = False
    locked_until: datetime | None = None
    # the provider id (e.g. NPI) a clinician orders under, linked by an admin: her
    # "My patients" are the reports that name it
    provider_id: str | None = None

    def is_locked(self, now: datetime) -> bool:
        """Locked now: a lockout lasts until `locked_until` (or until an admin lifts it)."""
        return self.locked and (self.locked_until is None or now < self.locked_until)

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise Forbidden(f"{self.username} ({self.role.value}) may not {permission.value}")

    @property
    def signature_name(self) -> str:
        """ "Ada Lovelace, MD" as printed in the signature block."""
        return f"{self.full_name}, {self.credentials}" if self.credentials else self.full_name
