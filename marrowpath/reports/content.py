"""The report's content, worded once: sections of rows, tables and sentences.

The PDF (`findings.py`, the identification block of `case_report.py`) and the interface
text (`interface_text.py`, sent as HL7 FT observations) both render what this module
builds, so a label, a unit, the words of an enumeration or the way a count is phrased
are written here and nowhere else. The renderers decide only the layout: column widths,
bold, indentation, where a section starts.

Pure: no ReportLab, no I/O. Derived values come from `marrowpath.domain.derived`, never
recomputed, so the report says what the editor and the checks saw. The second
observer's count (`aspirate.second_count`) is quality control and is never part of the
content (`bench.md` section 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from marrowpath.domain.case import (
    Ancillary,
    Aspirate,
    CaseDocument,
    Cbc,
    Communication,
    Core,
    CountProvenance,
    Iron,
    Measurement,
    Therapy,
)
from marrowpath.domain.cellularity import rule_named
from marrowpath.domain.derived import (
    BLAST_EQUIVALENTS_LABEL,
    CELLULARITY_FIELD,
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
from marrowpath.domain.enums import (
    AncillaryStatus,
    CommunicationMethod,
    CountMethod,
    MeasurementUnit,
)
from marrowpath.domain.labels import field_label, fields_under, label_of
from marrowpath.domain.people import Names, person
from marrowpath.domain.reference_intervals import NO_INTERVAL_TEXT
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import Count, stain_quantity, threshold_advisory
from marrowpath.domain.wording import (
    as_entered,
    date_text,
    datetime_text,
    interval_text,
    join,
    lower_words,
    offset_text,
    one_decimal,
    percent_text,
    words,
    words_list,
)

# -- the model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One label and its value as printed: "Hemoglobin 8.4 g/dL", "Fibrosis grade MF-1".

    `unit` follows the value; `mark` is H or L against a reference interval; `note`
    qualifies the value ("kept out of the count"). Most rows carry their whole wording in
    `value`; `text` is how every renderer reads a row.
    """

    label: str
    value: str
    unit: str = ""
    mark: str = ""
    note: str = ""

    @property
    def text(self) -> str:
        shown = join([self.value, self.unit], " ")
        shown = join([shown, self.mark], " ")
        return f"{shown} ({self.note})" if self.note else shown


@dataclass(frozen=True)
class Rows:
    """Label-value rows under an optional subheading; rows without a value are left out."""

    title: str
    rows: tuple[Row, ...]

    def shown(self) -> tuple[Row, ...]:
        return tuple(row for row in self.rows if row.value)


@dataclass(frozen=True)
class Column:
    """A table column: its header on paper, and how one of its cells reads in running
    text (`spoken`, with `{}` for the cell) after the cells before it (`sep`)."""

    header: str
    spoken: str = "{}"
    sep: str = ", "


@dataclass(frozen=True)
class Table:
    """Cells read across columns (the CBC, the differential, stains, studies). The first
    column names the row. `key` lets the PDF choose its layout; `strong` rows are totals;
    `notes` follow the table (where its intervals come from)."""

    key: str
    title: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[str, ...], ...]
    strong: frozenset[int] = frozenset()
    notes: tuple[str, ...] = ()

    def row_text(self, row: tuple[str, ...]) -> str:
        """ "Blasts: 60 = 12.0 % (ref 0-2) H": the row as one line of running text."""
        text = ""
        for column, cell in zip(self.columns[1:], row[1:], strict=True):
            if cell:
                sep = column.sep if text else ""
                if text.endswith(".") and sep[:1] in (".", ";", ","):
                    sep = " "  # after a sentence: "expression. Performed by ..."
                text += sep + column.spoken.format(cell)
        return f"{row[0]}: {text}" if text else row[0]


@dataclass(frozen=True)
class Sentences:
    """Whole sentences, one per item (critical-result communications, advisories)."""

    lines: tuple[str, ...]
    note: bool = False  # printed small, as a note under what precedes it


Part: TypeAlias = Rows | Table | Sentences


@dataclass(frozen=True)
class Section:
    """One section of the findings: `key` names it for the renderers (the HL7
    observation code, the PDF's layout); `title` is its heading."""

    key: str
    title: str
    parts: tuple[Part, ...]

    def __bool__(self) -> bool:
        return any(_has_content(part) for part in self.parts)


