"""The PDF entry point: one `ReportRequest` in, the PDF's bytes out.

Pure: no database, file writes, clock or Qt. The same request always gives the same
bytes (fixed creation date from the version's signing time, ReportLab's invariant mode),
so an issued PDF can be re-rendered and compared with the stored one.
"""

from __future__ import annotations

from marrowpath.domain.reporting import ReportRequest
from marrowpath.reports.case_report import CaseReportRenderer


def render_report(request: ReportRequest) -> bytes:
    """Render the bone marrow report (and the patient summary when asked) as PDF bytes.

    A version that is now superseded or withdrawn is rendered as it was issued and then
    stamped, exactly as its stored PDF would be (`stamp_report`), so a version printed
    from its stored bytes and one rendered on demand read the same.
    """
    if request.stamped:
        from marrowpath.reports.stamp import stamp_report  # pypdf: only when stamping

        return stamp_report(CaseReportRenderer(request, as_issued=True).generate(), request)
    return CaseReportRenderer(request).generate()
