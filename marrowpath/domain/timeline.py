"""A patient's course: one entry per case by procedure date, the values of its current
issued version computed by `derived.py` exactly as the report printed them.

A case with nothing issued (a draft) has an entry without values, and so do cancelled
and withdrawn cases: their findings were never final or may be another patient's. The
values use the settings the version was signed with (M:E rule, cellularity rule), so the
timeline says what each report said.

The ancillary measurements (`ancillary[].measurements`, e.g. MRD by flow) are values of
the version like any other; the therapy periods (`clinical.therapy`) are the patient's,
so the course gathers them from every plotted version, each period once, as the latest
case reported it (an earlier case may not have known its end).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    blast_equivalents_percent,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import MeasurementUnit, TherapyKind
from marrowpath.domain.labels import field_label
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.settings import LabSettings

# statuses listed without values, never plotted
UNPLOTTED = frozenset({Status.CANCELLED, Status.ENTERED_IN_ERROR})


@dataclass(frozen=True)
class Measurement:
    """One ancillary measurement (e.g. MRD by flow 0.02 %), its value as entered."""

    name: str
    value: Decimal
    unit: MeasurementUnit

    @property
    def text(self) -> str:
        """`name=value unit` as `timeline` prints it in tsv: the unit as the case format
        spells it (`percent`, `vaf_percent`, `ratio`, `other`), so that the value and the
        unit split at the last space."""
        return f"{self.name}={number_text(self.value)} {self.unit.value}"

    @property
    def words(self) -> str:
        """As a person reads it (`MRD by flow: 0.02 %`), the unit as the report prints it."""
        return f"{self.name}: {number_text(self.value)}{unit_suffix(self.unit)}"


def number_text(value: Decimal) -> str:
    """A measured value as entered, never in exponent form (0.00004, not 4E-5)."""
    return format(value, "f")


def unit_suffix(unit: MeasurementUnit) -> str:
    """ " %", " % VAF", " ratio", or nothing for `other` (its name says what it counts)."""
    if unit is MeasurementUnit.OTHER:
        return ""
    return " " + field_label("ancillary[].measurements[].unit").enum_words(unit)


@dataclass(frozen=True)
class TherapyPeriod:
    """A period of treatment (`clinical.therapy`), drawn as a shaded band of its kind's
    colour; `end` None: not ended when reported."""

    name: str
    kind: TherapyKind
    start: date
    end: date | None


@dataclass(frozen=True)
class Values:
    """The plotted values of one issued version (None: not reported in it)."""

    blast_equivalents_pct: Decimal | None
    plasma_cells_pct: Decimal | None
    cellularity_pct: int | None
    cellularity_verdict: str | None
    me_ratio: Decimal | None
    fibrosis_grade: str | None
    measurements: tuple[Measurement, ...] = ()


@dataclass(frozen=True)
class TimelineEntry:
    accession: str
    procedure_date: date | None
    status: Status
    version: int | None  # the issued version the values come from
    values: Values | None  # None: listed, not plotted
    diagnosis: str = ""
    therapy: tuple[TherapyPeriod, ...] = ()  # as this version reports it (plotted only)

    @property
    def plotted(self) -> bool:
        return self.values is not None and self.procedure_date is not None


@dataclass(frozen=True)
class Timeline:
    mrn: str
    patient_name: str
    entries: tuple[TimelineEntry, ...]
    therapy: tuple[TherapyPeriod, ...] = field(default=())

    @property
    def points(self) -> tuple[TimelineEntry, ...]:
        return tuple(entry for entry in self.entries if entry.plotted)


def values_of(document: CaseDocument, settings: LabSettings) -> Values:
    """The values a report printed, from `derived.py` (never computed here)."""
    blasts = blast_equivalents_percent(document)
    plasma = plasma_cells_percent(document)
    cellularity = case_cellularity(document, settings)
    differential = document.aspirate.differential if document.aspirate else None
    me_ratio = summarise_differential(differential, settings).me_ratio if differential else None
    return Values(
        blast_equivalents_pct=blasts.value if blasts else None,
        plasma_cells_pct=plasma.value if plasma else None,
        cellularity_pct=cellularity.percent if cellularity else None,
        cellularity_verdict=cellularity.verdict if cellularity else None,
        me_ratio=me_ratio,
        fibrosis_grade=document.core.fibrosis_grade.value if document.core else None,
        measurements=measurements_of(document),
    )


def measurements_of(document: CaseDocument) -> tuple[Measurement, ...]:
    """The ancillary measurements of a document, study by study in the order written,
    whatever the study's status: the timeline says what the report printed, and the
    report prints every measurement. A `/1` document has none."""
    return tuple(
        Measurement(m.name, _decimal(m.value), m.unit)
        for study in document.ancillary or []
        for m in study.measurements or []
    )


def _decimal(value: float | int) -> Decimal:
    """The value as written in the document: 0.02 stays 0.02 (not the binary float's
    expansion), 10.0 is 10 (as the report prints it)."""
    if isinstance(value, float) and value.is_integer():
        return Decimal(int(value))
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def therapy_of(document: CaseDocument) -> tuple[TherapyPeriod, ...]:
    """The therapy periods a document reports (`clinical.therapy`)."""
    clinical = document.clinical
    return tuple(
        TherapyPeriod(t.name, t.kind, t.started_on, t.ended_on)
        for t in (clinical.therapy if clinical else None) or []
    )


def course_therapy(entries: Iterable[TimelineEntry]) -> tuple[TherapyPeriod, ...]:
    """The patient's therapy periods from the plotted entries: a period reported by
    several cases (same name, kind and start) once, as the latest case by procedure date
    reported it (it may know the end an earlier one did not); by start, then name."""
    latest: dict[tuple[str, TherapyKind, date], TherapyPeriod] = {}
    for entry in sorted((e for e in entries if e.plotted), key=entry_order):
        for period in entry.therapy:
            latest[(period.name, period.kind, period.start)] = period
    return tuple(sorted(latest.values(), key=lambda p: (p.start, p.name)))


def entry_order(entry: TimelineEntry) -> tuple[date, str]:
    """By procedure date (a case without one last), then accession."""
    return (entry.procedure_date or date.max, entry.accession)


PRIOR_MARROWS_SHOWN = 5


class PriorMarrow(BaseModel):
    """An earlier issued marrow as the report's "Prior marrows at this laboratory" prints
    it: part of the version signed, so a reprint never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accession: str
    procedure_date: date
    blast_equivalents_pct: Decimal | None = None
    plasma_cells_pct: Decimal | None = None
    cellularity_pct: int | None = None
    diagnosis: str = ""


def prior_marrows(
    entries: tuple[TimelineEntry, ...] | list[TimelineEntry], accession: str, before: date
) -> tuple[PriorMarrow, ...]:
    """The patient's earlier issued marrows (procedure before `before`, this case left
    out, withdrawn and cancelled ones and those without values too), newest first, at
    most five."""
    earlier = [
        entry
        for entry in entries
        if entry.accession != accession
        and entry.values is not None
        and entry.procedure_date is not None
        and entry.procedure_date < before
    ]
    earlier.sort(key=entry_order, reverse=True)
    return tuple(_prior(entry) for entry in earlier[:PRIOR_MARROWS_SHOWN])


def _prior(entry: TimelineEntry) -> PriorMarrow:
    values = entry.values
    assert values is not None and entry.procedure_date is not None
    return PriorMarrow(
        accession=entry.accession,
        procedure_date=entry.procedure_date,
        blast_equivalents_pct=values.blast_equivalents_pct,
        plasma_cells_pct=values.plasma_cells_pct,
        cellularity_pct=values.cellularity_pct,
        diagnosis=entry.diagnosis,
    )
