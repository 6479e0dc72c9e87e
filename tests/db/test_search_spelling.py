"""Search by any spelling, answered from the trigram indexes (issues 15 and 16).

Names match as written and in Latin (Cyrillic, Greek, Chinese pinyin; Vietnamese by its
accents folding away); apostrophes and hyphens are ignored; words shorter than three
characters match the start of a name word, the accession or the MRN; every word must
match; newest procedure first; the SQLite FTS5 index follows every write.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, event, inspect, text

from marrowpath.bootstrap import App, build
from marrowpath.db import case_pages, migrate, search_index
from marrowpath.db.models import CaseRow
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.search_key import WORD_START, needles
from marrowpath.services.documents import search_key
from tests.conftest import PASSWORD
from tests.db.test_cases import variant
from tests.hashing import TEST_HASHER

Team = dict[str, Any]

# accession, family, given, procedure date (newest first is BM26-00064 ... BM26-00060)
PATIENTS = (
    ("BM26-00060", "Петрова", "Ольга", "2026-09-01", "Normocellular marrow."),
    ("BM26-00061", "ΠΑΠΑΔΟΠΟΥΛΟΣ", "Γεώργιος", "2026-09-02", "Aplastic anemia."),
    ("BM26-00062", "李", "雪", "2026-09-03", "Chronic myeloid leukemia."),
    ("BM26-00063", "Nguyễn", "Thị Hương", "2026-09-04", "Plasma cell neoplasm."),
    ("BM26-00064", "O'Brien-Ó Súilleabháin", "Jean-Pierre", "2026-09-05", "Hairy cell leukemia."),
)
SIGNED = ("BM26-00061", "BM26-00062")


@pytest.fixture
def spelled(app: App, team: Team) -> Team:
    """Five cases with names in five scripts; the Greek and the Chinese one issued."""
    for number, (accession, family, given, date, diagnosis) in enumerate(PATIENTS):
        data = variant(
            accession,
            mrn=f"MRN-{number}77",
            family=family,
            given=given,
            procedure_date=date,
            diagnosis=diagnosis,
        )
        app.cases.import_case(team["drpark"], data)
    for accession in SIGNED:
        app.cases.sign(team["drpark"], accession, PASSWORD)
    return team


def found(app: App, user: Any, words: str) -> list[str]:
    return [row.accession for row in app.cases.search(user, words)]


SPELLINGS: list[tuple[str, list[str]]] = [
    # Cyrillic, as written and in Latin
    ("petrova", ["BM26-00060"]),
    ("PETROVA olga", ["BM26-00060"]),
    ("ПЕТРОВА", ["BM26-00060"]),
    ("петрова ольга", ["BM26-00060"]),
    # Greek: ου is "ou" as on Greek passports (ELOT 743), not anyascii's "oy"
    ("papadopoulos", ["BM26-00061"]),
    ("Papadopoulos Georgios", ["BM26-00061"]),
    ("ΠΑΠΑΔΟΠΟΥΛΟΣ", ["BM26-00061"]),
    ("παπαδόπουλος", ["BM26-00061"]),
    # Chinese: pinyin, the syllables apart or together, in either order
    ("li xue", ["BM26-00062"]),
    ("lixue", ["BM26-00062"]),
    ("xue li", ["BM26-00062"]),
    ("李雪", ["BM26-00062"]),
    ("雪", ["BM26-00062"]),
    # Vietnamese: the accents fold away
    ("nguyen thi huong", ["BM26-00063"]),
    ("Nguyễn Hương", ["BM26-00063"]),
    ("HUONG", ["BM26-00063"]),
    # apostrophes and hyphens inside names are ignored
    ("obrien", ["BM26-00064"]),
    ("o'brien", ["BM26-00064"]),
    ("O’BRIEN", ["BM26-00064"]),
    ("jean pierre", ["BM26-00064"]),
    ("jeanpierre", ["BM26-00064"]),
    ("suilleabhain o", ["BM26-00064"]),
    # short words: the start of a name word, the accession or the MRN
    ("li", ["BM26-00062"]),
    ("x", ["BM26-00062"]),  # xue
    ("o", ["BM26-00064", "BM26-00060"]),  # o (O'Brien), olga
    ("ng", ["BM26-00063"]),
    ("pa ge", ["BM26-00061"]),  # papadopoulos georgios
    ("bm", ["BM26-00064", "BM26-00063", "BM26-00062", "BM26-00061", "BM26-00060"]),
    ("mr", ["BM26-00064", "BM26-00063", "BM26-00062", "BM26-00061", "BM26-00060"]),
    ("ia", []),  # in "anemia", "myeloid", "Olga"... but at the start of no name word
    ("ou", []),  # inside papadopoulos, at the start of nothing
    ("li ng", []),  # every word must match
    # words that match nothing
    ("xyzzy", []),
    ("petrova papadopoulos", []),
    # long words still match anywhere, diagnosis included
    ("leukemia", ["BM26-00064", "BM26-00062"]),
    ("2600063", ["BM26-00063"]),
    ("bm26-0006", ["BM26-00064", "BM26-00063", "BM26-00062", "BM26-00061", "BM26-00060"]),
]


def test_names_are_found_by_any_spelling(app: App, spelled: Team) -> None:
    for words, expected in SPELLINGS:
        assert found(app, spelled["drpark"], words) == expected, words


def test_clinicians_find_issued_reports_by_any_spelling(app: App, spelled: Team) -> None:
    clinician = spelled["clinician"]
    assert found(app, clinician, "papadopoulos") == ["BM26-00061"]
    assert found(app, clinician, "li xue") == ["BM26-00062"]
    assert found(app, clinician, "petrova") == []  # a draft: clinicians see issued reports
    assert found(app, clinician, "bm") == ["BM26-00062", "BM26-00061"]


def test_the_index_follows_saves_and_signatures(app: App, spelled: Team) -> None:
    """A saved draft is found by its new diagnosis only; an amendment's diagnosis is what
    clinicians find once it is issued (on SQLite through the FTS5 triggers)."""
    drpark, clinician = spelled["drpark"], spelled["clinician"]
    record = app.cases.open(drpark, "BM26-00060").record
    data = dict(record.working)
    data["diagnosis"] = {"lines": ["Hypercellular marrow with fibrosis."]}
    app.cases.save(drpark, "BM26-00060", data, expected_row_version=record.row_version)
    assert found(app, drpark, "fibrosis petrova") == ["BM26-00060"]
    assert found(app, drpark, "normocellular") == []

    assert found(app, clinician, "chronic myeloid") == ["BM26-00062"]
    data = dict(app.cases.open(drpark, "BM26-00062").record.working)
    data["diagnosis"] = {"lines": ["Hypocellular marrow, aplastic anemia."]}
    app.cases.amend(
        drpark,
        "BM26-00062",
        data,
        PASSWORD,
        reason_category="interpretation_change",
        reason="Core biopsy reviewed",
    )
    assert found(app, clinician, "hypocellular") == ["BM26-00062"]
    assert found(app, clinician, "chronic myeloid") == []
    assert found(app, clinician, "li xue") == ["BM26-00062"]


def _marked(words: list[str]) -> list[bool]:
    return [word.startswith(WORD_START) for word in words]


def _patterns(dialect: str, words: list[str]) -> dict[str, str]:
    """The values of `search_index.matching`'s parameters for these needles."""
    return search_index.patterns(dialect, words)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # FTS5 is SQLite's