def _has_content(part: Part) -> bool:
    if isinstance(part, Rows):
        return bool(part.shown())
    if isinstance(part, Table):
        return bool(part.rows)
    return bool(part.lines)


# -- wording shared by several sections ----------------------------------------------------


def _time_text(value: datetime) -> str:
    """ "09:40 UTC-05:00": the time of day with its offset spelt out."""
    offset = offset_text(value.utcoffset())
    return join([value.strftime("%H:%M"), offset], " ")


def _when_text(value: datetime) -> str:
    """ "on 2026-11-20 at 15:05 UTC-05:00"."""
    return f"on {value.date().isoformat()} at {_time_text(value)}"


def _span_text(start: datetime | None, end: datetime | None) -> str:
    """ "2026-11-19 10:02-10:14 UTC-05:00", or either end alone."""
    if start is not None and end is not None:
        if start.date() == end.date() and start.utcoffset() == end.utcoffset():
            offset = offset_text(start.utcoffset())
            span = f"{start.date().isoformat()} {start:%H:%M}-{end:%H:%M}"
            return join([span, offset], " ")
        return f"{datetime_text(start)} to {datetime_text(end)}"
    if start is not None:
        return f"started {datetime_text(start)}"
    if end is not None:
        return f"finished {datetime_text(end)}"
    return ""


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def source_words(source: str) -> str:
    """Where a key result comes from, in words ("CD34 immunohistochemistry")."""
    return field_label("key_results.blasts_source").enum_words(source)


# -- identification: what was received, and when -----------------------------------------


def specimen_rows(document: CaseDocument) -> tuple[Row, ...]:
    """Procedure date, collection time, site and specimens, as the identification block
    prints them beside the accession (and the procedure text sends them)."""
    procedure = document.procedure
    site = words(procedure.site)
    if procedure.laterality.value != "not_applicable":
        site += f", {lower_words(procedure.laterality)}"
    return (
        Row(label_of("procedure.date"), date_text(procedure.date)),
        Row(
            label_of("procedure.collected_at"),
            datetime_text(procedure.collected_at) if procedure.collected_at else "",
        ),
        Row(label_of("procedure.site"), site),
        Row(
            label_of("procedure.specimens[]"),
            ", ".join(words(x) for x in procedure.specimens),
        ),
        Row(
            label_of("received_at"),
            datetime_text(document.received_at) if document.received_at else "",
        ),
    )


# -- clinical information ------------------------------------------------------------------

# (field, label, unit) in the order a hematologist reads a CBC, from the label registry.
CBC_ROWS: tuple[tuple[str, str, str], ...] = tuple(
    (name, entry.label, entry.unit)
    for name, entry in fields_under("clinical.cbc.")
    if entry.format == "number"
)
CBC_COLUMNS = (
    Column("Test"),
    Column("Result"),
    Column("Unit", sep=" "),
    Column("Reference", spoken="(ref {})", sep=" "),
    Column("H/L", sep=" "),
)


def clinical(document: CaseDocument, settings: LabSettings) -> Section:
    info = document.clinical
    if info is None:
        return Section("clinical", "Clinical information", ())
    indication = join([words(info.indication), info.indication_detail or ""], ". ")
    parts: list[Part] = [
        Rows(
            "",
            (
                Row(label_of("clinical.indication"), indication),
                Row(label_of("clinical.history"), info.history or ""),
                Row(label_of("clinical.blood_smear"), info.blood_smear or ""),
            ),
        )
    ]
    if info.therapy:
        parts.append(Rows(label_of("clinical.therapy[]"), tuple(_therapy(t) for t in info.therapy)))
    if info.cbc is not None:
        table = _cbc(document, settings, info.cbc)
        if table is not None:
            parts.append(table)
    return Section("clinical", "Clinical information", tuple(parts))


def _therapy(therapy: Therapy) -> Row:
    """ "Azacitidine: Chemotherapy, 2026-03-02 to 2026-08-30" (or "since" when ongoing)."""
    kind = field_label("clinical.therapy[].kind").enum_words(therapy.kind)
    if therapy.ended_on is not None:
        period = f"{date_text(therapy.started_on)} to {date_text(therapy.ended_on)}"
    else:
        period = f"since {date_text(therapy.started_on)}"
    return Row(therapy.name, f"{kind}, {period}")


