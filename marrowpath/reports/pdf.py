"""The PDF entry point: one `ReportRequest` in, the PDF's bytes out.

Pure: no database, file writes, clock or Qt. The same request always gives the same
bytes (fixed creation date from the version's signing time, ReportLab's invariant mode),
so an issued PDF can be re-rendered and compared with the stored one.
"""

from __future__ import annotations

from marrowpath.domain.reporting import ReportRequest
from marrowpath.reports.case_report import CaseReportRenderer


def render_report(request: ReportRequest) -> bytes:
    """Render the bone marrow report (and the patient summary when asked) as PDF bytes."""
    return CaseReportRenderer(request).generate()
