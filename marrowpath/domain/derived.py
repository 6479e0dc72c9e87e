"""Values computed from the findings, never typed in: counts, percentages, ratios, age.

Pure functions over the case document and the lab settings. Percentages and ratios are
exact fractions rounded half up to one decimal (12.25 -> 12.3), as the case format says;
flags and H/L marks use the value as shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from typing import Literal

from marrowpath.domain.case import CaseDocument, Differential
from marrowpath.domain.enums import DifferentialCategory as Cat
from marrowpath.domain.settings import LabSettings

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

Mark = Literal["H", "L", ""]
CellularityVerdict = Literal["hypocellular", "normocellular", "hypercellular"]


def round_half_up(value: Fraction | Decimal | float | int, places: int = 1) -> Decimal:
    """Round as people do on paper: 12.25 -> 12.3, 12.24 -> 12.2.

    A float is rounded as the decimal it was written as (its shortest repr, as in the
    JSON), not as its binary approximation: 14.95 is 14.9499... in binary but 15.0 here.
    """
    quantum = Decimal(1).scaleb(-places)
    exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    whole_digits = (abs(exact.numerator) // exact.denominator).bit_length() * 31 // 100 + 2
    with localcontext() as context:  # enough digits for any count (M:E of 10**30 cells)
        context.prec = whole_digits + places + 28
        decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
        return decimal.quantize(quantum, rounding=ROUND_HALF_UP)


def percent(count: int, total: int) -> Decimal | None:
    """100 x count / total, one decimal; None when nothing was counted."""
    if total <= 0:
        return None
    return round_half_up(Fraction(100 * count, total))


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

    @property
    def me_ratio_text(self) -> str:
        return f"{self.me_ratio}:1" if self.me_ratio is not None else "not calculable"


def me_rule_text(settings: LabSettings) -> str:
    if settings.me_ratio_include_monocytes:
        return "myeloid series including promonocytes and monocytes / nucleated erythroid cells"
    return (
        "myeloid series (blasts to neutrophils, eosinophils, basophils) / nucleated erythroid cells"
    )


def summarise_differential(
    differential: Differential, settings: LabSettings
) -> DifferentialSummary:
    counts = differential.counts()
    total = sum(counts.values())
    myeloid_categories = MYELOID + (MONOCYTIC if settings.me_ratio_include_monocytes else ())
    myeloid = sum(counts[c] for c in myeloid_categories)
    erythroid = sum(counts[c] for c in ERYTHROID)
    rows = []
    for category, count in counts.items():
        value = percent(count, total)
        interval = _interval(settings, category.value)
        rows.append(DifferentialRow(category, count, value, interval, mark(value, interval)))
    erythroid_pct = percent(erythroid, total)
    ratio = round_half_up(Fraction(myeloid, erythroid)) if erythroid else None
    return DifferentialSummary(
        rows=rows,
        cells_counted=total,
        myeloid=myeloid,
        erythroid=erythroid,
        erythroid_percent=erythroid_pct,
        erythroid_mark=mark(erythroid_pct, _interval(settings, "erythroid")),
        me_ratio=ratio,
        me_ratio_mark=mark(ratio, _interval(settings, "me_ratio")),
        me_rule=me_rule_text(settings),
    )


def _interval(settings: LabSettings, key: str) -> tuple[float, float] | None:
    interval = settings.interval(key)
    return (interval.low, interval.high) if interval else None


@dataclass(frozen=True)
class SourcedPercent:
    """A reported percentage with where it came from (differential, IHC, flow, estimate)."""

    value: Decimal
    source: str


def blasts_percent(case: CaseDocument) -> SourcedPercent | None:
    """Blasts as reported: key_results when given, else the differential."""
    key = case.key_results
    if key and key.blasts_pct is not None:
        return SourcedPercent(round_half_up(key.blasts_pct), str(key.blasts_source or "estimate"))
    return _from_differential(case, (Cat.BLASTS,))


def blast_equivalents_percent(case: CaseDocument) -> SourcedPercent | None:
    """Blasts + promonocytes (or key_results.blasts_pct), the value the flags judge."""
    key = case.key_results
    if key and key.blasts_pct is not None:
        return SourcedPercent(round_half_up(key.blasts_pct), str(key.blasts_source or "estimate"))
    return _from_differential(case, (Cat.BLASTS, Cat.PROMONOCYTES))


def plasma_cells_percent(case: CaseDocument) -> SourcedPercent | None:
    key = case.key_results
    if key and key.plasma_cells_pct is not None:
        return SourcedPercent(
            round_half_up(key.plasma_cells_pct), str(key.plasma_cells_source or "estimate")
        )
    return _from_differential(case, (Cat.PLASMA_CELLS,))


def _from_differential(case: CaseDocument, categories: tuple[Cat, ...]) -> SourcedPercent | None:
    differential = case.aspirate.differential if case.aspirate else None
    if differential is None:
        return None
    counts = differential.counts()
    value = percent(sum(counts[c] for c in categories), sum(counts.values()))
    return SourcedPercent(value, "differential") if value is not None else None


def age_in_years(birth_date: date, on: date) -> int:
    """Whole years completed on a date (a birthday on 29 February counts on 1 March)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return max(years, 0)


@dataclass(frozen=True)
class CellularityAssessment:
    percent: int
    lower: int
    upper: int
    verdict: CellularityVerdict

    @property
    def text(self) -> str:
        """E.g. "80 %, hypercellular for age (expected 23-43 %)"."""
        return f"{self.percent} %, {self.verdict} for age (expected {self.lower}-{self.upper} %)"


def expected_cellularity(age: int, rule: str = "100-age") -> tuple[int, int]:
    """The expected cellularity range for an age under the lab's rule."""
    if rule == "wong-2023":
        return (45, 85) if age < 20 else (30, 75)
    return max(5, 100 - age - 10), min(95, 100 - age + 10)


def assess_cellularity(
    percent_value: int, age: int, rule: str = "100-age"
) -> CellularityAssessment:
    lower, upper = expected_cellularity(age, rule)
    verdict: CellularityVerdict = "normocellular"
    if percent_value < lower:
        verdict = "hypocellular"
    elif percent_value > upper:
        verdict = "hypercellular"
    return CellularityAssessment(percent_value, lower, upper, verdict)


def case_age(case: CaseDocument) -> int:
    return age_in_years(case.patient.birth_date, case.procedure.date)


def case_cellularity(case: CaseDocument, settings: LabSettings) -> CellularityAssessment | None:
    if case.core is None:
        return None
    return assess_cellularity(case.core.cellularity_pct, case_age(case), settings.cellularity_rule)