def test_sqlite_answers_every_word_from_the_full_text_index(app: App, spelled: Team) -> None:
    assert app.engine.dialect.name == "sqlite"
    with app.engine.connect() as connection:
        indexed = connection.execute(
            text("SELECT rowid, search_key, issued_search_key FROM cases_fts ORDER BY rowid")
        ).all()
        stored = connection.execute(
            text("SELECT id, search_key, issued_search_key FROM cases ORDER BY id")
        ).all()
        assert [tuple(row) for row in indexed] == [tuple(row) for row in stored]
        for key in (CaseRow.search_key, CaseRow.issued_search_key):
            words = needles(["li", "xue"])
            (condition,) = search_index.matching("sqlite", key, _marked(words))
            statement = (
                CaseRow.__table__.select()
                .where(condition)
                .params(_patterns("sqlite", words))
                .compile(connection, compile_kwargs={"literal_binds": True})
            )
            plan = " ".join(
                str(row[-1])
                for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}")
            )
            # G: a GLOB constraint FTS5 answers (one per word, on this key's column)
            column = search_index.KEY_COLUMNS.index(key.key)
            assert f"SCAN cases_fts VIRTUAL TABLE INDEX 0:G{column}G{column}" in plan, plan


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)  # pg_trgm is PostgreSQL's
def test_postgresql_can_answer_every_word_from_the_trigram_index(app: App, spelled: Team) -> None:
    """With so few rows the planner rightly prefers a scan; forbidding it shows that the
    conditions have the form the trigram index answers, short words included (the
    benchmark shows the planner choosing the index on 100,000 cases)."""
    assert app.engine.dialect.name == "postgresql"
    with app.engine.connect() as connection:  # each search planned for its own words
        assert connection.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
    for key, index, marked in (
        (CaseRow.search_key, "ix_cases_search_trgm", "ix_cases_marked_trgm"),
        (CaseRow.issued_search_key, "ix_cases_issued_search_trgm", "ix_cases_issued_marked_trgm"),
    ):
        # a long word from the whole key; a short one from the marked words alone (with
        # both, the planner takes either index and checks the other word on the rows)
        for words, expected in ((["xue"], index), (["li"], marked)):
            conditions = search_index.matching("postgresql", key, _marked(needles(words)))
            with app.engine.connect() as connection:
                connection.execute(text("SET enable_seqscan = off"))
                statement = (
                    CaseRow.__table__.select()
                    .where(*conditions)
                    .params(_patterns("postgresql", needles(words)))
                    .compile(connection, compile_kwargs={"literal_binds": True})
                )
                explained = connection.exec_driver_sql(f"EXPLAIN {statement}")
                plan = "\n".join(row[0] for row in explained)
            assert f"Bitmap Index Scan on {expected}" in plan, (words, plan)


