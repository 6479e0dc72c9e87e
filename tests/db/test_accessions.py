"""Proposed accession numbers only increase within a year and are never handed out twice:
not after a cancellation, a discarded draft, or an import of higher numbers."""

from __future__ import annotations

from datetime import UTC, date, datetime

from marrowpath.bootstrap import App, build
from marrowpath.services.context import Clock
from tests.db.test_cases import Team, variant

TODAY = date.today()
PREFIX = f"BM{TODAY:%y}-"


def test_an_imported_higher_number_is_never_undercut(app: App, team: Team) -> None:
    """Today's bug: BM26-00001, then BM26-00003, while BM26-00056 exists."""
    app.cases.import_case(team["drpark"], variant(f"{PREFIX}00056", mrn="M56"))
    app.cases.import_case(team["drpark"], variant(f"{PREFIX}00002", mrn="M2"))
    proposed = [app.cases.next_accession(team["tech"]) for _ in range(2)]
    assert proposed == [f"{PREFIX}00057", f"{PREFIX}00058"]
    app.cases.import_case(team["drpark"], variant(f"{PREFIX}00100", mrn="M100"))
    assert app.cases.next_accession(team["tech"]) == f"{PREFIX}00101"


def test_cancelled_cases_and_discarded_drafts_keep_their_numbers(app: App, team: Team) -> None:
    created = app.cases.create(team["drpark"], _without_accession("M1"))
    assert created.accession == f"{PREFIX}00001"
    app.cases.cancel(team["drpark"], created.accession, reason="ordered in error")
    discarded = app.cases.next_accession(team["tech"])  # proposed, never saved
    assert discarded == f"{PREFIX}00002"
    assert app.cases.next_accession(team["tech"]) == f"{PREFIX}00003"
    assert app.cases.create(team["drpark"], _without_accession("M4")).accession == (
        f"{PREFIX}00004"
    )


def test_numbers_of_another_width_or_prefix_do_not_count(app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], variant(f"{PREFIX}900000", mrn="M9"))
    app.cases.import_case(team["drpark"], variant(f"X{PREFIX}00777", mrn="M7"))
    assert app.cases.next_accession(team["tech"]) == f"{PREFIX}00001"


def test_each_year_has_its_own_sequence(database_url: str, app: App, team: Team) -> None:
    app.cases.import_case(team["drpark"], variant(f"{PREFIX}00040", mrn="M40"))
    next_year = date(TODAY.year + 1, 1, 2)
    clock = Clock(now=lambda: datetime.now(UTC), today=lambda: next_year)
    january = build(database_url, clock=clock, with_renderer=False)
    try:
        assert january.cases.next_accession(team["tech"]) == f"BM{next_year:%y}-00001"
    finally:
        january.close()
    assert app.cases.next_accession(team["tech"]) == f"{PREFIX}00041"


def _without_accession(mrn: str) -> dict[str, object]:
    data = variant("", mrn=mrn)
    del data["accession"]
    return data
