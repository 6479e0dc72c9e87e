"""What a report renderer is given: a pure description of one printable report.

The renderers in `marrowpath.reports` receive this and return bytes; they read no
database, file or clock. The services build it from the stored versions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.lifecycle import STATUS_AFTER, Status
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.versions import IssuedVersion


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
        draft -- True for a working document never issued: printed with a DRAFT watermark.
        patient_summary -- append the plain-language pages for the patient.
        rendered_at -- when a draft is rendered (drafts only; issued PDFs carry signed_at).
    """

    document: CaseDocument
    settings: LabSettings
    versions: tuple[IssuedVersion, ...] = ()
    draft: bool = False
    patient_summary: bool = False
    rendered_at: datetime | None = None

    @property
    def version(self) -> IssuedVersion | None:
        """The version printed (the last one given), None for a draft."""
        return self.versions[-1] if self.versions and not self.draft else None

    @property
    def status(self) -> Status:
        version = self.version
        return STATUS_AFTER[version.kind] if version else Status.DRAFT
