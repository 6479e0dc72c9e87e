"""Issued content as signed: what a signing event vouches for, and whether a stored
version, its PDF, a queued message and a case's status still agree with it.

The signing event lies in the audit hash chain; the version row beside it does not. So
the values the event carries (the version's SHA-256, and the PDF's SHA-256 or None when
no PDF was stored at signing) are what every stored row is compared with: by `audit
verify` for all of them, and before any PDF or message leaves the program.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from marrowpath.domain import hl7v2
from marrowpath.domain.audit import AuditEvent
from marrowpath.domain.canonical import canonical_json, sha256_hex
from marrowpath.domain.lifecycle import OPEN, STATUS_AFTER, Status, VersionKind
from marrowpath.domain.versions import IssuedVersion, UnreadableVersion

ADMIN_HINT = "Tell the laboratory's administrator."


@dataclass(frozen=True)
class SigningRecord:
    """What the `sign` event of one version carries.

    `pdf_sha256` is None when no PDF was stored at signing (generated demo cases, an
    installation without a renderer): such a version is rendered on demand. An event
    written before the key existed (early demo loads) counts as "no PDF stored".
    """

    seq: int
    accession: str
    number: int
    sha256: str | None
    pdf_sha256: str | None

    @classmethod
    def of(cls, event: AuditEvent) -> SigningRecord | None:
        """The record of a `sign` event; None for any other event."""
        number = event.detail.get("version")
        if event.action != "sign" or not event.accession or not isinstance(number, int):
            return None
        sha, pdf_sha = event.detail.get("sha256"), event.detail.get("pdf_sha256")
        return cls(
            seq=event.seq,
            accession=event.accession,
            number=number,
            sha256=sha if isinstance(sha, str) else None,
            pdf_sha256=pdf_sha if isinstance(pdf_sha, str) else None,
        )


@dataclass(frozen=True)
class StoredVersion:
    """What `audit verify` needs of a stored version: which version of which case it
    says it is, the SHA-256 of its content as stored and the one recorded beside it, and
    its PDF. Built straight from the stored JSON when that hashes as recorded (`as_signed`),
    so that verifying a million versions does not rebuild each one's model; from the
    parsed version otherwise (`of`), which says what differs."""

    accession: str
    number: int
    kind: VersionKind
    content_sha256: str
    sha256: str
    pdf: bytes | None
    pdf_sha256: str | None

    @classmethod
    def of(cls, version: IssuedVersion) -> StoredVersion:
        return cls(
            accession=version.content.accession,
            number=version.number,
            kind=version.kind,
            content_sha256=version.content_sha256,
            sha256=version.sha256,
            pdf=version.pdf,
            pdf_sha256=version.pdf_sha256,
        )

    @classmethod
    def as_signed(
        cls, content: Any, sha256: str, pdf: bytes | None, pdf_sha256: str | None
    ) -> StoredVersion | None:
        """The version from its stored JSON, or None unless that JSON hashes to `sha256`
        and names its case, number and kind. The stored JSON is what was hashed at signing
        (`VersionContent.stored()`), so an intact version hashes the same without being
        parsed; any other is read in full (`of`) to be named."""
        if sha256_hex(canonical_json(content)) != sha256:
            return None
        try:
            accession, number, kind = content["accession"], content["number"], content["kind"]
            kind = VersionKind(kind)
        except (KeyError, TypeError, ValueError):
            return None
        if not isinstance(accession, str) or not isinstance(number, int):
            return None
        return cls(accession, number, kind, sha256, sha256, pdf, pdf_sha256)


def content_problem(
    version: IssuedVersion | StoredVersion, record: SigningRecord | None
) -> str | None:
    """Why the stored version is not the signed one, or None (the PDF is not looked at)."""
    if version.content_sha256 != version.sha256:
        return "content does not match its SHA-256"
    if record is None or record.sha256 != version.sha256:
        return "no signing event carries its hash"
    return None


def pdf_problem(version: IssuedVersion | StoredVersion, record: SigningRecord) -> str | None:
    """Why the stored PDF (loaded with the version) is not the signed one, or None."""
    if record.pdf_sha256 is None:
        if version.pdf is not None or version.pdf_sha256 is not None:
            return "a PDF is stored but none was signed"
        return None
    if version.pdf is None:
        return "the stored PDF is missing"
    if sha256_hex(version.pdf) != record.pdf_sha256 or version.pdf_sha256 != record.pdf_sha256:
        return "the stored PDF does not match the one signed"
    return None


def embedded_pdf(message: str) -> bytes | None:
    """The PDF an HL7 result message carries (OBX of type ED), or None.

    Raises `hl7v2.Er7Error` when the message or its PDF cannot be read.
    """
    for obx in hl7v2.parse(message).all("OBX"):
        if obx.get(2) == "ED":
            try:
                return base64.b64decode(obx.get(5, 5), validate=True)
            except (binascii.Error, ValueError) as error:
                raise hl7v2.Er7Error(f"its PDF is not base64 ({error})") from None
    return None


def message_problem(message: str, record: SigningRecord | None, *, carries_pdf: bool) -> str | None:
    """Why a queued result message must not go out, or None.

    Args:
        carries_pdf: False for a cancellation, which never carries a PDF.
    """
    try:
        pdf = embedded_pdf(message)
    except hl7v2.Er7Error as error:
        return f"the queued message cannot be read ({error})"
    if record is None:
        return "no signing event carries the version of the queued message"
    expected = record.pdf_sha256 if carries_pdf else None
    if expected is None:
        return None if pdf is None else "the queued message carries a PDF that was never signed"
    if pdf is None:
        return "the PDF is missing from the queued message"
    if sha256_hex(pdf) != expected:
        return "the PDF in the queued message does not match the one signed"
    return None


def status_from(kinds: Sequence[VersionKind], *, cancelled: bool) -> Status:
    """The status a case's issued versions and its cancellation record give it."""
    if cancelled:
        return Status.CANCELLED
    return STATUS_AFTER[kinds[-1]] if kinds else Status.DRAFT


