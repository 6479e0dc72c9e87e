"""Stamping an issued PDF that is now superseded or withdrawn, without re-rendering it.

An issued PDF stays byte for byte as it was issued. When such a version is printed after
a later version superseded it (or after the case was withdrawn), the stored bytes are
kept as they are and an incremental update is appended (pypdf): on every page an overlay
with the state in the top and bottom margins, where the report never prints, and a
translucent diagonal watermark. The stamped file therefore begins with the exact bytes
that were issued, so the original content is provably what was issued (its SHA-256 is
the one recorded at signing), and every page still says what it is now.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from io import BytesIO

from pypdf import PdfReader, PdfWriter
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from marrowpath.domain.reporting import ReportRequest, ReportState
from marrowpath.reports.fonts import SANS, SANS_BOLD, draw_string, register_base_fonts, string_width
from marrowpath.reports.formatting import datetime_text
from marrowpath.reports.status import current_words, signer
from marrowpath.reports.templates import MARGIN_X as MARGIN

STRIP_INSET = 2 * mm
SMALLEST = 6.0
BOTTOM_LINES = 3


@dataclass(frozen=True)
class Stamp:
    """What the overlay says: a title and a line at the top of every page, more lines at
    the bottom, and the watermark word."""

    title: str
    top: str
    bottom: tuple[str, ...]
    watermark: str


def stamp_for(request: ReportRequest) -> Stamp:
    """The overlay of a superseded or withdrawn version (`report-states.md`)."""
    version = request.version
    assert version is not None
    total = len(request.all_versions)
    issued = (
        f"version {version.number} of {total}, issued {datetime_text(version.content.signed_at)}"
    )
    if request.state is ReportState.WITHDRAWN:
        withdrawal = request.withdrawal
        assert withdrawal is not None
        reason = withdrawal.content.reason or "not given"
        return Stamp(
            "WITHDRAWN - ENTERED IN ERROR",
            f"Withdrawn {datetime_text(withdrawal.content.signed_at)} by {signer(withdrawal)} "
            f"(version {withdrawal.number}). Do not use this report.",
            (f"WITHDRAWN. Reason: {reason}", f"This page is {issued}, as it was issued."),
            "WITHDRAWN",
        )
    current = request.current
    assert current is not None
    return Stamp(
        f"SUPERSEDED - version {version.number} of {total}",
        f"The current report is version {current.number} ({current_words(request)}), issued "
        f"{datetime_text(current.content.signed_at)}. Do not use this version for care.",
        (f"SUPERSEDED. This page is {issued}, as it was issued.",),
        "SUPERSEDED",
    )


def stamp_report(pdf: bytes, request: ReportRequest) -> bytes:
    """The issued `pdf` with the overlay of the request's state on every page, appended as
    an incremental update: the result starts with `pdf` unchanged."""
    stamp = stamp_for(request)
    reader = PdfReader(BytesIO(pdf))
    sizes = [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages]
    overlay = PdfReader(BytesIO(_overlay(stamp, sizes)))
    writer = PdfWriter(BytesIO(pdf), incremental=True)
    for page, layer in zip(writer.pages, overlay.pages, strict=True):
        page.merge_page(layer, over=True)
        page.compress_content_streams()
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def _overlay(stamp: Stamp, sizes: list[tuple[float, float]]) -> bytes:
    """One overlay page per page of the issued PDF, drawn with the bundled fonts."""
    register_base_fonts()
    buffer = BytesIO()
    canvas = Canvas(buffer, invariant=1, initialFontName=SANS)
    for width, height in sizes:
        canvas.setPageSize((width, height))
        _watermark(canvas, stamp.watermark, width, height)
        _top(canvas, stamp, width, height)
        _bottom(canvas, stamp, width)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _top(canvas: Canvas, stamp: Stamp, width: float, height: float) -> None:
    """A black strip across the top margin, white bold capitals: unmissable, and it
    survives photocopying and faxing."""
    room = width - 2 * MARGIN - 2 * STRIP_INSET
    top, bottom = height - 3 * mm, height - 14.5 * mm
    canvas.saveState()
    canvas.setFillGray(0)
    canvas.rect(MARGIN, bottom, width - 2 * MARGIN, top - bottom, stroke=0, fill=1)
    canvas.setFillGray(1)
    x = MARGIN + STRIP_INSET
    draw_string(canvas, x, top - 12, stamp.title, SANS_BOLD, _fit(stamp.title, SANS_BOLD, 11, room))
    line = _shorten(stamp.top, SANS, room)
    draw_string(canvas, x, bottom + 4, line, SANS, _fit(line, SANS, 8, room))
    canvas.restoreState()


def _bottom(canvas: Canvas, stamp: Stamp, width: float) -> None:
    """The state and the reason in the bottom margin, below the report's footer."""
    room = width - 2 * MARGIN
    lines: list[str] = []
    for text in stamp.bottom:
        lines += _wrap(text, SANS_BOLD if not lines else SANS, 7, room)
    if len(lines) > BOTTOM_LINES:
        lines = [
            *lines[: BOTTOM_LINES - 1],
            _shorten(" ".join(lines[BOTTOM_LINES - 1 :]), SANS, room, 7),
        ]
    canvas.saveState()
    canvas.setFillGray(0)
    y = 12 * mm
    for index, line in enumerate(lines):
        font = SANS_BOLD if index == 0 else SANS
        draw_string(canvas, MARGIN, y - index * 8.5, line, font, 7)
    canvas.restoreState()


def _watermark(canvas: Canvas, word: str, width: float, height: float) -> None:
    """A diagonal word over the page, translucent so the issued text stays readable."""
    diagonal = math.hypot(width - 2 * MARGIN, height - 30 * mm)
    size = min(130.0, 0.8 * diagonal * 100 / string_width(word, SANS_BOLD, 100))
    canvas.saveState()
    canvas.setFillColorRGB(0.55, 0.0, 0.0, alpha=0.16)
    canvas.translate(width / 2, height / 2)
    canvas.rotate(math.degrees(math.atan2(height, width)))
    draw_string(canvas, 0, -size / 3, word, SANS_BOLD, size, align="center")
    canvas.restoreState()


def _fit(text: str, font: str, size: float, room: float) -> float:
    width = string_width(text, font, size)
    return size if width <= room else max(SMALLEST, size * room / width)


def _shorten(text: str, font: str, room: float, size: float = SMALLEST) -> str:
    """The text, cut with an ellipsis only when it cannot fit even at the smallest size."""
    if string_width(text, font, size) <= room:
        return text
    while text and string_width(text + "…", font, size) > room:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(text: str, font: str, size: float, room: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if string_width(candidate, font, size) <= room or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines
