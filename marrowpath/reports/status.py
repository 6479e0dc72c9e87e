"""What the status banner, the running header and the signature block say.

Pure logic over the request's versions, kept apart from drawing so the wording can be
read and tested without a PDF. One function per row of the banner table of
`report-states.md`: a reader must not be able to miss that a report is a draft,
preliminary, amended, supplemented by an addendum, superseded, cancelled or withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass

from marrowpath.domain.enums import label
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.redline import ChangeRow, first_page, redline
from marrowpath.domain.reporting import ReportRequest, ReportState
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


@dataclass(frozen=True)
class Banner:
    """The status as printed.

    Attributes:
        title -- the bold capitals across the first page ("AMENDED REPORT").
        lines -- plain-text detail lines under the title (date, reason, who).
        running -- the state on every later page's header and every footer ("AMENDED").
        watermark -- large diagonal word behind every page, or None.
        changes -- the changes table rows page 1 shows under an AMENDED banner.
        more_changes -- how many rows are left for the version history.
    """

    title: str
    lines: tuple[str, ...]
    running: str
    watermark: str | None = None
    changes: tuple[ChangeRow, ...] = ()
    more_changes: int = 0


def text_version(versions: tuple[IssuedVersion, ...]) -> IssuedVersion | None:
    """The latest version whose document is the report text (not an addendum or withdrawal)."""
    for version in reversed(versions):
        if version.kind in TEXT_KINDS:
            return version
    return None


def addenda(versions: tuple[IssuedVersion, ...]) -> list[IssuedVersion]:
    return [version for version in versions if version.kind is VersionKind.ADDENDUM]


def amendments(versions: tuple[IssuedVersion, ...]) -> list[IssuedVersion]:
    return [version for version in versions if version.kind is VersionKind.AMENDMENT]


def version_changes(versions: tuple[IssuedVersion, ...], version: IssuedVersion) -> list[ChangeRow]:
    """What `version` changed from the version before it: the rows stored with it at
    signing, or computed from the two documents for versions signed before they were."""
    if version.content.changes is not None:
        return list(version.content.changes)
    earlier = [v for v in versions if v.number == version.number - 1]
    if not earlier:
        return []
    before = earlier[0].content.document.findings().to_json_dict()
    return redline(before, version.content.document.findings().to_json_dict())


def diagnosis_amended(request: ReportRequest) -> bool:
    """True while the printed diagnosis lines or classification differ from those of the
    first final report ("AMENDED DIAGNOSIS"); a laterality fix leaves "FINAL DIAGNOSIS"."""
    first_final = next((v for v in request.versions if v.kind is VersionKind.FINAL), None)
    if first_final is None:
        return False
    was, now = first_final.content.document.diagnosis, request.document.diagnosis
    return was.lines != now.lines or (was.classification or []) != (now.classification or [])


def signature_line(version: IssuedVersion) -> str:
    """'Electronically signed by NAME, CREDENTIALS, on DATE TIME' (21 CFR 11.50)."""
    when = datetime_text(version.content.signed_at)
    comma = "," if version.content.signer_credentials else ""
    return f"Electronically signed by {signer(version)}{comma} on {when}"


def reason_text(version: IssuedVersion) -> str:
    content = version.content
    if content.reason_category and content.reason:
        return f"{label(content.reason_category)}: {content.reason}"
    return content.reason or (label(content.reason_category) if content.reason_category else "")


def signer(version: IssuedVersion) -> str:
    content = version.content
    if content.signer_credentials:
        return f"{content.signer_name}, {content.signer_credentials}"
    return content.signer_name


def banner(request: ReportRequest) -> Banner:
    """The banner for the request's state; every row of the table has one."""
    return _BANNERS[request.state](request)


def current_words(request: ReportRequest) -> str:
    """What the case's latest version prints as ("amended report"), for SUPERSEDED."""
    current = request.current
    if current is None:
        return "draft"
    latest = ReportRequest(
        document=current.content.document,
        settings=current.content.settings,
        versions=request.all_versions,
    )
    return _title_of(latest).lower()


def _title_of(request: ReportRequest) -> str:
    return _BANNERS[request.state](request).title


def _draft(request: ReportRequest) -> Banner:
    lines = ["Not signed. Not a report: do not use for patient care."]
    if request.rendered_at:
        lines.append(f"Draft printed {datetime_text(request.rendered_at)}.")
    return Banner("DRAFT - NOT A REPORT", tuple(lines), "DRAFT", "DRAFT")


