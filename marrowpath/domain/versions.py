"""Issued report versions: immutable records and their SHA-256 over canonical JSON.

A version keeps the document as signed, the lab settings it was judged by, who signed,
when and with what meaning, and the reason or addendum text. The hash covers all of it,
serialised as `case-format.md` defines canonical JSON, so `audit verify` can prove that
nothing issued was altered.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, ModelWrapValidatorHandler, PrivateAttr, model_validator

from marrowpath.domain.canonical import canonical_json, sha256_hex
from marrowpath.domain.case import CaseDocument, VersionEntry
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.redline import ChangeRow
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.timeline import PriorMarrow
from marrowpath.domain.upgrade import is_format_1, upgrade_case
from marrowpath.domain.wording import datetime_text


class ProviderNotice(BaseModel):
    """How the ordering provider was told of an amendment that changes the diagnosis or
    the patient's identity: by the electronic delivery alone, or by a communication
    (who was told, how, when). Printed under the AMENDED banner.

    Deliberately small: structured critical-result communications (`bench.md`) are a
    record of their own; this says only what the amended report has to say.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    electronic_only: bool = False
    told: str | None = None
    method: str | None = None
    at: datetime | None = None

    def text(self) -> str:
        """'Ordering provider told: Dr Raman, by telephone, 2026-11-24 15:10 UTC-05:00.'"""
        if self.electronic_only:
            return "Ordering provider informed by electronic delivery of this report only."
        parts = [p for p in (self.told, self.method) if p]
        if self.at is not None:
            parts.append(datetime_text(self.at))
        return f"Ordering provider told: {', '.join(parts)}."


class VersionContent(BaseModel):
    """Everything a signature covers. Frozen: an issued version never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    accession: str
    number: int
    kind: VersionKind
    document: CaseDocument
    settings: LabSettings
    signed_by: str
    signer_name: str
    signer_credentials: str | None = None
    signed_at: datetime
    meaning: str
    reason_category: str | None = None
    reason: str | None = None
    addendum_text: str | None = None
    # Added for amendments after the first releases; None is left out of the canonical
    # JSON, so versions signed before these fields existed keep their hashes.
    changes: tuple[ChangeRow, ...] | None = None
    provider_notice: ProviderNotice | None = None
    # the patient's earlier marrows as printed (`bench.md` 5); None: none, or turned off
    prior_marrows: tuple[PriorMarrow, ...] | None = None
    # the discordant findings the signer acknowledged (`clinical-rules.md` 6), covered by
    # the signature; None when there were none (and in versions signed before checks)
    acknowledged: tuple[str, ...] | None = None
    # The display names of the users the document names by username (the count's
    # `counted_by`, each communication's `by`), as they were when it was signed: the
    # report prints people's names, and a name changed later in the user store must not
    # change what was signed. None in versions signed before (they print the usernames
    # they were signed with, so that they render as signed).
    people: dict[str, str] | None = None
    # A version signed in `marrowpath.case/1`: its document exactly as signed (JSON), while
    # `document` holds it upgraded to /2 for reading (`upgrade.py`). None for /2.
    _signed_document: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _read_format_1(
        cls, data: Any, handler: ModelWrapValidatorHandler[VersionContent]
    ) -> VersionContent:
        """A stored version signed in `/1` is read as `/2` and keeps what was signed, so
        that it renders with today's code and still hashes, stores and exports as signed."""
        if not isinstance(data, dict) or not is_format_1(data.get("document")):
            return handler(data)
        signed = data["document"]
        content = handler({**data, "document": upgrade_case(signed)})
        content._signed_document = json.loads(canonical_json(signed))
        return content

    def signed_document(self) -> dict[str, Any]:
        """The document as signed, in the format it was signed in (export, storage)."""
        if self._signed_document is not None:
            copied: dict[str, Any] = json.loads(canonical_json(self._signed_document))
            return copied
        return self.document.to_json_dict()

    def stored(self) -> dict[str, Any]:
        """The JSON that is stored and hashed: the document as signed."""
        dumped = self.model_dump(mode="json", exclude_none=True)
        if self._signed_document is not None:
            dumped["document"] = self.signed_document()
        return dumped

    def stored_reusing(self, document: dict[str, Any], settings: dict[str, Any]) -> dict[str, Any]:
        """`stored()`, with the dumps of `document` and `settings` handed in (as their
        `model_dump(mode="json", exclude_none=True)`): a bulk load signs many versions
        of one document under one settings snapshot and dumps each once (decision 84).
        The keys come in `stored()`'s order."""
        if self._signed_document is not None:
            return self.stored()
        rest = self.model_dump(mode="json", exclude_none=True, exclude={"document", "settings"})
        rest["document"], rest["settings"] = document, settings
        return {name: rest[name] for name in type(self).model_fields if name in rest}

    def canonical(self) -> bytes:
        return canonical_json(self.stored())

    def sha256(self) -> str:
        return sha256_hex(self.canonical())


@dataclass(frozen=True)
class UnreadableVersion:
    """A stored version whose content no longer parses (altered beyond reading), so that
    `audit verify` can name it instead of failing."""

    accession: str
    number: int
    reason: str


class IssuedVersion(BaseModel):
    """A stored version: its content, the hash recorded at signing, and the issued PDF."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    content: VersionContent
    sha256: str
    pdf: bytes | None = None
    pdf_sha256: str | None = None

    @property
    def number(self) -> int:
        return self.content.number

    @property
    def content_sha256(self) -> str:
        """The SHA-256 of the content as it reads now (`sha256` is the one recorded)."""
        return self.content.sha256()

    @property
    def kind(self) -> VersionKind:
        return self.content.kind

    def intact(self) -> bool:
        """The content still hashes to what was recorded when it was signed."""
        return self.content.sha256() == self.sha256 and (
            self.pdf is None or self.pdf_sha256 == sha256_hex(self.pdf)
        )

    def entry(self) -> VersionEntry:
        """The `versions[]` item that `export --format json` writes."""
        c = self.content
        return VersionEntry(
            number=c.number,
            kind=c.kind.value,
            signed_by=c.signed_by,
            signer_name=c.signer_name,
            signer_credentials=c.signer_credentials,
            signed_at=c.signed_at,
            meaning=c.meaning,
            reason_category=c.reason_category,
            reason=c.reason,
            addendum_text=c.addendum_text,
            acknowledged=list(c.acknowledged) if c.acknowledged else None,
            sha256=self.sha256,
        )

    def fingerprint(self) -> str:
        """Printed on every page so paper can be matched to the record."""
        return f"{self.content.accession} v{self.content.number} {self.sha256[:12]}"