def test_migration_0012_rebuilds_every_key_and_the_index(app: App, spelled: Team) -> None:
    """Keys of an older folding (here: a stale word) are rebuilt from the working document
    and the latest issued version; SQLite's index is made and filled; downgrading drops
    it. The database is put back at the head whatever happens (PostgreSQL's is shared)."""
    url = app.url
    app.close()
    engine = create_engine(url)
    config = migrate._config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0011")
            assert not inspect(connection).has_table("cases_fts")
            connection.execute(
                text(
                    "UPDATE cases SET search_key = 'stale', issued_search_key = "
                    "CASE WHEN issued_count > 0 THEN 'stale' ELSE '' END"
                )
            )
            connection.execute(text("UPDATE patients SET search_key = 'stale'"))
    finally:
        migrate.upgrade(engine)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, working, search_key, issued_search_key FROM cases ORDER BY id")
            ).all()
            patient_keys = connection.scalars(text("SELECT search_key FROM patients")).all()
            indexed = (
                connection.execute(
                    text("SELECT rowid, search_key, issued_search_key FROM cases_fts")
                ).all()
                if engine.dialect.name == "sqlite"
                else None
            )
    finally:
        engine.dispose()
    assert len(rows) == len(PATIENTS)
    for _id, working, key, issued_key in rows:
        if isinstance(working, str):
            working = json.loads(working)
        assert key == search_key(working)
        assert issued_key == (search_key(working) if working["accession"] in SIGNED else "")
    assert "stale" not in patient_keys
    if indexed is not None:
        assert sorted(tuple(row) for row in indexed) == [(row[0], row[2], row[3]) for row in rows]
    again = build(url, with_renderer=False, hasher=TEST_HASHER)
    try:
        assert found(again, spelled["drpark"], "papadopoulos") == ["BM26-00061"]
        assert found(again, spelled["clinician"], "li xue") == ["BM26-00062"]
        assert found(again, spelled["drpark"], "o") == ["BM26-00064", "BM26-00060"]
    finally:
        again.close()


def _probed(statement: str, dialect: str) -> bool:
    # PostgreSQL: the row comparison that bounds the walk of the newest cases
    return ("instr(" if dialect == "sqlite" else "cases.id) >= (") in statement


def _asked_the_index(statement: str, dialect: str) -> bool:
    if dialect == "sqlite":
        # not the first matches, which tell whether to probe (`search_index.first_matches`)
        return "GLOB" in statement and not statement.startswith("SELECT cases_fts.rowid")
    # the planner's estimate (`EXPLAIN`) runs nothing
    return "LIKE" in statement and not _probed(statement, dialect) and "EXPLAIN" not in statement


