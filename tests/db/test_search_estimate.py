"""PostgreSQL asks its planner how many cases a search matches before it probes the
newest cases (decision 91): a rare word goes to the trigram index at once, a common one
is looked for among the newest cases first; the page is the same either way."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from typing import Any

import pytest
from sqlalchemy import event, select, text

from marrowpath.bootstrap import App
from marrowpath.db import search_index
from marrowpath.db.models import CaseRow
from marrowpath.demo.bulk import bulk_cases
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from tests.conftest import PASSWORD
from tests.db.test_cases import variant
from tests.db.test_search_spelling import _probed

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

COUNT = 400
# PostgreSQL bounds the probe by the window's last row: the window must be within the
# cases (the product's 2,000 would hold them all, and the index would answer).
WINDOW = 200


@pytest.fixture
def analysed(app: App) -> tuple[App, dict[str, User]]:
    """Generated cases, then ANALYZE as after a bulk import (README, sizing)."""
    users, _empty = app.demo.ensure_users_and_lab()
    app.demo.load_bulk(users, COUNT, app.context.clock.today())
    with app.engine.begin() as connection:
        connection.execute(text("ANALYZE cases"))
    return app, users


def _words(app: App) -> tuple[str, str]:
    """A diagnosis word of most generated cases, and one patient's MRN."""
    cases = list(bulk_cases(COUNT, today=app.context.clock.today()))
    common = Counter(
        word.strip(".,;:()").lower()
        for case in cases
        for word in " ".join(case.document["diagnosis"]["lines"]).split()
        if len(word) > 5
    ).most_common(1)[0][0]
    return common, str(cases[7].document["patient"]["mrn"])


def _estimate(app: App, word: str) -> float:
    with app.engine.connect() as connection:
        statement = select(CaseRow.id).where(CaseRow.search_key.like(f"%{word}%"))
        return search_index.estimated_rows(connection, statement)


