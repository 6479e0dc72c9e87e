"""Values computed from the findings, never typed in: counts, percentages, ratios, age.

Pure functions over the case document and the lab settings. Percentages and ratios are
exact fractions, shown rounded half up to one decimal (12.25 -> 12.3) but never onto a
diagnostic threshold they have not reached (`thresholds.py`). Flags, checks and
categories read the exact value (`SourcedPercent.exact`); H/L marks compare the value as
shown, because a lab's interval "0-2" is written at the precision it reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any, Literal

from marrowpath.domain.case import CaseDocument, Differential
from marrowpath.domain.cellularity import (
    CellularityAssessment,
    assess_cellularity,
    expected_cellularity,
)
from marrowpath.domain.enums import DifferentialCategory as Cat
from marrowpath.domain.estimates import Interval
from marrowpath.domain.reference_intervals import (
    CBC_FIELDS,
    IntervalSet,
    ReferenceInterval,
    cbc_key,
)
from marrowpath.domain.reference_intervals import mark as reference_mark
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import (
    DISPLAY_THRESHOLDS,
    Count,
    estimate_text,
    exact,
    percent_text,
    round_half_up,
    shown,
)

__all__ = [
    "CellularityAssessment",
    "assess_cellularity",
    "expected_cellularity",
    "round_half_up",
]

MYELOID = (
    Cat.BLASTS,
    Cat.PROMYELOCYTES,
    Cat.MYELOCYTES,
    Cat.METAMYELOCYTES,
    Cat.BANDS,
    Cat.NEUTROPHILS,
    Cat.EOSINOPHILS,
    Cat.BASOPHILS,
)
MONOCYTIC = (Cat.PROMONOCYTES, Cat.MONOCYTES)
ERYTHROID = (
    Cat.PRONORMOBLASTS,
    Cat.BASOPHILIC_NORMOBLASTS,
    Cat.POLYCHROMATIC_NORMOBLASTS,
    Cat.ORTHOCHROMATIC_NORMOBLASTS,
)

# The `/2` category for acute promyelocytic leukemia: a blast equivalent, counted as
# myeloid. Read by name so that documents of either format work (`/1` has none).
ABNORMAL_PROMYELOCYTES = "abnormal_promyelocytes"

Mark = Literal["H", "L", ""]


def percent(count: int, total: int, quantity: str = "") -> Decimal | None:
    """100 x count / total as shown (one decimal, never onto a threshold of `quantity`);
    None when nothing was counted."""
    if total <= 0:
        return None
    return shown(Fraction(100 * count, total), DISPLAY_THRESHOLDS.get(quantity, ()))


def category_count(differential: Any, name: str) -> int:
    """A differential count by category name, 0 when absent or unknown to the format."""
    value = getattr(differential, name, None)
    return value if isinstance(value, int) else 0


def mark(value: Decimal | None, interval: tuple[float, float] | None) -> Mark:
    """H above the interval, L below it, nothing inside or without an interval."""
    if value is None or interval is None:
        return ""
    low, high = interval
    if value < Decimal(str(low)):
        return "L"
    if value > Decimal(str(high)):
        return "H"
    return ""


@dataclass(frozen=True)
class DifferentialRow:
    category: Cat
    count: int
    percent: Decimal | None
    interval: tuple[float, float] | None
    mark: Mark
    cells_counted: int = 0

    @property
    def confidence_interval(self) -> Interval | None:
        """The exact 95 % interval of this category (computed on demand: it is dear)."""
        if self.cells_counted <= 0:
            return None
        return Count(self.count, self.cells_counted).interval()


@dataclass(frozen=True)
class DifferentialSummary:
    """What the report prints under the differential table."""

    rows: list[DifferentialRow]
    cells_counted: int
    myeloid: int
    erythroid: int
    erythroid_percent: Decimal | None
    erythroid_mark: Mark
    me_ratio: Decimal | None
    me_ratio_mark: Mark
    me_rule: str
    # blasts + promonocytes + abnormal promyelocytes, when either of the latter was counted
    blast_equivalents: SourcedPercent | None = None
    # True when the lab has no marrow interval set for the patient's age (no H/L marks)
    no_interval_for_age: bool = False

    @property
    def me_ratio_text(self) -> str:
        return f"{self.me_ratio}:1" if self.me_ratio is not None else "not calculable"


def me_rule_text(settings: LabSettings) -> str:
    if settings.me_ratio_include_monocytes:
        return "myeloid series including promonocytes and monocytes / nucleated erythroid cells"
    return (
        "myeloid series (blasts to neutrophils, eosinophils, basophils) / nucleated erythroid cells"
    )


def total_cells(differential: Any) -> int:
    """Cells counted, with the `/2` abnormal promyelocytes when the format has no enum
    member for them yet."""
    counts = differential.counts()
    extra = 0 if ABNORMAL_PROMYELOCYTES in {c.value for c in counts} else 1
    return int(sum(counts.values())) + extra * category_count(differential, ABNORMAL_PROMYELOCYTES)


def myeloid_count(differential: Any, settings: LabSettings) -> int:
    categories = MYELOID + (MONOCYTIC if settings.me_ratio_include_monocytes else ())
    counted: int = sum(differential.count(c) for c in categories)
    return counted + category_count(differential, ABNORMAL_PROMYELOCYTES)


def summarise_differential(
    differential: Differential, settings: LabSettings, age: int | None = None
) -> DifferentialSummary:
    """The table under the differential. `age` picks the lab's interval set for the
    patient's age group; None (age unknown) judges as an adult, as before sets existed."""
    counts = differential.counts()
    total = total_cells(differential)
    myeloid = myeloid_count(differential, settings)
    erythroid = sum(counts[c] for c in ERYTHROID)
    intervals = settings.marrow_intervals(age)
    rows = []
    for category, count in counts.items():
        value = percent(count, total, category.value)
        interval = _interval(intervals, category.value)
        rows.append(DifferentialRow(category, count, value, interval, mark(value, interval), total))
    erythroid_pct = percent(erythroid, total)
    ratio = round_half_up(Fraction(myeloid, erythroid)) if erythroid else None
    return DifferentialSummary(
        rows=rows,
        cells_counted=total,
        myeloid=myeloid,
        erythroid=erythroid,
        erythroid_percent=erythroid_pct,
        erythroid_mark=mark(erythroid_pct, _interval(intervals, "erythroid")),
        me_ratio=ratio,
        me_ratio_mark=mark(ratio, _interval(intervals, "me_ratio")),
        me_rule=me_rule_text(settings),
        blast_equivalents=_printed_blast_equivalents(differential),
        no_interval_for_age=intervals is None,
    )