def _cbc(document: CaseDocument, settings: LabSettings, cbc: Cbc) -> Table | None:
    """Each analyte with its unit, the lab's interval for the patient's age and sex, and
    H/L; labels and units are the model's, intervals and marks `derived.cbc_table`'s."""
    judged = cbc_table(document, settings)
    by_field = {row.field: row for row in judged.rows} if judged else {}
    rows: list[tuple[str, ...]] = []
    for field, name, unit in CBC_ROWS:
        value = getattr(cbc, field)
        if value is None:
            continue
        row = by_field.get(field)
        interval = _cbc_interval(row.interval, value) if row is not None else ""
        rows.append((name, as_entered(value), unit, interval, row.mark if row else ""))
    if not rows:
        return None
    title = f"Complete blood count ({date_text(cbc.date)})" if cbc.date else "Complete blood count"
    return Table("cbc", title, CBC_COLUMNS, tuple(rows), notes=_cbc_note(judged))


def _cbc_interval(interval: tuple[float, float] | None, value: float) -> str:
    """ "4.0-11.0" beside 2.1, "150-400" beside 54: the bounds at the precision the
    value was entered with (or the bounds' own, if finer); "0" for an interval 0-0."""
    if interval is None:
        return ""
    places = max(_places(value), *(_places(bound) for bound in interval))
    low, high = (f"{bound:.{places}f}" for bound in interval)
    return low if low == high else f"{low}-{high}"


def _places(value: float) -> int:
    return len(as_entered(value).partition(".")[2])


def _cbc_note(judged: CbcTable | None) -> tuple[str, ...]:
    """Where the intervals come from, or that the lab has none for this age."""
    if judged is None:
        return ()
    if judged.no_interval_for_age:
        return (f"Reference intervals: {NO_INTERVAL_TEXT}.",)
    if judged.source:
        return (f"Reference intervals: {judged.source}.",)
    return ()


# -- procedure -----------------------------------------------------------------------------


def procedure(document: CaseDocument) -> Section:
    """Who performed the procedure and how; date, site and specimens are in the
    identification block (`specimen_rows`)."""
    p = document.procedure
    complications = ", ".join(lower_words(c) for c in p.complications or [])
    rows = (
        Row(label_of("procedure.operator"), p.operator or ""),
        Row(label_of("procedure.sedation"), words(p.sedation) if p.sedation else ""),
        Row(label_of("procedure.complications[]"), _capitalised(complications)),
    )
    return Section("procedure", "Procedure", (Rows("", rows),))


# -- aspirate ------------------------------------------------------------------------------

DIFFERENTIAL_COLUMNS = (
    Column("Cell type"),
    Column("Count"),
    Column("% of cells", spoken="{} %", sep=" = "),
    Column("Reference (%)", spoken="(ref {})", sep=" "),
    Column("H/L", sep=" "),
)
# How the differential was obtained (`aspirate.count.method`), after "500-cell differential".
COUNT_METHOD_WORDS = {
    CountMethod.COUNTER: "counted with the on-screen counter",
    CountMethod.TYPED: "typed in",
    CountMethod.IMPORTED: "imported",
}


def aspirate(document: CaseDocument, settings: LabSettings, names: Names | None = None) -> Section:
    a = document.aspirate
    if a is None:
        return Section("aspirate", "Bone marrow aspirate", ())
    parts: list[Part] = [
        Rows(
            "",
            (
                Row(label_of("aspirate.quality"), words(a.quality)),
                Row(label_of("aspirate.particles"), words(a.particles)),
                Row(
                    label_of("aspirate.cellularity"), words(a.cellularity) if a.cellularity else ""
                ),
                Row(
                    label_of("aspirate.megakaryocyte_number"),
                    words(a.megakaryocyte_number) if a.megakaryocyte_number else "",
                ),
            ),
        )
    ]
    if a.differential is not None:
        summary = summarise_differential(a.differential, settings, age=case_age(document))
        parts.append(_differential_table(document, settings, a, summary))
        parts.append(
            Rows("", (*_ratio_rows(document, settings, summary), *_count_rows(a, summary, names)))
        )
    parts += _morphology(a)
    return Section("aspirate", "Bone marrow aspirate", tuple(parts))


