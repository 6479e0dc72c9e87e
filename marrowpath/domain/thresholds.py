"""Values at a diagnostic threshold are never rounded across it (`clinical-rules.md` 2, 1).

99 of 496 blasts is 19.96 %: rounded half up it prints "20.0 %", the AML threshold it has
not reached. So a value is shown with one decimal, half up, unless that would carry it
onto a threshold of its quantity; then it is rounded down, and a counted value shows its
count beside it ("19.9 % (99 of 496 cells)"). Categories, flags and checks never use the
shown value: they compare the exact one (`exact`) with half-open ranges.

This module also words the threshold advisory of section 1: when a count's confidence
interval spans a threshold it suggests correlation, never a number of cells to count
(counting on until a threshold is crossed is what it must not invite).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from marrowpath.domain.estimates import Interval, clopper_pearson

Number = Fraction | Decimal | float | int

# Display thresholds per quantity (section 2), in percent.
BLAST_THRESHOLDS = (2, 5, 10, 20)
DISPLAY_THRESHOLDS: dict[str, tuple[int, ...]] = {
    "blasts": BLAST_THRESHOLDS,
    "blast_equivalents": BLAST_THRESHOLDS,
    "pb_blasts": BLAST_THRESHOLDS,
    "plasma_cells": (10, 60),
    "ring_sideroblasts": (15,),
    "dysplasia": (10,),
}

# Stains whose percentage is read against a quantity's thresholds (CD138: plasma cells).
STAIN_QUANTITIES = {"cd138": "plasma_cells", "cd34": "blasts"}


def stain_quantity(name: str) -> str:
    """The quantity a stain's percentage measures, "" when it has no thresholds."""
    return STAIN_QUANTITIES.get("".join(ch for ch in name.casefold() if ch.isalnum()), "")


# Thresholds whose crossing by a counted value's interval raises the advisory (section 1).
DIAGNOSTIC_THRESHOLDS: dict[str, tuple[int, ...]] = {
    "blast_equivalents": (5, 10, 20),
    "plasma_cells": (10, 60),
    "ring_sideroblasts": (15,),
}

# What to correlate with when an interval spans a threshold: other methods, not more cells.
CORRELATE_WITH: dict[str, str] = {
    "blast_equivalents": "CD34 immunohistochemistry, flow cytometry or a second smear",
    "plasma_cells": "CD138 immunohistochemistry, flow cytometry or a second smear",
    "ring_sideroblasts": "SF3B1 mutation status or a second iron stain",
}


def exact(value: Number) -> Fraction:
    """The exact value: a float as the decimal it was typed as (14.95, not 14.9499...)."""
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _to_decimal(value: Fraction, places: int, rounding: str) -> Decimal:
    quantum = Decimal(1).scaleb(-places)
    whole_digits = (abs(value.numerator) // value.denominator).bit_length() * 31 // 100 + 2
    with localcontext() as context:  # enough digits for any count (M:E of 10**30 cells)
        context.prec = whole_digits + places + 28
        decimal = Decimal(value.numerator) / Decimal(value.denominator)
        return decimal.quantize(quantum, rounding=rounding)


def round_half_up(value: Number, places: int = 1) -> Decimal:
    """Round as people do on paper: 12.25 -> 12.3, 12.24 -> 12.2."""
    return _to_decimal(exact(value), places, ROUND_HALF_UP)


def shown(value: Number, thresholds: tuple[Number, ...] = ()) -> Decimal:
    """One decimal, half up, unless that lands on a threshold not reached: then down.

    Rounding half up never lowers a value, so a threshold that was reached is never lost;
    only the upward carry needs the guard.
    """
    value = exact(value)
    rounded = _to_decimal(value, 1, ROUND_HALF_UP)
    if any(value < exact(t) <= exact(rounded) for t in thresholds):
        return _to_decimal(value, 1, ROUND_FLOOR)
    return rounded


def rounded_down(value: Number, thresholds: tuple[Number, ...]) -> bool:
    """Whether `shown` had to round this value down to keep it below a threshold."""
    return shown(value, thresholds) != round_half_up(value)


@dataclass(frozen=True)
class Count:
    """A counted value: `count` of `total` (cells or erythroblasts)."""

    count: int
    total: int
    unit: str = "cells"

    @property
    def proportion(self) -> Fraction:
        return Fraction(100 * self.count, self.total)

    def interval(self) -> Interval:
        return clopper_pearson(self.count, self.total)

    def text(self) -> str:
        return f"{self.count} of {self.total} {self.unit}"


def percent_text(value: Number, quantity: str, count: Count | None = None) -> str:
    """ "19.9 % (99 of 496 cells)", "12.3 %": the count is added when the value was rounded
    down, so that a reader sees why 19.96 % did not print as 20.0 %."""
    thresholds = DISPLAY_THRESHOLDS.get(quantity, ())
    text = f"{shown(value, thresholds)} %"
    if count is not None and rounded_down(value, thresholds):
        text += f" ({count.text()})"
    return text


def interval_text(interval: Interval, quantity: str) -> str:
    """ "20.3-28.0": each bound under the same display rule as the value."""
    thresholds = DISPLAY_THRESHOLDS.get(quantity, ())
    return f"{shown(interval.low, thresholds)}-{shown(interval.high, thresholds)}"


def estimate_text(count: Count, quantity: str) -> str:
    """The report's line: "24.0 % (120 of 500 cells; 95 % CI 20.3-28.0, counting error
    only)"."""
    value = shown(count.proportion, DISPLAY_THRESHOLDS.get(quantity, ()))
    return (
        f"{value} % ({count.text()}; 95 % CI {interval_text(count.interval(), quantity)}, "
        "counting error only)"
    )


def spanned_thresholds(count: Count, quantity: str) -> list[int]:
    """The diagnostic thresholds inside the interval: values on both sides are possible."""
    interval = count.interval()
    return [t for t in DIAGNOSTIC_THRESHOLDS.get(quantity, ()) if interval.low < t <= interval.high]


def threshold_advisory(count: Count, quantity: str, label: str) -> str | None:
    """ "Blast equivalents 12.0 % (95 % CI 6.4-20.0) span the 10 % and 20 % thresholds;
    correlate with CD34 immunohistochemistry, flow cytometry or a second smear", or None.

    Proposes no number of cells: counting on until a threshold is crossed biases the
    estimate toward the threshold.
    """
    spanned = spanned_thresholds(count, quantity)
    if not spanned:
        return None
    named = " and ".join(f"{t} %" for t in spanned)
    noun = "threshold" if len(spanned) == 1 else "thresholds"
    value = shown(count.proportion, DISPLAY_THRESHOLDS.get(quantity, ()))
    return (
        f"{label} {value} % (95 % CI {interval_text(count.interval(), quantity)}) span the "
        f"{named} {noun}; correlate with {CORRELATE_WITH[quantity]}"
    )
