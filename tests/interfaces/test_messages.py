"""The HL7 v2.5.1 ORU^R01 and FHIR R4 builders on the example case in every state.

Pure: versions are made the way signing makes them (tests/reports/builders), no database.
Every HL7 message is parsed and structure-validated with hl7apy; every bundle is parsed
with fhir.resources (R4B models, identical to R4 for these resources).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from hypothesis import given
from hypothesis import strategies as st

from marrowpath.domain import hl7v2
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.interfaces import Cancellation, ResultRequest
from marrowpath.domain.lifecycle import Status, VersionKind
from marrowpath.domain.types import STORED
from marrowpath.domain.versions import IssuedVersion
from marrowpath.reports.fhir import build_bundle
from marrowpath.reports.hl7 import build_oru
from tests.interfaces.support import field_value, hl7apy_message, obx_by_code
from tests.reports.builders import (
    ADDENDUM_TEXT,
    AMEND_REASON,
    AMENDED_LINE,
    SIGNED_AT,
    WITHDRAW_REASON,
    example_case,
    example_data,
    version,
)

PDF = b"%PDF-1.7\n% issued report\n"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _with_pdf(v: IssuedVersion, tag: str = "") -> IssuedVersion:
    return v.model_copy(update={"pdf": PDF + tag.encode()})


def versions_for(state: str) -> tuple[tuple[IssuedVersion, ...], Cancellation | None]:
    """Versions 1..N of the example case as it reaches `state`."""
    doc = example_case()
    later = SIGNED_AT + timedelta(days=3)
    final = version(1, VersionKind.FINAL, doc)
    if state == "preliminary":
        return (_with_pdf(version(1, VersionKind.PRELIMINARY, doc)),), None
    if state == "final":
        return (_with_pdf(final),), None
    if state == "amended":
        data = example_data()
        data["diagnosis"] = {**data["diagnosis"], "lines": [AMENDED_LINE]}
        amended = version(
            2,
            VersionKind.AMENDMENT,
            example_case(diagnosis=data["diagnosis"]),
            signed_at=later,
            reason_category="interpretation_change",
            reason=AMEND_REASON,
        )
        return (final, _with_pdf(amended, "v2")), None
    if state == "appended":
        addendum = version(
            2, VersionKind.ADDENDUM, doc, signed_at=later, addendum_text=ADDENDUM_TEXT
        )
        return (final, _with_pdf(addendum, "v2")), None
    if state == "entered_in_error":
        withdrawal = version(
            2, VersionKind.WITHDRAWAL, doc, signed_at=later, reason=WITHDRAW_REASON
        )
        return (final, _with_pdf(withdrawal, "v2")), None
    assert state == "cancelled"
    preliminary = _with_pdf(version(1, VersionKind.PRELIMINARY, doc))
    return (preliminary,), Cancellation("Patient declined the procedure.", later, "akowalski")


STATES = ["preliminary", "final", "amended", "appended", "entered_in_error", "cancelled"]
EXPECTED = {  # state: (OBR-25, OBX-11, DiagnosticReport.status)
    "preliminary": ("P", "P", "preliminary"),
    "final": ("F", "F", "final"),
    "amended": ("C", "C", "amended"),
    "appended": ("C", "C", "appended"),
    "entered_in_error": ("C", "W", "entered-in-error"),
    "cancelled": ("X", "X", "cancelled"),
}


def request_for(state: str) -> ResultRequest:
    versions, cancellation = versions_for(state)
    return ResultRequest(
        versions=versions,
        control_id="MP0000000000000000AB",
        created_at=NOW,
        cancellation=cancellation,
    )


# ---------------------------------------------------------------------- HL7


@pytest.mark.parametrize("state", STATES)
def test_hl7_message_parses_validates_and_carries_the_status(state: str) -> None:
    request = request_for(state)
    assert request.status is Status(state)
    message = build_oru(request)
    hl7apy_message(message)
    assert "\n" not in message and message.count("\r") >= 6
    parsed = hl7v2.parse(message)
    names = [s.name for s in parsed.segments]
    assert names[:5] == ["MSH", "PID", "PV1", "ORC", "OBR"]
    assert names[-1] == "SPM" and "OBX" in names
    msh = parsed.header
    assert msh.get(9) == "ORU" and msh.get(9, 2) == "R01" and msh.get(9, 3) == "ORU_R01"
    assert msh.get(10) == "MP0000000000000000AB" and msh.get(12) == "2.5.1"
    assert msh.get(18) == "UNICODE UTF-8"
    obr25, obx11, _ = EXPECTED[state]
    obr = parsed.first("OBR")
    assert obr is not None and obr.get(25) == obr25
    assert {obx.get(11) for obx in parsed.all("OBX")} == {obx11}
    orc = parsed.first("ORC")
    assert orc is not None and orc.get(1) == "RE"
    assert orc.get(5) == ("CA" if state == "cancelled" else "CM")


def test_hl7_fields_of_the_final_report() -> None:
    request = request_for("final")
    message = build_oru(request)
    parsed = hl7v2.parse(message)
    pid, pv1, orc, obr = (parsed.first(n) for n in ("PID", "PV1", "ORC", "OBR"))
    assert pid and pv1 and orc and obr
    assert pid.get(3) == "MRN0012345" and pid.get(3, 5) == "MR"
    assert (pid.get(5, 1), pid.get(5, 2)) == ("Delgado", "Tomás")
    assert (pid.get(7), pid.get(8)) == ("19590211", "M")
    assert pv1.get(19) == "V884213"
    assert orc.get(2) == obr.get(2) == "ORD-20261118-0917"
    assert orc.get(3) == obr.get(3) == "BM26-00042"
    assert (obr.get(4), obr.get(4, 2), obr.get(4, 3)) == (
        "33721-2",
        "Bone marrow Pathology biopsy report",
        "LN",
    )
    assert obr.get(7) == "20261118"
    assert (obr.get(16), obr.get(16, 2), obr.get(16, 3)) == ("1497758544", "Raman", "Priya")
    assert obr.get(22) == "20261120143200-0500"
    assert (obr.get(32, 1, 1), obr.get(32, 1, 2)) == ("akowalski", "Anna Kowalski")
    for obx in parsed.all("OBX"):
        assert obx.get(23) == "Riverside Hematopathology Laboratory"
        assert obx.get(23, 10) == "38D0987654"
        assert obx.get(24).startswith("1200 Harbor Avenue")
        assert obx.get(25, 2) == "Elena Marsh, MD"
    # M:E ratio 11138-5 as SN ^1.3^:^1 with its interval and flag
    (me,) = obx_by_code(parsed, "11138-5")
    assert me.get(2) == "SN" and me.raw(5) == "^1.3^:^1"
    assert (me.get(7), me.get(8)) == ("2.0-4.0", "L")
    (blasts,) = obx_by_code(parsed, "MP-BLASTS")
    assert (blasts.get(2), blasts.get(5), blasts.get(6), blasts.get(7), blasts.get(8)) == (
        "NM",
        "12.0",
        "%",
        "0-2",
        "H",
    )
    assert blasts.get(17) == "differential"
    (plasma,) = obx_by_code(parsed, "MP-PLASMA")
    assert plasma.get(5) == "2.0"
    (cellularity,) = obx_by_code(parsed, "MP-CELLULARITY")
    assert (cellularity.get(5), cellularity.get(7), cellularity.get(8)) == ("80", "23-43", "H")
    (aspirate,) = obx_by_code(parsed, "48807-2")
    assert aspirate.get(2) == "FT" and "Blasts: 60 = 12.0 %" in aspirate.get(5)
    (pdf,) = [obx for obx in parsed.all("OBX") if obx.get(2) == "ED"]
    assert (pdf.get(5, 2), pdf.get(5, 3), pdf.get(5, 4)) == ("AP", "PDF", "Base64")
    assert base64.b64decode(pdf.get(5, 5)) == PDF
    specimens = [spm.get(4) for spm in parsed.all("SPM")]
    assert specimens == list(example_data()["procedure"]["specimens"])
    assert parsed.all("SPM")[0].get(8) == "posterior_iliac_crest"


def test_hl7_history_observations_per_state() -> None:
    amended = hl7v2.parse(build_oru(request_for("amended")))
    (reason,) = obx_by_code(amended, "MP-AMENDMENT")
    assert AMEND_REASON in reason.get(5)
    assert AMENDED_LINE in obx_by_code(amended, "MP-DX")[0].get(5)
    appended = hl7v2.parse(build_oru(request_for("appended")))
    assert ADDENDUM_TEXT in obx_by_code(appended, "MP-ADDENDUM")[0].get(5)
    withdrawn = hl7v2.parse(build_oru(request_for("entered_in_error")))
    assert WITHDRAW_REASON in obx_by_code(withdrawn, "MP-WITHDRAWAL")[0].get(5)
    cancelled = hl7v2.parse(build_oru(request_for("cancelled")))
    assert [o.get(3) for o in cancelled.all("OBX")] == ["MP-CANCELLED"]
    assert "declined" in cancelled.all("OBX")[0].get(5)


AWKWARD = "a|b^c~d\\e&f\\.br\\g\\F\\ and \\X0A\\ stay text\nsecond line\r\nthird | ^ & ~ \\"


def test_delimiters_and_line_breaks_are_escaped_and_read_back_unchanged() -> None:
    data = example_data()
    data["diagnosis"]["lines"] = [AWKWARD, "Ünïcödé 李雪 Ольга ^&~"]
    data["diagnosis"]["comment"] = AWKWARD
    data["patient"]["family_name"] = "O'Brien^Smith&Jones"
    data["ordering_provider"]["family_name"] = "Raman|Iyer"
    document = example_case(**data)
    request = ResultRequest(
        versions=(version(1, VersionKind.FINAL, document),), control_id="MPX", created_at=NOW
    )
    message = build_oru(request)
    hl7apy_message(message)
    # The raw fields never contain a bare delimiter or line break from the text.
    assert message.count("\r") == len(hl7v2.parse(message).segments) - 1
    dx = field_value(message, "OBX", 5, occurrence=0)
    assert hl7v2.unescape(dx) == f"{AWKWARD}\nÜnïcödé 李雪 Ольга ^&~"
    parsed = hl7v2.parse(message)
    assert obx_by_code(parsed, "MP-DXCOMMENT")[0].get(5) == AWKWARD
    assert parsed.first("PID").get(5) == "O'Brien^Smith&Jones"  # type: ignore[union-attr]
    assert parsed.first("OBR").get(16, 2) == "Raman|Iyer"  # type: ignore[union-attr]


CONTROL = st.characters(min_codepoint=0, max_codepoint=0x9F)


@given(st.text() | st.text(CONTROL))
def test_escape_round_trips_any_text_and_leaves_no_control_byte(text: str) -> None:
    for formatted in (False, True):
        encoded = hl7v2.escape(text, formatted=formatted)
        assert not set(encoded) & set("|^~&\r\n")
        assert not [c for c in encoded if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F]
        assert hl7v2.unescape(encoded) == text


def test_control_bytes_are_escaped_as_hex() -> None:
    assert hl7v2.escape("a\x0bb\x1cc\x1dd\x00e\x7f\x85") == (
        "a\\X0B\\b\\X1C\\c\\X1D\\d\\X00\\e\\X7F\\\\XC285\\"
    )


def test_control_bytes_of_an_issued_text_never_reach_the_wire() -> None:
    """A version signed before control characters were refused still carries them; the
    ORU must not: 0x0B and 0x1C would end the MLLP frame in the middle of the message."""
    data = example_data()
    data["diagnosis"]["comment"] = "Start\x0bof block\x1cend of block\x1d and bell\x07"
    document = CaseDocument.model_validate(data, context=STORED)
    request = ResultRequest(
        versions=(version(1, VersionKind.FINAL, document),), control_id="MPC", created_at=NOW
    )
    message = build_oru(request)
    raw = [c for c in message if (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F) and c != "\r"]
    assert raw == []
    assert "\\X0B\\" in message and "\\X1C\\" in message
    comment = obx_by_code(hl7v2.parse(message), "MP-DXCOMMENT")[0].get(5)
    assert comment == data["diagnosis"]["comment"]


def test_ack_reading_and_building() -> None:
    received = hl7v2.parse(
        "MSH|^~\\&|EPIC|GH|MARROWPATH|LAB|20261118091700||ORM^O01^ORM_O01|C1|P|2.5.1"
    )
    ack = hl7v2.build_ack(
        received,
        code="AE",
        text="PID-7 (birth date) is empty",
        control_id="ACKC1",
        at=NOW,
        application="MARROWPATH",
        facility="Lab",
        error_location="PID^1^7",
    )
    hl7apy_message(ack)
    read = hl7v2.read_ack(ack)
    assert (read.code, read.control_id, read.accepted) == ("AE", "C1", False)
    assert read.text == "PID-7 (birth date) is empty"


# ---------------------------------------------------------------------- FHIR


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.parametrize("state", STATES)
def test_fhir_bundle_parses_with_the_status(state: str) -> None:
    text = build_bundle(request_for(state))
    parsed = Bundle.model_validate_json(text)
    assert parsed.type == "collection"
    bundle = json.loads(text)
    (report,) = _resources(bundle, "DiagnosticReport")
    assert report["status"] == EXPECTED[state][2]
    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = [r["reference"] for r in _references(report)]
    assert references and set(references) <= urls
    observations = _resources(bundle, "Observation")
    if state == "cancelled":
        assert observations == [] and "presentedForm" not in report
    else:
        assert {o["status"] for o in observations} == {
            {"appended": "final", "entered_in_error": "entered-in-error"}.get(
                state, EXPECTED[state][2]
            )
        }
        assert base64.b64decode(report["presentedForm"][0]["data"]).startswith(PDF)


def _references(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        found = [value] if set(value) == {"reference"} else []
        return found + [r for v in value.values() for r in _references(v)]
    if isinstance(value, list):
        return [r for v in value for r in _references(v)]
    return []


def test_fhir_contents_of_the_final_report() -> None:
    bundle = json.loads(build_bundle(request_for("final")))
    (report,) = _resources(bundle, "DiagnosticReport")
    assert report["identifier"][0]["value"] == "BM26-00042"
    assert report["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "33721-2",
        "display": "Bone marrow Pathology biopsy report",
    }
    categories = {c["coding"][0]["code"] for c in report["category"]}
    assert categories == {"SP", "LP7839-6"}
    assert report["effectiveDateTime"] == "2026-11-18"
    assert report["issued"] == "2026-11-20T14:32:00-05:00"
    assert report["conclusion"].startswith("Hypercellular marrow (80%)")
    assert report["encounter"]["identifier"]["value"] == "V884213"
    (patient,) = _resources(bundle, "Patient")
    assert patient["name"][0]["family"] == "Delgado" and patient["gender"] == "male"
    (lab,) = _resources(bundle, "Organization")
    assert lab["identifier"][0]["value"] == "38D0987654"
    practitioners = _resources(bundle, "Practitioner")
    assert {"akowalski"} <= {i["value"] for p in practitioners for i in p.get("identifier", [])}
    by_code = {o["code"]["coding"][0]["code"]: o for o in _resources(bundle, "Observation")}
    me = by_code["11138-5"]
    assert me["code"]["coding"][0]["system"] == "http://loinc.org"
    assert me["valueRatio"]["numerator"]["value"] == 1.3
    assert me["interpretation"][0]["coding"][0]["code"] == "L"
    assert by_code["MP-BLASTS"]["valueQuantity"] == {
        "value": 12.0,
        "unit": "%",
        "system": "http://unitsofmeasure.org",
        "code": "%",
    }
    assert by_code["MP-PLASMA"]["valueQuantity"]["value"] == 2.0
    assert by_code["MP-CELLULARITY"]["valueQuantity"]["value"] == 80
    assert by_code["MP-FIBROSIS"]["valueCodeableConcept"]["coding"][0]["code"] == "MF-1"
    assert len(_resources(bundle, "Specimen")) == 7


# ---------------------------------------------------------------------- amendments


def _amended_numbers() -> ResultRequest:
    """Blasts 60 -> 100 of 500, platelets 54 -> 5, a new diagnosis line; the reason has
    HL7 delimiters, which must come back unchanged."""
    data = example_data()
    data["aspirate"]["differential"].update(blasts=100, polychromatic_normoblasts=70)
    data["clinical"]["cbc"]["platelets_10e9_l"] = 5
    data["diagnosis"]["lines"][1] = "Acute myeloid leukemia | AML-MR ^ 20% blasts."
    final = version(1, VersionKind.FINAL, example_case())
    amended = version(
        2,
        VersionKind.AMENDMENT,
        example_case(**{k: data[k] for k in ("aspirate", "clinical", "diagnosis")}),
        signed_at=SIGNED_AT + timedelta(days=4),
        reason_category="report_defect",
        reason="Counts typed from the wrong sheet & corrected.",
    )
    return ResultRequest(versions=(final, _with_pdf(amended)), control_id="MP1", created_at=NOW)


CHANGES_NOTE = (
    "Amended: Report defect: Counts typed from the wrong sheet & corrected. Changed: "
    "Diagnosis, line 2: Consistent with myelodysplastic neoplasm with increased blasts-2 "
    "(MDS-IB2). -> Acute myeloid leukemia | AML-MR ^ 20% blasts.; "
    "Platelets: 54 ×10⁹/L -> 5 ×10⁹/L; "
    "Blasts (aspirate differential): 60 of 500 cells (12.0 %) -> 100 of 500 cells (20.0 %); "
    "Polychromatic normoblasts (aspirate differential): 110 of 500 cells (22.0 %) -> "
    "70 of 500 cells (14.0 %)."
)


def test_hl7_amendment_carries_the_changes_in_an_nte_after_the_obr() -> None:
    message = build_oru(_amended_numbers())
    hl7apy_message(message)  # still validates
    parsed = hl7v2.parse(message)
    names = [s.name for s in parsed.segments]
    assert names.index("NTE") == names.index("OBR") + 1
    nte = parsed.first("NTE")
    assert nte is not None and nte.get(3) == CHANGES_NOTE
    assert "\\F\\" in field_value(message, "NTE", 3) and "\\S\\" in field_value(message, "NTE", 3)
    assert "\\T\\" in field_value(message, "NTE", 3)


def test_only_amendments_and_cancellations_carry_a_note() -> None:
    for state in ("preliminary", "final", "appended", "entered_in_error"):
        assert "NTE" not in [s.name for s in hl7v2.parse(build_oru(request_for(state))).segments]
    cancelled = hl7v2.parse(build_oru(request_for("cancelled")))
    nte = cancelled.first("NTE")
    assert nte is not None and nte.get(3).startswith("Cancelled: Patient declined the procedure.")


def test_fhir_conclusion_of_an_amendment_opens_with_the_changes() -> None:
    text = build_bundle(_amended_numbers())
    bundle = Bundle.model_validate_json(text)  # still validates
    reports: list[Any] = [
        e.resource
        for e in bundle.entry or []
        if e.resource is not None and e.resource.get_resource_type() == "DiagnosticReport"
    ]
    (report,) = reports
    first, rest = report.conclusion.split("\n\n", 1)
    assert first == CHANGES_NOTE
    assert rest.startswith("Hypercellular marrow (80%)")
    (form,) = report.presentedForm
    assert form.contentType == "application/pdf" and not form.extension
