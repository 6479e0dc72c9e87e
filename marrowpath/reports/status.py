"""What the status banner, the running header and the signature block say.

Pure logic over the request's versions, kept apart from drawing so the wording can be
read and tested without a PDF. A reader must not be able to miss that a report is a
draft, preliminary, amended, supplemented by an addendum or withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from marrowpath.domain.diff import changed_sections
from marrowpath.domain.enums import label
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.versions import IssuedVersion
from marrowpath.reports.formatting import datetime_text

# Versions whose document is the report text; addenda and withdrawals only add to it.
TEXT_KINDS = frozenset({VersionKind.PRELIMINARY, VersionKind.FINAL, VersionKind.AMENDMENT})

KIND_WORDS: dict[VersionKind, str] = {
    VersionKind.PRELIMINARY: "Preliminary",
    VersionKind.FINAL: "Final",
    VersionKind.AMENDMENT: "Amendment",
    VersionKind.ADDENDUM: "Addendum",
    VersionKind.WITHDRAWAL: "Withdrawal",
}

_REPORT_WORDS: dict[VersionKind, str] = {
    VersionKind.PRELIMINARY: "PRELIMINARY REPORT",
    VersionKind.FINAL: "FINAL REPORT",
    VersionKind.AMENDMENT: "AMENDED REPORT",
}


@dataclass(frozen=True)
class Banner:
    """The status as printed.

    Attributes:
        title -- the bold capitals across the first page ("AMENDED REPORT").
        lines -- plain-text detail lines under the title (date, reason, what changed).
        running -- the status on every page's header ("PRELIMINARY REPORT").
        watermark -- large diagonal word behind every page, or None.
    """

    title: str
    lines: tuple[str, ...]
    running: str
    watermark: str | None = None


def text_version(versions: tuple[IssuedVersion, ...]) -> IssuedVersion | None:
    """The latest version whose document is the report text (not an addendum or withdrawal)."""
    for version in reversed(versions):
        if version.kind in TEXT_KINDS:
            return version
    return None


def addenda(versions: tuple[IssuedVersion, ...]) -> list[IssuedVersion]:
    return [version for version in versions if version.kind is VersionKind.ADDENDUM]


def what_changed(versions: tuple[IssuedVersion, ...]) -> list[str]:
    """Sections of the last version's document that differ from the version before it."""
    if len(versions) < 2:
        return []
    before = versions[-2].content.document.findings().to_json_dict()
    after = versions[-1].content.document.findings().to_json_dict()
    return [_section_words(section) for section in changed_sections(before, after)]


def _section_words(section: str) -> str:
    return {
        "ancillary": "ancillary studies",
        "stains": "immunohistochemistry and special stains",
        "core": "core biopsy",
        "key_results": "key results",
        "copy_to": "copy to",
        "received_at": "date received",
    }.get(section, label(section).lower())


def signature_line(version: IssuedVersion) -> str:
    """'Electronically signed by NAME, CREDENTIALS, on DATE TIME' (21 CFR 11.50)."""
    when = datetime_text(version.content.signed_at)
    comma = "," if version.content.signer_credentials else ""
    return f"Electronically signed by {_signer(version)}{comma} on {when}"


def reason_text(version: IssuedVersion) -> str:
    content = version.content
    if content.reason_category and content.reason:
        return f"{label(content.reason_category)}: {content.reason}"
    return content.reason or (label(content.reason_category) if content.reason_category else "")


def banner(request: ReportRequest) -> Banner:
    """The banner for the request's status; every status has one."""
    version = request.version
    if version is None:
        when = datetime_text(request.rendered_at) if request.rendered_at else None
        lines = ["Not signed. Not a report: do not use for patient care."]
        if when:
            lines.append(f"Draft printed {when}.")
        return Banner("DRAFT: NOT SIGNED", tuple(lines), "DRAFT, NOT SIGNED", "DRAFT")
    status = request.status
    main = text_version(request.versions)
    when = datetime_text(version.content.signed_at)
    number = f"version {version.number}"
    if status is Status.ENTERED_IN_ERROR:
        lines = [
            f"This report was withdrawn on {when} ({number}) by {_signer(version)}.",
            f"Reason: {reason_text(version) or 'not given'}",
            "Do not use this report for patient care.",
        ]
        return Banner("WITHDRAWN: ENTERED IN ERROR", tuple(lines), "WITHDRAWN", "WITHDRAWN")
    if status is Status.APPENDED:
        base = _REPORT_WORDS[main.kind] if main else "REPORT"
        lines = [
            f"Addendum issued {when} ({number}). "
            "The report text above the addenda is unchanged as originally signed.",
        ]
        return Banner(f"{base} WITH ADDENDUM", tuple(lines), f"{base} WITH ADDENDUM")
    if status is Status.AMENDED:
        changed = what_changed(request.versions)
        lines = [
            f"Amended {when} ({number}), superseding version {version.number - 1}.",
            f"Reason: {reason_text(version) or 'not given'}",
            f"What changed: {', '.join(changed) if changed else 'no section of the findings'}.",
        ]
        return Banner("AMENDED REPORT", tuple(lines), "AMENDED REPORT")
    if status is Status.PRELIMINARY:
        lines = [
            f"Issued {when} ({number}). Results may change; a final report will follow.",
        ]
        return Banner("PRELIMINARY REPORT", tuple(lines), "PRELIMINARY REPORT")
    return Banner("FINAL REPORT", (f"Signed {when} ({number}).",), "FINAL REPORT")


def _signer(version: IssuedVersion) -> str:
    content = version.content
    if content.signer_credentials:
        return f"{content.signer_name}, {content.signer_credentials}"
    return content.signer_name