def _interval(
    intervals: dict[str, ReferenceInterval] | None, key: str
) -> tuple[float, float] | None:
    interval = intervals.get(key) if intervals is not None else None
    return (interval.low, interval.high) if interval else None


@dataclass(frozen=True)
class SourcedPercent:
    """A reported percentage with where it came from (differential, IHC, flow, estimate).

    `value` is what is shown (never rounded onto a threshold); `exact` is what flags and
    checks judge; `count` is set when the value was counted, for the interval and for
    the "(99 of 496 cells)" printed beside a value rounded down.
    """

    value: Decimal
    source: str
    exact: Fraction = Fraction(0)
    count: Count | None = None
    quantity: str = ""

    @property
    def text(self) -> str:
        """ "19.9 % (99 of 496 cells)", "12.0 %"."""
        return percent_text(self.exact, self.quantity, self.count)

    def report_text(self, settings: LabSettings) -> str:
        """With the lab's `report.confidence_intervals` on and a count: "24.0 % (120 of
        500 cells; 95 % CI 20.3-28.0, counting error only)"; otherwise `text`."""
        if settings.confidence_intervals_on_report and self.count is not None:
            return estimate_text(self.count, self.quantity)
        return self.text


BLAST_EQUIVALENT_NAMES = ("blasts", "promonocytes", ABNORMAL_PROMYELOCYTES)


def _typed(value: float, source: object, quantity: str) -> SourcedPercent:
    value_exact = exact(value)
    thresholds = DISPLAY_THRESHOLDS.get(quantity, ())
    return SourcedPercent(
        shown(value_exact, thresholds), str(source or "estimate"), value_exact, None, quantity
    )


def blasts_percent(case: CaseDocument) -> SourcedPercent | None:
    """Blasts as reported: key_results when given, else the differential."""
    key = case.key_results
    if key and key.blasts_pct is not None:
        return _typed(key.blasts_pct, key.blasts_source, "blasts")
    return differential_percent(case, ("blasts",), "blasts")


def blast_equivalents_percent(case: CaseDocument) -> SourcedPercent | None:
    """Blasts + promonocytes + abnormal promyelocytes (or key_results.blasts_pct), the
    value the flags and checks judge."""
    key = case.key_results
    if key and key.blasts_pct is not None:
        return _typed(key.blasts_pct, key.blasts_source, "blast_equivalents")
    return differential_percent(case, BLAST_EQUIVALENT_NAMES, "blast_equivalents")


def plasma_cells_percent(case: CaseDocument) -> SourcedPercent | None:
    key = case.key_results
    if key and key.plasma_cells_pct is not None:
        return _typed(key.plasma_cells_pct, key.plasma_cells_source, "plasma_cells")
    return differential_percent(case, ("plasma_cells",), "plasma_cells")


def counted_percent(
    differential: Any, names: tuple[str, ...], quantity: str
) -> SourcedPercent | None:
    """The share of some categories in a differential, counted."""
    total = total_cells(differential)
    if total <= 0:
        return None
    counted = Count(sum(category_count(differential, n) for n in names), total)
    thresholds = DISPLAY_THRESHOLDS.get(quantity, ())
    return SourcedPercent(
        shown(counted.proportion, thresholds),
        "differential",
        counted.proportion,
        counted,
        quantity,
    )


def differential_percent(
    case: CaseDocument, names: tuple[str, ...], quantity: str
) -> SourcedPercent | None:
    """The share of some categories in the case's differential (a draft's too), counted;
    None while no cell is counted."""
    differential = case.aspirate.differential if case.aspirate else None
    if differential is None:
        return None
    return counted_percent(differential, names, quantity)


