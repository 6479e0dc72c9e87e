"""A patient's course: one entry per case by procedure date, the values of its current
issued version computed by `derived.py` exactly as the report printed them.

A case with nothing issued (a draft) has an entry without values, and so do cancelled
and withdrawn cases: their findings were never final or may be another patient's. The
values use the settings the version was signed with (M:E rule, cellularity rule), so the
timeline says what each report said.

When the case format gains therapy periods (`clinical.therapy`) and ancillary
measurements (`ancillary[].measurements`), `Timeline.therapy` is filled from the
versions and `TimelineEntry.measurements` from `measurements_of` (docs/decisions.md).
"""

from __future__ import annotations

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
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.settings import LabSettings

# statuses listed without values, never plotted
UNPLOTTED = frozenset({Status.CANCELLED, Status.ENTERED_IN_ERROR})


@dataclass(frozen=True)
class Measurement:
    """One ancillary measurement (e.g. MRD by flow 0.02 %): `name=value unit` in tsv."""

    name: str
    value: Decimal
    unit: str

    @property
    def text(self) -> str:
        return f"{self.name}={self.value} {self.unit}".rstrip()


@dataclass(frozen=True)
class TherapyPeriod:
    """A period of treatment, drawn as a shaded band on the chart."""

    name: str
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
    """The ancillary measurements of a document. `marrowpath.case/1` has none; with /2
    this reads `ancillary[].measurements` (the one place to add them)."""
    return ()


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