def _differential_table(
    document: CaseDocument, settings: LabSettings, a: Aspirate, summary: DifferentialSummary
) -> Table:
    """One row per category counted or with an interval; blast equivalents right after
    the last of blasts and promonocytes whenever they differ from blasts
    (`clinical-rules.md` section 3)."""
    intervals = settings.marrow_intervals(case_age(document))
    equivalents = summary.blast_equivalents
    after = "promonocytes" if equivalents is not None else ""
    rows: list[tuple[str, ...]] = []
    for row in summary.rows:
        if row.count == 0 and row.interval is None and row.category.value != after:
            continue
        name = label_of(f"aspirate.differential.{row.category.value}")
        rows.append(
            (name, str(row.count), one_decimal(row.percent), interval_text(row.interval), row.mark)
        )
        if equivalents is not None and row.category.value == after:
            counted = equivalents.count
            rows.append(
                (
                    BLAST_EQUIVALENTS_LABEL,
                    str(counted.count) if counted else "",
                    str(equivalents.value),
                    "",
                    "",
                )
            )
    erythroid_interval = intervals.get("erythroid") if intervals else None
    rows.append(
        (
            "Erythroid precursors, total",
            str(summary.erythroid),
            one_decimal(summary.erythroid_percent),
            interval_text((erythroid_interval.low, erythroid_interval.high))
            if erythroid_interval
            else "",
            summary.erythroid_mark,
        )
    )
    rows.append(("Cells counted", str(summary.cells_counted), "100.0", "", ""))
    source = a.differential_source or "aspirate_smear"
    notes = (f"Reference intervals: {NO_INTERVAL_TEXT}.",) if summary.no_interval_for_age else ()
    return Table(
        "differential",
        f"Differential count ({lower_words(source)})",
        DIFFERENTIAL_COLUMNS,
        tuple(rows),
        strong=frozenset({len(rows) - 2, len(rows) - 1}),
        notes=notes,
    )


def _ratio_rows(
    document: CaseDocument, settings: LabSettings, summary: DifferentialSummary
) -> tuple[Row, ...]:
    intervals = settings.marrow_intervals(case_age(document))
    interval = intervals.get("me_ratio") if intervals else None
    ratio = summary.me_ratio_text
    if summary.me_ratio is not None and interval is not None:
        flag = {"H": "H, above", "L": "L, below"}.get(summary.me_ratio_mark, "within")
        ratio += f"  ({flag} reference {interval.low:.1f}-{interval.high:.1f}:1)"
    return (
        Row("M:E ratio", ratio),
        Row("M:E ratio rule", summary.me_rule),
        Row("Reference intervals", settings.reference_source if intervals else NO_INTERVAL_TEXT),
    )


def _flag(path: str, value: bool | None) -> str:
    """A finding that is there or not, in its field's words ("Present", "Absent"), the
    editor's drop-down words; empty when not recorded."""
    return "" if value is None else field_label(path).flag_words(value)


def _count_rows(a: Aspirate, summary: DifferentialSummary, names: Names | None) -> tuple[Row, ...]:
    """How the differential was obtained (`/2`, `bench.md` section 1): "500-cell
    differential counted with the on-screen counter by Amelia Chen", when, and the smudge cells
    seen outside the count. The second observer's count is never printed."""
    count = a.count
    if count is None:
        return ()
    return (
        Row("Count", provenance_text(count, summary.cells_counted, names)),
        Row(
            label_of("aspirate.count.smudge_cells"),
            f"{count.smudge_cells} seen, not in the count" if count.smudge_cells else "",
        ),
    )


def provenance_text(count: CountProvenance, cells_counted: int, names: Names | None = None) -> str:
    """ "500-cell differential counted with the on-screen counter by Amelia Chen,
    2026-11-19 10:02-10:14 UTC-05:00 (target 500 cells)": the counter's display name
    when `names` knows the username, else the username as stored."""
    text = f"{cells_counted}-cell differential {COUNT_METHOD_WORDS[count.method]}"
    if count.counted_by:
        text += f" by {person(count.counted_by, names)}"
    when = _span_text(count.started_at, count.finished_at)
    if when:
        text += f", {when}"
    if count.target is not None and count.target != cells_counted:
        text += f" (target {count.target} cells)"
    return text


