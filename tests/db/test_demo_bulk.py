"""Generated demo cases (`demo --cases N`) are written in batches, not through each service
call; the database must still hold what the real paths leave: patients, search keys,
issued versions with their hashes, and the audit records `audit verify` checks."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App
from marrowpath.demo.bulk import bulk_cases
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.lifecycle import Status
from marrowpath.domain.users import User
from marrowpath.services.documents import resolve_patients

COUNT = 120


@pytest.fixture
def loaded(app: App) -> tuple[App, dict[str, User]]:
    users, empty = app.demo.ensure_users_and_lab()
    assert empty
    assert app.demo.load_bulk(users, COUNT, app.context.clock.today()) == COUNT
    return app, users


def test_bulk_cases_pass_verify_with_every_version(loaded: tuple[App, dict[str, User]]) -> None:
    app, users = loaded
    expected = list(bulk_cases(COUNT, today=app.context.clock.today()))
    issued = sum(sum(step.action not in ("cancel",) for step in case.steps) for case in expected)
    result = app.audit.verify(users["admin"])
    assert result.problems == []
    assert result.versions == issued > COUNT / 2
    with app.context.uow(read_only=True) as uow:
        states = {state.accession: state for state in uow.cases.states()}
        events = Counter(e.action for e in uow.audit.events())
    assert len(states) == COUNT
    assert events["sign"] == issued
    assert events["cancel"] == sum(case.status is Status.CANCELLED for case in expected)


def test_bulk_cases_are_found_by_search_as_saved_ones(
    loaded: tuple[App, dict[str, User]],
) -> None:
    app, users = loaded
    case = next(c for c in bulk_cases(COUNT, today=app.context.clock.today()) if c.steps)
    patient = case.document["patient"]
    rows = app.cases.search(users["achen"], f"{patient['family_name']} {patient['mrn']}")
    assert case.document["accession"] in {row.accession for row in rows}
    clinician = next(u for u in users.values() if u.role.value == "clinician")
    issued_rows = app.cases.search(clinician, patient["mrn"])
    assert {row.accession for row in issued_rows} <= {
        c.document["accession"]
        for c in bulk_cases(COUNT, today=app.context.clock.today())
        if c.document["patient"]["mrn"] == patient["mrn"]
    }
    assert issued_rows  # the issued search key was written too


def test_loading_again_adds_nothing(loaded: tuple[App, dict[str, User]]) -> None:
    app, users = loaded
    assert app.demo.load_bulk(users, COUNT, app.context.clock.today()) == 0
    assert app.audit.verify(users["admin"]).problems == []


def test_batched_patients_keep_the_rules_of_one_by_one(
    loaded: tuple[App, dict[str, User]],
) -> None:
    """An MRN stored under another person, or one that looks like a stored MRN, is
    refused in a batch as `resolve_patient` refuses it."""
    app, _users = loaded
    stored = next(iter(bulk_cases(1, today=app.context.clock.today()))).document["patient"]
    fresh = {**stored, "mrn": "NEW0000001"}
    other_person = {**stored, "given_names": "Somebody Else"}
    lookalike = {**stored, "mrn": stored["mrn"].replace("0", "O", 1)}
    with app.context.uow() as uow:
        found = resolve_patients(
            uow, [("BM99-00001", {"patient": fresh}), ("BM99-00002", {"patient": stored})]
        )
        assert set(found) == {"NEW0000001", stored["mrn"]}
        with pytest.raises(InvalidCase, match="patients are never merged or overwritten"):
            resolve_patients(uow, [("BM99-00003", {"patient": other_person})])
        with pytest.raises(InvalidCase, match="look-alike characters"):
            resolve_patients(uow, [("BM99-00004", {"patient": lookalike})])


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_processes_write_what_one_process_writes(app: App) -> None:
    """Large loads replay cases in worker processes; the batches still land in order,
    complete, and `verify` passes."""
    users, _empty = app.demo.ensure_users_and_lab()
    today = app.context.clock.today()
    assert app.demo.load_bulk(users, 1200, today, workers=2) == 1200
    assert app.audit.verify(users["admin"]).problems == []
    with app.context.uow(read_only=True) as uow:
        stored = {state.accession for state in uow.cases.states()}
    assert stored == {c.document["accession"] for c in bulk_cases(1200, today=today)}


def test_the_accession_counter_never_proposes_a_generated_number(
    loaded: tuple[App, dict[str, User]],
) -> None:
    """Generated cases are written with their numbers; the counter is moved past them, so
    a new case is numbered after the highest of its year, however wide (a million cases
    reach BM26-100000 and up, which the counter's own width would not see)."""
    app, users = loaded
    prefix = f"BM{app.context.clock.today():%y}-"
    generated = [
        c.document["accession"] for c in bulk_cases(COUNT, today=app.context.clock.today())
    ]
    highest = max(int(a[len(prefix) :]) for a in generated if a.startswith(prefix))
    with app.engine.connect() as connection:  # moved by the load itself
        counted = connection.execute(
            text("SELECT last_number FROM accession_counters WHERE prefix = :prefix"),
            {"prefix": prefix},
        ).scalar_one()
    assert counted == highest
    pathologist = users["achen"]
    assert app.cases.next_accession(pathologist) == f"{prefix}{highest + 1:05d}"
    with app.context.uow() as uow:
        uow.accessions.at_least(prefix, 100_416)  # as a load of six-digit numbers does
        uow.commit()
    assert app.cases.next_accession(pathologist) == f"{prefix}100417"
    with app.context.uow() as uow:
        uow.accessions.at_least(prefix, 7)  # never backwards
        uow.commit()
    assert app.cases.next_accession(pathologist) == f"{prefix}100418"
