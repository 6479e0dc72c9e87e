"""The laboratory's provider directory: the clinicians who order marrows and receive
copies (`bench.md` section 2), as the editor offers them by type-ahead and the `provider`
commands list, add and import them (`cli.md`).

Why a directory apart from the case documents: a case keeps the provider as printed on
its report (`Provider` in the case format), frozen with the signature; the directory is
the lab's current list, from which a case's fields are filled. Changing the directory
never changes a case.

Why a CSV import is all or nothing: a directory half loaded from a file with one bad row
would leave the lab unsure which providers came in; the refusal names the row so that it
can be fixed and the whole file loaded again.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from marrowpath.domain.errors import Refused
from marrowpath.domain.text import fold

CSV_COLUMNS = ("name", "family_name", "given_names", "id", "organization", "phone")
TEXT_MAX = 200  # as a case's provider fields (`ShortText`)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_WORD = re.compile(r"[^\W_]+")
_LABELS = {
    "name": "name",
    "family_name": "family name",
    "given_names": "given names",
    "id": "id",
    "organization": "organization",
    "phone": "phone",
}


@dataclass(frozen=True)
class DirectoryProvider:
    """One provider of the directory. `key` is the directory's own number (None before
    it is stored); `id` is the provider's identifier, such as an NPI."""

    name: str
    family_name: str | None = None
    given_names: str | None = None
    id: str | None = None
    organization: str | None = None
    phone: str | None = None
    active: bool = True
    key: int | None = field(default=None, compare=False)

    def case_fields(self) -> dict[str, str]:
        """The provider as a case document records it (`ordering_provider`, `copy_to[]`):
        the fields the case format has; the phone stays in the directory."""
        values = {
            "name": self.name,
            "family_name": self.family_name,
            "given_names": self.given_names,
            "id": self.id,
            "organization": self.organization,
        }
        return {k: v for k, v in values.items() if v}

    def describe(self) -> str:
        """One line of a pick-list: "Priya Raman, MD · 1234567890 · City Hospital"."""
        return " · ".join(part for part in (self.name, self.id, self.organization) if part)

    @property
    def search_text(self) -> str:
        return " ".join(
            part
            for part in (self.name, self.family_name, self.given_names, self.id, self.organization)
            if part
        )


def provider_from(values: Mapping[str, Any], *, where: str = "provider") -> DirectoryProvider:
    """A provider from loose text fields (command line, CSV row, dialog): each trimmed,
    empty ones absent; the name is required. Refused, naming `where` and the field."""
    cleaned: dict[str, str | None] = {}
    for key in CSV_COLUMNS:
        raw = values.get(key)
        text = unicodedata.normalize("NFC", str(raw)).strip() if raw is not None else ""
        if _CONTROL.search(text):
            raise Refused(f"{where}: {_LABELS[key]} contains a control character")
        if len(text) > TEXT_MAX:
            raise Refused(
                f"{where}: {_LABELS[key]} is {len(text)} characters long; at most {TEXT_MAX}"
            )
        cleaned[key] = text or None
    name = cleaned["name"]
    if name is None:
        raise Refused(f"{where}: name is empty; the name as printed on reports is required")
    return DirectoryProvider(
        name=name,
        family_name=cleaned["family_name"],
        given_names=cleaned["given_names"],
        id=cleaned["id"],
        organization=cleaned["organization"],
        phone=cleaned["phone"],
    )


def parse_csv(text: str, *, source: str) -> list[DirectoryProvider]:
    """The providers of a CSV file with the header `name,family_name,given_names,id,
    organization,phone` (`cli.md`; extra columns are refused too, so that a shifted or
    misnamed column cannot load data into the wrong field). Line numbers count the
    header as line 1, as a spreadsheet shows them."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = next(reader)
    except StopIteration:
        raise Refused(
            f"{source}: the file is empty; expected the header {','.join(CSV_COLUMNS)}"
        ) from None
    columns = [column.strip().lower() for column in header]
    missing = [c for c in CSV_COLUMNS if c not in columns]
    unknown = [c for c in columns if c not in CSV_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        problem = (
            f"missing column {', '.join(missing)}"
            if missing
            else f"unknown column {', '.join(unknown)}"
            if unknown
            else "a column is repeated"
        )
        raise Refused(
            f"{source}: line 1: {problem}; the header must be {','.join(CSV_COLUMNS)} "
            "(nothing was imported)"
        )
    providers: list[DirectoryProvider] = []
    seen_ids: dict[str, int] = {}
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # blank lines, as spreadsheets leave them
            where = f"{source}: line {line}"
            if len(row) != len(columns):
                raise Refused(
                    f"{where}: {len(row)} fields where the header has {len(columns)} "
                    "(nothing was imported)"
                )
            try:
                provider = provider_from(dict(zip(columns, row, strict=True)), where=where)
            except Refused as refusal:
                raise Refused(f"{refusal} (nothing was imported)") from None
            if provider.id is not None:
                if provider.id in seen_ids:
                    raise Refused(
                        f"{where}: id {provider.id} is also on line {seen_ids[provider.id]} "
                        "(nothing was imported)"
                    )
                seen_ids[provider.id] = line
            providers.append(provider)
    except csv.Error as error:
        raise Refused(
            f"{source}: line {reader.line_num}: not readable as CSV ({error}) "
            "(nothing was imported)"
        ) from None
    return providers


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def matches(provider: DirectoryProvider, query: str) -> bool:
    """Every word of the query begins a word of the provider's name, id or organization,
    in any order, case and accents folded ("raman pri" finds "Priya Raman, MD")."""
    mine = words(provider.search_text)
    return all(any(word.startswith(part) for word in mine) for part in words(query))


def search_providers(
    providers: Iterable[DirectoryProvider], query: str, *, limit: int | None = None
) -> list[DirectoryProvider]:
    """The active providers matching the query, family names first alphabetically."""
    found = [p for p in providers if p.active and matches(p, query)]
    found.sort(key=lambda p: (fold(p.family_name or p.name), fold(p.name)))
    return found[:limit] if limit is not None else found


def with_key(provider: DirectoryProvider, key: int) -> DirectoryProvider:
    return replace(provider, key=key)
