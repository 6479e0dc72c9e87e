"""The timeline of the demo's serial patient Zoë Łukasiewicz-Nguyễn (four marrows)
against values computed by hand from the demo's differential counts (issue 14, item 1).
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from marrowpath.bootstrap import App, build
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.timeline import SERIES
from marrowpath.domain.users import User
from marrowpath.services.context import Clock
from tests.hashing import TEST_HASHER

pytestmark = pytest.mark.slow
TODAY = date(2026, 12, 7)
ZOE = "MRN0081342"


@pytest.fixture
def demo(database_url: str) -> Iterator[tuple[App, dict[str, User]]]:
    app = build(
        database_url, with_renderer=False, hasher=TEST_HASHER, clock=Clock(today=lambda: TODAY)
    )
    users, _ = app.demo.ensure_users_and_lab()
    app.demo.load_showcase(users, TODAY)
    yield app, users
    app.close()


def test_the_serial_patients_timeline_matches_the_hand_computed_values(
    demo: tuple[App, dict[str, User]],
) -> None:
    app, users = demo
    timeline = app.timeline.timeline(users["achen"], ZOE)
    assert timeline.patient_name == "ŁUKASIEWICZ-NGUYỄN, Zoë"
    dates = [entry.procedure_date for entry in timeline.entries]
    assert dates == [TODAY - timedelta(days=d) for d in (702, 674, 251, 9)]
    assert [(e.status, e.version) for e in timeline.entries] == [
        (Status.APPENDED, 2),
        (Status.FINAL, 1),
        (Status.FINAL, 2),
        (Status.DRAFT, None),  # the draft after the transplant: listed, no point
    ]
    # Each differential counts 500 cells; born 1968-03-14; cellularity rule 100-age
    # (expected 100 - age +/- 10); M:E without monocytes (the demo lab's setting).
    # Diagnosis: blasts 312 -> 62.4 %; plasma cells 4 -> 0.8 %; myeloid 312+7+13+13+16+26+3
    #   = 390, erythroid 1+5+30+10 = 46, M:E 8.478 -> 8.5; age 56 (34-54 %): 95 % hyper.
    # Day 28: blasts 9 -> 1.8 %; plasma 10 -> 2.0 %; myeloid 9+30+59+39+39+49+10 = 235,
    #   erythroid 8+20+88+29 = 145, M:E 1.621 -> 1.6; age 56: 25 % hypocellular.
    # Relapse: blasts 190 -> 38.0 %; plasma 6 -> 1.2 %; myeloid 190+11+22+22+27+43+5 = 320,
    #   erythroid 2+9+48+16 = 75, M:E 4.267 -> 4.3; age 58 (32-52 %): 85 % hypercellular.
    expected = [
        ("62.4", "0.8", 95, "hypercellular", "8.5", "MF-1"),
        ("1.8", "2.0", 25, "hypocellular", "1.6", "MF-0"),
        ("38.0", "1.2", 85, "hypercellular", "4.3", "MF-1"),
    ]
    got = []
    for entry in timeline.points:
        v = entry.values
        assert v is not None
        # in the declared order: blast eq., plasma cells, cellularity, verdict, M:E, fibrosis
        got.append(tuple(v.of(series) for series in SERIES))
    assert got == [(Decimal(a), Decimal(b), c, d, Decimal(e), f) for a, b, c, d, e, f in expected]


def test_a_clinician_sees_only_cases_with_an_issued_version(
    demo: tuple[App, dict[str, User]],
) -> None:
    app, users = demo
    staff = app.timeline.timeline(users["achen"], ZOE)
    clinician = app.timeline.timeline(users["praman"], ZOE)
    assert [e.accession for e in clinician.entries] == [e.accession for e in staff.points]
    assert all(e.status is not Status.DRAFT for e in clinician.entries)


def test_cancelled_and_withdrawn_cases_are_listed_without_values(
    demo: tuple[App, dict[str, User]],
) -> None:
    app, users = demo
    pathologist = users["achen"]
    closed = [
        row
        for row in app.cases.search(pathologist)
        if row.status in (Status.CANCELLED, Status.ENTERED_IN_ERROR)
    ]
    assert {row.status for row in closed} == {Status.CANCELLED, Status.ENTERED_IN_ERROR}
    for row in closed:
        entries = app.timeline.timeline(pathologist, row.mrn).entries
        (entry,) = [e for e in entries if e.accession == row.accession]
        assert entry.status is row.status and entry.values is None and not entry.plotted


def ago(days: int) -> date:
    return TODAY - timedelta(days=days)


def test_the_serial_patients_measurements_and_therapy_come_from_the_issued_versions(
    demo: tuple[App, dict[str, User]],
) -> None:
    """The story (demo/stories/zoe.json): MRD by flow 59 % at diagnosis, 0.06 % after
    induction, 37 % at relapse; NPM1 VAF 41 % (the diagnosis's addendum) and 33 %;
    NPM1mut/ABL1 215 % (the addendum), 0.42 %, 96 %. The therapy periods as the issued
    reports give them (days before the demo's day): induction 699-693 and transfusions
    695-676 from day 28 and the relapse, consolidation 662-575 from the relapse. The
    draft after the transplant (MRD 0, salvage, transplant) gives neither."""
    app, users = demo
    for reader in ("achen", "praman"):  # a pathologist, and a clinician (issued only)
        timeline = app.timeline.timeline(users[reader], ZOE)
        got = [
            [(m.name, m.value, m.unit.value) for m in e.values.measurements]
            for e in timeline.points
            if e.values is not None
        ]
        assert got == [
            [
                ("MRD by flow", Decimal("59"), "percent"),
                ("NPM1 VAF", Decimal("41"), "vaf_percent"),
                ("NPM1mut/ABL1", Decimal("215"), "percent"),
            ],
            [
                ("MRD by flow", Decimal("0.06"), "percent"),
                ("NPM1mut/ABL1", Decimal("0.42"), "percent"),
            ],
            [
                ("MRD by flow", Decimal("37"), "percent"),
                ("NPM1mut/ABL1", Decimal("96"), "percent"),
                ("NPM1 VAF", Decimal("33"), "vaf_percent"),
            ],
        ]
        assert [(p.name, p.kind.value, p.start, p.end) for p in timeline.therapy] == [
            ("Induction: cytarabine and daunorubicin (7+3)", "chemotherapy", ago(699), ago(693)),
            ("Red cell and platelet transfusions", "transfusion", ago(695), ago(676)),
            (
                "Consolidation: high-dose cytarabine, three cycles",
                "chemotherapy",
                ago(662),
                ago(575),
            ),
        ]