def _preliminary(request: ReportRequest) -> Banner:
    version = _version(request)
    lines = (
        f"Issued {datetime_text(version.content.signed_at)} by {signer(version)} "
        f"(version {version.number}).",
        "Results may change; a final report will follow.",
    )
    return Banner("PRELIMINARY REPORT", lines, "PRELIMINARY")


def _final(request: ReportRequest) -> Banner:
    version = _version(request)
    when = datetime_text(version.content.signed_at)
    lines = (f"Signed {when} by {signer(version)} (version {version.number}).",)
    return Banner("FINAL REPORT", lines, "FINAL")


def _amended(request: ReportRequest) -> Banner:
    version = _version(request)
    rows, more = first_page(version_changes(request.versions, version))
    return Banner(
        "AMENDED REPORT",
        _amendment_lines(version),
        "AMENDED",
        changes=tuple(rows),
        more_changes=more,
    )


def _amendment_lines(version: IssuedVersion, *, superseding: bool = True) -> tuple[str, ...]:
    content = version.content
    head = (
        f"Amended {datetime_text(content.signed_at)} by {signer(version)} (version {version.number}"
    )
    head += f", superseding version {version.number - 1})." if superseding else ")."
    lines = [head, f"Reason: {reason_text(version) or 'not given'}"]
    if content.provider_notice is not None:
        lines.append(content.provider_notice.text())
    return tuple(lines)


def _addendum(request: ReportRequest) -> Banner:
    version = _version(request)
    when = datetime_text(version.content.signed_at)
    text = (version.content.addendum_text or "").strip().splitlines()
    first = f": {text[0]}" if text else "."
    lines = [f"Addendum issued {when} by {signer(version)} (version {version.number}){first}"]
    earlier = amendments(request.versions)
    if earlier:
        lines += _amendment_lines(earlier[-1], superseding=False)
        return Banner("AMENDED REPORT WITH ADDENDUM", tuple(lines), "ADDENDUM")
    lines.append("The report text above the addenda is unchanged as originally signed.")
    return Banner("FINAL REPORT WITH ADDENDUM", tuple(lines), "ADDENDUM")


def _superseded(request: ReportRequest) -> Banner:
    version = _version(request)
    current = request.current
    assert current is not None
    total = len(request.all_versions)
    lines = (
        f"The current report is version {current.number} ({current_words(request)}), "
        f"issued {datetime_text(current.content.signed_at)}. Do not use this version for care.",
        f"This version was issued {datetime_text(version.content.signed_at)} by {signer(version)}.",
    )
    return Banner(
        f"SUPERSEDED - version {version.number} of {total}", lines, "SUPERSEDED", "SUPERSEDED"
    )


def _cancelled(request: ReportRequest) -> Banner:
    cancellation = request.cancellation
    assert cancellation is not None
    version = _version(request)
    lines = (
        f"Cancelled {datetime_text(cancellation.at)} by {cancellation.by}.",
        f"Reason: {cancellation.reason or 'not given'}",
        "No final report will follow for this accession.",
        f"The findings below were issued as version {version.number} on "
        f"{datetime_text(version.content.signed_at)}; they are printed for the record only.",
    )
    return Banner("CANCELLED", lines, "CANCELLED", "CANCELLED")


def _withdrawn(request: ReportRequest) -> Banner:
    withdrawal = request.withdrawal
    assert withdrawal is not None
    version = _version(request)
    lines = [
        f"Withdrawn {datetime_text(withdrawal.content.signed_at)} by {signer(withdrawal)} "
        f"(version {withdrawal.number}).",
        f"Reason: {withdrawal.content.reason or 'not given'}",
        "Do not use this report.",
    ]
    if version.number != withdrawal.number:
        lines.append(
            f"This is version {version.number} of {len(request.all_versions)}, issued "
            f"{datetime_text(version.content.signed_at)}."
        )
    return Banner("WITHDRAWN - ENTERED IN ERROR", tuple(lines), "WITHDRAWN", "WITHDRAWN")


def _version(request: ReportRequest) -> IssuedVersion:
    version = request.version
    assert version is not None
    return version


_BANNERS = {
    ReportState.DRAFT: _draft,
    ReportState.PRELIMINARY: _preliminary,
    ReportState.FINAL: _final,
    ReportState.AMENDED: _amended,
    ReportState.ADDENDUM: _addendum,
    ReportState.SUPERSEDED: _superseded,
    ReportState.CANCELLED: _cancelled,
    ReportState.WITHDRAWN: _withdrawn,
}
