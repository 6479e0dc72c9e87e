"""Expected marrow cellularity for age (`clinical-rules.md` section 4).

The classic "100 minus age, plus or minus 10" gives nonsense at both ends: 87-95 % for a
3-year-old (whose marrow is 45-85 %), 5-15 % at 95 (calling a near-empty marrow normal)
and an inverted 5-4 % at 106. The lab chooses between two rules that never give an
inverted or empty range; both give no verdict under 1 year, where no age-adjusted range
is established. The report prints the rule's name and source beside the range.

The two rules signed under before this module (`100-age`, `wong-2023`) stay computable,
unchanged, so that a version issued under them still renders what was signed; they can no
longer be chosen (`settings.upgraded_settings` moves a lab's working settings on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["hypocellular", "normocellular", "hypercellular"]
NO_VERDICT_TEXT = "no age-adjusted range is established under 1 year"
PEDIATRIC = (45, 85)


def _hundred_minus_age(age: int) -> tuple[int, int] | None:
    if age < 1:
        return None
    if age < 18:
        return PEDIATRIC
    return max(20, min(45, 90 - age)), max(40, min(85, 110 - age))


def _age_bands(age: int) -> tuple[int, int] | None:
    if age < 1:
        return None
    return PEDIATRIC if age < 18 else (30, 75)


def _legacy_hundred_minus_age(age: int) -> tuple[int, int] | None:
    return max(5, 100 - age - 10), min(95, 100 - age + 10)


def _legacy_wong(age: int) -> tuple[int, int] | None:
    return (45, 85) if age < 20 else (30, 75)


@dataclass(frozen=True)
class CellularityRule:
    """A named rule with its source, as the report prints it."""

    key: str
    name: str
    source: str
    expected: Callable[[int], tuple[int, int] | None]

    @property
    def description(self) -> str:
        return f"{self.name} ({self.source})"


WONG_2023 = (
    "Wong et al., Am J Clin Pathol 2023, doi:10.1093/ajcp/aqad129: 570 benign marrows, "
    "90 % reference interval"
)

RULES: dict[str, CellularityRule] = {
    "hundred_minus_age": CellularityRule(
        "hundred_minus_age",
        "100 minus age, bounded",
        "classic rule from 18 years, lower bound held within 20-45 % and upper within "
        "40-85 %; 45-85 % from 1 to 17 years (Wong et al., Am J Clin Pathol 2023)",
        _hundred_minus_age,
    ),
    "age_bands": CellularityRule(
        "age_bands",
        "age bands: 45-85 % from 1 to 17 years, 30-75 % from 18 years",
        WONG_2023,
        _age_bands,
    ),
}

LEGACY_RULES: dict[str, CellularityRule] = {
    "100-age": CellularityRule(
        "100-age",
        "expected cellularity = 100 - age, +/- 10 %",
        "range 5-95 %",
        _legacy_hundred_minus_age,
    ),
    "wong-2023": CellularityRule(
        "wong-2023",
        "age-dependent 90 % reference interval",
        "Wong et al., AJCP 2023: 45-85 % under 20 years, 30-75 % from 20 years",
        _legacy_wong,
    ),
}
# What a lab that chose a legacy rule uses from now on.
LEGACY_SUCCESSORS = {"100-age": "hundred_minus_age", "wong-2023": "age_bands"}
DEFAULT_RULE = "hundred_minus_age"


def rule_named(key: str) -> CellularityRule:
    """The rule for a settings key, legacy rules included (issued versions name them)."""
    return RULES.get(key) or LEGACY_RULES.get(key) or RULES[DEFAULT_RULE]


@dataclass(frozen=True)
class CellularityAssessment:
    """A core cellularity judged against the expected range for age, or no verdict."""

    percent: int
    lower: int | None
    upper: int | None
    verdict: Verdict | None
    rule: str = DEFAULT_RULE

    @property
    def expected_text(self) -> str:
        if self.lower is None or self.upper is None:
            return NO_VERDICT_TEXT
        return f"expected {self.lower}-{self.upper} %"

    @property
    def text(self) -> str:
        """E.g. "80 %, hypercellular for age (expected 23-43 %)"."""
        if self.verdict is None:
            return f"{self.percent} %; {NO_VERDICT_TEXT}"
        return f"{self.percent} %, {self.verdict} for age ({self.expected_text})"


def expected_cellularity(age: int, rule: str = DEFAULT_RULE) -> tuple[int, int] | None:
    """The expected range for an age under a rule; None under 1 year (no verdict)."""
    return rule_named(rule).expected(age)


def assess_cellularity(
    percent_value: int, age: int, rule: str = DEFAULT_RULE
) -> CellularityAssessment:
    """Below the range is hypocellular, above it hypercellular; the bounds are normal."""
    expected = expected_cellularity(age, rule)
    if expected is None:
        return CellularityAssessment(percent_value, None, None, None, rule)
    lower, upper = expected
    verdict: Verdict = "normocellular"
    if percent_value < lower:
        verdict = "hypocellular"
    elif percent_value > upper:
        verdict = "hypercellular"
    return CellularityAssessment(percent_value, lower, upper, verdict, rule)
