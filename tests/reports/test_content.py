"""The report's content model (`reports/content.py`) is the one source of the PDF's
findings and of the interface text, and it prints every `/2` field: read back from real
PDFs (pypdf), HL7 messages and FHIR bundles."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from marrowpath.domain import hl7v2
from marrowpath.domain.case import CaseDocument, Communication, CountProvenance
from marrowpath.domain.enums import CommunicationMethod, CountMethod
from marrowpath.domain.interfaces import ResultRequest
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.settings import upgraded_settings
from marrowpath.domain.validation import parse_case
from marrowpath.reports import content, interface_text
from marrowpath.reports.content import Rows, Sentences, Table
from marrowpath.reports.fhir import build_bundle
from marrowpath.reports.hl7 import build_oru
from marrowpath.reports.pdf import render_report
from tests.interfaces.support import obx_by_code
from tests.reports import builders as b
from tests.reports.test_clinical_print import text_of

EXAMPLE_V2 = Path(__file__).resolve().parents[1] / "fixtures" / "example-case-v2.json"
WORKING = upgraded_settings(b.SETTINGS)
CALLED = (
    "Critical result communicated to Dr Priya Raman (hematology) by phone on 2026-11-20 "
    "at 15:05 UTC-05:00 by akowalski; read back."
)
NOT_REACHED = (
    "Attempt to communicate a critical result to Dr Samuel Otieno by pager on 2026-11-20 "
    "at 14:50 UTC-05:00 by akowalski; not reached."
)


def example_v2() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE_V2.read_text(encoding="utf-8"))
    return data


def every_new_field() -> CaseDocument:
    """The `/2` example with each `/2` field filled, and a second observer's count."""
    data = example_v2()
    data["clinical"]["therapy"] = [
        {
            "name": "Azacitidine",
            "kind": "chemotherapy",
            "started_on": "2026-03-02",
            "ended_on": "2026-08-30",
        },
        {"name": "Red cell transfusions", "kind": "transfusion", "started_on": "2026-09-15"},
    ]
    data["core"]["infiltrate"] = {"patterns": ["nodular", "interstitial"], "percent": 30}
    aspirate = data["aspirate"]
    aspirate["iron"] = {"storage_grade": 3, "ring_sideroblasts": 30, "erythroblasts_counted": 201}
    aspirate["count"]["smudge_cells"] = 7
    aspirate["second_count"] = {
        "counted_by": "qcobserver",
        "method": "counter",
        "differential": {"blasts": 77, "lymphocytes": 423},
    }
    data["stains"] += [
        {"name": "p53 (clone DO-7)", "result": "aberrant_overexpression", "percent": 80},
        {"name": "p53 (clone BP53-12)", "result": "aberrant_null"},
    ]
    data["ancillary"] = [
        data["ancillary"][0],
        {
            "kind": "molecular",
            "status": "final",
            "result": "NPM1 type A mutation detected.",
            "measurements": [{"name": "NPM1 VAF", "value": 12.5, "unit": "vaf_percent"}],
        },
        {"kind": "fish", "status": "not_performed", "result": "Insufficient material."},
    ]
    data["communications"] = [
        {
            "at": "2026-11-20T14:50:00-05:00",
            "to": "Dr Samuel Otieno",
            "method": "page",
            "reached": False,
            "by": "akowalski",
        },
        {
            "at": "2026-11-20T15:05:00-05:00",
            "to": "Dr Priya Raman",
            "role": "hematology",
            "method": "phone",
            "read_back": True,
            "by": "akowalski",
        },
    ]
    return parse_case(data, today=b.TODAY)


def printed(document: CaseDocument) -> str:
    return text_of(render_report(b.final_request(document, settings=WORKING)))


def request(document: CaseDocument) -> ResultRequest:
    v1 = b.version(1, VersionKind.FINAL, document, settings=WORKING)
    return ResultRequest(versions=(v1,), control_id="MP0000000000000000AB", created_at=b.SIGNED_AT)


def test_every_v2_field_prints_on_the_report() -> None:
    text = printed(every_new_field())
    assert "Collected 2026-11-18 09:40 UTC-05:00" in text
    assert "Infiltrate Nodular and interstitial, 30.0 % of the marrow space" in text
    # 30 of 201 is 14.93 %: shown with its count, never rounded onto the 15 % threshold
    assert "Ring sideroblasts 14.9 % (30 of 201 erythroblasts)" in text
    assert (
        "Count 500-cell differential counted with the on-screen counter by achen, "
        "2026-11-19 10:02-10:14 UTC-05:00" in text
    )
    assert "Smudge cells 7 seen, not in the count" in text
    assert "p53 Wild-type pattern 3.0" in text
    assert "Aberrant overexpression 80.0" in text
    assert "Aberrant (null) pattern" in text
    assert "FISH Not performed Insufficient material." in text
    assert "NPM1 VAF 12.5 % VAF Molecular" in text
    assert "Azacitidine Chemotherapy, 2026-03-02 to 2026-08-30" in text
    assert "Red cell transfusions Transfusion, since 2026-09-15" in text
    assert "CRITICAL RESULT COMMUNICATIONS" in text.upper()
    assert CALLED in text and NOT_REACHED in text


