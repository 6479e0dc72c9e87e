"""Display names for the usernames a case holds, read from the user store.

Why its own module: a document records people by username (who counted the
differential, who communicated a critical result, `case-format.md`), a case record by
who last saved it and who it is assigned to; users read names. The report captures the
names when a version is signed (`VersionContent.people`), the editor and a draft's
preview read them when shown. A username that is not a user of this database (an
imported document's) has no entry and is shown as stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from marrowpath.domain.people import usernames_in
from marrowpath.services.ports import UnitOfWork

__all__ = ["display_names", "usernames_in"]


def display_names(uow: UnitOfWork, usernames: Iterable[str | None]) -> dict[str, str]:
    """Username -> full name for those that are users here (sorted, so that the names
    captured with a version serialise the same way every time)."""
    names: dict[str, str] = {}
    for username in sorted({u for u in usernames if u}):
        record = uow.users.get(username)
        if record is not None:
            names[username] = record.user.full_name
    return names
