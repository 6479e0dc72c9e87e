"""The few building blocks every report section is made of.

Section headings in small capitals with a thin rule, label-value pairs in two aligned
columns, ruled tables with a repeated header row and right-aligned numbers, and user
text that is escaped and split into paragraphs. Keeping them here makes every section
look the same and keeps escaping in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Paragraph, Spacer, Table, TableStyle

from marrowpath.reports.fonts import SANS, SANS_BOLD, markup

Cell: TypeAlias = str | Flowable
# Start a section on a new page rather than leave its heading alone at a page's foot.
HEADING_ROOM = 30 * mm
SUBHEADING_ROOM = 20 * mm
MINOR_WORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "in", "of", "or", "the", "to", "with"}
)
RULE = 0.6
LIGHT_RULE = 0.3
# Every table names the bundled font: ReportLab's default (Helvetica) would otherwise be
# set, and embedded by reference, for every cell even when no string is drawn in it.
TABLE_FONT = ("FONT", (0, 0), (-1, -1), SANS, 9, 11)
# A table used only to place blocks side by side: no padding, top-aligned.
LAYOUT = [
    TABLE_FONT,
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
    ("TOPPADDING", (0, 0), (-1, -1), 0),
]


def para(text: str, style: ParagraphStyle) -> Paragraph:
    """User text as a paragraph: escaped, fallback fonts applied, line breaks kept."""
    return Paragraph(markup(text), style)


def text_block(text: str | None, style: ParagraphStyle) -> list[Flowable]:
    """Free text as one paragraph per line, so long text breaks between lines cleanly."""
    if not text:
        return []
    flowables: list[Flowable] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if line.strip():
            flowables.append(para(line, style))
        elif flowables:
            flowables.append(Spacer(1, style.leading / 2))
    return flowables


def small_caps(text: str, size: float, small: float | None = None) -> str:
    """Markup that looks like small capitals: initials at `size`, the rest smaller capitals.

    DejaVu Sans has no small-capital glyphs; scaled capitals read the same on paper.
    """
    small = small or round(size * 0.8, 1)
    words = []
    for position, word in enumerate(text.split()):
        if position and word.lower() in MINOR_WORDS:
            words.append(f'<font size="{small}">{markup(word.upper())}</font>')
            continue
        head, tail = markup(word[:1].upper()), markup(word[1:].upper())
        words.append(f'{head}<font size="{small}">{tail}</font>' if tail else head)
    return " ".join(words)


def subheading(text: str, styles: StyleSheet1) -> list[Flowable]:
    """A bold run-in heading inside a section, never left alone at a page's foot."""
    return [CondPageBreak(SUBHEADING_ROOM), Paragraph(markup(text), styles["SubHeading"])]


def heading(text: str, styles: StyleSheet1, width: float) -> list[Flowable]:
    """A section heading in small capitals over a thin rule."""
    style = styles["Heading"]
    title = Table(
        [[Paragraph(small_caps(text, style.fontSize), style)]],
        colWidths=[width],
        style=TableStyle(
            [
                TABLE_FONT,
                ("LINEBELOW", (0, 0), (-1, -1), RULE, "black"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ]
        ),
        spaceBefore=9,
        spaceAfter=4,
    )
    return [CondPageBreak(HEADING_ROOM), title]


def label_values(
    rows: Sequence[tuple[str, Cell | None]],
    styles: StyleSheet1,
    width: float,
    label_width: float = 42 * mm,
) -> list[Flowable]:
    """Label-value pairs in two aligned columns; rows without a value are left out."""
    data: list[list[Cell]] = []
    for name, value in rows:
        if value is None or value == "":
            continue
        cell = para(value, styles["Value"]) if isinstance(value, str) else value
        data.append([Paragraph(markup(name), styles["Label"]), cell])
    if not data:
        return []
    table = Table(
        data,
        colWidths=[label_width, width - label_width],
        style=TableStyle(
            [
                TABLE_FONT,
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (0, -1), 6),
                ("RIGHTPADDING", (1, 0), (1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.2),
            ]
        ),
        hAlign="LEFT",
        splitInRow=1,
        spaceAfter=3,
    )
    return [table]


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[Cell]],
    styles: StyleSheet1,
    widths: Sequence[float],
    numeric: frozenset[int] = frozenset(),
    bold_rows: frozenset[int] = frozenset(),
    centred: frozenset[int] = frozenset(),
    bold_columns: frozenset[int] = frozenset(),
) -> Table:
    """A ruled table: header row repeated on every page, numbers right-aligned.

    Text cells become escaped paragraphs (they wrap and take fallback fonts); numeric and
    centred cells are short ASCII and stay plain strings, which is faster and aligns them.
    """
    head: list[Cell] = [
        Paragraph(markup(text), styles[_head_style(i, numeric, centred)])
        for i, text in enumerate(header)
    ]
    plain = numeric | centred
    body: list[list[Cell]] = []
    for r, row in enumerate(rows):
        text_style = styles["CellBold" if r in bold_rows else "Cell"]
        body.append(
            [
                cell if not isinstance(cell, str) or i in plain else para(cell, text_style)
                for i, cell in enumerate(row)
            ]
        )
    commands: list[tuple[object, ...]] = [
        TABLE_FONT,
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("ALIGN", (0, 0), (-1, -1), "LEFT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, 0), RULE, "black"),
        ("LINEBELOW", (0, 1), (-1, -1), LIGHT_RULE, "black"),
    ]
    for i in numeric:
        commands.append(("ALIGN", (i, 1), (i, -1), "RIGHT"))
    for i in centred:
        commands.append(("ALIGN", (i, 1), (i, -1), "CENTER"))
    for i in bold_columns:
        commands.append(("FONT", (i, 1), (i, -1), SANS_BOLD, 9, 11))
    for r in bold_rows:
        commands.append(("FONT", (0, r + 1), (-1, r + 1), SANS_BOLD, 9, 11))
    return Table(
        [head, *body],
        colWidths=list(widths),
        style=TableStyle(commands),
        repeatRows=1,
        hAlign="LEFT",
        splitInRow=1,
        spaceBefore=2,
        spaceAfter=5,
    )


def _head_style(column: int, numeric: frozenset[int], centred: frozenset[int]) -> str:
    if column in numeric:
        return "CellHeadRight"
    return "CellHeadCentre" if column in centred else "CellHead"
