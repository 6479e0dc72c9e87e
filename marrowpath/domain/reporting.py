"""What a report renderer is given: a pure description of one printable report.

The renderers in `marrowpath.reports` receive this and return bytes; they read no
database, file or clock. The services build it from the stored versions. The request
carries the case's whole version list and its cancellation, because what a version
says on paper depends on what happened after it (`report-states.md`): the same version
prints SUPERSEDED once a later one exists, and every version of a withdrawn case prints
WITHDRAWN.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.interfaces import Cancellation
from marrowpath.domain.lifecycle import STATUS_AFTER, Status, VersionKind
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.versions import IssuedVersion


class ReportState(StrEnum):
    """The rows of the banner table of `report-states.md`."""

    DRAFT = "draft"
    PRELIMINARY = "preliminary"
    FINAL = "final"
    AMENDED = "amended"
    ADDENDUM = "addendum"
    SUPERSEDED = "superseded"
    CANCELLED = "cancelled"
    WITHDRAWN = "withdrawn"


_OWN_STATE = {
    VersionKind.PRELIMINARY: ReportState.PRELIMINARY,
    VersionKind.FINAL: ReportState.FINAL,
    VersionKind.AMENDMENT: ReportState.AMENDED,
    VersionKind.ADDENDUM: ReportState.ADDENDUM,
    VersionKind.WITHDRAWAL: ReportState.WITHDRAWN,
}


@dataclass(frozen=True)
class ReportRequest:
    """One report to render.

    Attributes:
        document -- the findings to print: the chosen version's document, or the working
            document of a case with nothing issued (then `draft` is True).
        settings -- the lab settings the document is judged by: the version's snapshot,
            or today's settings for a draft.
        versions -- issued versions 1..N where N is the version printed (empty for a draft);
            earlier ones give the version history, addenda and amendment lines.
        later -- the versions issued after N (the rest of the case's list): a version
            with later ones prints SUPERSEDED, or WITHDRAWN when one is a withdrawal.
        cancellation -- set when the case was cancelled: it prints CANCELLED, anew.
        draft -- True for a working document never issued: printed with a DRAFT watermark.
        patient_summary -- append the plain-language pages for the patient.
        rendered_at -- when a draft is rendered (drafts only; issued PDFs carry signed_at).
        people -- display names by username for a draft (who counted, who communicated),
            read from the user store when it is rendered; an issued version prints the
            names captured when it was signed (`names`).
    """

    document: CaseDocument
    settings: LabSettings
    versions: tuple[IssuedVersion, ...] = ()
    later: tuple[IssuedVersion, ...] = ()
    cancellation: Cancellation | None = None
    draft: bool = False
    patient_summary: bool = False
    rendered_at: datetime | None = None
    people: dict[str, str] = field(default_factory=dict)

    @property
    def names(self) -> dict[str, str]:
        """Display names by username for what this prints: the version's, as signed (none
        for a version signed before names were kept: it prints the usernames it showed
        then), or a draft's read today."""
        version = self.version
        if version is not None:
            return dict(version.content.people or {})
        return dict(self.people)

    @property
    def version(self) -> IssuedVersion | None:
        """The version printed (the last one given), None for a draft."""
        return self.versions[-1] if self.versions and not self.draft else None

    @property
    def all_versions(self) -> tuple[IssuedVersion, ...]:
        return (*self.versions, *self.later)

    @property
    def current(self) -> IssuedVersion | None:
        """The case's latest version, the one a superseded version points to."""
        every = self.all_versions
        return every[-1] if every and not self.draft else None

    @property
    def status(self) -> Status:
        """The status as of the version printed (what it said when it was issued)."""
        version = self.version
        return STATUS_AFTER[version.kind] if version else Status.DRAFT

    @property
    def withdrawal(self) -> IssuedVersion | None:
        return next((v for v in self.all_versions if v.kind is VersionKind.WITHDRAWAL), None)

    @property
    def state(self) -> ReportState:
        """Which banner this prints. The case comes first: every version of a withdrawn
        case prints WITHDRAWN, of a cancelled case CANCELLED; otherwise an earlier version
        prints SUPERSEDED and the current one its own banner."""
        version = self.version
        if version is None:
            return ReportState.DRAFT
        if self.cancellation is not None:
            return ReportState.CANCELLED
        if self.withdrawal is not None:
            return ReportState.WITHDRAWN
        if self.later:
            return ReportState.SUPERSEDED
        return _OWN_STATE[version.kind]

    @property
    def stamped(self) -> bool:
        """True when the version was issued under another banner than it prints now
        (superseded, or withdrawn later): the issued PDF is printed with an overlay."""
        version = self.version
        return (
            version is not None
            and self.cancellation is None
            and self.state in (ReportState.SUPERSEDED, ReportState.WITHDRAWN)
            and version.kind is not VersionKind.WITHDRAWAL
        )

    def as_issued(self) -> ReportRequest:
        """The request as it stood when the version was signed (nothing after it)."""
        return replace(self, later=(), cancellation=None)
