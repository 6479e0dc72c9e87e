"""Page geometry, the numbered canvas and what is drawn on every page.

"Page X of Y" needs the page count before the first page is written, so the canvas
keeps every page's state and writes them all on `save` (pretix's NumberedCanvas). The
laboratory band, the running header, the footer with the patient's identifiers, the
version fingerprint and its QR code, and the watermark are drawn on the canvas, outside
the flowing text, so no amount of content can push them off a page.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Frame

from marrowpath.reports.fonts import SANS, SANS_BOLD, draw_string, string_width

PageCountDrawer = Callable[[Canvas, int, int], None]

MARGIN_X = 18 * mm
MARGIN_TOP = 15 * mm
MARGIN_BOTTOM = 15 * mm
QR_SIZE = 15 * mm
FOOTER_HEIGHT = 20 * mm  # above the bottom margin: rule, three text lines, QR code
RUNNING_HEADER_HEIGHT = 11 * mm
BAND_GAP = 4 * mm


@dataclass(frozen=True)
class PageGeometry:
    """Where things go on one paper size; margins stay at least 15 mm (fax, copiers)."""

    width: float
    height: float

    @classmethod
    def for_paper(cls, paper: str) -> PageGeometry:
        width, height = A4 if paper == "a4" else LETTER
        return cls(width, height)

    @property
    def pagesize(self) -> tuple[float, float]:
        return (self.width, self.height)

    @property
    def content_width(self) -> float:
        return float(self.width - 2 * MARGIN_X)

    @property
    def frame_bottom(self) -> float:
        return float(MARGIN_BOTTOM + FOOTER_HEIGHT)

    def first_frame(self, band_height: float) -> Frame:
        top = self.height - MARGIN_TOP - band_height - BAND_GAP
        return self._frame("first", top)

    def other_frame(self) -> Frame:
        return self._frame("other", self.height - MARGIN_TOP - RUNNING_HEADER_HEIGHT)

    def _frame(self, ident: str, top: float) -> Frame:
        return Frame(
            MARGIN_X,
            self.frame_bottom,
            self.content_width,
            top - self.frame_bottom,
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
            id=ident,
        )


def pdf_date(value: datetime | None) -> str | None:
    """A PDF date string (D:YYYYMMDDHHmmSS+HH'mm') for the document information."""
    if value is None:
        return None
    offset = value.utcoffset()
    stamp = value.strftime("D:%Y%m%d%H%M%S")
    if offset is None:
        return stamp
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"{stamp}{sign}{hours:02d}'{rest:02d}'"


class NumberedCanvas(Canvas):  # type: ignore[misc]  # ReportLab has no type information
    """A canvas that writes "Page X of Y" once it knows Y.

    `showPage` keeps the page's state instead of emitting it; `save` replays every page
    and lets `draw_page_count` draw on it with the total. `creation_date` replaces the
    clock in the document information so identical input gives identical bytes.
    """

    def __init__(
        self,
        *args: Any,
        draw_page_count: PageCountDrawer,
        creation_date: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []
        self._draw_page_count = draw_page_count
        if creation_date:
            self.setDateFormatter(lambda *_: creation_date)

    def showPage(self) -> None:
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for number, state in enumerate(self._saved_pages, start=1):
            self.__dict__.update(state)
            self._draw_page_count(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


@dataclass(frozen=True)
class PageFurniture:
    """The text every page carries, decided once per report.

    Attributes:
        lab_name -- the laboratory, left of the running header.
        title -- the kind of document ("Bone marrow pathology report").
        status -- the status in capitals, on every page ("PRELIMINARY REPORT").
        patient_line -- name, MRN and accession: the footer's first line.
        issued_line -- when the version was issued (or that it is a draft).
        fingerprint -- the version fingerprint printed and encoded as QR, None for drafts.
        watermark -- a diagonal word behind the content ("DRAFT"), or None.
    """

    lab_name: str
    title: str
    status: str
    patient_line: str
    issued_line: str
    fingerprint: str | None
    watermark: str | None


class PageDecorator:
    """Draws the furniture: running header, footer, QR code, watermark, page count."""

    def __init__(self, furniture: PageFurniture, geometry: PageGeometry) -> None:
        self.furniture = furniture
        self.geometry = geometry
        self._qr = _qr_runs(furniture.fingerprint) if furniture.fingerprint else None

    def watermark(self, canvas: Canvas) -> None:
        word = self.furniture.watermark
        if not word:
            return
        g = self.geometry
        diagonal = math.hypot(g.content_width, g.height - 2 * MARGIN_TOP)
        size = min(150.0, 0.8 * diagonal * 100 / string_width(word, SANS_BOLD, 100))
        canvas.saveState()
        canvas.setFillGray(0.85)  # behind the text, light enough to read through, survives copying
        canvas.translate(g.width / 2, g.height / 2)
        canvas.rotate(math.degrees(math.atan2(g.height, g.width)))
        draw_string(canvas, 0, -size / 3, word, SANS_BOLD, size, align="center")
        canvas.restoreState()

    def running_header(self, canvas: Canvas) -> None:
        """Later pages: laboratory and title on the left, the status on the right."""
        g = self.geometry
        f = self.furniture
        y = g.height - MARGIN_TOP - 11
        canvas.saveState()
        status_width = draw_string(
            canvas, g.width - MARGIN_X, y, f.status, SANS_BOLD, 10.5, align="right"
        )
        left = f"{f.lab_name}: {f.title}" if f.lab_name else f.title
        room = g.content_width - status_width - 12
        draw_string(canvas, MARGIN_X, y, left, SANS, _fit(left, SANS, 9, room), align="left")
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, y - 5, g.width - MARGIN_X, y - 5)
        canvas.restoreState()

    def footer(self, canvas: Canvas) -> None:
        """Identifiers, issue time and fingerprint on the left; QR code at the right edge."""
        g = self.geometry
        f = self.furniture
        right = g.width - MARGIN_X
        text_right = right - (QR_SIZE + 4 * mm if self._qr else 0)
        room = text_right - MARGIN_X - 70  # leave space for "Page X of Y"
        top = MARGIN_BOTTOM + FOOTER_HEIGHT - 3 * mm
        canvas.saveState()
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN_X, top, right, top)
        y = top - 10
        draw_string(
            canvas,
            MARGIN_X,
            y,
            f.patient_line,
            SANS_BOLD,
            _fit(f.patient_line, SANS_BOLD, 8.5, room),
        )
        draw_string(
            canvas, MARGIN_X, y - 11, f.issued_line, SANS, _fit(f.issued_line, SANS, 8, room)
        )
        if f.fingerprint:
            line = f"Version fingerprint: {f.fingerprint}"
            draw_string(canvas, MARGIN_X, y - 21, line, SANS, _fit(line, SANS, 8, room))
        if self._qr is not None:
            canvas.setFillGray(0)
            left = right - QR_SIZE
            for x, y, width, height in self._qr:
                canvas.rect(left + x, MARGIN_BOTTOM + y, width, height, stroke=0, fill=1)
        canvas.restoreState()

    def page_count(self, canvas: Canvas, number: int, total: int) -> None:
        """Called by `NumberedCanvas.save` with the total known."""
        g = self.geometry
        right = g.width - MARGIN_X - (QR_SIZE + 4 * mm if self._qr else 0)
        y = MARGIN_BOTTOM + FOOTER_HEIGHT - 3 * mm - 10
        canvas.saveState()
        draw_string(canvas, right, y, f"Page {number} of {total}", SANS_BOLD, 9, align="right")
        canvas.restoreState()


def _fit(text: str, font: str, size: float, room: float, smallest: float = 6.0) -> float:
    """The largest size up to `size` at which the line fits; identifiers are never cut."""
    width = string_width(text, font, size)
    if width <= room:
        return size
    return max(smallest, size * room / width)


def _qr_runs(value: str) -> list[tuple[float, float, float, float]]:
    """The fingerprint as a QR code: dark runs per row as rectangles within QR_SIZE.

    Encoded once per report by ReportLab's QR encoder and drawn as plain rectangles,
    which is cheaper per page than a graphics Drawing and pulls in no font. The white
    page around the code is its quiet zone.
    """
    qr = QrCodeWidget(value, barLevel="M").qr
    qr.make()
    count = qr.getModuleCount()
    module = QR_SIZE / count
    runs = []
    for row, modules in enumerate(qr.modules):
        column = 0
        for dark, group in itertools.groupby(bool(m) for m in modules):
            length = len(list(group))
            if dark:
                y = QR_SIZE - (row + 1) * module
                runs.append((column * module, y, length * module, module))
            column += length
    return runs
