"""Patient records (issue 14, items 3 and 4): corrections follow into every working
document and search key and leave issued versions alone; merges move cases to the
surviving MRN and are undone exactly; two workstations at once: one wins, the other is
told. SQLite and PostgreSQL."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import text

from marrowpath.bootstrap import App
from marrowpath.domain import hl7v2
from marrowpath.domain.errors import ConcurrentChange, Forbidden, InvalidCase, NotFound, Refused
from marrowpath.domain.users import User
from tests.conftest import PASSWORD, example_case

Team = dict[str, User]
DELGADO = "MRN0012345"
DUPLICATE = "MRN0099999"


def case(accession: str, mrn: str = DELGADO, **patient: str) -> dict[str, Any]:
    data = example_case()
    data["accession"] = accession
    data["patient"].update(mrn=mrn, **patient)
    return data


def signed(app: App, team: Team, *cases: dict[str, Any]) -> None:
    for data in cases:
        app.cases.import_case(team["drpark"], data)
        app.cases.sign(team["drpark"], data["accession"], PASSWORD)


def found(app: App, user: User, words: str) -> list[str]:
    return sorted(row.accession for row in app.cases.search(user, words))


def rows(app: App, sql: str) -> list[Any]:
    with app.engine.connect() as connection:
        return list(connection.execute(text(sql)))


def audit_actions(app: App) -> list[str]:
    with app.context.uow(read_only=True) as uow:
        return [event.action for event in uow.audit.events()]


# ------------------------------------------------------------------ correction


def test_a_correction_follows_into_working_documents_and_search_not_issued_versions(
    app: App, team: Team
) -> None:
    signed(app, team, case("BM26-00001"))
    app.cases.import_case(team["drpark"], case("BM26-00002"))  # a draft
    before = rows(app, "SELECT case_id, number, sha256, content FROM report_versions")
    pathologist, clinician = team["drpark"], team["clinician"]
    assert found(app, clinician, "delgado") == ["BM26-00001"]

    result = app.patients.correct(
        pathologist, DELGADO, family_name="Delgado-Ruiz", reason="Registration typo"
    )

    assert [(c.label, c.was, c.now) for c in result.changes] == [
        ("family name", "Delgado", "Delgado-Ruiz")
    ]
    assert sorted(result.cases) == ["BM26-00001", "BM26-00002"]
    assert [(p.accession, p.version, p.text) for p in result.printed] == [
        ("BM26-00001", 1, "family name Delgado")
    ]
    for accession in ("BM26-00001", "BM26-00002"):
        working = app.cases.open(pathologist, accession).record.working
        assert working["patient"]["family_name"] == "Delgado-Ruiz"
    assert rows(app, "SELECT patient_name FROM cases ORDER BY accession") == [
        ("DELGADO-RUIZ, Tomás",),
        ("DELGADO-RUIZ, Tomás",),
    ]
    assert found(app, pathologist, "delgado ruiz") == ["BM26-00001", "BM26-00002"]
    assert found(app, clinician, "delgado ruiz") == ["BM26-00001"]
    # issued versions as signed, and what the clinician reads is the issued report
    assert rows(app, "SELECT case_id, number, sha256, content FROM report_versions") == before
    issued = app.cases.open(clinician, "BM26-00001").record.working
    assert issued["patient"]["family_name"] == "Delgado"
    assert "patient-correct" in audit_actions(app)


def test_an_amendment_after_a_correction_carries_the_corrected_identity(
    app: App, team: Team
) -> None:
    signed(app, team, case("BM26-00001"))
    app.patients.correct(team["admin"], DELGADO, birth_date="1957-05-04", reason="Wrong DOB")
    pathologist = team["drpark"]
    record = app.cases.start_amendment(pathologist, "BM26-00001")
    assert record.working["patient"]["birth_date"] == "1957-05-04"
    version = app.cases.sign_amendment(
        pathologist,
        "BM26-00001",
        PASSWORD,
        reason_category="misidentification",
        reason="Birth date corrected in the patient record",
    )
    assert version.content.document.patient.birth_date.isoformat() == "1957-05-04"
    assert version.content.reason_category == "misidentification"


def test_a_birth_date_after_a_procedure_is_refused_naming_the_case(app: App, team: Team) -> None:
    signed(app, team, case("BM26-00001"))
    procedure = example_case()["procedure"]["date"]
    snapshot = rows(app, "SELECT * FROM patients"), rows(app, "SELECT working FROM cases")
    with pytest.raises(Refused) as refused:
        app.patients.correct(team["drpark"], DELGADO, birth_date="2026-11-19", reason="DOB")
    assert str(refused.value) == (
        f"BM26-00001: patient.birth_date 2026-11-19 is after the procedure date {procedure}; "
        f"the correction of {DELGADO} is refused"
    )
    assert (rows(app, "SELECT * FROM patients"), rows(app, "SELECT working FROM cases")) == (
        snapshot
    )
    assert audit_actions(app)[-1] == "refused"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"family_name": "  "}, f"{DELGADO}: patient.family_name "),
        ({"sex": "female", "family_name": "Delgado\x00"}, f"{DELGADO}: patient.family_name "),
        ({"family_name": "Delgado"}, f"{DELGADO}: the correction changes nothing"),
    ],
)
def test_bad_corrections_are_refused_and_change_nothing(
    app: App, team: Team, changes: dict[str, str], message: str
) -> None:
    signed(app, team, case("BM26-00001"))
    with pytest.raises(Refused, match=message.replace("(", r"\(")):
        app.patients.correct(team["drpark"], DELGADO, reason="r", **changes)  # type: ignore[arg-type]
    assert rows(app, "SELECT family_name, sex FROM patients") == [("Delgado", "male")]


def test_only_admins_and_pathologists_correct_and_only_admins_merge(app: App, team: Team) -> None:
    signed(app, team, case("BM26-00001"), case("BM26-00002", DUPLICATE))
    for name in ("resident", "tech", "clinician"):
        with pytest.raises(Forbidden, match=f"{name} .* may not correct patient records"):
            app.patients.correct(team[name], DELGADO, family_name="X", reason="r")
    for name in ("drpark", "resident", "clinician"):
        with pytest.raises(Forbidden, match="may not merge or unmerge patient records"):
            app.patients.merge(team[name], DUPLICATE, DELGADO, reason="duplicate")


# ------------------------------------------------------------------ merge and unmerge


def test_merge_moves_cases_to_the_surviving_mrn_and_unmerge_restores_them_exactly(
    app: App, team: Team
) -> None:
    signed(app, team, case("BM26-00001"), case("BM26-00002", DUPLICATE))
    app.cases.import_case(team["drpark"], case("BM26-00003", DUPLICATE))  # a draft
    admin, pathologist, clinician = team["admin"], team["drpark"], team["clinician"]
    columns = "accession, patient_id, working, mrn, patient_name, search_key, issued_search_key"
    before = rows(app, f"SELECT {columns} FROM cases ORDER BY accession")

    result = app.patients.merge(admin, DUPLICATE, DELGADO, reason="Duplicate registration")

    assert sorted(result.cases) == ["BM26-00002", "BM26-00003"]
    assert rows(app, "SELECT DISTINCT mrn FROM cases") == [(DELGADO,)]
    # search by either MRN finds the patient (all its cases), for staff and clinicians
    everything = ["BM26-00001", "BM26-00002", "BM26-00003"]
    for mrn in (DUPLICATE, DELGADO):
        assert found(app, pathologist, mrn) == everything
        assert found(app, clinician, mrn) == ["BM26-00001", "BM26-00002"]
    # the timeline of either MRN is the surviving patient's
    assert [e.accession for e in app.timeline.timeline(pathologist, DUPLICATE).entries] == (
        everything
    )
    # results sent after the merge carry the surviving MRN
    message = hl7v2.parse(app.interfaces.export_hl7(clinician, "BM26-00002"))
    pid = message.first("PID")
    assert pid is not None and pid.get(3) == DELGADO
    # a new case under the merged MRN is refused, naming the survivor
    with pytest.raises(InvalidCase, match=f"{DUPLICATE} was merged into {DELGADO}"):
        app.cases.import_case(pathologist, case("BM26-00004", DUPLICATE))

    undone = app.patients.unmerge(admin, DUPLICATE)

    assert sorted(undone.cases) == ["BM26-00002", "BM26-00003"]
    after = rows(app, f"SELECT {columns} FROM cases ORDER BY accession")
    assert after == before
    assert found(app, pathologist, DUPLICATE) == ["BM26-00002", "BM26-00003"]
    assert rows(app, "SELECT unmerged_by FROM patient_merges") == [("admin",)]
    actions = audit_actions(app)
    assert actions.index("patient-merge") < actions.index("patient-unmerge")


def test_merge_refusals(app: App, team: Team) -> None:
    signed(app, team, case("BM26-00001"), case("BM26-00002", DUPLICATE))
    admin = team["admin"]
    with pytest.raises(Refused, match=f"{DELGADO}: a patient cannot be merged into itself"):
        app.patients.merge(admin, DELGADO, DELGADO, reason="r")
    with pytest.raises(NotFound, match="MRN0000000: no patient with this MRN"):
        app.patients.merge(admin, DUPLICATE, "MRN0000000", reason="r")
    with pytest.raises(Refused, match=f"{DELGADO}: is not merged into another patient"):
        app.patients.unmerge(admin, DELGADO)
    # a misidentification amendment moved BM26-00002 from DUPLICATE to DELGADO: the case
    # was issued under both MRNs, so they are two people
    app.cases.amend(
        team["drpark"],
        "BM26-00002",
        case("BM26-00002"),
        PASSWORD,
        reason_category="misidentification",
        reason="Wrong patient",
    )
    signed(app, team, case("BM26-00003", DUPLICATE))
    with pytest.raises(Refused, match="BM26-00002: was issued under both"):
        app.patients.merge(admin, DUPLICATE, DELGADO, reason="r")
    assert rows(app, "SELECT count(*) FROM patient_merges") == [(0,)]
    assert rows(app, "SELECT merged_into_id FROM patients") == [(None,), (None,)]


# ------------------------------------------------------------------ two workstations


def race(*actions: Callable[[], object]) -> list[object]:
    """Run the actions at the same moment on threads; their results or refusals."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[object] = [None] * len(actions)

    def run(index: int, action: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = action()
        except Refused as refusal:
            outcomes[index] = refusal

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def test_two_corrections_at_once_one_wins_the_other_is_told(app: App, team: Team) -> None:
    signed(app, team, case("BM26-00001"), case("BM26-00002"))
    seen = app.patients.patient(team["admin"], DELGADO)
    outcomes = race(
        lambda: app.patients.correct(
            team["admin"], DELGADO, given_names="Tomas", reason="a", expected=seen
        ),
        lambda: app.patients.correct(
            team["drpark"], DELGADO, family_name="Delgada", reason="b", expected=seen
        ),
    )
    told = [o for o in outcomes if isinstance(o, ConcurrentChange)]
    assert len(told) == 1 and "changed on another workstation" in str(told[0])
    (patient,) = rows(app, "SELECT family_name, given_names FROM patients")
    names = {tuple(patient)}
    assert names in ({("Delgado", "Tomas")}, {("Delgada", "Tomás")})
    family, given = patient
    # every case follows the winner, none half-done
    for (working,) in rows(app, "SELECT working FROM cases"):
        document = working if isinstance(working, dict) else json.loads(working)
        assert (document["patient"]["family_name"], document["patient"]["given_names"]) == (
            family,
            given,
        )


def test_a_merge_and_a_correction_at_once_one_wins_the_other_is_told(app: App, team: Team) -> None:
    signed(app, team, case("BM26-00001"), case("BM26-00002", DUPLICATE))
    admin = team["admin"]
    seen = (app.patients.patient(admin, DUPLICATE), app.patients.patient(admin, DELGADO))
    outcomes = race(
        lambda: app.patients.merge(admin, DUPLICATE, DELGADO, reason="dup", expected=seen),
        lambda: app.patients.correct(
            team["drpark"], DUPLICATE, family_name="Delgadx", reason="c", expected=seen[0]
        ),
    )
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1, outcomes
    merged = rows(app, "SELECT count(*) FROM patient_merges") == [(1,)]
    if merged:  # the merge won: the correction was told that DUPLICATE is merged
        assert "was merged into" in str(refused[0])
        assert rows(app, "SELECT DISTINCT mrn FROM cases") == [(DELGADO,)]
    else:  # the correction won: the merge was told the record changed
        assert isinstance(refused[0], ConcurrentChange)
        assert rows(app, "SELECT mrn FROM cases ORDER BY accession") == [(DELGADO,), (DUPLICATE,)]
