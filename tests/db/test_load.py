"""A short load run (benchmarks/bench_load.py) on each database: three workstations in
their own processes on overlapping cases, then every invariant of the long run; and one
on a database filled before (`--database`)."""

from __future__ import annotations

from datetime import date

import pytest

from benchmarks.bench_load import PASSWORD, ExistingDatabase, run
from marrowpath.bootstrap import build

pytestmark = pytest.mark.slow
SECONDS = 6


def test_three_workstations_lose_nothing_and_duplicate_nothing(database_url: str) -> None:
    report = run(database_url, workstations=3, seconds=SECONDS, cases=9)
    print("\n" + "\n".join(report.lines()))
    assert [e for s in report.stations for e in s.errors] == []
    assert report.problems == []
    actions = report.actions()
    assert len(actions["search"]) > 10 and actions["save"]
    assert sum(len(s.saves) for s in report.stations) > 0


def test_on_a_filled_database_the_run_works_and_checks_only_its_own_cases(
    database_url: str,
) -> None:
    """`--database`: a demo database, its admin adds the pathologists; the workstations
    touch only the cases the run creates (their MRNs carry the run's marker). With
    `--think`, each pauses between actions as a person does: 0.3 s on average, so
    hardly 40 actions in 6 s (without pauses a workstation does about 70 here)."""
    app = build(database_url)
    try:
        users, _empty = app.demo.ensure_users_and_lab()
        assert app.demo.load_bulk(users, 40, date.today(), workers=1) == 40
    finally:
        app.close()
    existing = ExistingDatabase()
    report = run(
        database_url, workstations=2, seconds=SECONDS, cases=6, existing=existing, think=0.3
    )
    print("\n" + "\n".join(report.lines()))
    assert "2 workstations x 6 s, pauses of 0.3 s on average: " in report.lines()[0]
    for station in report.stations:
        assert 0 < sum(len(t) for t in station.timings.values()) <= 2 * SECONDS / 0.3
    assert [e for s in report.stations for e in s.errors] == []
    assert report.problems == []
    assert report.notes[0].startswith("audit verify (whole chain): ")
    assert sum(len(s.saves) for s in report.stations) > 0
    app = build(database_url, with_renderer=False)
    try:
        reader = app.auth.sign_in("path01", PASSWORD)
        marked = {c.accession for c in app.cases.search(reader, existing.marker)}
        everything = {c.accession for c in app.cases.search(reader)}
    finally:
        app.close()
    touched = {save["accession"] for s in report.stations for save in s.saves}
    touched |= {issued["accession"] for s in report.stations for issued in s.issued}
    created = sum(len(s.created) for s in report.stations)
    assert touched <= marked and len(marked) == 6 + created
    assert report.notes[1].startswith(f"checks of the run's {len(marked)} cases ")
    assert len(everything) == len(marked) + 40  # and the demo's, left alone
