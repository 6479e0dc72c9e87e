"""Printing issued PDFs as issued: at their own page size, sharp, without lossy images.

Qt cannot send a PDF to a printer as such, so each page is rendered with
`QPdfDocument.render` at 300 dpi whatever the printer's resolution (600 dpi took four
times as long, 35 s for a four-page report here, for detail no fax or copier keeps; see
docs/decisions.md), opaque, and painted onto the whole sheet, with `LosslessImageRendering` so that a PDF printer (or a spooler that keeps PDF) stores the
pixels losslessly rather than as JPEG. The sheet is the PDF's own page size; only when the
printer's paper differs is the page scaled to fit, centred, and the user is told.

Runs on any thread (Qt paints on a printer from any thread); no widget here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF, QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

MIN_DPI = 300
MAX_DPI = 300
# Paper sizes closer than this (in points, about 1 mm) are the same paper.
SAME_PAPER_POINTS = 3.0


@dataclass(frozen=True)
class Printed:
    """What a print did: pages sent, and the paper the pages were scaled from and to
    (None when they printed at their own size)."""

    pages: int
    scaled: tuple[str, str] | None = None

    def words(self) -> str:
        sent = f"Sent {self.pages} page{'s' if self.pages != 1 else ''} to the printer"
        if self.scaled is None:
            return sent
        return f"{sent}, scaled from {self.scaled[0]} to fit {self.scaled[1]} paper"


class PrintCancelled(Exception):
    """The user cancelled a batch print; what was painted so far is sent."""


def open_pdf(pdf: bytes) -> tuple[QPdfDocument, QBuffer]:
    """A loaded document and the buffer it reads (keep both alive while in use)."""
    buffer = QBuffer()
    buffer.setData(QByteArray(pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    document.load(buffer)
    return document, buffer


def paper_name(size_points: QSizeF) -> str:
    """ "Letter", "A4", or the size in millimetres."""
    size = QPageSize(size_points, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    if size.id() != QPageSize.PageSizeId.Custom:
        return size.name().split(" / ")[0]  # "Letter / ANSI A": the name people use
    return f"{size_points.width() / 72 * 25.4:.0f} x {size_points.height() / 72 * 25.4:.0f} mm"


def pdf_page_size(pdf: bytes) -> QSizeF:
    """The first page's size in points."""
    document, _buffer = open_pdf(pdf)
    try:
        return document.pagePointSize(0)
    finally:
        document.close()


def prepare_printer(printer: QPrinter, page_points: QSizeF) -> None:
    """Propose the PDF's own page size, portrait, with the whole sheet as the page (the
    PDF carries its own margins), before the print dialog lets the user change paper."""
    size = QPageSize(page_points, QPageSize.Unit.Point, "", QPageSize.SizeMatchPolicy.FuzzyMatch)
    printer.setFullPage(True)
    printer.setPageLayout(
        QPageLayout(
            size,
            QPageLayout.Orientation.Portrait,
            QMarginsF(0, 0, 0, 0),
            QPageLayout.Unit.Point,
        )
    )


def same_paper(a: QSizeF, b: QSizeF) -> bool:
    return (
        abs(a.width() - b.width()) <= SAME_PAPER_POINTS
        and abs(a.height() - b.height()) <= SAME_PAPER_POINTS
    )


def sheet_points(printer: QPrinter) -> QSizeF:
    """The printer's sheet in points, as it will be printed (orientation applied)."""
    rect = printer.pageLayout().fullRect(QPageLayout.Unit.Point)
    return QSizeF(rect.width(), rect.height())


def raster_dpi(printer: QPrinter) -> int:
    return max(MIN_DPI, min(printer.resolution(), MAX_DPI))


class PdfPrinter:
    """One print job: open once, paint any number of PDFs one after another, close.

    Used for one report (the preview) and for a batch from the worklist (one job, so the
    reports come out together and in order).
    """

    def __init__(self, printer: QPrinter) -> None:
        self._printer = printer
        self._painter = QPainter()
        self._pages = 0
        self._scaled: tuple[str, str] | None = None

    def __enter__(self) -> PdfPrinter:
        self._printer.setFullPage(True)
        if not self._painter.begin(self._printer):
            raise OSError("the printer could not be opened")
        self._painter.setRenderHint(QPainter.RenderHint.LosslessImageRendering, True)
        self._painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        return self

    def __exit__(self, *_exc: object) -> None:
        self._painter.end()

    @property
    def result(self) -> Printed:
        return Printed(self._pages, self._scaled)

    def add(self, pdf: bytes, cancelled: threading.Event | None = None) -> None:
        """Paint every page of `pdf`, each on a sheet of its own."""
        document, buffer = open_pdf(pdf)
        try:
            for page in range(document.pageCount()):
                if cancelled is not None and cancelled.is_set():
                    raise PrintCancelled
                if self._pages:
                    self._printer.newPage()
                self._paint(document, page)
                self._pages += 1
        finally:
            document.close()
            buffer.close()

    def _paint(self, document: QPdfDocument, page: int) -> None:
        page_points = document.pagePointSize(page)
        sheet = sheet_points(self._printer)
        dpi = raster_dpi(self._printer)
        pixels = QSizeF(page_points.width() / 72 * dpi, page_points.height() / 72 * dpi)
        image = _opaque(document.render(page, pixels.toSize()))
        area = QRectF(self._painter.viewport())
        if same_paper(page_points, sheet):
            target = area  # the page is the sheet: no scaling beyond the device's dpi
        else:
            self._scaled = (paper_name(page_points), paper_name(sheet))
            fitted = page_points.scaled(area.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRectF(
                area.left() + (area.width() - fitted.width()) / 2,
                area.top() + (area.height() - fitted.height()) / 2,
                fitted.width(),
                fitted.height(),
            )
        self._painter.drawImage(target, image)


def _opaque(rendered: QImage) -> QImage:
    """The page on white paper: pdfium leaves the background transparent, and an alpha
    channel would add a soft mask to every printed page."""
    image = QImage(rendered.size(), QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    painter = QPainter(image)
    painter.drawImage(0, 0, rendered)
    painter.end()
    return image


def print_pdf(pdf: bytes, printer: QPrinter) -> Printed:
    """Paint every page of one PDF onto a printer (or a PDF printer)."""
    with PdfPrinter(printer) as job:
        job.add(pdf)
    return job.result


def print_many(
    accessions: list[str],
    fetch: Callable[[str], bytes],
    printer: QPrinter,
    *,
    progress: Callable[[int, str], None],
    cancelled: threading.Event,
) -> Printed:
    """Print reports one after another in one job: `fetch(accession)` gives each PDF;
    `progress(done, accession)` is told before each; stops between pages on cancel."""
    with PdfPrinter(printer) as job:
        for done, accession in enumerate(accessions):
            if cancelled.is_set():
                raise PrintCancelled
            progress(done, accession)
            job.add(fetch(accession), cancelled)
        progress(len(accessions), "")
    return job.result