def test_counted_ring_sideroblasts_never_print_onto_the_threshold() -> None:
    """89 of 595 is 14.958 %: half up it would read 15.0 %, the WHO-HAEM5 threshold it has
    not reached; it prints 14.9 % with its count."""
    data = example_v2()
    data["aspirate"]["iron"] = {"ring_sideroblasts": 89, "erythroblasts_counted": 595}
    document = parse_case(data, today=b.TODAY)
    assert "Ring sideroblasts 14.9 % (89 of 595 erythroblasts)" in printed(document)
    assert "Ring sideroblasts: 14.9 % (89 of 595 erythroblasts)" in interface_text.aspirate(
        document, WORKING
    )


def test_the_second_observers_count_never_prints() -> None:
    document = every_new_field()
    assert document.aspirate is not None and document.aspirate.second_count is not None
    assert "qcobserver" not in printed(document)
    assert "qcobserver" not in build_oru(request(document))
    assert "qcobserver" not in build_bundle(request(document))


def test_every_v2_field_is_in_the_hl7_text() -> None:
    message = hl7v2.parse(build_oru(request(every_new_field())))

    def ft(code: str) -> str:
        (obx,) = obx_by_code(message, code)
        assert obx.get(2) == "FT"
        return str(obx.get(5))

    assert "Collected: 2026-11-18 09:40 UTC-05:00" in ft("MP-PROCEDURE")
    clinical = ft("MP-CLINICAL")
    assert "Therapy:\n  Azacitidine: Chemotherapy, 2026-03-02 to 2026-08-30" in clinical
    aspirate = ft("48807-2")
    assert "Ring sideroblasts: 14.9 % (30 of 201 erythroblasts)" in aspirate
    assert "Count: 500-cell differential counted with the on-screen counter by achen" in aspirate
    assert "Smudge cells: 7 seen, not in the count" in aspirate
    assert "Infiltrate: Nodular and interstitial, 30.0 % of the marrow space" in ft("MP-CORE")
    stains = ft("MP-STAINS")
    assert "p53: Wild-type pattern, 3.0 %, scattered weak nuclear staining" in stains
    assert "p53 (clone DO-7): Aberrant overexpression, 80.0 %" in stains
    assert "p53 (clone BP53-12): Aberrant (null) pattern" in stains
    ancillary = ft("MP-ANCILLARY")
    assert "FISH: Not performed: Insufficient material." in ancillary
    assert "Measurements:\n  CD34+ myeloblasts by flow: 9.5 % (Flow cytometry)" in ancillary
    assert "\n  NPM1 VAF: 12.5 % VAF (Molecular)" in ancillary
    assert ft("MP-COMMUNICATIONS") == f"{NOT_REACHED}\n{CALLED}"