def status_follows(status: Status, kinds: Sequence[VersionKind]) -> bool:
    """Whether `status` can follow from these versions (a draft or preliminary case may
    also have been cancelled; the cancellation itself is checked by `audit verify`)."""
    derived = status_from(kinds, cancelled=False)
    return status is derived or (status is Status.CANCELLED and derived in OPEN)


@dataclass(frozen=True)
class CaseState:
    """A case row as `audit verify` compares it with its versions."""

    accession: str
    status: str
    issued_count: int


@dataclass
class IssuedCheck:
    """`audit verify`'s check of issued content, fed the events and versions it walks.

    Names every version that is not what its signing event vouches for (content, PDF),
    every signing event without its version (a deleted version), and every case whose
    status or count of versions does not follow from its versions and cancellation.
    """

    problems: list[str] = field(default_factory=list)
    _signed: dict[tuple[str, int], SigningRecord] = field(default_factory=dict)
    _seen: set[tuple[str, int]] = field(default_factory=set)
    _kinds: dict[str, dict[int, VersionKind]] = field(default_factory=dict)
    _unreadable: set[str] = field(default_factory=set)
    _cancelled: set[str] = field(default_factory=set)

    def see_event(self, event: AuditEvent) -> None:
        record = SigningRecord.of(event)
        if record is not None:
            self._signed[(record.accession, record.number)] = record
        elif event.action == "cancel" and event.accession:
            self._cancelled.add(event.accession)

    def see_version(self, version: StoredVersion | UnreadableVersion) -> None:
        if isinstance(version, UnreadableVersion):
            self._seen.add((version.accession, version.number))
            self._unreadable.add(version.accession)
            self.problems.append(
                f"{version.accession} version {version.number}: content cannot be "
                f"read ({version.reason}; altered)"
            )
            return
        key = (version.accession, version.number)
        self._seen.add(key)
        self._kinds.setdefault(key[0], {})[key[1]] = version.kind
        record = self._signed.get(key)
        problem = content_problem(version, record)
        if problem is None and record is not None:
            problem = pdf_problem(version, record)
        if problem is not None:
            suffix = "" if problem.startswith("no signing event") else " (altered)"
            self.problems.append(f"{key[0]} version {key[1]}: {problem}{suffix}")

    def missing_versions(self) -> list[str]:
        """Signing events whose version is not stored."""
        return [
            f"{accession} version {number}: signed in event {record.seq} but the version "
            "is missing (deleted)"
            for (accession, number), record in sorted(self._signed.items())
            if (accession, number) not in self._seen
        ]

    def status_problems(self, cases: Iterable[CaseState]) -> list[str]:
        """Cases whose status or version count does not follow from what is stored."""
        problems: list[str] = []
        for case in cases:
            if case.accession in self._unreadable:
                continue  # already named; its kinds are unknown
            numbers = self._kinds.get(case.accession, {})
            kinds = [numbers[n] for n in sorted(numbers)]
            cancelled = case.accession in self._cancelled
            expected = status_from(kinds, cancelled=cancelled)
            if case.status != expected.value:
                basis = "versions and cancellation" if cancelled else "versions"
                problems.append(
                    f"{case.accession}: the status is {case.status.replace('_', ' ')} but its "
                    f"{basis} make it {expected.value.replace('_', ' ')} (altered)"
                )
            if case.issued_count != len(kinds):
                stored = f"{len(kinds)} {'is' if len(kinds) == 1 else 'are'} stored"
                problems.append(
                    f"{case.accession}: {case.issued_count} versions are counted but {stored} "
                    "(altered)"
                )
        return problems
