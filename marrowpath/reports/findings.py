"""The findings sections on paper, in the order of `case-format.md`: clinical information,
procedure, aspirate, core, key results, stains, ancillary studies, critical results
communicated.

What the sections say is built once by `marrowpath.reports.content` (the interface text
renders the same model); this module only lays it out: headings, label-value columns,
ruled tables with their widths, notes. A section with nothing to say prints nothing, so
a case without a core simply has no core section.
"""

from __future__ import annotations

from collections.abc import Callable

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from marrowpath.reports import content
from marrowpath.reports.content import CBC_ROWS, Part, Rows, Section, Table
from marrowpath.reports.context import SectionContext
from marrowpath.reports.flowables import Cell, data_table, heading, label_values, para, subheading

__all__ = ["CBC_ROWS", "findings_sections", "render_section"]


def render_section(ctx: SectionContext, section: Section) -> list[Flowable]:
    """A section of the content model as flowables: its heading, then each part."""
    if not section:
        return []
    story = heading(section.title, ctx.styles, ctx.width)
    for part in section.parts:
        story += _part(ctx, section, part)
    return story


def _part(ctx: SectionContext, section: Section, part: Part) -> list[Flowable]:
    if isinstance(part, Rows):
        return _rows(ctx, section, part)
    if isinstance(part, Table):
        return _TABLES[part.key](ctx, part)
    style = ctx.styles["Note" if part.note else "Value"]
    return [para(line, style) for line in part.lines]


def _rows(ctx: SectionContext, section: Section, part: Rows) -> list[Flowable]:
    # the long label of blast equivalents takes two lines in a wider column, not five
    wide = section.key == "key_results" and len(part.rows) > 2
    kwargs = {"label_width": 58 * mm} if wide else {}
    table = label_values(
        [(row.label, row.text) for row in part.rows], ctx.styles, ctx.width, **kwargs
    )
    if not table or not part.title:
        return table
    return [*subheading(part.title, ctx.styles), *table]


def _notes(ctx: SectionContext, table: Table) -> list[Flowable]:
    return [para(note, ctx.styles["Note"]) for note in table.notes]


def _titled(ctx: SectionContext, table: Table, flowable: Flowable) -> list[Flowable]:
    head = subheading(table.title, ctx.styles) if table.title else []
    return [*head, flowable, *_notes(ctx, table)]


def _cbc(ctx: SectionContext, table: Table) -> list[Flowable]:
    """The CBC in two side-by-side halves (nine rows would waste half the page width),
    each row with its unit, the lab's interval for the patient's age and sex, and H/L."""
    values = table.rows
    half = (len(values) + 1) // 2
    rows: list[list[Cell]] = []
    blank = ("",) * len(table.columns)
    for i in range(half):
        right = values[half + i] if half + i < len(values) else blank
        rows.append([*values[i], "", *right])
    gap = 6 * mm
    column = (ctx.width - gap) / 2
    widths = [column * 0.31, column * 0.16, column * 0.18, column * 0.25, column * 0.1]
    header = [c.header for c in table.columns]
    grid = data_table(
        [*header, "", *header],
        rows,
        ctx.styles,
        [*widths, gap, *widths],
        numeric=frozenset({1, 7}),
        centred=frozenset({3, 4, 9, 10}),
        bold_columns=frozenset({4, 10}),
    )
    return [KeepTogether(_titled(ctx, table, grid))]


def _differential(ctx: SectionContext, table: Table) -> list[Flowable]:
    grid = data_table(
        [c.header for c in table.columns],
        [list(row) for row in table.rows],
        ctx.styles,
        [62 * mm, 22 * mm, 22 * mm, 32 * mm, 14 * mm],
        numeric=frozenset({1, 2}),
        bold_rows=table.strong,
        centred=frozenset({3, 4}),
        bold_columns=frozenset({4}),
    )
    return _titled(ctx, table, grid)


def _stains(ctx: SectionContext, table: Table) -> list[Flowable]:
    # a p53 pattern result ("Aberrant overexpression") needs a wider result column than
    # "Positive"; other reports keep the layout they always had
    result = 34 if any(len(row[1]) > 16 for row in table.rows) else 24
    rest = ctx.width - (53 + result) * mm
    widths = [28 * mm, result * mm, 25 * mm, rest * 0.5, rest * 0.5]
    grid = data_table(
        [c.header for c in table.columns],
        [list(row) for row in table.rows],
        ctx.styles,
        widths,
        numeric=frozenset({2}),
    )
    return _titled(ctx, table, grid)


def _ancillary(ctx: SectionContext, table: Table) -> list[Flowable]:
    widths = [30 * mm, 20 * mm, ctx.width - 104 * mm, 31 * mm, 23 * mm]
    grid = data_table(
        [c.header for c in table.columns], [list(row) for row in table.rows], ctx.styles, widths
    )
    return _titled(ctx, table, grid)


def _measurements(ctx: SectionContext, table: Table) -> list[Flowable]:
    widths = [62 * mm, 22 * mm, 22 * mm, 46 * mm]
    grid = data_table(
        [c.header for c in table.columns],
        [list(row) for row in table.rows],
        ctx.styles,
        widths,
        numeric=frozenset({1}),
    )
    return _titled(ctx, table, grid)


_TABLES: dict[str, Callable[[SectionContext, Table], list[Flowable]]] = {
    "cbc": _cbc,
    "differential": _differential,
    "stains": _stains,
    "ancillary": _ancillary,
    "measurements": _measurements,
}


def findings_sections(ctx: SectionContext) -> list[Flowable]:
    """All findings sections in report order."""
    story: list[Flowable] = []
    for section in content.findings(ctx.case, ctx.settings, ctx.names):
        story += render_section(ctx, section)
    return story
