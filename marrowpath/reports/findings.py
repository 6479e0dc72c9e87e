"""The findings sections, in the order of `case-format.md`: clinical information, procedure,
aspirate, core, key results, stains, ancillary studies.

Each function returns flowables (an empty list when the case has nothing to say), so a
case without a core simply has no core section. Derived numbers come from
`marrowpath.domain.derived`, never recomputed here, so the PDF prints what the editor
and the flags saw.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from marrowpath.domain.case import Aspirate, Cbc, Core
from marrowpath.domain.derived import (
    DifferentialSummary,
    SourcedPercent,
    blasts_percent,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import AncillaryStatus
from marrowpath.domain.labels import field_label, fields_under, label_of
from marrowpath.domain.settings import CELLULARITY_RULES
from marrowpath.reports.context import SectionContext
from marrowpath.reports.flowables import Cell, data_table, heading, label_values, subheading
from marrowpath.reports.formatting import (
    as_entered,
    date_text,
    interval_text,
    join,
    lower_words,
    one_decimal,
    percent_text,
    words,
    yes_no,
)

# (field, label, unit) in the order a hematologist reads a CBC, from the label registry.
CBC_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (name, entry.label, entry.unit)
    for name, entry in fields_under("clinical.cbc.")
    if entry.format == "number"
)


def clinical_section(ctx: SectionContext) -> list[Flowable]:
    clinical = ctx.case.clinical
    if clinical is None:
        return []
    indication = join([words(clinical.indication), clinical.indication_detail or ""], ". ")
    story = heading("Clinical information", ctx.styles, ctx.width)
    story += label_values(
        [
            (label_of("clinical.indication"), indication),
            (label_of("clinical.history"), clinical.history),
            (label_of("clinical.blood_smear"), clinical.blood_smear),
        ],
        ctx.styles,
        ctx.width,
    )
    if clinical.cbc is not None:
        story += _cbc_table(ctx, clinical.cbc)
    return story


def _cbc_table(ctx: SectionContext, cbc: Cbc) -> list[Flowable]:
    """The CBC in two side-by-side halves: nine rows would waste half the page width."""
    values = [
        (name, as_entered(getattr(cbc, field)), unit)
        for field, name, unit in CBC_ROWS
        if getattr(cbc, field) is not None
    ]
    if not values:
        return []
    half = (len(values) + 1) // 2
    rows: list[list[Cell]] = []
    for i in range(half):
        right = values[half + i] if half + i < len(values) else ("", "", "")
        rows.append([*values[i], "", *right])
    gap = 8 * mm
    column = (ctx.width - gap) / 2
    widths = [column * 0.5, column * 0.22, column * 0.28, gap] * 2
    title = f"Complete blood count ({date_text(cbc.date)})" if cbc.date else "Complete blood count"
    header = ["Test", "Result", "Unit", "", "Test", "Result", "Unit"]
    table = data_table(header, rows, ctx.styles, widths[:7], numeric=frozenset({1, 5}))
    return [KeepTogether([*subheading(title, ctx.styles), table])]


def procedure_section(ctx: SectionContext) -> list[Flowable]:
    """Who performed the procedure and how; date, site and specimens are in the header."""
    procedure = ctx.case.procedure
    complications = ", ".join(lower_words(c) for c in procedure.complications or [])
    rows = [
        (label_of("procedure.operator"), procedure.operator),
        (
            label_of("procedure.sedation"),
            words(procedure.sedation) if procedure.sedation else None,
        ),
        (
            label_of("procedure.complications[]"),
            complications[:1].upper() + complications[1:] or None,
        ),
    ]
    if all(value is None or value == "" for _, value in rows):
        return []
    return heading("Procedure", ctx.styles, ctx.width) + label_values(rows, ctx.styles, ctx.width)


def aspirate_section(ctx: SectionContext) -> list[Flowable]:
    aspirate = ctx.case.aspirate
    if aspirate is None:
        return []
    styles = ctx.styles
    story = heading("Bone marrow aspirate", styles, ctx.width)
    story += label_values(
        [
            (label_of("aspirate.quality"), words(aspirate.quality)),
            (label_of("aspirate.particles"), words(aspirate.particles)),
            (
                label_of("aspirate.cellularity"),
                words(aspirate.cellularity) if aspirate.cellularity else None,
            ),
            (
                label_of("aspirate.megakaryocyte_number"),
                words(aspirate.megakaryocyte_number) if aspirate.megakaryocyte_number else None,
            ),
        ],
        styles,
        ctx.width,
    )
    if aspirate.differential is not None:
        summary = summarise_differential(aspirate.differential, ctx.settings)
        source = aspirate.differential_source or "aspirate_smear"
        story += subheading(f"Differential count ({lower_words(source)})", styles)
        story.append(_differential_table(ctx, summary))
        story += label_values(_ratio_rows(ctx, summary), styles, ctx.width)
    story += _morphology(ctx, aspirate)
    return story


def _differential_table(ctx: SectionContext, summary: DifferentialSummary) -> Flowable:
    rows: list[list[Cell]] = []
    for row in summary.rows:
        if row.count == 0 and row.interval is None:
            continue
        name = label_of(f"aspirate.differential.{row.category.value}")
        rows.append(
            [name, str(row.count), one_decimal(row.percent), interval_text(row.interval), row.mark]
        )
    erythroid_interval = ctx.settings.interval("erythroid")
    rows.append(
        [
            "Erythroid precursors, total",
            str(summary.erythroid),
            one_decimal(summary.erythroid_percent),
            interval_text((erythroid_interval.low, erythroid_interval.high))
            if erythroid_interval
            else "",
            summary.erythroid_mark,
        ]
    )
    rows.append(["Cells counted", str(summary.cells_counted), "100.0", "", ""])
    widths = [62 * mm, 22 * mm, 22 * mm, 32 * mm, 14 * mm]
    header = ["Cell type", "Count", "% of cells", "Reference (%)", "H/L"]
    bold = frozenset({len(rows) - 2, len(rows) - 1})
    return data_table(
        header,
        rows,
        ctx.styles,
        widths,
        numeric=frozenset({1, 2}),
        bold_rows=bold,
        centred=frozenset({3, 4}),
        bold_columns=frozenset({4}),
    )


def _ratio_rows(ctx: SectionContext, summary: DifferentialSummary) -> list[tuple[str, Cell | None]]:
    interval = ctx.settings.interval("me_ratio")
    ratio = summary.me_ratio_text
    if summary.me_ratio is not None and interval is not None:
        flag = {"H": "H, above", "L": "L, below"}.get(summary.me_ratio_mark, "within")
        ratio += f"  ({flag} reference {interval.low:.1f}-{interval.high:.1f}:1)"
    return [
        ("M:E ratio", ratio),
        ("M:E ratio rule", summary.me_rule),
        ("Reference intervals", ctx.settings.reference_source),
    ]


def _morphology(ctx: SectionContext, aspirate: Aspirate) -> list[Flowable]:
    styles = ctx.styles
    story: list[Flowable] = []
    morphology = aspirate.morphology
    if morphology is not None:
        rows = [
            (entry.label, getattr(morphology, name))
            for name, entry in fields_under("aspirate.morphology.")
        ]
        table = label_values(rows, styles, ctx.width)
        if table:
            story += [*subheading("Morphology", styles), *table]
    dysplasia = aspirate.dysplasia
    dysplasia_text = None
    if dysplasia is not None:
        parts = [
            f"{lineage} {percent_text(value)}"
            for lineage, value in (
                ("erythroid", dysplasia.erythroid_pct),
                ("granulocytic", dysplasia.granulocytic_pct),
                ("megakaryocytic", dysplasia.megakaryocytic_pct),
            )
            if value is not None
        ]
        if parts:
            dysplasia_text = join(parts, ", ") + " of cells of the lineage"
            dysplasia_text = dysplasia_text[:1].upper() + dysplasia_text[1:]
    iron = aspirate.iron
    storage = ring = None
    if iron is not None:
        if iron.storage_grade is not None:
            storage = f"Grade {iron.storage_grade} (Gale scale 0-6)"
        if iron.ring_sideroblasts_pct is not None:
            ring = f"{percent_text(iron.ring_sideroblasts_pct)} of erythroblasts"
            if iron.erythroblasts_counted is not None:
                ring += f" ({iron.erythroblasts_counted} erythroblasts counted)"
    rows2: list[tuple[str, Cell | None]] = [
        ("Dysplasia", dysplasia_text),
        (
            label_of("aspirate.auer_rods"),
            yes_no(aspirate.auer_rods) if aspirate.auer_rods is not None else None,
        ),
        (label_of("aspirate.iron.storage_grade"), storage),
        (label_of("aspirate.iron.ring_sideroblasts_pct"), ring),
        (label_of("aspirate.iron.comment"), iron.comment if iron else None),
        (label_of("aspirate.comment"), aspirate.comment),
    ]
    table = label_values(rows2, styles, ctx.width)
    if table:
        story += [*subheading("Dysplasia, iron and comment", styles), *table]
    return story


def core_section(ctx: SectionContext) -> list[Flowable]:
    core = ctx.case.core
    if core is None:
        return []
    assessment = case_cellularity(ctx.case, ctx.settings)
    cellularity = assessment.text if assessment else f"{core.cellularity_pct} %"
    rule = CELLULARITY_RULES.get(ctx.settings.cellularity_rule, ctx.settings.cellularity_rule)
    story = heading("Core biopsy (trephine)", ctx.styles, ctx.width)
    story += label_values(
        [
            (label_of("core.length_mm"), f"{as_entered(core.length_mm)} mm"),
            (
                label_of("core.adequacy"),
                join([words(core.adequacy), core.adequacy_comment or ""], ". "),
            ),
            (label_of("core.cellularity_pct"), cellularity),
            ("Cellularity rule", rule),
            (label_of("core.megakaryocyte_number"), _megakaryocytes(core)),
            (label_of("core.fibrosis_grade"), words(core.fibrosis_grade)),
            (
                label_of("core.collagen"),
                yes_no(core.collagen) if core.collagen is not None else None,
            ),
            (
                label_of("core.osteosclerosis"),
                yes_no(core.osteosclerosis) if core.osteosclerosis is not None else None,
            ),
            ("Infiltrate", _infiltrate(core)),
            (label_of("core.bone"), core.bone),
            (label_of("core.comment"), core.comment),
        ],
        ctx.styles,
        ctx.width,
    )
    return story


def _megakaryocytes(core: Core) -> str | None:
    number = f"Number {lower_words(core.megakaryocyte_number)}" if core.megakaryocyte_number else ""
    return join([number, core.megakaryocytes or ""], ". ") or None


def _infiltrate(core: Core) -> str | None:
    infiltrate = core.infiltrate
    if infiltrate is None:
        return None
    head = words(infiltrate.pattern)
    if infiltrate.percent is not None:
        head += f", {percent_text(infiltrate.percent)} of the marrow space"
    return join([head, infiltrate.description or ""], ". ")


def key_results_section(ctx: SectionContext) -> list[Flowable]:
    """Blasts and plasma cells as reported, with their source (differential, IHC, flow)."""
    blasts = blasts_percent(ctx.case)
    plasma = plasma_cells_percent(ctx.case)
    if blasts is None and plasma is None:
        return []
    story = heading("Key results", ctx.styles, ctx.width)
    story += label_values(
        [
            (label_of("key_results.blasts_pct"), _sourced(blasts, "key_results.blasts_source")),
            (
                label_of("key_results.plasma_cells_pct"),
                _sourced(plasma, "key_results.plasma_cells_source"),
            ),
        ],
        ctx.styles,
        ctx.width,
    )
    return story


def _sourced(value: SourcedPercent | None, source_path: str) -> str | None:
    if value is None:
        return None
    source = field_label(source_path).enum_words(value.source)
    return f"{percent_text(value.value)} (source: {source})"


def stains_section(ctx: SectionContext) -> list[Flowable]:
    stains = ctx.case.stains or []
    if not stains:
        return []
    rows: list[list[Cell]] = [
        [
            stain.name,
            field_label("stains[].result").enum_words(stain.result),
            one_decimal(stain.percent),
            stain.pattern or "",
            stain.comment or "",
        ]
        for stain in stains
    ]
    w = ctx.width
    widths = [28 * mm, 24 * mm, 25 * mm, (w - 77 * mm) * 0.5, (w - 77 * mm) * 0.5]
    header = [
        label_of(f"stains[].{name}") for name in ("name", "result", "percent", "pattern", "comment")
    ]
    story = heading("Immunohistochemistry and special stains", ctx.styles, ctx.width)
    story.append(data_table(header, rows, ctx.styles, widths, numeric=frozenset({2})))
    return story


def ancillary_section(ctx: SectionContext) -> list[Flowable]:
    studies = ctx.case.ancillary or []
    if not studies:
        return []
    rows: list[list[Cell]] = []
    for study in studies:
        pending = study.status is AncillaryStatus.PENDING
        rows.append(
            [
                words(study.kind),
                field_label("ancillary[].status").enum_words(study.status),
                study.result or ("Result to follow in an addendum." if pending else ""),
                study.performed_by or "",
                date_text(study.reported_on) if study.reported_on else "",
            ]
        )
    w = ctx.width
    widths = [30 * mm, 20 * mm, w - 104 * mm, 31 * mm, 23 * mm]
    header = [
        label_of(f"ancillary[].{name}")
        for name in ("kind", "status", "result", "performed_by", "reported_on")
    ]
    story = heading("Ancillary studies", ctx.styles, ctx.width)
    story.append(data_table(header, rows, ctx.styles, widths))
    return story


def findings_sections(ctx: SectionContext) -> list[Flowable]:
    """All findings sections in report order."""
    story: list[Flowable] = []
    for section in (
        clinical_section,
        procedure_section,
        aspirate_section,
        core_section,
        key_results_section,
        stains_section,
        ancillary_section,
    ):
        story += section(ctx)
    return story
