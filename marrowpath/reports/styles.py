"""The one stylesheet of the printed report: sizes from the look-and-feel spec.

Black on white (the report must survive fax and photocopy), body text 9.5 pt, section
headings 12 pt in small capitals, the diagnosis larger than the body, and the patient
summary at 11.5 pt. Every style names the bundled font so no glyph falls back to a
built-in PDF font that lacks it.
"""

from __future__ import annotations

from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle, StyleSheet1

from marrowpath.reports.fonts import SANS, SANS_BOLD

BODY_SIZE = 9.5
HEADING_SIZE = 12.0
SUMMARY_SIZE = 11.5


def make_stylesheet() -> StyleSheet1:
    """Named paragraph styles; renderers look styles up by name, as pretix does."""
    sheet = StyleSheet1()

    def add(name: str, parent: str | None = None, **values: object) -> None:
        base = sheet[parent] if parent else None
        sheet.add(ParagraphStyle(name, parent=base, **values))

    add(
        "Body",
        fontName=SANS,
        fontSize=BODY_SIZE,
        leading=12.5,
        alignment=TA_LEFT,
        textColor="black",
        spaceAfter=3,
        bulletFontName=SANS,
    )
    add("BodyTight", "Body", spaceAfter=0)
    add("Note", "Body", fontSize=9, leading=11.5, spaceAfter=2)
    add("Label", "Body", fontName=SANS_BOLD, fontSize=8.8, leading=12, spaceAfter=0)
    add("Value", "Body", spaceAfter=0)
    add("Cell", "Body", fontSize=9, leading=11, spaceAfter=0)
    add("CellBold", "Cell", fontName=SANS_BOLD)
    add("CellRight", "Cell", alignment=TA_RIGHT)
    add("CellHead", "Cell", fontName=SANS_BOLD)
    add("CellHeadRight", "CellHead", alignment=TA_RIGHT)
    add("CellHeadCentre", "CellHead", alignment=TA_CENTER)
    add("Heading", "Body", fontName=SANS_BOLD, fontSize=HEADING_SIZE, leading=15, spaceAfter=0)
    add("SubHeading", "Body", fontName=SANS_BOLD, spaceBefore=4, spaceAfter=1)
    add("BannerTitle", "Body", fontName=SANS_BOLD, fontSize=15, leading=18, spaceAfter=1)
    add("BannerText", "Body", fontSize=9.5, leading=12, spaceAfter=0)
    add("BandName", "Body", fontName=SANS_BOLD, fontSize=13.5, leading=16, spaceAfter=0)
    add("BandText", "Body", fontSize=9, leading=11, spaceAfter=0)
    add("BandTitle", "Body", fontName=SANS_BOLD, fontSize=11, leading=14, alignment=TA_RIGHT)
    add("BandStatus", "BandTitle", fontSize=12, leading=15)
    add("Diagnosis", "Body", fontName=SANS_BOLD, fontSize=11.5, leading=15, spaceAfter=0)
    add("Classification", "Body", fontSize=9.5, leading=12, spaceAfter=0)
    add("Signature", "Body", fontName=SANS_BOLD, spaceBefore=6, spaceAfter=1)
    add("SummaryTitle", "Body", fontName=SANS_BOLD, fontSize=16, leading=20, spaceAfter=6)
    add("SummaryHeading", "Body", fontName=SANS_BOLD, fontSize=13, leading=16, spaceBefore=10)
    add("SummaryBody", "Body", fontSize=SUMMARY_SIZE, leading=15.5, spaceAfter=5)
    add("SummaryBullet", "SummaryBody", leftIndent=14, bulletIndent=3, spaceAfter=3)
    add("SummaryTerm", "SummaryBody", fontName=SANS_BOLD, spaceAfter=0)
    add("SummaryQuote", "SummaryBody", leftIndent=12, fontName=SANS_BOLD)
    return sheet
