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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, create_model

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.derived import (
    CELLULARITY_FIELD,
    SourcedPercent,
    blast_equivalents_percent,
    case_cellularity,
    plasma_cells_percent,
    summarise_differential,
)
from marrowpath.domain.enums import MeasurementUnit, TherapyKind
from marrowpath.domain.labels import field_label, leaf
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


Value = Decimal | int | str | None


@dataclass(frozen=True)
class Plot:
    """How the trend chart draws a series: on the right (ratio) axis or the left (percent)
    one, in which colour (a hex string; the chart makes it a colour)."""

    right_axis: bool
    colour: str


@dataclass(frozen=True)
class Series:
    """One value of a marrow on the patient's course, declared once for every place that
    shows it: the panel's list and chart, `timeline`'s tsv and json, the report's prior
    marrows and the version's stored `PriorMarrow`.

    `key` is the json key and the stored name (an interface: `cli.md`, and part of signed
    versions); `heading` the panel's column; `words` what the chart names it (series and
    hover); `read` takes it from a version by `derived.py`, as the report printed it;
    `kind` its type when stored; `unit` what the report prints after it; `shown` the
    panel's text of a value; `prior` the heading of the report's prior-marrows column,
    None when that table leaves it out.
    """

    key: str
    heading: str
    words: str
    kind: type[Decimal] | type[int] | type[str]
    read: Callable[[CaseDocument, LabSettings], Value]
    unit: str = ""
    shown: Callable[[Decimal | int | str], str] = str
    plot: Plot | None = None
    prior: str | None = None

    def text(self, value: Value) -> str:
        """The value as tsv writes it (and the panel, unless `shown` says otherwise)."""
        return "" if value is None else str(value)

    def json(self, value: Value) -> float | int | str | None:
        """Numbers as JSON numbers (a Decimal as a float), words as strings."""
        return float(value) if isinstance(value, Decimal) else value


def _percent(found: SourcedPercent | None) -> Decimal | None:
    return found.value if found else None


def _me_ratio(document: CaseDocument, settings: LabSettings) -> Decimal | None:
    differential = document.aspirate.differential if document.aspirate else None
    return summarise_differential(differential, settings).me_ratio if differential else None


def _cellularity_percent(document: CaseDocument, settings: LabSettings) -> int | None:
    assessment = case_cellularity(document, settings)
    return assessment.percent if assessment else None


def _cellularity_verdict(document: CaseDocument, settings: LabSettings) -> str | None:
    assessment = case_cellularity(document, settings)
    return assessment.verdict if assessment else None


def _fibrosis_grade(document: CaseDocument, _settings: LabSettings) -> str | None:
    return document.core.fibrosis_grade.value if document.core else None


# the cellularity is the document's own field: its name, label and unit are the model's
_CELLULARITY = leaf(CELLULARITY_FIELD).label

BLAST_EQUIVALENTS = Series(
    "blast_equivalents_pct",
    "Blast eq. %",
    "Blast equivalents %",
    Decimal,
    lambda document, _settings: _percent(blast_equivalents_percent(document)),
    unit="%",
    plot=Plot(right_axis=False, colour="#c0392b"),
    prior="Blast eq.",
)
PLASMA_CELLS = Series(
    "plasma_cells_pct",
    "Plasma cells %",
    "Plasma cells %",
    Decimal,
    lambda document, _settings: _percent(plasma_cells_percent(document)),
    unit="%",
    plot=Plot(right_axis=False, colour="#8e44ad"),
    prior="Plasma cells",
)
CELLULARITY = Series(
    CELLULARITY_FIELD.rsplit(".", 1)[-1],
    f"{_CELLULARITY.label} {_CELLULARITY.unit}",
    f"{_CELLULARITY.label} {_CELLULARITY.unit}",
    int,
    _cellularity_percent,
    unit=_CELLULARITY.unit or "",
    plot=Plot(right_axis=False, colour="#2c7fb8"),
    prior=_CELLULARITY.label,
)

# In the order of `timeline`'s tsv columns and json keys (`cli.md`) and the panel's columns.
SERIES: tuple[Series, ...] = (
    BLAST_EQUIVALENTS,
    PLASMA_CELLS,
    CELLULARITY,
    Series("cellularity_verdict", "For age", "Cellularity for age", str, _cellularity_verdict),
    Series(
        "me_ratio",
        "M:E",
        "M:E",
        Decimal,
        _me_ratio,
        shown=lambda value: f"{value}:1",
        plot=Plot(right_axis=True, colour="#7f8c8d"),
    ),
    Series("fibrosis_grade", "Fibrosis", "Fibrosis", str, _fibrosis_grade),
)
PRIOR_SERIES = tuple(series for series in SERIES if series.prior is not None)


@dataclass(frozen=True)
class Values:
    """The values of one issued version by `Series.key` (None: not reported in it)."""

    by_key: Mapping[str, Value]
    measurements: tuple[Measurement, ...] = ()

    def of(self, series: Series) -> Value:
        return self.by_key.get(series.key)


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
    return Values(
        {series.key: series.read(document, settings) for series in SERIES},
        measurements_of(document),
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


class PriorMarrowFields(BaseModel):
    """An earlier issued marrow as the report's "Prior marrows at this laboratory" prints
    it: part of the version signed, so a reprint never changes. The values are fields of
    `PriorMarrow`, one per `PRIOR_SERIES` (named by its key, typed by its kind)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    accession: str
    procedure_date: date
    diagnosis: str = ""

    def value(self, series: Series) -> Value:
        found: Value = getattr(self, series.key)
        return found


if TYPE_CHECKING:
    PriorMarrow = PriorMarrowFields
else:
    PriorMarrow = create_model(
        "PriorMarrow",
        __base__=PriorMarrowFields,
        __module__=__name__,
        **{series.key: (series.kind | None, None) for series in PRIOR_SERIES},
    )


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
    return PriorMarrow.model_validate(
        {
            "accession": entry.accession,
            "procedure_date": entry.procedure_date,
            "diagnosis": entry.diagnosis,
            **{series.key: values.of(series) for series in PRIOR_SERIES},
        }
    )