@pytest.mark.parametrize("window", [search_index.PROBE_WINDOW, 3, 1])
def test_a_first_page_from_the_newest_cases_is_the_index_s_first_page(
    app: App, spelled: Team, window: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word with a page of matches is looked for among the newest cases before the index
    is asked for the page: whatever the window, the page holds exactly the rows the index
    gives (a window too small to fill the page falls back to the index), newest first.
    PostgreSQL bounds its probe by the window's last row: a window larger than the five
    cases has none, and the index answers."""
    monkeypatch.setattr(search_index, "PROBE_WINDOW", window)
    monkeypatch.setattr(search_index, "LARGEST_WINDOW", 0)  # the first window alone here
    monkeypatch.setattr(search_index, "FEW_MATCHES", 0)  # PostgreSQL: probe whatever its estimate
    monkeypatch.setattr(search_index, "PROBED_SHARE", 0)
    dialect = app.engine.dialect.name
    probes = dialect == "sqlite" or window <= len(PATIENTS)
    pathologist = spelled["drpark"]
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        for words, expected in SPELLINGS:
            for limit in range(1, len(expected) + 1):
                statements.clear()
                page = app.cases.search(pathologist, words, limit=limit)
                assert [row.accession for row in page] == expected[:limit], (words, limit)
                # every word here has at least `limit` matches: the newest cases are probed
                # when the window can hold the page
                probed = any(_probed(statement, dialect) for statement in statements)
                assert probed == (limit <= window and probes), (words, limit)
                asked_index = any(_asked_the_index(s, dialect) for s in statements)
                # the five cases are the newest five: a window holding the page's rows
                # answers it alone
                newest_needed = (
                    PATIENTS[::-1].index(next(p for p in PATIENTS if p[0] == expected[limit - 1]))
                    + 1
                )
                assert asked_index == (newest_needed > window or not probes), (words, limit)
    finally:
        event.remove(app.engine, "before_cursor_execute", record)


@pytest.mark.parametrize("largest", [7, 6])
def test_a_short_window_says_how_large_a_second_one_must_be(
    app: App, spelled: Team, largest: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The word is in the newest case and the third newest: a window of two holds half a
    page of two, so a second window of seven is probed (2 x 2 / 1 x 1.5 + 1), which holds
    the page; unless windows that large are not allowed, and the index answers. (Two
    older cases make seven, so that PostgreSQL's window of seven has a last row.)"""
    for accession, date in (("BM26-00058", "2026-08-01"), ("BM26-00059", "2026-08-02")):
        older = variant(accession, mrn=f"MRN-{accession[-2:]}9", procedure_date=date)
        app.cases.import_case(spelled["drpark"], older)
    monkeypatch.setattr(search_index, "PROBE_WINDOW", 2)
    monkeypatch.setattr(search_index, "LARGEST_WINDOW", largest)
    monkeypatch.setattr(search_index, "FEW_MATCHES", 0)
    monkeypatch.setattr(search_index, "PROBED_SHARE", 0)
    dialect = app.engine.dialect.name
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        page = app.cases.search(spelled["drpark"], "leukemia", limit=2)
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert [row.accession for row in page] == ["BM26-00064", "BM26-00062"]
    probes = [s for s in statements if _probed(s, dialect)]
    assert len(probes) == (2 if largest == 7 else 1)
    assert any(_asked_the_index(s, dialect) for s in statements) == (largest == 6)


def test_a_word_with_fewer_matches_than_a_page_is_never_probed(app: App, spelled: Team) -> None:
    """SQLite's index finds two matches; PostgreSQL's statistics count fewer than
    `FEW_MATCHES` in five cases."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.engine, "before_cursor_execute", record)
    try:
        page = app.cases.search(spelled["drpark"], "leukemia", limit=200)
        assert [row.accession for row in page] == ["BM26-00064", "BM26-00062"]
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert not any(_probed(statement, app.engine.dialect.name) for statement in statements)


def test_fewer_matches_than_a_page_are_read_by_their_ids_with_the_worklist_s_filters(
    app: App, spelled: Team
) -> None:
    """SQLite: the index's first matches decide whether to probe; fewer than a page are
    every match, and the page is read by their ids without asking the index again; none
    and no page is read. Whatever the filters and the reader, the page is the one the
    index gives for the same search without a page limit (which never probes)."""
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(args[2])

    clinician, pathologist = spelled["clinician"], spelled["drpark"]
    searches: list[tuple[Any, str, dict[str, Any]]] = [
        (pathologist, "leukemia", {}),
        (pathologist, "cell", {"statuses": (Status.FINAL,)}),
        (pathologist, "anemia", {"date_from": datetime.date(2026, 9, 2)}),
        (pathologist, "leukemia", {"date_to": datetime.date(2026, 9, 3)}),
        (clinician, "leukemia", {}),
        (clinician, "cell", {"unread_only": True}),
        (pathologist, "xyzzy", {}),
    ]
    dialect = app.engine.dialect.name
    event.listen(app.engine, "before_cursor_execute", record)
    try:
        for user, words, filters in searches:
            whole = [r.accession for r in app.cases.search(user, words, **filters)]
            matched = bool(app.cases.search(user, words))  # the index's matches, unfiltered
            statements.clear()
            page = [r.accession for r in app.cases.search(user, words, limit=50, **filters)]
            assert page == whole, (words, filters)
            if dialect == "sqlite":
                reads = [s for s in statements if "FROM cases" in s]
                # the first matches, then the page by id (none when nothing matched)
                assert reads[0].startswith("SELECT cases_fts.rowid"), words
                assert len(reads) == (2 if matched else 1), (words, filters, reads)
                assert "GLOB" not in reads[-1] or not matched
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert [r.accession for r in app.cases.search(pathologist, "leukemia", limit=50)] == [
        "BM26-00064",
        "BM26-00062",
    ]


def test_a_statement_is_built_once_for_each_shape_of_query(app: App, spelled: Team) -> None:
    """Searches that differ only in their values (another word, reader or status) reuse
    one statement; a new filter builds another."""
    clinician, pathologist = spelled["clinician"], spelled["drpark"]
    case_pages.statement.cache_clear()  # other tests of this process built shapes too

    def accessions(user: Any, words: str, **filters: Any) -> list[str]:
        return [r.accession for r in app.cases.search(user, words, limit=50, **filters)]

    assert accessions(pathologist, "petrova", statuses=(Status.DRAFT,)) == ["BM26-00060"]
    assert accessions(clinician, "papadopoulos") == ["BM26-00061"]
    built = case_pages.statement.cache_info().misses
    assert accessions(pathologist, "nguyen", statuses=(Status.DRAFT,)) == ["BM26-00063"]
    assert accessions(pathologist, "nguyen", statuses=(Status.FINAL,)) == []
    assert accessions(clinician, "myeloid") == ["BM26-00062"]
    assert case_pages.statement.cache_info().misses == built
    assert accessions(pathologist, "nguyen", date_from=datetime.date(2026, 9, 5)) == []
    assert case_pages.statement.cache_info().misses == built + 1


def test_a_limit_out_of_the_ordinary_answers_as_the_database_does(app: App, spelled: Team) -> None:
    """Found by review: a negative limit once sent SQLite's search into the probe with
    negative windows, for ever (SQLite reads LIMIT -1 as no limit; PostgreSQL refuses
    it); a limit past 32 bits must reach PostgreSQL as a BIGINT, as before."""
    pathologist = spelled["drpark"]
    everything = [r.accession for r in app.cases.search(pathologist, "cell")]
    assert everything
    if app.engine.dialect.name == "sqlite":
        page = app.cases.search(pathologist, "cell", limit=-1)
        assert [r.accession for r in page] == everything
    huge = app.cases.search(pathologist, "cell", limit=3_000_000_000, offset=0)
    assert [r.accession for r in huge] == everything
    assert app.cases.search(pathologist, "cell", limit=0) == []


def test_words_with_glob_s_special_characters_beside_other_words_do_not_crash(
    app: App, spelled: Team
) -> None:
    """Found by review: SQLite's FTS5 crashed the whole process on a GLOB holding a
    bracket escape beside another GLOB ("?a 5%"). Such a word is tested by `instr` on
    FTS5's copy of the key; the page is the cases whose key holds every needle."""
    pathologist = spelled["drpark"]
    with app.engine.connect() as connection:
        rows = connection.execute(text("SELECT accession, search_key FROM cases")).all()
    keys: dict[str, str] = {accession: key for accession, key in rows}
    for words in ("?a 5%", "[*] cell", "cell *", "leukemia hairy?", "a*b c[", "? [ *"):
        expected = sorted(
            accession
            for accession, key in keys.items()
            if all(needle in key for needle in needles(words.split()))
        )
        for limit in (None, 1, 50):
            found = [r.accession for r in app.cases.search(pathologist, words, limit=limit)]
            assert set(found) <= set(expected), (words, limit)
            assert len(found) == min(len(expected), limit or len(expected)), (words, limit)
