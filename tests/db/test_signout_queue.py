"""The sign-out bench (bench.md section 3) on SQLite and PostgreSQL: the queue "Awaiting
my signature" and its next case, a resident's "Send for review" with the attending's
changes audited at signing, and presence across workstations (expiring, released)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from marrowpath.bootstrap import App, build
from marrowpath.db import migrate
from marrowpath.domain.bench import PRESENCE_EXPIRES, presence_text
from marrowpath.domain.errors import Refused
from marrowpath.domain.users import Role, User
from marrowpath.services.context import Clock
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: signing renders the report."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def _case(accession: str, day: int, *, complete: bool = True) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(example_case())
    data["accession"] = accession
    data["procedure"]["date"] = f"2026-11-{day:02d}"
    if not complete:
        del data["diagnosis"]["lines"]
    return data


@pytest.fixture
def colleague(app: App, team: dict[str, User]) -> User:
    app.auth.add_user(
        team["admin"], "drlee", full_name="Lin Lee", role=Role.PATHOLOGIST, password=PASSWORD
    )
    return app.auth.sign_in("drlee", PASSWORD)


def _queue(app: App, user: User) -> list[str]:
    return [case.accession for case in app.bench.queue(user)]


def test_the_queue_holds_my_unsigned_cases_complete_enough_to_sign_oldest_first(
    app: App, team: dict[str, User], colleague: User
) -> None:
    drpark = team["drpark"]
    app.cases.import_case(drpark, _case("BM26-00012", 12))
    app.cases.import_case(drpark, _case("BM26-00010", 10))
    app.cases.create(drpark, _case("BM26-00011", 11, complete=False))  # not signable yet
    app.cases.import_case(colleague, _case("BM26-00013", 13))  # assigned to Dr Lee
    app.cases.import_case(drpark, _case("BM26-00014", 14))
    app.cases.sign(drpark, "BM26-00014", PASSWORD)  # signed: out of the queue

    assert _queue(app, drpark) == ["BM26-00010", "BM26-00012"]
    assert _queue(app, colleague) == ["BM26-00013"]
    # the worklist's filter is the same query, paged and counted by the database
    rows = app.cases.search(drpark, awaiting_signature=True, descending=False)
    assert [r.accession for r in rows] == ["BM26-00010", "BM26-00012"]
    assert app.cases.count(drpark, awaiting_signature=True) == 2

    # next: the following case, from the top again after the last; none when alone
    assert app.bench.next_in_queue(drpark, None) == "BM26-00010"
    assert app.bench.next_in_queue(drpark, "BM26-00010") == "BM26-00012"
    assert app.bench.next_in_queue(drpark, "BM26-00012") == "BM26-00010"
    assert app.bench.next_in_queue(drpark, "BM26-00011") == "BM26-00010"
    assert app.bench.next_in_queue(colleague, "BM26-00013") is None

    app.cases.sign(drpark, "BM26-00010", PASSWORD)
    assert _queue(app, drpark) == ["BM26-00012"]
    # completing the draft puts it in the queue
    view = app.cases.open(drpark, "BM26-00011")
    app.cases.save(
        drpark,
        "BM26-00011",
        _case("BM26-00011", 11),
        expected_row_version=view.record.row_version,
    )
    assert _queue(app, drpark) == ["BM26-00011", "BM26-00012"]
    # a preliminary report still awaits the final signature
    app.cases.sign(drpark, "BM26-00012", PASSWORD, preliminary=True)
    assert _queue(app, drpark) == ["BM26-00011", "BM26-00012"]


def test_a_residents_draft_sent_for_review_reaches_the_attending_with_her_changes(
    app: App, team: dict[str, User]
) -> None:
    drpark, resident = team["drpark"], team["resident"]
    draft = _case("BM26-00020", 17, complete=False)
    draft["diagnosis"]["comment"] = "Features suggest a myeloid neoplasm."
    record = app.cases.create(resident, draft)
    assert record.assigned_pathologist is None
    assert _queue(app, drpark) == []

    row_version = app.bench.send_for_review(
        resident, "BM26-00020", "drpark", expected_row_version=record.row_version
    )
    queued = app.bench.queue(drpark)
    # the queue names people: the resident who sent it and the pathologist, by name
    assert [(c.accession, c.review_from) for c in queued] == [("BM26-00020", "Rui Resident")]
    assert [(c.assigned_pathologist, c.pathologist_name) for c in queued] == [
        ("drpark", "Dana Park")
    ]
    opened = app.cases.open(drpark, "BM26-00020")
    assert opened.record.row_version == row_version
    assert opened.record.assigned_pathologist == "drpark"
    assert opened.record.resident == "resident"
    assert opened.review is not None and opened.review.rows == []
    assert opened.review.request.resident_name == "Rui Resident"

    # the attending completes the draft and rewrites the comment
    finished = _case("BM26-00020", 17)
    finished["diagnosis"]["comment"] = "Acute myeloid leukemia; see the flow cytometry."
    app.cases.save(drpark, "BM26-00020", finished, expected_row_version=row_version)
    review = app.bench.review(drpark, "BM26-00020")
    assert review is not None
    comment = [row for row in review.rows if row.was == "Features suggest a myeloid neoplasm."]
    assert len(comment) == 1
    assert comment[0].now == "Acute myeloid leukemia; see the flow cytometry."
    assert any(row.group == "diagnosis" and not row.was for row in review.rows)

    app.cases.sign(drpark, "BM26-00020", PASSWORD)
    events = app.audit.events_for_case(drpark, "BM26-00020")
    sent = [e for e in events if e.action == "send for review"]
    assert [(e.username, e.detail["to"]) for e in sent] == [("resident", "drpark")]
    (signed,) = [e for e in events if e.action == "review signed"]
    assert signed.username == "drpark" and signed.detail["resident"] == "resident"
    assert comment[0].line() in signed.detail["changes"]
    assert app.bench.review(drpark, "BM26-00020") is None
    assert _queue(app, drpark) == []


def test_send_for_review_is_refused_in_words_and_the_refusal_audited(
    app: App, team: dict[str, User]
) -> None:
    drpark, resident = team["drpark"], team["resident"]
    app.cases.create(resident, _case("BM26-00030", 9, complete=False))
    with pytest.raises(Refused, match=r"BM26-00030: the attending must be .* 'tech' is not"):
        app.bench.send_for_review(resident, "BM26-00030", "tech")
    with pytest.raises(Refused, match="BM26-00030: only a resident sends a draft for review"):
        app.bench.send_for_review(drpark, "BM26-00030", "drpark")
    with pytest.raises(Refused, match="BM26-00030: changed by"):
        app.bench.send_for_review(resident, "BM26-00030", "drpark", expected_row_version=99)
    assert app.bench.review(drpark, "BM26-00030") is None  # nothing changed
    refusals = [
        e.detail["action"]
        for e in app.audit.events_for_case(drpark, "BM26-00030")
        if e.action == "refused"
    ]
    assert refusals == ["send for review"] * 3


def test_presence_shows_who_has_the_case_open_elsewhere_until_closed_or_expired(
    database_url: str, app: App, team: dict[str, User]
) -> None:
    drpark, resident = team["drpark"], team["resident"]
    app.cases.import_case(drpark, _case("BM26-00040", 4))
    assert app.bench.enter(drpark, "BM26-00040", "bench-2") == []
    assert app.bench.enter(drpark, "BM26-00040", "bench-2") == []  # refreshed, still one

    (seen,) = app.bench.enter(resident, "BM26-00040", "resident-pc")
    assert (seen.username, seen.full_name, seen.workstation) == ("drpark", "Dana Park", "bench-2")
    assert presence_text(seen, "09:15") == "Open by Dana Park on bench-2 since 09:15"
    # the same user on a second workstation is someone else there
    assert [p.workstation for p in app.bench.enter(drpark, "BM26-00040", "bench-3")] == [
        "bench-2",
        "resident-pc",
    ]
    app.bench.leave(drpark, "BM26-00040", "bench-3")

    # another workstation (its own program) after the presence expired: not shown
    later = datetime.now(UTC) + PRESENCE_EXPIRES + timedelta(seconds=5)
    elsewhere = build(database_url, hasher=TEST_HASHER, clock=Clock(now=lambda: later))
    try:
        assert elsewhere.bench.enter(team["tech"], "BM26-00040", "lab-1") == []
    finally:
        elsewhere.close()
    # the expired rows were swept: back in the present, only the live one is there
    assert [p.workstation for p in app.bench.enter(resident, "BM26-00040", "resident-pc")] == [
        "lab-1"
    ]
    app.bench.leave(team["tech"], "BM26-00040", "lab-1")  # released on close
    assert app.bench.enter(resident, "BM26-00040", "resident-pc") == []


def test_migration_0020_marks_the_stored_unsigned_cases_that_could_be_signed(
    app: App, team: dict[str, User]
) -> None:
    """The queue needs `signable` for cases saved before it existed: the migration parses
    each unsigned working document as signing would. The database is put back at the head
    whatever happens (PostgreSQL's is shared)."""
    drpark = team["drpark"]
    app.cases.import_case(drpark, _case("BM26-00050", 5))
    app.cases.create(drpark, _case("BM26-00051", 6, complete=False))
    url = app.url
    app.close()
    engine = create_engine(url)
    config = migrate._config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0020-1")  # this migration only, wherever it is chained
            assert "signable" not in {c["name"] for c in inspect(connection).get_columns("cases")}
    finally:
        migrate.upgrade(engine)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT accession, signable FROM cases ORDER BY accession")
            ).all()
    finally:
        engine.dispose()
    assert [(a, bool(s)) for a, s in rows] == [("BM26-00050", True), ("BM26-00051", False)]
    again = build(url, hasher=TEST_HASHER)
    try:
        assert _queue(again, drpark) == ["BM26-00050"]
    finally:
        again.close()
