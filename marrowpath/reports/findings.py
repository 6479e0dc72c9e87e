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
from marrowpath.domain.cellularity import rule_named
from marrowpath.domain.derived import (
    BLAST_EQUIVALENTS_LABEL,
    CbcTable,
    DifferentialSummary,
    SourcedPercent,
    blast_equivalents_differ,
    blast_equivalents_percent,
    blasts_percent,
    case_age,
    case_cellularity,
    cbc_table,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import AncillaryStatus
from marrowpath.domain.labels import field_label, fields_under, label_of
from marrowpath.domain.reference_intervals import NO_INTERVAL_TEXT
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import stain_quantity, threshold_advisory
from marrowpath.domain.wording import words_list
from marrowpath.reports.context import SectionContext
from marrowpath.reports.flowables import (
    Cell,
    data_table,
    heading,
    label_values,
    para,
    subheading,
)
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
    """The CBC in two side-by-side halves (nine rows would waste half the page width),
    each row with its unit, the lab's interval for the patient's age and sex, and H/L.

    Labels and units are the model's (`CBC_ROWS`); intervals and marks come from
    `derived.cbc_table`, so the report marks what the editor and the checks judge.
    """
    judged = cbc_table(ctx.case, ctx.settings)
    by_field = {row.field: row for row in judged.rows} if judged else {}
    values: list[tuple[str, str, str, str, str]] = []
    for field, name, unit in CBC_ROWS:
        value = getattr(cbc, field)
        if value is None:
            continue
        row = by_field.get(field)
        interval = _cbc_interval(row.interval, value) if row is not None else ""
        values.append((name, as_entered(value), unit, interval, row.mark if row else ""))
    if not values:
        return []
    half = (len(values) + 1) // 2
    rows: list[list[Cell]] = []
    for i in range(half):
        right = values[half + i] if half + i < len(values) else ("", "", "", "", "")
        rows.append([*values[i], "", *right])
    gap = 6 * mm
    column = (ctx.width - gap) / 2
    widths = [column * 0.31, column * 0.16, column * 0.18, column * 0.25, column * 0.1]
    title = f"Complete blood count ({date_text(cbc.date)})" if cbc.date else "Complete blood count"
    header = ["Test", "Result", "Unit", "Reference", "H/L"]
    table = data_table(
        [*header, "", *header],
        rows,
        ctx.styles,
        [*widths, gap, *widths],
        numeric=frozenset({1, 7}),
        centred=frozenset({3, 4, 9, 10}),
        bold_columns=frozenset({4, 10}),
    )
    return [KeepTogether([*subheading(title, ctx.styles), table, *_cbc_note(ctx, judged)])]


def _cbc_interval(interval: tuple[float, float] | None, value: float) -> str:
    """ "4.0-11.0" beside 2.1, "150-400" beside 54: the bounds at the precision the
    value was entered with (or the bounds' own, if finer); "0" for an interval 0-0."""
    if interval is None:
        return ""
    places = max(_places(value), *(_places(bound) for bound in interval))
    low, high = (f"{bound:.{places}f}" for bound in interval)
    return low if low == high else f"{low}-{high}"


def _places(value: float) -> int:
    text = as_entered(value)
    return len(text.partition(".")[2])


def _cbc_note(ctx: SectionContext, judged: CbcTable | None) -> list[Flowable]:
    """Where the intervals come from, or that the lab has none for this age."""
    if judged is None:
        return []
    if judged.no_interval_for_age:
        return [para(f"Reference intervals: {NO_INTERVAL_TEXT}.", ctx.styles["Note"])]
    if judged.source:
        return [para(f"Reference intervals: {judged.source}.", ctx.styles["Note"])]
    return []


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
        summary = summarise_differential(
            aspirate.differential, ctx.settings, age=case_age(ctx.case)
        )
        source = aspirate.differential_source or "aspirate_smear"
        story += subheading(f"Differential count ({lower_words(source)})", styles)
        story.append(_differential_table(ctx, summary))
        if summary.no_interval_for_age:
            story.append(para(f"Reference intervals: {NO_INTERVAL_TEXT}.", styles["Note"]))
        story += label_values(_ratio_rows(ctx, summary), styles, ctx.width)
    story += _morphology(ctx, aspirate)
    return story


def _differential_table(ctx: SectionContext, summary: DifferentialSummary) -> Flowable:
    """One row per category counted or with an interval; blast equivalents right after
    the last of blasts and promonocytes whenever they differ from blasts
    (`clinical-rules.md` section 3)."""
    intervals = ctx.settings.marrow_intervals(case_age(ctx.case))
    equivalents = summary.blast_equivalents
    after = "promonocytes" if equivalents is not None else ""
    rows: list[list[Cell]] = []
    for row in summary.rows:
        if row.count == 0 and row.interval is None and row.category.value != after:
            continue
        name = label_of(f"aspirate.differential.{row.category.value}")
        rows.append(
            [name, str(row.count), one_decimal(row.percent), interval_text(row.interval), row.mark]
        )
        if equivalents is not None and row.category.value == after:
            counted = equivalents.count
            rows.append(
                [
                    BLAST_EQUIVALENTS_LABEL,
                    str(counted.count) if counted else "",
                    str(equivalents.value),
                    "",
                    "",
                ]
            )
    erythroid_interval = intervals.get("erythroid") if intervals else None
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
    intervals = ctx.settings.marrow_intervals(case_age(ctx.case))
    interval = intervals.get("me_ratio") if intervals else None
    ratio = summary.me_ratio_text
    if summary.me_ratio is not None and interval is not None:
        flag = {"H": "H, above", "L": "L, below"}.get(summary.me_ratio_mark, "within")
        ratio += f"  ({flag} reference {interval.low:.1f}-{interval.high:.1f}:1)"
    return [
        ("M:E ratio", ratio),
        ("M:E ratio rule", summary.me_rule),
        ("Reference intervals", ctx.settings.reference_source if intervals else NO_INTERVAL_TEXT),
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
            f"{lineage} {percent_text(value, 'dysplasia')}"
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
        if iron.percent() is not None:
            ring = f"{percent_text(iron.percent(), 'ring_sideroblasts')} of erythroblasts"
            if iron.counted():
                ring += f" ({iron.ring_sideroblasts} of {iron.erythroblasts_counted} counted)"
            elif iron.erythroblasts_counted is not None:
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
    # the rule the version was judged by, legacy rules included (`rule_named`)
    rule = rule_named(ctx.settings.cellularity_rule).description
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
    head = words_list(infiltrate.patterns)
    if infiltrate.percent is not None:
        head += f", {percent_text(infiltrate.percent)} of the marrow space"
    return join([head, infiltrate.description or ""], ". ")


def key_results_section(ctx: SectionContext) -> list[Flowable]:
    """Blasts, blast equivalents (when promonocytes or abnormal promyelocytes were
    counted) and plasma cells as reported, with their source; counted values with their
    95 % interval when the lab prints them (`report.confidence_intervals`), and the
    threshold advisory when an interval spans a diagnostic threshold."""
    case, settings = ctx.case, ctx.settings
    blasts = blasts_percent(case)
    plasma = plasma_cells_percent(case)
    if blasts is None and plasma is None:
        return []
    differ = blast_equivalents_differ(case) and blasts is not None and blasts.count is not None
    equivalents = blast_equivalents_percent(case) if differ else None
    rows: list[tuple[str, Cell | None]] = [
        (
            label_of("key_results.blasts_pct"),
            _sourced(blasts, "key_results.blasts_source", settings, interval=not differ),
        )
    ]
    if equivalents is not None:
        rows.append(
            (BLAST_EQUIVALENTS_LABEL, _sourced(equivalents, "key_results.blasts_source", settings))
        )
    rows.append(
        (
            label_of("key_results.plasma_cells_pct"),
            _sourced(plasma, "key_results.plasma_cells_source", settings),
        )
    )
    story = heading("Key results", ctx.styles, ctx.width)
    # the long label of blast equivalents takes two lines in a wider column, not five
    label_width = (58 if equivalents is not None else 42) * mm
    story += label_values(rows, ctx.styles, ctx.width, label_width=label_width)
    story += _advisories(ctx, equivalents or blasts, plasma)
    return story


def _sourced(
    value: SourcedPercent | None, source_path: str, settings: LabSettings, *, interval: bool = True
) -> str | None:
    """ "24.0 % (120 of 500 cells; 95 % CI 20.3-28.0, counting error only); source:
    aspirate differential"; a typed value as typed, never shown onto a threshold."""
    if value is None:
        return None
    source = field_label(source_path).enum_words(value.source)
    shown = value.report_text(settings) if interval else value.text
    return f"{shown}; source: {source}"


ADVISORY_LABELS = {
    "blast_equivalents": "Blast equivalents",
    "plasma_cells": "Plasma cells",
}


def _advisories(
    ctx: SectionContext, blasts: SourcedPercent | None, plasma: SourcedPercent | None
) -> list[Flowable]:
    """The threshold advisory of a counted value whose interval spans a diagnostic
    threshold (it proposes correlation, never more cells), with the intervals on."""
    if not ctx.settings.confidence_intervals_on_report:
        return []
    notes = []
    for value, quantity in ((blasts, "blast_equivalents"), (plasma, "plasma_cells")):
        if value is None or value.count is None:
            continue
        text = threshold_advisory(value.count, quantity, ADVISORY_LABELS[quantity])
        if text:
            notes.append(para(f"{text}.", ctx.styles["Note"]))
    return notes


def stains_section(ctx: SectionContext) -> list[Flowable]:
    stains = ctx.case.stains or []
    if not stains:
        return []
    rows: list[list[Cell]] = [
        [
            stain.name,
            field_label("stains[].result").enum_words(stain.result),
            one_decimal(stain.percent, stain_quantity(stain.name)),
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
                field_label("ancillary[].kind").enum_words(study.kind),
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