def _morphology(a: Aspirate) -> list[Part]:
    parts: list[Part] = []
    if a.morphology is not None:
        rows = tuple(
            Row(entry.label, getattr(a.morphology, name) or "")
            for name, entry in fields_under("aspirate.morphology.")
        )
        parts.append(Rows("Morphology", rows))
    dysplasia = a.dysplasia
    dysplasia_text = ""
    if dysplasia is not None:
        said = [
            f"{lineage} {percent_text(value, 'dysplasia')}"
            for lineage, value in (
                ("erythroid", dysplasia.erythroid_pct),
                ("granulocytic", dysplasia.granulocytic_pct),
                ("megakaryocytic", dysplasia.megakaryocytic_pct),
            )
            if value is not None
        ]
        if said:
            dysplasia_text = _capitalised(join(said, ", ") + " of cells of the lineage")
    iron = a.iron
    parts.append(
        Rows(
            "Dysplasia, iron and comment",
            (
                Row("Dysplasia", dysplasia_text),
                Row(
                    label_of("aspirate.auer_rods"),
                    _flag("aspirate.auer_rods", a.auer_rods),
                ),
                Row(
                    label_of("aspirate.iron.storage_grade"),
                    f"Grade {iron.storage_grade} (Gale scale 0-6)"
                    if iron is not None and iron.storage_grade is not None
                    else "",
                ),
                Row(label_of("aspirate.iron.ring_sideroblasts_pct"), ring_sideroblasts_text(iron)),
                Row(label_of("aspirate.iron.comment"), (iron.comment or "") if iron else ""),
                Row(label_of("aspirate.comment"), a.comment or ""),
            ),
        )
    )
    return parts


def ring_sideroblasts_text(iron: Iron | None) -> str:
    """Counted (`/2`): "14.9 % (30 of 201 erythroblasts)", the exact value never
    rounded onto the 15 % threshold (`thresholds.py`); typed: "14.9 % of erythroblasts",
    with the erythroblasts counted when recorded."""
    if iron is None or iron.percent() is None:
        return ""
    if iron.counted():
        counted = Count(
            iron.ring_sideroblasts or 0, iron.erythroblasts_counted or 0, "erythroblasts"
        )
        return f"{percent_text(counted.proportion, 'ring_sideroblasts')} ({counted.text()})"
    text = f"{percent_text(iron.percent(), 'ring_sideroblasts')} of erythroblasts"
    if iron.erythroblasts_counted is not None:
        text += f" ({iron.erythroblasts_counted} erythroblasts counted)"
    return text


# -- core ----------------------------------------------------------------------------------


def core(document: CaseDocument, settings: LabSettings) -> Section:
    c = document.core
    if c is None:
        return Section("core", "Core biopsy (trephine)", ())
    assessment = case_cellularity(document, settings)  # None only without a core
    cellularity = assessment.text if assessment else ""
    # the rule the version was judged by, legacy rules included (`rule_named`)
    rule = rule_named(settings.cellularity_rule).description
    rows = (
        Row(label_of("core.length_mm"), as_entered(c.length_mm), "mm"),
        Row(label_of("core.adequacy"), join([words(c.adequacy), c.adequacy_comment or ""], ". ")),
        Row(label_of(CELLULARITY_FIELD), cellularity),
        Row("Cellularity rule", rule),
        Row(label_of("core.megakaryocyte_number"), _megakaryocytes(c)),
        Row(label_of("core.fibrosis_grade"), words(c.fibrosis_grade)),
        Row(label_of("core.collagen"), _flag("core.collagen", c.collagen)),
        Row(label_of("core.osteosclerosis"), _flag("core.osteosclerosis", c.osteosclerosis)),
        Row("Infiltrate", _infiltrate(c)),
        Row(label_of("core.bone"), c.bone or ""),
        Row(label_of("core.comment"), c.comment or ""),
    )
    return Section("core", "Core biopsy (trephine)", (Rows("", rows),))


def _megakaryocytes(c: Core) -> str:
    number = f"Number {lower_words(c.megakaryocyte_number)}" if c.megakaryocyte_number else ""
    return join([number, c.megakaryocytes or ""], ". ")


def _infiltrate(c: Core) -> str:
    """ "Nodular and interstitial, 30.0 % of the marrow space. Description"."""
    infiltrate = c.infiltrate
    if infiltrate is None:
        return ""
    head = words_list(infiltrate.patterns)
    if infiltrate.percent is not None:
        head += f", {percent_text(infiltrate.percent)} of the marrow space"
    return join([head, infiltrate.description or ""], ". ")


# -- key results ---------------------------------------------------------------------------

ADVISORY_LABELS = {
    "blast_equivalents": "Blast equivalents",
    "plasma_cells": "Plasma cells",
}


