"""PostgreSQL counts how many cases a search matches, as its planner would from the keys'
statistics, before it probes the newest cases (decisions 91 and 92): a rare word goes to
the trigram index at once, a common one is looked for among the newest cases first; the
page is the same either way."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date
from typing import Any

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Select, event, select, text

from marrowpath.bootstrap import App
from marrowpath.db import key_statistics, search_index
from marrowpath.db.models import CaseRow, marked_words
from marrowpath.demo.bulk import bulk_cases
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.search_key import WORD_START
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


def _planned(connection: Connection, statement: Select[Any]) -> float:
    """How many rows PostgreSQL's planner expects `statement` to return (`EXPLAIN`)."""
    compiled = statement.compile(dialect=connection.dialect)
    explained = connection.exec_driver_sql(
        f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params
    ).scalar_one()
    return float(explained[0]["Plan"]["Plan Rows"])


def _estimate(app: App, needle: str, column: str = "search_key") -> float:
    with app.engine.connect() as connection:
        return key_statistics.key_statistics(connection, column).matches(needle)


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


@pytest.mark.parametrize("column", ["search_key", "issued_search_key"])
def test_the_estimate_is_the_planner_s_own(
    analysed: tuple[App, dict[str, User]], column: str
) -> None:
    """The count read from the statistics is the planner's `EXPLAIN` of the same
    condition, for words from every case to none, with LIKE's
    special characters, on the working key and on the issued key (half of it null)."""
    app, _users = analysed
    common, mrn = _words(app)
    key = CaseRow.__table__.c[column]
    with app.engine.connect() as connection:
        statistics = key_statistics.key_statistics(connection, column)
        assert len(statistics.histogram) > 100
        for word in (common, mrn.lower(), "bm", "a", "xyzzy", "50%", "a_b", "\\"):
            condition = key.like(f"%{search_index._like(word)}%", escape="\\")
            planned = _planned(connection, select(CaseRow.id).where(condition))
            # the planner rounds to whole rows, at least one
            assert max(1, round(statistics.matches(word))) == planned, (column, word)


def test_a_short_word_is_counted_among_the_marked_words(
    analysed: tuple[App, dict[str, User]],
) -> None:
    """ "a" begins few names or accessions but occurs in nearly every key: its needle
    (the mark, then the word) is counted in the marked words, where the index looks."""
    app, _users = analysed
    with app.engine.connect() as connection:
        marked = connection.scalar(
            select(text("count(*)"))
            .select_from(CaseRow)
            .where(marked_words(CaseRow.search_key).like(f"%{WORD_START}a%"))
        )
    assert marked is not None
    estimate = _estimate(app, WORD_START + "a")
    assert marked / 3 <= estimate <= max(marked * 3, COUNT / 20)
    assert _estimate(app, "a") > COUNT / 2