def _search(
    app: App, user: User, words: str, limit: int = 50, **filters: Any
) -> tuple[list[str], bool]:
    """The first page's accessions, and whether the newest cases were probed."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        page = app.cases.search(user, words, limit=limit, **filters)
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    return [row.accession for row in page], any(_probed(s, "postgresql") for s in statements)


def test_the_planner_expects_many_cases_for_a_common_word_and_few_for_an_mrn(
    analysed: tuple[App, dict[str, User]],
) -> None:
    app, _users = analysed
    common, mrn = _words(app)
    with app.engine.connect() as connection:
        actual = connection.scalar(
            select(text("count(*)"))
            .select_from(CaseRow)
            .where(CaseRow.search_key.like(f"%{common}%"))
        )
    assert actual is not None and actual > COUNT / 4
    assert _estimate(app, common) > actual / 3
    assert _estimate(app, mrn.lower()) < COUNT / 20


def test_a_rare_word_skips_the_probe_and_a_common_one_is_probed_with_the_same_page(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, users = analysed
    common, mrn = _words(app)
    pathologist = users["achen"]
    monkeypatch.setattr(search_index, "FEW_MATCHES", COUNT // 10)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    rare_page, rare_probed = _search(app, pathologist, mrn)
    common_page, common_probed = _search(app, pathologist, common)
    assert rare_page and not rare_probed
    assert len(common_page) == 50 and common_probed
    # the index alone (no probe whatever the estimate) gives the same pages
    monkeypatch.setattr(search_index, "FEW_MATCHES", float("inf"))
    assert _search(app, pathologist, mrn) == (rare_page, False)
    assert _search(app, pathologist, common) == (common_page, False)


def test_the_estimate_covers_the_filters_of_the_worklist(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """With statuses and a date filter (which the estimate leaves out: they can only
    narrow the words' matches) the probe gives the index's page."""
    app, users = analysed
    common, _mrn = _words(app)
    monkeypatch.setattr(search_index, "FEW_MATCHES", COUNT // 10)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    statuses = (Status.FINAL, Status.AMENDED)
    page, probed = _search(
        app, users["achen"], common, statuses=statuses, date_from=date(2000, 1, 1)
    )
    monkeypatch.setattr(search_index, "FEW_MATCHES", float("inf"))
    assert _search(app, users["achen"], common, statuses=statuses, date_from=date(2000, 1, 1)) == (
        page,
        False,
    )
    assert page and probed


def test_words_that_always_go_together_are_not_taken_for_a_rare_pair(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "neoplastic process": each word in 57 of the 400 generated cases, always together.
    Planned as one statement the planner multiplies their shares (about 8 cases); each
    word's own estimate bounds the pair from above, so it is probed as a common pair."""
    app, users = analysed
    pathologist = users["achen"]
    with app.engine.connect() as connection:
        both = select(CaseRow.id).where(
            CaseRow.search_key.like("%neoplastic%"), CaseRow.search_key.like("%process%")
        )
        matches = len(connection.execute(both).all())
        assert matches > 50 and search_index.estimated_rows(connection, both) < 30
    monkeypatch.setattr(search_index, "FEW_MATCHES", 30)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    page, probed = _search(app, pathologist, "neoplastic process")
    assert len(page) == 50 and probed
    monkeypatch.setattr(search_index, "FEW_MATCHES", float("inf"))
    assert _search(app, pathologist, "neoplastic process") == (page, False)


def test_a_rare_word_beside_a_common_one_goes_to_the_index(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The words together match at most what the rarest matches: its estimate decides."""
    app, users = analysed
    common, mrn = _words(app)
    monkeypatch.setattr(search_index, "FEW_MATCHES", COUNT // 10)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    page, probed = _search(app, users["achen"], f"{common} {mrn}")
    assert page and not probed


# ------------------------------------------------------------ the probe's window

DATES = ("2026-09-01", "2026-09-02", "2026-09-02", "2026-09-02", "2026-09-03", "2026-09-03")


@pytest.fixture
def edges(app: App, team: dict[str, Any]) -> dict[str, Any]:
    """Fourteen cases with tied dates, every other one issued; three working documents
    without a procedure date, and an issued case whose amendment in progress moved its
    working date later than every other (its issued date stays). Diagnoses hold LIKE's
    special characters."""
    for number in range(14):
        accession = f"BM26-{number:05d}"
        words = "leukemia" if number % 3 else "leukemia 50%_off a\\b"
        data = variant(
            accession,
            mrn=f"MRN{number:04d}",
            procedure_date=DATES[number % len(DATES)],
            diagnosis=f"Hairy cell {words}.",
        )
        app.cases.import_case(team["drpark"], data)
        if number % 2 == 0:
            app.cases.sign(team["drpark"], accession, PASSWORD)
    with app.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE cases SET procedure_date = NULL "
                "WHERE accession IN ('BM26-00003', 'BM26-00009', 'BM26-00013')"
            )
        )
        connection.execute(
            text("UPDATE cases SET procedure_date = '2026-11-30' WHERE accession = 'BM26-00004'")
        )
        connection.execute(text("ANALYZE cases"))
    return team


def test_the_probe_gives_the_index_s_page_at_every_window_edge(
    app: App, edges: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the window (ties at its edge, a last row without a date, larger than the
    table), for a pathologist (working dates) and a clinician (issued dates, issued
    cases only, the reader's marks), words with %, _ and \\ and short words: the probed
    page is the index's page. (Reviewed by probing 3,080 such pages.)"""
    monkeypatch.setattr(search_index, "LARGEST_WINDOW", 100)
    probes = 0
    for who, words, limit, window, filters in itertools.product(
        ("drpark", "clinician"),
        ("leukemia", "hairy cell", "50%", "%_", "a\\b", "bm"),
        (1, 3, 7),
        (1, 2, 4, 7, 13, 15),
        ({}, {"unread_only": True}),
    ):
        if who == "drpark" and filters:
            continue
        user = edges[who]
        monkeypatch.setattr(search_index, "PROBE_WINDOW", window)
        monkeypatch.setattr(search_index, "FEW_MATCHES", 0)
        page, probed = _search(app, user, words, limit=limit, **filters)
        probes += probed
        monkeypatch.setattr(search_index, "FEW_MATCHES", float("inf"))
        assert _search(app, user, words, limit=limit, **filters) == (page, False), (
            who,
            words,
            limit,
            window,
            filters,
        )
    assert probes > 100