def _printed_blast_equivalents(differential: Any) -> SourcedPercent | None:
    """Blast equivalents for the differential table, only when they differ from blasts."""
    if not any(category_count(differential, n) for n in BLAST_EQUIVALENT_NAMES[1:]):
        return None
    return counted_percent(differential, BLAST_EQUIVALENT_NAMES, "blast_equivalents")


def blast_equivalents_differ(case: CaseDocument) -> bool:
    """Whether promonocytes or abnormal promyelocytes were counted (`clinical-rules.md`
    section 3: then blast equivalents are printed beside blasts)."""
    differential = case.aspirate.differential if case.aspirate else None
    return differential is not None and _printed_blast_equivalents(differential) is not None


BLAST_EQUIVALENTS_LABEL = "Blast equivalents (blasts + promonocytes + abnormal promyelocytes)"


def age_in_years(birth_date: date, on: date) -> int:
    """Whole years completed on a date (a birthday on 29 February counts on 1 March)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


def case_age(case: CaseDocument) -> int:
    return age_in_years(case.patient.birth_date, case.procedure.date)


# The field the cellularity assessment reads: named here once, so that the timeline, the
# report and the exports take its name, label and unit from the model (`labels.leaf`).
CELLULARITY_FIELD = "core.cellularity_pct"


def case_cellularity(case: CaseDocument, settings: LabSettings) -> CellularityAssessment | None:
    if case.core is None:
        return None
    return assess_cellularity(case.core.cellularity_pct, case_age(case), settings.cellularity_rule)


def known_age(case: CaseDocument) -> int | None:
    """The age at the procedure of a case or a draft: None while a date is missing, or
    when the birth date is after the procedure (validation names that)."""
    born = case.patient.birth_date if case.patient is not None else None
    on = case.procedure.date if case.procedure is not None else None
    if born is None or on is None or born > on:
        return None
    return age_in_years(born, on)


@dataclass(frozen=True)
class CellularityForAge:
    """The core cellularity of a case or a draft against the age: `assessment` is None
    while the age is not known yet (`age` None)."""

    percent: int
    age: int | None
    assessment: CellularityAssessment | None


def cellularity_for_age(case: CaseDocument, settings: LabSettings) -> CellularityForAge | None:
    """The core cellularity judged for age as far as a draft allows (the editor shows it
    while typing); None while no valid cellularity is recorded."""
    percent = case.core.cellularity_pct if case.core is not None else None
    if percent is None:
        return None
    age = known_age(case)
    if age is None:
        return CellularityForAge(percent, None, None)
    return CellularityForAge(
        percent, age, assess_cellularity(percent, age, settings.cellularity_rule)
    )


def ring_sideroblasts_count(case: CaseDocument) -> Count | None:
    """Ring sideroblasts of the erythroblasts counted, as a count, from a case or a draft:
    counted (`ring_sideroblasts`, `/2`), or a typed percentage that is a whole number of
    the erythroblasts counted; None without erythroblasts counted, or when the count
    exceeds them."""
    iron = case.aspirate.iron if case.aspirate is not None else None
    counted = iron.erythroblasts_counted if iron is not None else None
    if iron is None or not counted:
        return None
    ring = iron.ring_sideroblasts
    if ring is None:
        typed = iron.ring_sideroblasts_pct
        if typed is None:
            return None
        cells = typed * counted / 100
        if abs(cells - round(cells)) > 1e-9:
            return None
        ring = round(cells)
    if not 0 <= ring <= counted:
        return None
    return Count(ring, counted, "erythroblasts")


@dataclass(frozen=True)
class CbcRow:
    """One CBC line as printed: value, unit, the interval for the patient and H/L."""

    field: str
    label: str
    value: float
    unit: str
    interval: tuple[float, float] | None
    mark: Mark


@dataclass(frozen=True)
class CbcTable:
    rows: list[CbcRow]
    # True when the lab has no CBC interval set for the patient's age (no H/L marks)
    no_interval_for_age: bool
    source: str | None


def cbc_table(case: CaseDocument, settings: LabSettings) -> CbcTable | None:
    """The CBC with the lab's intervals for the patient's age and sex (section 5)."""
    cbc = case.clinical.cbc if case.clinical else None
    if cbc is None:
        return None
    interval_set = settings.cbc_intervals(case_age(case))
    rows = []
    for field, (label, unit) in CBC_FIELDS.items():
        value = getattr(cbc, field, None)
        if value is None:
            continue
        key = cbc_key(field, case.patient.sex.value)
        found = interval_set.intervals.get(key) if interval_set else None
        interval = (found.low, found.high) if found else None
        rows.append(CbcRow(field, label, value, unit, interval, reference_mark(value, found)))
    return CbcTable(
        rows, interval_set is None and settings.interval_sets is not None, _source(interval_set)
    )


def _source(interval_set: IntervalSet | None) -> str | None:
    return interval_set.source if interval_set else None