def test_statistics_are_read_once_a_while_per_connection(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kept with the pooled connection: later searches on it read no statistics; after
    `STATISTICS_MAX_AGE` they are read again (a new ANALYZE counts)."""
    app, users = analysed
    reads: Counter[int] = Counter()

    def record(connection: Any, _cursor: Any, statement: str, *args: Any) -> None:
        if "pg_stats" in statement:
            reads[id(connection.connection.dbapi_connection)] += 1

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        for word in ("leukemia", "myeloma", "leukemia", "marrow", "bm26"):
            app.cases.search(users["achen"], word, limit=20)
        assert reads and max(reads.values()) == 1
        before = reads.total()
        monkeypatch.setattr(key_statistics, "STATISTICS_MAX_AGE", -1.0)
        for word in ("myeloma", "leukemia"):
            app.cases.search(users["achen"], word, limit=20)
        assert reads.total() == before + 2
    finally:
        event.remove(app.engine, "before_cursor_execute", record)


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
        assert matches > 50 and _planned(connection, both) < 30
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
        monkeypatch.setattr(search_index, "PROBED_SHARE", 0)
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


def _never_together(app: App) -> tuple[str, str]:
    """Two diagnosis words, each in a tenth of the generated cases, never in one case."""
    cases = list(bulk_cases(COUNT, today=app.context.clock.today()))
    words = [
        {w.strip(".,;:()").lower() for w in " ".join(c.document["diagnosis"]["lines"]).split()}
        for c in cases
    ]
    counts = Counter(w for case in words for w in case if len(w) > 5)
    common = [w for w, n in counts.items() if n >= COUNT // 10]
    return next(
        (a, b)
        for a, b in itertools.combinations(sorted(common), 2)
        if not any(a in case and b in case for case in words)
        and not any(a in w or b in w for w in (b, a) if w not in (a, b))
    )


def test_after_a_probe_in_vain_the_index_s_matches_are_sorted_not_walked(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two common words never together: the newest cases hold no page, and the index is
    asked for the cases that hold both, sorted by an expression no index holds (the
    planner would walk the date index through every case, taking the pair for common).
    The page is the one the index gives."""
    app, users = analysed
    first, second = _never_together(app)
    monkeypatch.setattr(search_index, "FEW_MATCHES", 1)
    monkeypatch.setattr(search_index, "PROBED_SHARE", 0)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        page = app.cases.search(users["achen"], f"{first} {second}", limit=50)
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert page == []
    assert any(_probed(s, "postgresql") for s in statements)
    assert "ORDER BY cases.procedure_date + 0 DESC NULLS LAST" in statements[-1]
    # and a rare word goes to the index sorted the same way, with the same page
    _common, mrn = _words(app)
    statements.clear()
    event.listen(app.engine, "before_cursor_execute", record)
    try:
        rare = [r.accession for r in app.cases.search(users["achen"], mrn, limit=50)]
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert rare and "procedure_date + 0" in statements[-1]
    assert rare == [r.accession for r in app.cases.search(users["achen"], mrn)][:50]


def test_a_word_in_too_small_a_share_of_the_cases_is_not_probed(
    analysed: tuple[App, dict[str, User]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above `FEW_MATCHES` but under `PROBED_SHARE` of the cases, the newest cases would
    hold too few matches to size a second window: the index answers at once."""
    app, users = analysed
    common, _mrn = _words(app)
    monkeypatch.setattr(search_index, "FEW_MATCHES", 1)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", WINDOW)
    monkeypatch.setattr(search_index, "PROBED_SHARE", 0.01)
    page, probed = _search(app, users["achen"], common)
    assert len(page) == 50 and probed
    # the word is in nearly every case, but the count never reaches every case (0.9999)
    monkeypatch.setattr(search_index, "PROBED_SHARE", 1.0)
    assert _search(app, users["achen"], common) == (page, False)


def test_a_search_reads_without_a_transaction_and_a_streamed_read_keeps_one(
    analysed: tuple[App, dict[str, User]],
) -> None:
    """A search's statements each stand alone (autocommit: no BEGIN and ROLLBACK round
    trips); a read-only action that streams its rows (a server-side cursor) still runs
    in a transaction."""
    app, users = analysed
    states: list[TransactionStatus] = []

    def record(connection: Any, *_args: Any) -> None:
        states.append(connection.connection.dbapi_connection.info.transaction_status)

    event.listen(app.engine, "after_cursor_execute", record)
    try:
        app.cases.search(users["achen"], "leukemia", limit=20)
        app.cases.count(users["achen"], "leukemia")
        searched = list(states)
        states.clear()
        with app.context.uow(read_only=True) as uow:
            assert sum(1 for _state in uow.cases.states()) > COUNT / 2
    finally:
        event.remove(app.engine, "after_cursor_execute", record)
    assert searched and set(searched) == {TransactionStatus.IDLE}
    assert states and set(states) == {TransactionStatus.INTRANS}
