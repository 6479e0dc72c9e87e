"""Inbound HL7 orders (ORM^O01, OML^O21) become draft cases; conflicting or malformed
orders are answered AE/AR with the reason and change nothing."""

from __future__ import annotations

from datetime import date

import pytest

from marrowpath.adapters.mllp import MllpServer
from marrowpath.bootstrap import App
from marrowpath.domain import hl7v2
from marrowpath.domain.users import User
from marrowpath.services.orders import OrderRefused
from tests.interfaces.support import exchange, hl7apy_message, import_example, order_message

Team = dict[str, User]


def counts(app: App, team: Team) -> tuple[int, int]:
    """(cases, audit events that are not refusals or sign-ins)."""
    with app.context.uow(read_only=True) as uow:
        kept = [e for e in uow.audit.events() if e.action not in ("refused", "sign-in")]
    return app.cases.count(team["drpark"]), len(kept)


def test_an_order_becomes_a_draft_case(app: App, team: Team) -> None:
    result = app.orders.import_message(team["tech"], order_message(kind="OML^O21^OML_O21"))
    assert result.created
    view = app.cases.open(team["tech"], result.accession)
    assert view.record.status.value == "draft"
    working = view.record.working
    assert working["accession"] == result.accession and result.accession.startswith("BM")
    assert working["patient"] == {
        "mrn": "MRN0099001",
        "family_name": "Nguyễn",
        "given_names": "Thị Mai",
        "birth_date": "1961-03-04",
        "sex": "female",
    }
    assert working["ordering_provider"] == {
        "name": "Dr Priya Raman, MD",
        "family_name": "Raman",
        "given_names": "Priya",
        "id": "1497758544",
        "organization": "Hematology Clinic",
    }
    assert working["order"] == {"placer_order_number": "EPIC-778812", "visit_number": "V5550001"}
    assert working["clinical"] == {
        "indication": "abnormal_blood_counts",
        "indication_detail": "Pancytopenia for 3 months; r/o MDS",
    }
    assert working["procedure"] == {
        "date": "2026-11-18",
        "specimens": ["aspirate_smear", "core_biopsy"],
        "site": "posterior_iliac_crest",
        "laterality": "left",
    }
    assert "diagnosis" in view.check.missing
    with app.context.uow(read_only=True) as uow:
        created = [e for e in uow.audit.events() if e.action == "create"][-1]
    assert created.detail["source"] == "hl7 order" and created.detail["control_id"] == "ORD0001"


def test_an_orm_order_attaches_to_the_existing_patient_and_is_not_duplicated(
    app: App, team: Team
) -> None:
    import_example(app, team)
    message = order_message(
        mrn="MRN0012345", family="DELGADO", given="Tomás", birth="19590211", sex="M"
    )
    first = app.orders.import_message(team["tech"], message)
    again = app.orders.import_message(team["tech"], message.replace("ORD0001", "ORD0002"))
    assert first.created and not again.created and again.accession == first.accession
    working = app.cases.open(team["tech"], first.accession).record.working
    assert working["procedure"]["specimens"] == ["aspirate_smear"]
    assert app.cases.count(team["drpark"]) == 2
    assert app.cases.find_patient(team["tech"], "MRN0012345") is not None


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"family": "Delgada"}, "AE", "MRN0012345 belongs to DELGADO, Tomás"),
        ({"birth": "19600211"}, "AE", "born 1959-02-11"),
        ({"sex": "X"}, "AE", "PID-8 (sex) X is not one of F, M, O, U"),
        ({"birth": "19591311"}, "AE", "PID-7 (birth date)"),
        ({"kind": "ADT^A01^ADT_A01"}, "AR", "MSH-9 ADT^A01 is not an order"),
        ({"specimens": ("bone_dust",)}, "AE", "OBR-15 specimen type 'bone_dust'"),
    ],
)
def test_a_conflicting_or_malformed_order_is_refused_and_changes_nothing(
    app: App, team: Team, changes: dict[str, object], code: str, words: str
) -> None:
    import_example(app, team)
    before = counts(app, team)
    fields = {"mrn": "MRN0012345", "family": "Delgado", "given": "Tomás", "birth": "19590211"}
    fields.update({"sex": "M", **changes})  # type: ignore[dict-item]
    with pytest.raises(OrderRefused) as refused:
        app.orders.import_message(team["tech"], order_message(**fields))  # type: ignore[arg-type]
    assert refused.value.code == code and words in str(refused.value)
    assert counts(app, team) == before


def test_listener_answers_with_acks_that_say_why(app: App, team: Team) -> None:
    import_example(app, team)
    server = MllpServer("127.0.0.1", 0, lambda text: app.orders.receive(team["tech"], text))
    with server:
        accepted = exchange(server.port, order_message(kind="OML^O21^OML_O21"))
        conflict = exchange(
            server.port,
            order_message(control_id="ORD0009", mrn="MRN0012345", family="Smith", placer="P-2"),
        )
        garbage = exchange(server.port, "this is not HL7")
        future = exchange(
            server.port,
            order_message(control_id="ORD0010", placer="P-3", procedure=date(2099, 1, 1)),
        )
    for ack in (accepted, conflict, garbage, future):
        hl7apy_message(ack)
    read = [hl7v2.read_ack(ack) for ack in (accepted, conflict, garbage, future)]
    assert (read[0].code, read[0].control_id) == ("AA", "ORD0001")
    assert read[0].text.startswith("created draft case BM")
    assert read[1] == hl7v2.Ack(
        "AE",
        "ORD0009",
        "patient.mrn conflicts with an existing patient record; the laboratory will review it",
    )
    assert "DELGADO" not in conflict and "1959" not in conflict
    assert read[2].code == "AR" and "does not start with an MSH segment" in read[2].text
    assert read[3].code == "AA" and "procedure date was left empty" in read[3].text
    conditions = [
        (hl7v2.parse(a).first("ERR") or hl7v2.parse(a).header).get(3) for a in (conflict, garbage)
    ]
    assert conditions == ["205", "102"]  # HL7 table 0357: duplicate key, data type error
    assert hl7v2.parse(conflict).first("ERR").get(2) == "PID"  # type: ignore[union-attr]
    assert app.cases.count(team["drpark"]) == 3
