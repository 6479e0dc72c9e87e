"""The demo's showcase cases, signed through the real services, export in every state to
HL7 that hl7apy parses and validates and to FHIR that fhir.resources parses."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B.bundle import Bundle

from marrowpath.bootstrap import App
from marrowpath.domain import hl7v2
from marrowpath.domain.lifecycle import Status
from tests.interfaces.support import hl7apy_message

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]

RESULT_STATUS = {"preliminary": "P", "final": "F", "amended": "C", "appended": "C"}
RESULT_STATUS |= {"entered_in_error": "C", "cancelled": "X"}
REPORT_STATUS = {"entered_in_error": "entered-in-error"}


def test_demo_cases_in_every_state(app: App) -> None:
    users, empty = app.demo.ensure_users_and_lab()
    assert empty
    app.demo.load_showcase(users, app.context.clock.today())
    # run again on the filled database: the same users, found without signing anyone in
    again, empty = app.demo.ensure_users_and_lab()
    assert not empty and again == users
    with app.context.uow(read_only=True) as uow:
        purposes = {e.detail.get("purpose") for e in uow.audit.events() if "sign-in" in e.action}
    assert purposes == {"signature"}  # the showcase's signatures; never a sign-in
    reader = next(u for u in users.values() if u.role.value == "clinician")
    first_of_each: dict[Status, str] = {}
    for row in app.cases.search(reader):
        first_of_each.setdefault(row.status, row.accession)
    assert {s.value for s in first_of_each} == set(RESULT_STATUS)
    for status, accession in first_of_each.items():
        message = app.interfaces.export_hl7(reader, accession)
        hl7apy_message(message)
        parsed = hl7v2.parse(message)
        obr = parsed.first("OBR")
        assert obr is not None and obr.get(25) == RESULT_STATUS[status.value], accession
        bundle = app.interfaces.export_fhir(reader, accession)
        Bundle.model_validate_json(bundle)
        (report,) = [
            e["resource"]
            for e in json.loads(bundle)["entry"]
            if e["resource"]["resourceType"] == "DiagnosticReport"
        ]
        assert report["status"] == REPORT_STATUS.get(status.value, status.value)
