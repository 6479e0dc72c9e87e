"""A clinician's patients (issue 16, item 1): the issued reports that name her provider id
as ordering provider or copy recipient, with New and Amended marks that her reading
clears (audited), on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from marrowpath.bootstrap import App, build
from marrowpath.domain.errors import Forbidden, Refused
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case
from tests.hashing import TEST_HASHER

HER_ID = "1497758544"  # the example case's ordering provider
OTHER = {"name": "Sam Other, MD", "id": "1111111116"}


@pytest.fixture
def app(database_url: str) -> Iterator[App]:
    """As installed: the preview renders or fetches real PDFs."""
    application = build(database_url, hasher=TEST_HASHER)
    yield application
    application.close()


def _case(accession: str, day: int, **edits: Any) -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(example_case())
    data["accession"] = accession
    data["procedure"]["date"] = f"2026-11-{day:02d}"
    data.update(edits)
    return data


@pytest.fixture
def linked(app: App, team: dict[str, User]) -> User:
    """The clinician, linked by the admin to the example case's ordering provider."""
    app.auth.link_provider(team["admin"], "clinician", f" {HER_ID} ")
    return team["clinician"]


def _issue(app: App, team: dict[str, User], data: dict[str, Any]) -> str:
    app.cases.import_case(team["drpark"], data)
    app.cases.sign(team["drpark"], data["accession"], PASSWORD)
    return str(data["accession"])


def _mine(app: App, user: User, **filters: Any) -> list[tuple[str, bool, bool]]:
    rows = app.cases.search(user, my_patients=True, **filters)
    return [(r.accession, r.new, r.amended) for r in rows]


def test_my_patients_are_the_issued_reports_naming_her_newest_first(
    app: App, team: dict[str, User], linked: User
) -> None:
    ordered = _issue(app, team, _case("BM26-00001", 10))
    copied = _issue(
        app,
        team,
        _case("BM26-00002", 12, ordering_provider=OTHER, copy_to=[{"name": "Her", "id": HER_ID}]),
    )
    _issue(app, team, _case("BM26-00003", 14, ordering_provider=OTHER))  # someone else's
    app.cases.import_case(team["drpark"], _case("BM26-00004", 16))  # hers, but a draft

    assert _mine(app, linked) == [(copied, True, False), (ordered, True, False)]
    assert app.cases.count(linked, my_patients=True, unread_only=True) == 2
    assert len(app.cases.search(linked)) == 3  # all issued reports: still every one
    # the link is read afresh: unlinking empties her list at once
    app.auth.link_provider(team["admin"], "clinician", "")
    assert _mine(app, linked) == []


def test_opening_clears_new_and_only_the_changes_table_clears_amended(
    app: App, team: dict[str, User], linked: User
) -> None:
    accession = _issue(app, team, _case("BM26-00042", 18))
    app.cases.report_pdf(linked, accession, purpose="preview")
    assert _mine(app, linked) == [(accession, False, False)]
    assert _mine(app, linked, unread_only=True) == []
    assert app.cases.count(linked, my_patients=True, unread_only=True) == 0

    corrected = _case("BM26-00042", 18)
    corrected["procedure"]["laterality"] = "left"
    app.cases.amend(
        team["drpark"],
        accession,
        corrected,
        PASSWORD,
        reason_category="report_defect",
        reason="Side recorded wrongly.",
    )
    assert _mine(app, linked) == [(accession, True, True)]
    # the first version again: nothing new read, still New and Amended
    app.cases.report_pdf(linked, accession, version=1, purpose="preview")
    assert _mine(app, linked, unread_only=True) == [(accession, True, True)]
    # an addendum on top: the current version is read, the amendment's table was not shown
    app.cases.addendum(team["drpark"], accession, PASSWORD, text="Flow cytometry follows.")
    app.cases.report_pdf(linked, accession, purpose="preview")
    assert _mine(app, linked) == [(accession, False, True)]
    assert app.cases.count(linked, my_patients=True, unread_only=True) == 1
    app.cases.report_pdf(linked, accession, version=2, purpose="preview")  # the amendment
    assert _mine(app, linked) == [(accession, False, False)]
    with app.context.uow(read_only=True) as uow:
        reads = [e for e in uow.audit.for_case(accession) if e.action == "mark-read"]
    assert [(e.username, e.detail) for e in reads] == [
        ("clinician", {"version": 1, "changes_shown": False}),
        ("clinician", {"version": 3, "changes_shown": False}),
        ("clinician", {"version": 2, "changes_shown": True}),
    ]


def test_only_admins_link_providers_and_bad_ids_are_refused(
    app: App, team: dict[str, User]
) -> None:
    with pytest.raises(Forbidden):
        app.auth.link_provider(team["clinician"], "clinician", HER_ID)
    with pytest.raises(Refused, match="provider id"):
        app.auth.link_provider(team["admin"], "clinician", "x" * 65)
    assert app.auth.user("clinician").provider_id is None  # type: ignore[union-attr]


def test_the_worklist_pages_by_keyset_without_gaps_or_repeats(
    app: App, team: dict[str, User]
) -> None:
    for number in range(1, 13):  # equal dates: the id breaks ties
        day = 10 + number % 3
        app.cases.import_case(team["drpark"], _case(f"BM26-{number:05d}", day))
    for sort, descending in (("procedure_date", True), ("patient", False), ("accession", True)):
        seen: list[str] = []
        after = None
        while True:
            page = app.cases.search(
                team["drpark"],
                sort=sort,  # type: ignore[arg-type]
                descending=descending,
                after=after,
                limit=5,
            )
            seen += [r.accession for r in page]
            if len(page) < 5:
                break
            after = page[-1].position
        whole = [
            r.accession
            for r in app.cases.search(team["drpark"], sort=sort, descending=descending)  # type: ignore[arg-type]
        ]
        assert seen == whole and len(seen) == 12
