"""The base PDF renderer: one document template, two page templates, bytes out.

Modelled on pretix's `BaseReportlabInvoiceRenderer`: a subclass supplies the story, the
first-page band and the page furniture through small override points, and the base owns
the mechanics (fonts, `BaseDocTemplate` with `FirstPage` and `OtherPages`, the numbered
canvas, deterministic metadata). Rendering touches no file system, database, clock or
Qt: everything printed comes from the subclass's input.
"""

from __future__ import annotations

from functools import partial
from io import BytesIO

from reportlab.lib.styles import StyleSheet1
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, NextPageTemplate, PageTemplate

from marrowpath.reports.fonts import SANS, register_base_fonts
from marrowpath.reports.styles import make_stylesheet
from marrowpath.reports.templates import (
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    NumberedCanvas,
    PageDecorator,
    PageFurniture,
    PageGeometry,
)


class BaseReportRenderer:
    """Override `_get_story`, `_get_band`, `_get_furniture` and `_metadata`."""

    def __init__(self, paper: str = "letter") -> None:
        self._register_fonts()
        self.geometry = PageGeometry.for_paper(paper)
        self.styles = self._get_stylesheet()

    # -- override points -------------------------------------------------------------

    def _register_fonts(self) -> None:
        register_base_fonts()

    def _get_stylesheet(self) -> StyleSheet1:
        return make_stylesheet()

    def _get_story(self) -> list[Flowable]:
        raise NotImplementedError

    def _get_band(self) -> Flowable | None:
        """The first page's header band (drawn above the first frame), or None."""
        return None

    def _get_furniture(self) -> PageFurniture:
        raise NotImplementedError

    def _metadata(self) -> dict[str, str]:
        """Title, author, subject, keywords of the PDF document information."""
        return {}

    def _creation_date(self) -> str | None:
        """A PDF date for the document information; None keeps ReportLab's invariant one."""
        return None

    # -- mechanics --------------------------------------------------------------------

    def _get_first_page_frames(self, band_height: float) -> list[Frame]:
        return [self.geometry.first_frame(band_height)]

    def _get_other_page_frames(self) -> list[Frame]:
        return [self.geometry.other_frame()]

    def _on_first_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self._decorator.watermark(canvas)
        if self._band is not None:
            top = self.geometry.height - MARGIN_TOP
            self._band.drawOn(canvas, MARGIN_X, top - self._band_height)
        self._decorator.footer(canvas)

    def _on_other_page(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        self._decorator.watermark(canvas)
        self._decorator.running_header(canvas)
        self._decorator.footer(canvas)

    def _build_doc(self, buffer: BytesIO) -> BaseDocTemplate:
        self._band = self._get_band()
        self._band_height = 0.0
        if self._band is not None:
            _, self._band_height = self._band.wrap(
                self.geometry.content_width, self.geometry.height
            )
        self._decorator = PageDecorator(self._get_furniture(), self.geometry)
        doc = BaseDocTemplate(
            buffer,
            pagesize=self.geometry.pagesize,
            leftMargin=MARGIN_X,
            rightMargin=MARGIN_X,
            topMargin=MARGIN_TOP,
            bottomMargin=MARGIN_BOTTOM,
            invariant=1,
            initialFontName=SANS,  # never Helvetica: it has no glyphs beyond Latin-1
            creator="MarrowPath",
            **self._metadata(),
        )
        doc.addPageTemplates(
            [
                PageTemplate(
                    id="FirstPage",
                    frames=self._get_first_page_frames(self._band_height),
                    onPage=self._on_first_page,
                    pagesize=self.geometry.pagesize,
                ),
                PageTemplate(
                    id="OtherPages",
                    frames=self._get_other_page_frames(),
                    onPage=self._on_other_page,
                    pagesize=self.geometry.pagesize,
                ),
            ]
        )
        return doc

    def generate(self) -> bytes:
        """Render the whole document and return the PDF bytes."""
        buffer = BytesIO()
        doc = self._build_doc(buffer)
        story: list[Flowable] = [NextPageTemplate("OtherPages"), *self._get_story()]
        canvasmaker = partial(
            NumberedCanvas,
            draw_page_count=self._decorator.page_count,
            creation_date=self._creation_date(),
        )
        doc.build(story, canvasmaker=canvasmaker)
        return buffer.getvalue()
