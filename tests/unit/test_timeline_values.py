"""The timeline's measurements and therapy periods from case documents (`domain/timeline.py`):
values as entered, units as the case format and the report spell them, each therapy
period once as the latest plotted case reported it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from marrowpath.domain.enums import MeasurementUnit, TherapyKind
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.timeline import (
    Measurement,
    TherapyPeriod,
    TimelineEntry,
    Values,
    course_therapy,
    measurements_of,
    therapy_of,
)
from marrowpath.domain.validation import parse_case
from tests.conftest import example_case, example_case_v2


def test_measurements_keep_the_value_as_entered_and_print_the_unit_two_ways() -> None:
    data = example_case_v2()
    data["ancillary"][0]["measurements"] = [
        {"name": "MRD by flow", "value": 0.00004, "unit": "percent"},
        {"name": "NPM1 VAF", "value": 41.0, "unit": "vaf_percent"},
        {"name": "Donor chimerism", "value": 98, "unit": "other"},
    ]
    document = parse_case(data, today=date(2026, 12, 7))
    got = measurements_of(document)
    assert [m.value for m in got] == [Decimal("0.00004"), Decimal(41), Decimal(98)]
    assert [m.text for m in got] == [
        "MRD by flow=0.00004 percent",
        "NPM1 VAF=41 vaf_percent",
        "Donor chimerism=98 other",
    ]
    assert [m.words for m in got] == [
        "MRD by flow: 0.00004 %",
        "NPM1 VAF: 41 % VAF",
        "Donor chimerism: 98",
    ]
    assert measurements_of(parse_case(example_case(), today=date(2026, 12, 7))) == ()


def test_therapy_of_a_document() -> None:
    data = example_case_v2()
    data["clinical"]["therapy"] = [
        {"name": "Imatinib", "kind": "targeted", "started_on": "2026-01-05"},
        {"name": "Hydroxyurea", "kind": "chemotherapy", "started_on": "2025-12-20",
         "ended_on": "2026-01-04"},
    ]  # fmt: skip
    document = parse_case(data, today=date(2026, 12, 7))
    assert therapy_of(document) == (
        TherapyPeriod("Imatinib", TherapyKind.TARGETED, date(2026, 1, 5), None),
        TherapyPeriod(
            "Hydroxyurea", TherapyKind.CHEMOTHERAPY, date(2025, 12, 20), date(2026, 1, 4)
        ),
    )


def entry(
    accession: str, day: date, *periods: TherapyPeriod, plotted: bool = True
) -> TimelineEntry:
    values = Values({}, (Measurement("x", Decimal(1), MeasurementUnit.OTHER),))
    return TimelineEntry(
        accession, day, Status.FINAL, 1 if plotted else None, values if plotted else None,
        therapy=periods,
    )  # fmt: skip


def test_each_period_once_as_the_latest_case_reported_it() -> None:
    open_ended = TherapyPeriod("VRd", TherapyKind.TARGETED, date(2025, 1, 1), None)
    ended = TherapyPeriod("VRd", TherapyKind.TARGETED, date(2025, 1, 1), date(2025, 4, 1))
    transplant = TherapyPeriod("ASCT", TherapyKind.TRANSPLANT, date(2025, 6, 1), date(2025, 6, 1))
    unsigned = TherapyPeriod("Draft", TherapyKind.OTHER, date(2024, 1, 1), None)
    course = course_therapy(
        [
            entry("BM25-00002", date(2025, 9, 1), ended, transplant),  # listed out of order
            entry("BM25-00001", date(2025, 3, 1), open_ended),
            entry("BM25-00003", date(2025, 10, 1), unsigned, plotted=False),
        ]
    )
    assert course == (ended, transplant)
