"""Which usernames a case document names in what prints.

A document records people by username (who counted the differential, who communicated
a critical result, `case-format.md`); the report prints their display names, captured
when a version is signed (`VersionContent.people`). Pure: the names themselves come
from the user store (`marrowpath.services.people`) or, for the demo, its user list.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeAlias

from marrowpath.domain.case import CaseDocument

# Display names by username (`VersionContent.people`, or the user store for a draft).
Names: TypeAlias = Mapping[str, str]


def person(username: str, names: Names | None) -> str:
    """The name shown for a username a document holds: the user's display name when
    known, else the username as stored (a document's usernames need not be users of
    this database, `case-format.md`)."""
    return (names or {}).get(username) or username


def usernames_in(document: CaseDocument | dict[str, Any] | None) -> set[str]:
    """The usernames a document names that print: the count's and the communications'.
    The second observer's count never prints and is left out."""
    if document is None:
        return set()
    data = document.to_json_dict() if isinstance(document, CaseDocument) else document
    found: set[str] = set()
    aspirate = data.get("aspirate")
    count = aspirate.get("count") if isinstance(aspirate, dict) else None
    if isinstance(count, dict) and isinstance(count.get("counted_by"), str):
        found.add(count["counted_by"])
    communications = data.get("communications")
    for entry in communications if isinstance(communications, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("by"), str):
            found.add(entry["by"])
    return found