def test_the_fhir_bundle_carries_the_same_section_texts() -> None:
    document = every_new_field()
    bundle = json.loads(build_bundle(request(document)))
    texts = {
        e["resource"]["code"]["coding"][0]["code"]: e["resource"]["valueString"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "Observation" and "valueString" in e["resource"]
    }
    sent = interface_text.sections(document, WORKING)
    assert texts["MP-COMMUNICATIONS"] == sent["communications"] == f"{NOT_REACHED}\n{CALLED}"
    assert texts["48807-2"] == sent["aspirate"]
    assert len(texts) == len(sent) == 7


def _folded(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("which", ["example", "every_new_field"])
def test_the_pdf_and_the_interface_text_print_the_same_rows(which: str) -> None:
    """Every row of the content model reads the same on paper and in the interface
    text: the label and the value of each row, each cell of each table row, each
    sentence (the PDF's text folded, as phrases wrap)."""
    example = parse_case(example_v2(), today=b.TODAY)
    document = example if which == "example" else every_new_field()
    pdf = printed(document)
    sent = "\n".join(interface_text.sections(document, WORKING).values())
    checked = 0
    for section in content.findings(document, WORKING):
        if section.key == "key_results":
            continue  # sent as numeric observations, not as text
        for part in section.parts:
            if isinstance(part, Rows):
                for row in part.shown():
                    assert f"{row.label}: {row.text}" in sent
                    assert row.label in pdf and _folded(row.text) in pdf, row
                    checked += 1
            elif isinstance(part, Table):
                for cells in part.rows:
                    assert part.row_text(cells) in sent
                    for cell in cells:
                        assert _folded(cell) in pdf, cell
                    checked += 1
            else:
                assert isinstance(part, Sentences)
                for line in part.lines:
                    assert line in sent and line in pdf
                    checked += 1
    assert checked > 60


def test_an_issued_v1_document_prints_no_v2_rows() -> None:
    """The `/1` example upgraded for rendering says exactly what it said: no collection
    time, count, measurements, therapy or communications appear."""
    document = b.example_case()
    text = printed(document)
    for absent in ("Collected", "differential counted", "Measurements", "Therapy", "Critical"):
        assert absent not in text
    assert "Ring sideroblasts 4.0 % of erythroblasts (100 erythroblasts counted)" in text
    assert "Infiltrate Interstitial, 10.0 % of the marrow space" in text


def test_provenance_and_communication_wording() -> None:
    """The other methods and the edges of the two sentences: a typed count short of its
    target, an import with no counter named, a count over midnight; a call in person not
    read back with a note, read-back not recorded."""
    typed = CountProvenance(method=CountMethod.TYPED, counted_by="mlee", target=500)
    assert content.provenance_text(typed, 300) == (
        "300-cell differential typed in by mlee (target 500 cells)"
    )
    names = {"mlee": "Min Lee"}  # the user store's name; an unknown username as stored
    assert content.provenance_text(typed, 300, names).startswith(
        "300-cell differential typed in by Min Lee"
    )
    assert content.provenance_text(typed, 300, {"achen": "Amy Chen"}).endswith(
        "by mlee (target 500 cells)"
    )
    imported = CountProvenance(
        method=CountMethod.IMPORTED,
        started_at=datetime(2026, 11, 19, 23, 50, tzinfo=b.EST),
        finished_at=datetime(2026, 11, 20, 0, 10, tzinfo=b.EST),
    )
    assert content.provenance_text(imported, 200) == (
        "200-cell differential imported, 2026-11-19 23:50 UTC-05:00 to 2026-11-20 00:10 UTC-05:00"
    )
    at = datetime(2026, 11, 20, 9, 5, tzinfo=UTC)
    told = Communication(
        at=at,
        to="Dr Ana Ruiz",
        method=CommunicationMethod.IN_PERSON,
        read_back=False,
        by="akowalski",
        note="Asked to call the patient today.",
    )
    assert content.communication_text(told) == (
        "Critical result communicated to Dr Ana Ruiz in person on 2026-11-20 at 09:05 UTC "
        "by akowalski; not read back. Asked to call the patient today."
    )
    unknown = told.model_copy(
        update={"read_back": None, "note": None, "method": CommunicationMethod.SECURE_MESSAGE}
    )
    assert content.communication_text(unknown).endswith(
        "by secure message on 2026-11-20 at 09:05 UTC by akowalski."
    )


def test_flags_print_in_the_editors_words() -> None:
    """Collagen, osteosclerosis and Auer rods read "Present" / "Absent" / "Not seen" on
    the report, as in the editor's drop-downs, never "Yes" / "No"."""
    data = example_v2()
    data["core"].update(collagen=False, osteosclerosis=True)
    data["aspirate"]["auer_rods"] = False
    text = printed(parse_case(data, today=b.TODAY))
    assert "Collagen Absent" in text and "Osteosclerosis Present" in text
    assert "Auer rods Not seen" in text
    assert not re.search(r"(Collagen|Osteosclerosis|Auer rods) (Yes|No)\b", text)
    hl7 = interface_text.core(parse_case(data, today=b.TODAY), WORKING)
    assert "Collagen: Absent" in hl7


def test_names_captured_at_signing_print_instead_of_usernames() -> None:
    """A version carries the display names of the users its document names; the report
    prints them (a username not among them prints as stored)."""
    document = every_new_field()
    v1 = b.version(
        1,
        VersionKind.FINAL,
        document,
        settings=WORKING,
        people={"achen": "Amelia Chen", "akowalski": "Anna Kowalski"},
    )
    request = ReportRequest(document=document, settings=WORKING, versions=(v1,))
    text = text_of(render_report(request))
    assert "counted with the on-screen counter by Amelia Chen," in text
    assert "at 15:05 UTC-05:00 by Anna Kowalski; read back." in text
    assert "by achen" not in text and "by akowalski" not in text
    hl7 = interface_text.sections(document, WORKING, v1.content.people)
    assert "by Amelia Chen" in hl7["aspirate"] and "by Anna Kowalski" in hl7["communications"]
