"""A second observer's count against the differential reported (`bench.md` section 1).

Two counts of one smear differ by counting error alone more often than people expect:
12 blasts of 100 and 20 of 100 are both plausible for a true 15 %. So agreement is not
"the same percentage" but the spec's rule, for blasts and plasma cells: each count's value
lies within the other count's exact 95 % interval (`clinical-rules.md` section 1). The
editor and the laboratory's QC export (`marrowpath qc second-counts`) both read this
module, so they never disagree on a case. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from marrowpath.domain.case import CaseDocument, DifferentialCounts
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.estimates import Interval
from marrowpath.domain.labels import label_of
from marrowpath.domain.thresholds import DISPLAY_THRESHOLDS, Count, interval_text, shown
from marrowpath.domain.types import whole_count

# The categories the spec compares (named as the model labels them: `labels.label_of`).
COMPARED = (DifferentialCategory.BLASTS, DifferentialCategory.PLASMA_CELLS)


@dataclass(frozen=True)
class Side:
    """One count's value of a category: `count` of `total` cells and its 95 % interval."""

    count: Count

    @property
    def percent(self) -> Fraction:
        return self.count.proportion

    @property
    def interval(self) -> Interval:
        return self.count.interval()

    def holds(self, value: Fraction) -> bool:
        """Whether an exact value lies within this side's interval (bounds included)."""
        return self.interval.contains(float(value))

    def text(self, quantity: str) -> str:
        """ "12.0 % (60 of 500 cells; 95 % CI 9.3-15.2)"."""
        value = shown(self.percent, DISPLAY_THRESHOLDS.get(quantity, ()))
        return f"{value} % ({self.count.text()}; 95 % CI {interval_text(self.interval, quantity)})"


@dataclass(frozen=True)
class Agreement:
    """One category compared: the reported (first) count and the second observer's."""

    category: str
    name: str
    first: Side
    second: Side

    @property
    def second_in_first(self) -> bool:
        """The second observer's value lies within the reported count's interval."""
        return self.first.holds(self.second.percent)

    @property
    def first_in_second(self) -> bool:
        """The reported value lies within the second observer's interval."""
        return self.second.holds(self.first.percent)

    @property
    def concordant(self) -> bool:
        """The spec's rule: each value within the other's 95 % interval."""
        return self.second_in_first and self.first_in_second

    @property
    def difference(self) -> Fraction:
        """Second minus first, in percentage points."""
        return self.second.percent - self.first.percent

    def text(self) -> str:
        """ "Blasts: reported 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2), second 14.0 %
        (28 of 200 cells; 95 % CI 9.5-19.5): concordant"; a discordance names which
        value lies outside which interval."""
        head = (
            f"{self.name}: reported {self.first.text(self.category)}, "
            f"second {self.second.text(self.category)}: "
        )
        if self.concordant:
            return head + "concordant"
        outside = []
        if not self.second_in_first:
            outside.append("the second value lies outside the reported interval")
        if not self.first_in_second:
            outside.append("the reported value lies outside the second interval")
        return head + "discordant (" + " and ".join(outside) + ")"


@dataclass(frozen=True)
class Concordance:
    """Both categories compared, or why they cannot be (a count with no cells)."""

    agreements: tuple[Agreement, ...]
    first_cells: int
    second_cells: int

    @property
    def comparable(self) -> bool:
        return self.first_cells > 0 and self.second_cells > 0

    @property
    def concordant(self) -> bool:
        return self.comparable and all(a.concordant for a in self.agreements)

    def lines(self) -> list[str]:
        """What the editor shows, one line each, and a verdict first."""
        if self.first_cells <= 0:
            return ["No concordance yet: the reported differential has no cells counted."]
        if self.second_cells <= 0:
            return ["No concordance yet: the second count has no cells counted."]
        if self.concordant:
            verdict = "Concordant for " + " and ".join(a.name.lower() for a in self.agreements)
        else:
            apart = [a.name.lower() for a in self.agreements if not a.concordant]
            verdict = "Discordant for " + " and ".join(apart)
        head = (
            f"{verdict} (rule: each count's value within the other's 95 % interval; "
            f"{self.first_cells:,} and {self.second_cells:,} cells counted)"
        )
        return [head, *(agreement.text() for agreement in self.agreements)]


def cells(counts: Mapping[str, Any]) -> int:
    """The cells counted: the sum of the whole counts >= 0 (anything else counts as 0,
    as in the grid, where it is reported as a problem)."""
    return sum(_whole(value) for value in counts.values())


def _whole(value: Any) -> int:
    return whole_count(value) or 0


def concordance(first: Mapping[str, Any], second: Mapping[str, Any]) -> Concordance:
    """The reported differential (`aspirate.differential`) against the second observer's
    (`aspirate.second_count.differential`), both as category -> count."""
    first_total, second_total = cells(first), cells(second)
    agreements: tuple[Agreement, ...] = ()
    if first_total > 0 and second_total > 0:
        agreements = tuple(
            Agreement(
                category.value,
                label_of(f"aspirate.differential.{category.value}"),
                Side(Count(_whole(first.get(category)), first_total)),
                Side(Count(_whole(second.get(category)), second_total)),
            )
            for category in COMPARED
        )
    return Concordance(agreements, first_total, second_total)


def case_concordance(case: CaseDocument) -> Concordance | None:
    """The second count of a case or a draft against its reported differential; None
    while no second count is recorded (the editor shows it while typing)."""
    aspirate = case.aspirate
    second = aspirate.second_count if aspirate is not None else None
    if aspirate is None or second is None or second.differential is None:
        return None
    return concordance(_by_name(aspirate.differential), _by_name(second.differential))


def _by_name(counts: DifferentialCounts | None) -> dict[str, int]:
    if counts is None:
        return {}
    return {category.value: count for category, count in counts.counts().items()}
