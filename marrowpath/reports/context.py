"""What every section builder needs: the request, the stylesheet and the text width."""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.styles import StyleSheet1

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.settings import LabSettings


@dataclass(frozen=True)
class SectionContext:
    """Passed to each section function so sections stay plain functions, not methods."""

    request: ReportRequest
    styles: StyleSheet1
    width: float

    @property
    def case(self) -> CaseDocument:
        return self.request.document

    @property
    def settings(self) -> LabSettings:
        return self.request.settings

    @property
    def names(self) -> dict[str, str]:
        return self.request.names
