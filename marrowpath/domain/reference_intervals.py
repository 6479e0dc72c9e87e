"""Reference intervals by age group, for the marrow differential and the CBC
(`clinical-rules.md` section 5).

Adult marrow intervals applied to a newborn mark normal values H and L, so a patient gets
marks only from a set for their age group (`adult` 18 and over, `pediatric` under 18);
without one the table says so instead. The lab ships with the adult marrow set of
`case-format.md` and a common adult CBC set, and no pediatric set: pediatric intervals
vary too much by age and method for a default to be safe.

Settings written before interval sets existed (`interval_sets` None, as in the snapshot
of every version issued then) keep the old meaning: the adult marrow set for every age
and no CBC intervals, so those versions still render what was signed.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict

AgeGroup = Literal["adult", "pediatric"]
SetKind = Literal["marrow", "cbc"]
Mark = Literal["H", "L", ""]

ADULT_AGE = 18
NO_INTERVAL_TEXT = "no reference interval for this age is set by the laboratory"
CBC_SOURCE = "common adult values (MarrowPath default); enter the laboratory's own"


class ReferenceInterval(BaseModel):
    """A closed interval [low, high] in the unit of its value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: float
    high: float


class IntervalSet(BaseModel):
    """A named set of intervals for one age group and one kind of value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    kind: SetKind
    age_group: AgeGroup
    source: str
    intervals: dict[str, ReferenceInterval]


# CBC keys are the `clinical.cbc` field names; hemoglobin depends on sex
# (`hemoglobin_g_dl.female`, `.male`; the plain key for other and unknown).
DEFAULT_ADULT_CBC: dict[str, tuple[float, float]] = {
    "hemoglobin_g_dl.female": (12.0, 15.5),
    "hemoglobin_g_dl.male": (13.5, 17.5),
    "hemoglobin_g_dl": (12.0, 17.5),
    "wbc_10e9_l": (4.0, 11.0),
    "anc_10e9_l": (1.8, 7.7),
    "alc_10e9_l": (1.0, 4.8),
    "monocytes_10e9_l": (0.2, 1.0),
    "platelets_10e9_l": (150, 400),
    "mcv_fl": (80, 100),
    "reticulocytes_10e9_l": (25, 100),
    "pb_blasts_pct": (0, 0),
}

CBC_FIELDS: dict[str, tuple[str, str]] = {
    "hemoglobin_g_dl": ("Hemoglobin", "g/dL"),
    "wbc_10e9_l": ("WBC", "x10^9/L"),
    "anc_10e9_l": ("ANC", "x10^9/L"),
    "alc_10e9_l": ("ALC", "x10^9/L"),
    "monocytes_10e9_l": ("Monocytes", "x10^9/L"),
    "platelets_10e9_l": ("Platelets", "x10^9/L"),
    "mcv_fl": ("MCV", "fL"),
    "reticulocytes_10e9_l": ("Reticulocytes", "x10^9/L"),
    "pb_blasts_pct": ("Blood blasts", "%"),
}


def default_adult_cbc() -> IntervalSet:
    return IntervalSet(
        name="adult CBC",
        kind="cbc",
        age_group="adult",
        source=CBC_SOURCE,
        intervals={
            key: ReferenceInterval(low=low, high=high)
            for key, (low, high) in DEFAULT_ADULT_CBC.items()
        },
    )


def age_group(age: int | None) -> AgeGroup:
    """Adult from 18; an unknown age is judged as adult (the pre-set behaviour)."""
    return "adult" if age is None or age >= ADULT_AGE else "pediatric"


def mark(value: Fraction | Decimal | float | None, interval: ReferenceInterval | None) -> Mark:
    """H above the interval, L below it, nothing inside or without an interval."""
    if value is None or interval is None:
        return ""
    exact = Fraction(repr(value)) if isinstance(value, float) else Fraction(value)
    if exact < Fraction(repr(interval.low)):
        return "L"
    if exact > Fraction(repr(interval.high)):
        return "H"
    return ""


def cbc_key(field: str, sex: str | None) -> str:
    """The interval key of a CBC field for a patient's sex."""
    if field == "hemoglobin_g_dl" and sex in ("female", "male"):
        return f"{field}.{sex}"
    return field


def find_set(sets: tuple[IntervalSet, ...], kind: SetKind, age: int | None) -> IntervalSet | None:
    """The first set of this kind for the patient's age group, if the lab has one."""
    group = age_group(age)
    return next((s for s in sets if s.kind == kind and s.age_group == group), None)
