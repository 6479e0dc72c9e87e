"""A short load run (benchmarks/bench_load.py) on each database: three workstations in
their own processes on overlapping cases, then every invariant of the long run."""

from __future__ import annotations

import pytest

from benchmarks.bench_load import run

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