def key_results(document: CaseDocument, settings: LabSettings) -> Section:
    """Blasts, blast equivalents (when promonocytes or abnormal promyelocytes were
    counted) and plasma cells as reported, with their source; counted values with their
    95 % interval when the lab prints them (`report.confidence_intervals`), and the
    threshold advisory when an interval spans a diagnostic threshold."""
    blasts = blasts_percent(document)
    plasma = plasma_cells_percent(document)
    if blasts is None and plasma is None:
        return Section("key_results", "Key results", ())
    differ = blast_equivalents_differ(document) and blasts is not None and blasts.count is not None
    equivalents = blast_equivalents_percent(document) if differ else None
    rows = [
        Row(
            label_of("key_results.blasts_pct"),
            _sourced(blasts, "key_results.blasts_source", settings, interval=not differ),
        )
    ]
    if equivalents is not None:
        rows.append(
            Row(
                BLAST_EQUIVALENTS_LABEL,
                _sourced(equivalents, "key_results.blasts_source", settings),
            )
        )
    rows.append(
        Row(
            label_of("key_results.plasma_cells_pct"),
            _sourced(plasma, "key_results.plasma_cells_source", settings),
        )
    )
    advisories = _advisories(settings, equivalents or blasts, plasma)
    parts: list[Part] = [Rows("", tuple(rows))]
    if advisories:
        parts.append(Sentences(advisories, note=True))
    return Section("key_results", "Key results", tuple(parts))


def _sourced(
    value: SourcedPercent | None, source_path: str, settings: LabSettings, *, interval: bool = True
) -> str:
    """ "24.0 % (120 of 500 cells; 95 % CI 20.3-28.0, counting error only); source:
    aspirate differential"; a typed value as typed, never shown onto a threshold."""
    if value is None:
        return ""
    source = field_label(source_path).enum_words(value.source)
    shown = value.report_text(settings) if interval else value.text
    return f"{shown}; source: {source}"


def _advisories(
    settings: LabSettings, blasts: SourcedPercent | None, plasma: SourcedPercent | None
) -> tuple[str, ...]:
    """The threshold advisory of a counted value whose interval spans a diagnostic
    threshold (it proposes correlation, never more cells), with the intervals on."""
    if not settings.confidence_intervals_on_report:
        return ()
    notes = []
    for value, quantity in ((blasts, "blast_equivalents"), (plasma, "plasma_cells")):
        if value is None or value.count is None:
            continue
        text = threshold_advisory(value.count, quantity, ADVISORY_LABELS[quantity])
        if text:
            notes.append(f"{text}.")
    return tuple(notes)


# -- stains and ancillary studies --------------------------------------------------------


def stains(document: CaseDocument) -> Section:
    """Each stain with its result in words (p53 by pattern: "Wild-type pattern")."""
    columns = (
        Column(label_of("stains[].name")),
        Column(label_of("stains[].result")),
        Column(label_of("stains[].percent"), spoken="{} %"),
        Column(label_of("stains[].pattern")),
        Column(label_of("stains[].comment"), sep="; "),
    )
    rows = tuple(
        (
            stain.name,
            field_label("stains[].result").enum_words(stain.result),
            one_decimal(stain.percent, stain_quantity(stain.name)),
            stain.pattern or "",
            stain.comment or "",
        )
        for stain in document.stains or []
    )
    title = "Immunohistochemistry and special stains"
    return Section("stains", title, (Table("stains", "", columns, rows),) if rows else ())


PENDING_TEXT = "Result to follow in an addendum."


def ancillary(document: CaseDocument) -> Section:
    """Each study with its status, its result (or why it was not performed) and the
    measurements it reports (`/2`)."""
    studies = document.ancillary or []
    columns = (
        Column(label_of("ancillary[].kind")),
        Column(label_of("ancillary[].status")),
        Column(label_of("ancillary[].result"), sep=": "),
        Column(label_of("ancillary[].performed_by"), spoken="Performed by {}", sep=". "),
        Column(label_of("ancillary[].reported_on"), spoken="reported {}", sep=", "),
    )
    rows = tuple(_study(study) for study in studies)
    parts: list[Part] = [Table("ancillary", "", columns, rows)] if rows else []
    measured = tuple(_measurement(study, m) for study in studies for m in study.measurements or [])
    if measured:
        parts.append(Table("measurements", "Measurements", MEASUREMENT_COLUMNS, measured))
    return Section("ancillary", "Ancillary studies", tuple(parts))


