"""Refusals: what the services say when they will not do something, in the user's words.

Every refusal is a `Refused` with one line of text that names what was refused and why;
the command line prints it as is and the desktop app shows it in a message. Nothing
else should reach a user.
"""

from __future__ import annotations

from dataclasses import dataclass


class Refused(Exception):
    """An action was refused; nothing was changed. `str()` is the line a user reads."""


@dataclass(frozen=True)
class Problem:
    """One broken rule: the field path (`aspirate.differential.blasts`) and the rule."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path} {self.message}" if self.path else self.message


class InvalidCase(Refused):
    """A case document breaks one or more rules of `case-format.md`."""

    def __init__(
        self, accession: str | None, problems: list[Problem], *, doing: str | None = None
    ) -> None:
        self.accession = accession
        self.problems = problems
        text = "; ".join(str(p) for p in problems)
        if doing:
            text = f"cannot {doing}: {text}"
        super().__init__(f"{accession}: {text}" if accession else text)


class NotFound(Refused):
    """The case, user or version asked for does not exist."""


class Forbidden(Refused):
    """The user's role does not allow the action."""


class AuthenticationFailed(Refused):
    """Wrong user name or password, a locked or a deactivated account."""


class LifecycleRefused(Refused):
    """The case's status does not allow the action (e.g. editing a final report)."""


class ConcurrentChange(Refused):
    """Someone else changed or signed the case since it was loaded: reload."""


class SchemaMismatch(Refused):
    """The database schema is newer (or older) than this program understands."""


class IntegrityRefused(Refused):
    """Stored issued content no longer agrees with its signing event (or a case's status
    with its versions): it is not handed out and nothing is changed."""


class DatabaseChanged(Refused):
    """The SQLite database's files were deleted or replaced under this process.

    Going on would write into a copy of the database that no other program sees (and
    copy it back over their work later), so this process refuses every further
    transaction: the user restarts it. `reason` says which file changed.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(
            f"The database file was changed by another program ({reason}); nothing was "
            "saved. Close MarrowPath and start it again; while any workstation runs, never "
            "copy, delete or edit the database's files (use `marrowpath db backup`)"
        )
