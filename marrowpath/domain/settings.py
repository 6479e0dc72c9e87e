"""Laboratory settings: identity, reference intervals and the rules a report is judged by.

A snapshot of these settings is stored with every issued version, so a report printed
next year shows the intervals and rules it was signed under, not today's.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from marrowpath.domain.aml_minimums import DEFAULT_AML_MINIMUMS, AmlMinimum
from marrowpath.domain.cellularity import LEGACY_SUCCESSORS, RULES
from marrowpath.domain.destinations import Destination
from marrowpath.domain.errors import Problem, Refused
from marrowpath.domain.reference_intervals import (
    DEFAULT_ADULT_CBC,
    IntervalSet,
    ReferenceInterval,
    SetKind,
    default_adult_cbc,
    find_set,
)
from marrowpath.domain.setting_keys import SETTING_KEYS
from marrowpath.domain.users import DEFAULT_LOCKOUT_MINUTES

REFERENCE_SOURCE = "University of Iowa Pathology Handbook, bone marrow examination (adult)"

# Adult defaults, % of cells counted (case-format.md); "erythroid" is the erythroid total
# and "me_ratio" the M:E ratio.
DEFAULT_REFERENCE_INTERVALS: dict[str, tuple[float, float]] = {
    "blasts": (0, 2),
    "promyelocytes": (2, 6),
    "myelocytes": (3, 7),
    "metamyelocytes": (5, 9),
    "bands": (10, 16),
    "neutrophils": (18, 28),
    "eosinophils": (1, 5),
    "basophils": (0, 1),
    "monocytes": (1, 5),
    "lymphocytes": (9, 19),
    "plasma_cells": (0, 1),
    "erythroid": (18, 32),
    "me_ratio": (2.0, 4.0),
}

# The two rules a lab can choose, and the two it chose before `cellularity.py` (kept so
# that the settings snapshot of a version issued under them still parses and renders).
CellularityRule = Literal["hundred_minus_age", "age_bands", "100-age", "wong-2023"]
CELLULARITY_RULES: dict[str, str] = {key: rule.description for key, rule in RULES.items()}


class LabIdentity(BaseModel):
    """Who performed the test: printed at the top of every report (CLIA 493.1291(c))."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = ""
    address: str = ""
    phone: str = ""
    clia_id: str = ""
    director: str = ""
    # The number a patient calls at night about the biopsy site, printed in the patient
    # summary. None when not set (never ""), so the snapshot of a version signed before
    # the field existed, and its hash, stay as they were.
    after_hours_phone: str | None = None

    @field_validator("after_hours_phone", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    def missing_for_signing(self) -> list[str]:
        """The identity fields a report cannot be signed without."""
        required = {"name": self.name, "address": self.address, "clia_id": self.clia_id}
        return [field for field, value in required.items() if not value.strip()]


class LabSettings(BaseModel):
    """Everything the lab decides: identity, intervals with their source, rules."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    identity: LabIdentity = LabIdentity()
    reference_intervals: dict[str, ReferenceInterval] = Field(
        default_factory=lambda: {
            key: ReferenceInterval(low=low, high=high)
            for key, (low, high) in DEFAULT_REFERENCE_INTERVALS.items()
        }
    )
    reference_source: str = REFERENCE_SOURCE
    me_ratio_include_monocytes: bool = False
    cellularity_rule: CellularityRule = "hundred_minus_age"
    accession_pattern: str = "BMYY-NNNNN"
    idle_minutes: Annotated[int, Field(ge=1, le=240)] = 15
    # None (the default, 15 minutes) keeps the canonical JSON, and so the hash, of versions
    # signed before the setting existed unchanged; `lockout_minutes` is the value in force.
    session_lockout_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    paper: Literal["letter", "a4"] = "letter"
    # the report's "Prior marrows at this laboratory"; None means on and keeps the hash of
    # versions signed before the setting existed
    report_prior_marrows: bool | None = None
    # None (not []) when none are configured, so that the canonical JSON (and the hash)
    # of versions signed before destinations existed is unchanged.
    destinations: tuple[Destination, ...] | None = None
    # Added with `clinical-rules.md`; None in versions signed before (their hashes stay),
    # meaning what those versions were judged by: the adult marrow set for every age, no
    # CBC intervals. `upgraded_settings` gives a lab's working settings the defaults.
    interval_sets: tuple[IntervalSet, ...] | None = None
    aml_minimums: tuple[AmlMinimum, ...] | None = None
    report_confidence_intervals: bool | None = None

    @field_validator("accession_pattern")
    @classmethod
    def _pattern_is_usable(cls, value: str) -> str:
        check_accession_pattern(value)
        return value

    def interval(self, key: str) -> ReferenceInterval | None:
        """The adult marrow interval of a category (`reference.CATEGORY`)."""
        return self.reference_intervals.get(key)

    def marrow_intervals(self, age: int | None) -> dict[str, ReferenceInterval] | None:
        """The marrow intervals for a patient's age; None when the lab has no set for it."""
        if self.interval_sets is None or age is None or age >= 18:
            return self.reference_intervals
        found = find_set(self.interval_sets, "marrow", age)
        return found.intervals if found else None

    def cbc_intervals(self, age: int | None) -> IntervalSet | None:
        """The CBC set for a patient's age; None when the lab has none for it."""
        return find_set(self.interval_sets or (), "cbc", age)

    @property
    def aml_minimum_table(self) -> tuple[AmlMinimum, ...]:
        return self.aml_minimums if self.aml_minimums is not None else DEFAULT_AML_MINIMUMS

    @property
    def confidence_intervals_on_report(self) -> bool:
        """`report.confidence_intervals`, on by default."""
        return self.report_confidence_intervals is not False

    @property
    def prior_marrows_on(self) -> bool:
        return self.report_prior_marrows is not False

    @property
    def lockout_minutes(self) -> int:
        """How long 5 failed sign-ins in a row lock an account (`session.lockout_minutes`)."""
        return self.session_lockout_minutes or DEFAULT_LOCKOUT_MINUTES


def check_accession_pattern(pattern: str) -> None:
    """A pattern is letters/digits/hyphens with YY or YYYY and a run of N for the number."""
    if not re.fullmatch(r"[A-Z0-9-]*(YYYY|YY)?[A-Z0-9-]*N{3,8}", pattern) or "N" not in pattern:
        raise ValueError(
            "must be uppercase letters, digits and '-', with YY or YYYY for the year and "
            "NNN to NNNNNNNN for the number at the end, e.g. BMYY-NNNNN"
        )


def accession_prefix(pattern: str, on: date) -> tuple[str, int]:
    """The fixed part of an accession for a date and how many digits follow it."""
    digits = len(pattern) - len(pattern.rstrip("N"))
    head = pattern[: len(pattern) - digits]
    head = head.replace("YYYY", f"{on.year:04d}").replace("YY", f"{on.year % 100:02d}")
    return head, digits


def apply_setting(settings: LabSettings, key: str, value: str) -> LabSettings:
    """One `settings set KEY VALUE`, validated; raises `Refused` naming the key and rule."""
    try:
        if key == "me_ratio.include_monocytes":
            if value.lower() not in {"true", "false"}:
                raise ValueError(f"must be true or false, got {value!r}")
            return settings.model_copy(
                update={"me_ratio_include_monocytes": value.lower() == "true"}
            )
        if key == "cellularity.rule":
            if value not in CELLULARITY_RULES:
                raise ValueError(f"must be one of {', '.join(CELLULARITY_RULES)}, got {value!r}")
            return settings.model_copy(update={"cellularity_rule": value})
        if key == "report.confidence_intervals":
            if value.lower() not in {"true", "false"}:
                raise ValueError(f"must be true or false, got {value!r}")
            return settings.model_copy(
                update={"report_confidence_intervals": value.lower() == "true"}
            )
        if key == "accession.pattern":
            check_accession_pattern(value)
            return settings.model_copy(update={"accession_pattern": value})
        if key == "session.idle_minutes":
            if not value.isdigit() or not 1 <= int(value) <= 240:
                raise ValueError(f"must be a whole number of minutes from 1 to 240, got {value!r}")
            return settings.model_copy(update={"idle_minutes": int(value)})
        if key == "session.lockout_minutes":
            if not value.isdigit() or not 1 <= int(value) <= 1440:
                raise ValueError(f"must be a whole number of minutes from 1 to 1440, got {value!r}")
            return settings.model_copy(update={"session_lockout_minutes": int(value)})
        if key == "report.paper":
            if value not in {"letter", "a4"}:
                raise ValueError(f"must be letter or a4, got {value!r}")
            return settings.model_copy(update={"paper": value})
        if key == "report.prior_marrows":
            if value.lower() not in {"true", "false"}:
                raise ValueError(f"must be true or false, got {value!r}")
            return settings.model_copy(update={"report_prior_marrows": value.lower() == "true"})
        if key.startswith("reference."):
            return _set_reference(settings, key.removeprefix("reference."), value)
        if key.startswith("interval."):
            return _set_interval(settings, key.removeprefix("interval."), value)
        if key.startswith("aml_minimum."):
            return _set_aml_minimum(settings, key.removeprefix("aml_minimum."), value)
    except ValueError as error:
        raise Refused(f"settings: {Problem(key, str(error))}") from None
    raise Refused(f"settings: unknown key {key!r}; known keys: {', '.join(SETTING_KEYS)}")


def _set_reference(settings: LabSettings, category: str, value: str) -> LabSettings:
    from marrowpath.domain.enums import DifferentialCategory

    known = {c.value for c in DifferentialCategory} | {"erythroid", "me_ratio"}
    if category not in known:
        raise ValueError(f"has an unknown category {category!r}")
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", value)
    if not match:
        raise ValueError(f"must be LOW-HIGH such as 0-2, got {value!r}")
    low, high = float(match.group(1)), float(match.group(2))
    if low > high or (category != "me_ratio" and high > 100):
        raise ValueError(f"must have LOW <= HIGH (and at most 100 %), got {value!r}")
    intervals = dict(settings.reference_intervals)
    intervals[category] = ReferenceInterval(low=low, high=high)
    return settings.model_copy(update={"reference_intervals": intervals})


def _low_high(value: str) -> tuple[float, float]:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*", value)
    if not match:
        raise ValueError(f"must be LOW-HIGH such as 4.0-11.0, got {value!r}")
    low, high = float(match.group(1)), float(match.group(2))
    if low > high:
        raise ValueError(f"must have LOW <= HIGH, got {value!r}")
    return low, high


def _set_interval(settings: LabSettings, path: str, value: str) -> LabSettings:
    """`interval.cbc.adult.wbc_10e9_l 4.0-11.0`, `interval.marrow.pediatric.blasts 0-5`:
    an interval of a set, the set made when the lab enters its first value."""
    from marrowpath.domain.enums import DifferentialCategory

    kind, _, rest = path.partition(".")
    group, _, name = rest.partition(".")
    if kind not in ("marrow", "cbc") or group not in ("adult", "pediatric") or not name:
        raise ValueError("must be interval.marrow|cbc.adult|pediatric.KEY")
    if kind == "marrow" and group == "adult":
        return _set_reference(settings, name, value)
    known = (
        set(DEFAULT_ADULT_CBC)
        if kind == "cbc"
        else {c.value for c in DifferentialCategory} | {"erythroid", "me_ratio"}
    )
    if name not in known:
        raise ValueError(f"has an unknown key {name!r}; known: {', '.join(sorted(known))}")
    low, high = _low_high(value)
    sets = list(upgraded_settings(settings).interval_sets or ())
    set_kind: SetKind = "cbc" if kind == "cbc" else "marrow"
    found = find_set(tuple(sets), set_kind, 0 if group == "pediatric" else None)
    if found is None:
        found = IntervalSet(
            name=f"{group} {'CBC' if kind == 'cbc' else 'marrow'}",
            kind=kind,
            age_group=group,
            source="entered by the laboratory",
            intervals={},
        )
        sets.append(found)
    intervals = {**found.intervals, name: ReferenceInterval(low=low, high=high)}
    sets[sets.index(found)] = found.model_copy(update={"intervals": intervals})
    return settings.model_copy(update={"interval_sets": tuple(sets)})


def _set_aml_minimum(settings: LabSettings, path: str, value: str) -> LabSettings:
    """`aml_minimum.ICC-2022.NPM1_mutation 10` (or `none`): one row of the C05 table."""
    system, _, entity = path.partition(".")
    wanted = entity.replace("_", " ").casefold()
    table = list(settings.aml_minimum_table)
    rows = [
        i
        for i, r in enumerate(table)
        if r.system == system and r.entity.replace("_", " ").casefold() == wanted
    ]
    if not rows:
        known = ", ".join(f"{r.system}.{r.entity.replace(' ', '_')}" for r in table)
        raise ValueError(f"names no row of the AML minimum table; rows: {known}")
    if value.strip().lower() == "none":
        minimum = None
    elif re.fullmatch(r"\d+(?:\.\d+)?", value.strip()) and float(value) <= 100:
        minimum = float(value)
    else:
        raise ValueError(f"must be a percentage from 0 to 100 or none, got {value!r}")
    table[rows[0]] = table[rows[0]].model_copy(update={"minimum_pct": minimum})
    return settings.model_copy(update={"aml_minimums": tuple(table)})


def settings_lines(settings: LabSettings) -> list[str]:
    """`settings show`: one `key<TAB>value` line each."""
    lines = [
        f"me_ratio.include_monocytes\t{str(settings.me_ratio_include_monocytes).lower()}",
        f"cellularity.rule\t{settings.cellularity_rule}",
        f"report.confidence_intervals\t{str(settings.confidence_intervals_on_report).lower()}",
        f"accession.pattern\t{settings.accession_pattern}",
        f"session.idle_minutes\t{settings.idle_minutes}",
        f"session.lockout_minutes\t{settings.lockout_minutes}",
        f"report.paper\t{settings.paper}",
        f"report.prior_marrows\t{str(settings.prior_marrows_on).lower()}",
    ]
    for key, interval in settings.reference_intervals.items():
        lines.append(f"reference.{key}\t{_num(interval.low)}-{_num(interval.high)}")
    lines.append(f"reference.source\t{settings.reference_source}")
    for interval_set in settings.interval_sets or ():
        prefix = f"interval.{interval_set.kind}.{interval_set.age_group}"
        for key, interval in interval_set.intervals.items():
            lines.append(f"{prefix}.{key}\t{_num(interval.low)}-{_num(interval.high)}")
    for row in settings.aml_minimums or ():
        minimum = "none" if row.minimum_pct is None else _num(row.minimum_pct)
        lines.append(f"aml_minimum.{row.system}.{row.entity.replace(' ', '_')}\t{minimum}")
    identity = settings.identity
    for field, value in identity_lines(identity):
        lines.append(f"lab.{field}\t{value}")
    for destination in settings.destinations or ():
        lines.append(
            f"destination.{destination.name}\t{destination.address} receives {destination.receives}"
        )
    return lines


def identity_lines(identity: LabIdentity) -> list[tuple[str, str]]:
    """Each identity field and its value as `lab show` prints it (unset: empty)."""
    return [(field, value or "") for field, value in identity.model_dump().items()]


def _num(value: float) -> str:
    return f"{value:g}"


def upgraded_settings(settings: LabSettings) -> LabSettings:
    """A lab's working settings with every rule of `clinical-rules.md` in force.

    Applied when the working settings are loaded, never to a version's snapshot: a legacy
    cellularity rule moves to its bounded successor, and the interval sets, AML minimums
    and confidence-interval setting are written out, so that the snapshot of each version
    signed from now on names exactly what it was judged by.
    """
    update: dict[str, object] = {}
    if settings.cellularity_rule in LEGACY_SUCCESSORS:
        update["cellularity_rule"] = LEGACY_SUCCESSORS[settings.cellularity_rule]
    if settings.interval_sets is None:
        update["interval_sets"] = (default_adult_cbc(),)
    if settings.aml_minimums is None:
        update["aml_minimums"] = DEFAULT_AML_MINIMUMS
    if settings.report_confidence_intervals is None:
        update["report_confidence_intervals"] = True
    return settings.model_copy(update=update) if update else settings