# A measurement's columns: "MRD by flow: 0.02 % (Flow cytometry)" in running text.
MEASUREMENT_COLUMNS = (
    Column(label_of("ancillary[].measurements[].name")),
    Column("Value"),
    Column("Unit", sep=" "),
    Column(label_of("ancillary[].kind"), spoken="({})", sep=" "),
)


def _study(study: Ancillary) -> tuple[str, ...]:
    result = study.result or ""
    if study.status is AncillaryStatus.PENDING and not result:
        result = PENDING_TEXT
    return (
        field_label("ancillary[].kind").enum_words(study.kind),
        field_label("ancillary[].status").enum_words(study.status),
        result,
        study.performed_by or "",
        date_text(study.reported_on) if study.reported_on else "",
    )


def _measurement(study: Ancillary, measurement: Measurement) -> tuple[str, ...]:
    """A number an ancillary study reports: its name, value as entered, unit in words
    ("%", "% VAF", "ratio"; none for `other`) and the study."""
    unit = (
        ""
        if measurement.unit is MeasurementUnit.OTHER
        else field_label("ancillary[].measurements[].unit").enum_words(measurement.unit)
    )
    kind = field_label("ancillary[].kind").enum_words(study.kind)
    return (measurement.name, as_entered(measurement.value), unit, kind)


# -- critical results communicated -------------------------------------------------------


def communications(document: CaseDocument, names: Names | None = None) -> Section:
    """Each critical result communicated, or attempted, as one sentence with its date and
    time (`bench.md` section 4)."""
    lines = tuple(communication_text(c, names) for c in document.communications or [])
    title = "Critical result communications"
    return Section("communications", title, (Sentences(lines),) if lines else ())


# How a result was told, where "by <method in words>" does not read as English.
_HOW = {
    CommunicationMethod.IN_PERSON: "in person",
    CommunicationMethod.OTHER: "by other means",
}


def _how(method: CommunicationMethod) -> str:
    """ "by phone", "by pager", "by secure message", "in person"."""
    if method in _HOW:
        return _HOW[method]
    said = field_label("communications[].method").enum_words(method)
    return f"by {said[:1].lower()}{said[1:]}"


def communication_text(c: Communication, names: Names | None = None) -> str:
    """ "Critical result communicated to Dr X (hematology) by phone on 2026-11-20 at 15:05
    UTC-05:00 by Amelia Chen; read back." An attempt that did not reach the clinician says
    so: "Attempt to communicate a critical result to ...; not reached." """
    to = f"{c.to} ({c.role})" if c.role else c.to
    said = f"to {to} {_how(c.method)} {_when_text(c.at)} by {person(c.by, names)}"
    if not c.reached:
        text = f"Attempt to communicate a critical result {said}; not reached"
    else:
        text = f"Critical result communicated {said}"
        if c.read_back is not None:
            text += "; read back" if c.read_back else "; not read back"
    text += "."
    if c.note:
        text += f" {c.note}"
    return text


# -- the whole findings --------------------------------------------------------------------


def findings(
    document: CaseDocument, settings: LabSettings, names: Names | None = None
) -> tuple[Section, ...]:
    """Every findings section in report order; a section with nothing to say is empty
    (falsy) and neither renderer prints it. `names`: username -> name of the people the
    document names (`ReportRequest.names`)."""
    return (
        clinical(document, settings),
        procedure(document),
        aspirate(document, settings, names),
        core(document, settings),
        key_results(document, settings),
        stains(document),
        ancillary(document),
        communications(document, names),
    )


def section_text(section: Section) -> str:
    """A section as plain text lines (the HL7 FT observation, the FHIR narrative):
    "Label: value" rows, a table's rows as running text under its title, sentences as
    they are. Subheaded parts are indented under their title."""
    lines: list[str] = []
    for part in section.parts:
        if isinstance(part, Rows):
            rows = part.shown()
            if not rows:
                continue
            indent = "  " if part.title else ""
            if part.title:
                lines.append(f"{part.title}:")
            lines += [f"{indent}{row.label}: {row.text}" for row in rows]
        elif isinstance(part, Table):
            indent = "  " if part.title else ""
            if part.title:
                lines.append(f"{part.title}:")
            lines += [f"{indent}{part.row_text(row)}" for row in part.rows]
            lines += list(part.notes)
        else:
            lines += list(part.lines)
    return "\n".join(lines)
