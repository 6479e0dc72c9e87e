"""Demo cases: every document valid, every state present, patients consistent, bulk repeatable.

The demo is what people see first, and the bulk cases feed performance work; a document
that the importer refuses, or a patient whose name changes between biopsies, would break
`marrowpath demo` on a fresh database.
"""

from __future__ import annotations

import ast
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

import marrowpath.demo.bulk
import marrowpath.demo.diagnoses
import marrowpath.demo.documents
import marrowpath.demo.model
import marrowpath.demo.people
import marrowpath.demo.showcase
from marrowpath.demo.bulk import bulk_cases
from marrowpath.demo.model import DemoCase
from marrowpath.demo.people import DEMO_LAB, DEMO_PATHOLOGISTS, DEMO_PROVIDERS, DEMO_USERS
from marrowpath.demo.showcase import showcase_cases
from marrowpath.domain.lifecycle import Action, AmendmentReason, Status, allowed
from marrowpath.domain.redline import ChangeRow, redline
from marrowpath.domain.settings import LabIdentity
from marrowpath.domain.users import MIN_PASSWORD_LENGTH
from marrowpath.domain.validation import parse_case

TODAY = date(2026, 11, 26)
ACCESSION = re.compile(r"^BM(\d{2})-(\d{5,})$")
ACTIONS = {
    "sign_preliminary": Action.SIGN_PRELIMINARY,
    "sign_final": Action.SIGN_FINAL,
    "amend": Action.START_AMENDMENT,
    "addendum": Action.ADDENDUM,
    "withdraw": Action.WITHDRAW,
    "cancel": Action.CANCEL,
}
STATUS_AFTER = {
    "sign_preliminary": Status.PRELIMINARY,
    "sign_final": Status.FINAL,
    "amend": Status.AMENDED,
    "addendum": Status.APPENDED,
    "withdraw": Status.ENTERED_IN_ERROR,
    "cancel": Status.CANCELLED,
}


@pytest.fixture(scope="module")
def showcase() -> list[DemoCase]:
    return showcase_cases(TODAY)


@pytest.fixture(scope="module")
def bulk() -> list[DemoCase]:
    return list(bulk_cases(5000, today=TODAY, seed=7))


def bulk_sample(bulk: list[DemoCase]) -> list[DemoCase]:
    return bulk[::10]  # 500 documents


def documents(cases: Iterable[DemoCase]) -> Iterable[dict]:
    for case in cases:
        yield case.document
        for step in case.steps:
            if step.document is not None:
                yield step.document


def current(case: DemoCase) -> dict:
    """The document as it stands after the last amendment."""
    amended = [step.document for step in case.steps if step.document is not None]
    return amended[-1] if amended else case.document


def text_of(case: DemoCase) -> str:
    diagnosis = current(case)["diagnosis"]
    terms = [c["term"] for c in diagnosis.get("classification", ())]
    return " ".join([*diagnosis["lines"], *terms])


# --- validity ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "today", [TODAY, date(2025, 1, 15), date(2028, 2, 29), date(2027, 1, 1), date.today()]
)
def test_every_showcase_document_parses(today: date) -> None:
    cases = showcase_cases(today)
    assert len(cases) >= 30
    for doc in documents(cases):
        parse_case(doc, today=today)


def test_a_bulk_sample_of_500_parses(bulk: list[DemoCase]) -> None:
    sample = bulk_sample(bulk)
    assert len(sample) == 500
    for doc in documents(sample):
        parse_case(doc, today=TODAY)


def test_amendments_change_the_document_and_give_a_reason(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    amendments = [
        (case, step) for case in showcase + bulk for step in case.steps if step.action == "amend"
    ]
    assert len(amendments) >= 20
    for case, step in amendments:
        assert step.document is not None
        assert step.document != case.document
        assert step.document["accession"] == case.document["accession"]
        assert step.document["patient"] == case.document["patient"]
        assert step.reason_category in {r.value for r in AmendmentReason}
        assert step.reason


def test_addenda_deliver_results_for_pending_studies(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    addenda = [
        (case, step) for case in showcase + bulk for step in case.steps if step.action == "addendum"
    ]
    assert len(addenda) >= 20
    for case, step in addenda:
        assert step.text
        assert step.ancillary, "an addendum here always resolves a pending study"
        pending = {a["kind"] for a in case.document["ancillary"] if a["status"] == "pending"}
        procedure = date.fromisoformat(case.document["procedure"]["date"])
        for result in step.ancillary:
            assert result["status"] == "final" and result["result"]
            assert result["kind"] in pending
            assert procedure <= date.fromisoformat(result["reported_on"]) <= TODAY


def test_steps_follow_the_lifecycle(showcase: list[DemoCase], bulk: list[DemoCase]) -> None:
    for case in showcase + bulk:
        status = Status.DRAFT
        for step in case.steps:
            assert allowed(ACTIONS[step.action], status), (case.document["accession"], step)
            status = STATUS_AFTER[step.action]
        assert status == case.status


def test_signers_and_assignments_are_demo_users(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    residents = {u["username"] for u in DEMO_USERS if u["role"] == "resident"}
    for case in showcase + bulk:
        assert case.assigned_pathologist in DEMO_PATHOLOGISTS
        assert case.resident is None or case.resident in residents
        assert all(step.signer in DEMO_PATHOLOGISTS for step in case.steps)
    assert {case.assigned_pathologist for case in showcase} == set(DEMO_PATHOLOGISTS)
    assert any(case.resident for case in showcase)


# --- content -----------------------------------------------------------------------------


def test_showcase_covers_every_state(showcase: list[DemoCase]) -> None:
    assert {case.status for case in showcase} == set(Status)


def test_accessions_are_unique_and_follow_the_procedure_year(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    accessions = [case.document["accession"] for case in showcase + bulk]
    assert len(accessions) == len(set(accessions))
    for case in showcase + bulk:
        match = ACCESSION.match(case.document["accession"])
        assert match, case.document["accession"]
        assert int(match[1]) == date.fromisoformat(case.document["procedure"]["date"]).year % 100
    assert all(int(c.document["accession"][5:]) < 1000 for c in showcase)
    assert all(int(c.document["accession"][5:]) >= 50000 for c in bulk)


def test_dates_are_within_two_years_and_in_order(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    for doc in documents(showcase + bulk_sample(bulk)):
        procedure = date.fromisoformat(doc["procedure"]["date"])
        assert TODAY - timedelta(days=731) <= procedure <= TODAY
        assert date.fromisoformat(doc["patient"]["birth_date"]) < procedure
        received = datetime.fromisoformat(doc["received_at"])
        assert received.date() >= procedure
        assert doc["clinical"]["cbc"]["date"] == doc["procedure"]["date"]
        for study in doc.get("ancillary", ()):
            if study["status"] == "final":
                assert procedure <= date.fromisoformat(study["reported_on"]) <= TODAY


def test_serial_patients_keep_their_identity(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    for cases in (showcase, bulk):
        by_mrn: dict[str, list[dict]] = defaultdict(list)
        for case in cases:
            by_mrn[case.document["patient"]["mrn"]].append(case.document["patient"])
        for patients in by_mrn.values():
            assert all(p == patients[0] for p in patients)
        serial = [p for p in by_mrn.values() if len(p) >= 2]
        assert len(serial) >= 3
        assert max(len(p) for p in by_mrn.values()) <= 4


def test_serial_biopsies_follow_treatment(showcase: list[DemoCase]) -> None:
    """Zoë's AML is diagnosed, goes into remission, relapses and is transplanted."""
    zoe = [c for c in showcase if c.document["patient"]["given_names"] == "Zoë"]
    indications = [c.document["clinical"]["indication"] for c in zoe]
    assert indications == [
        "suspected_hematologic_malignancy",
        "treatment_monitoring",
        "suspected_hematologic_malignancy",
        "post_transplant_evaluation",
    ]
    assert "Relapsed" in zoe[2].document["diagnosis"]["lines"][0]


def test_international_names_are_kept_as_typed(showcase: list[DemoCase]) -> None:
    names = {
        (c.document["patient"]["family_name"], c.document["patient"]["given_names"])
        for c in showcase
    }
    assert ("Łukasiewicz-Nguyễn", "Zoë") in names
    assert ("Петрова", "Ольга") in names
    assert ("李", "雪") in names
    assert any(unicodedata.name(family[0]).startswith("GREEK") for family, _ in names)
    for family, given in names:
        assert unicodedata.is_normalized("NFC", family + given)


def test_diagnoses_cover_the_usual_marrow_work(showcase: list[DemoCase]) -> None:
    text = " ".join(text_of(case) for case in showcase)
    for expected in (
        "Normocellular marrow",
        "NPM1 mutation",
        "myelodysplasia-related",
        "MDS-IB1",
        "MDS-IB2",
        "ring sideroblasts",
        "Plasma cell myeloma",
        "follicular lymphoma",
        "diffuse large B-cell lymphoma",
        "No morphologic or immunohistochemical evidence",
        "aplastic anemia",
        "primary myelofibrosis",
        "Metastatic carcinoma",
        "Chronic myeloid leukemia",
        "chronic lymphocytic leukemia",
    ):
        assert expected in text, expected
    indications = {c.document["clinical"]["indication"] for c in showcase}
    assert {"donor_evaluation", "cancer_staging", "post_transplant_evaluation"} <= indications


def test_key_results_come_from_the_right_stain(showcase: list[DemoCase]) -> None:
    myeloma = [c.document for c in showcase if "Plasma cell myeloma" in text_of(c)]
    assert myeloma
    for doc in myeloma:
        assert doc["key_results"]["plasma_cells_source"] == "cd138_ihc"
    fibrosis = [c.document for c in showcase if c.document["core"]["fibrosis_grade"] == "MF-3"]
    assert fibrosis
    for doc in fibrosis:
        assert doc["aspirate"]["quality"] == "dry_tap"
        assert doc["key_results"]["blasts_source"] == "cd34_ihc"
    carcinoma = next(c.document for c in showcase if "Metastatic carcinoma" in text_of(c))
    assert {"name": "AE1/AE3", "result": "positive"}.items() <= carcinoma["stains"][0].items()
    aplastic = next(c.document for c in showcase if "severe aplastic anemia" in text_of(c))
    assert 5 <= aplastic["core"]["cellularity_pct"] <= 10


def test_differentials_count_200_to_500_cells(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    totals = [
        sum(doc["aspirate"]["differential"].values())
        for doc in documents(showcase + bulk_sample(bulk))
        if "differential" in doc.get("aspirate", {})
    ]
    assert all(200 <= total <= 500 for total in totals)
    assert totals.count(500) > len(totals) * 0.8


def test_quoted_blast_percentages_match_the_counts(showcase: list[DemoCase]) -> None:
    """The diagnosis says what the report will compute: '62.4% blasts' from 312 of 500."""
    for case in showcase:
        differential = case.document.get("aspirate", {}).get("differential")
        line = case.document["diagnosis"]["lines"][0]
        quoted = re.search(r"(\d+\.\d)% blasts", line)
        if differential and quoted:
            computed = 100 * differential["blasts"] / sum(differential.values())
            assert float(quoted[1]) == pytest.approx(computed, abs=0.05)


# --- people and lab ------------------------------------------------------------------------


def test_demo_users_cover_every_role() -> None:
    roles = [u["role"] for u in DEMO_USERS]
    assert roles.count("admin") == 1
    assert 2 <= roles.count("pathologist") <= 3
    assert roles.count("clinician") == 2
    assert {"resident", "technologist"} <= set(roles)
    assert len({u["username"] for u in DEMO_USERS}) == len(DEMO_USERS)
    for user in DEMO_USERS:
        assert len(user["password"]) >= MIN_PASSWORD_LENGTH
        if user["role"] == "pathologist":
            assert user["credentials"] == "MD"
    assert [u["username"] for u in DEMO_USERS if u["role"] == "pathologist"] == DEMO_PATHOLOGISTS


def test_demo_lab_can_sign_reports() -> None:
    assert LabIdentity(**DEMO_LAB).missing_for_signing() == []


def _is_real_npi(npi: str) -> bool:
    """The NPI check digit: Luhn over the prefix 80840 and the first nine digits."""
    digits = [int(d) for d in "80840" + npi[:9]]
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 0:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return (10 - total % 10) % 10 == int(npi[9])


def test_providers_have_npi_like_ids_that_belong_to_nobody() -> None:
    for provider in DEMO_PROVIDERS:
        assert set(provider) == {"name", "family_name", "given_names", "id", "organization"}
        assert re.fullmatch(r"[12]\d{9}", provider["id"])
        assert not _is_real_npi(provider["id"]), provider


# --- bulk ------------------------------------------------------------------------------------


def test_bulk_is_deterministic() -> None:
    first = list(bulk_cases(50, today=TODAY, seed=3))
    again = list(bulk_cases(50, today=TODAY, seed=3))
    other = list(bulk_cases(50, today=TODAY, seed=4))
    assert first == again
    assert [c.document for c in first] != [c.document for c in other]


def test_bulk_mixes_states_and_names(bulk: list[DemoCase]) -> None:
    statuses = [case.status for case in bulk]
    assert statuses.count(Status.FINAL) > len(bulk) / 2
    assert {Status.DRAFT, Status.PRELIMINARY, Status.AMENDED, Status.APPENDED} <= set(statuses)
    names = {
        c.document["patient"]["given_names"] + c.document["patient"]["family_name"] for c in bulk
    }
    assert any(not name.isascii() for name in names)
    assert all(c.document["patient"]["mrn"].startswith("DM") for c in bulk)


def test_bulk_honours_count_and_start_number() -> None:
    cases = list(bulk_cases(10, today=TODAY, start_number=70000))
    assert len(cases) == 10
    assert cases[0].document["patient"]["mrn"] == "DM00070000"
    numbers = sorted(int(c.document["accession"][5:]) for c in cases)
    assert numbers[0] == 70000
    assert list(bulk_cases(0, today=TODAY)) == []


def test_generation_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    for _ in bulk_cases(200, today=TODAY):
        pass
    showcase_cases(TODAY)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


@pytest.mark.parametrize(
    "module",
    [
        marrowpath.demo.bulk,
        marrowpath.demo.diagnoses,
        marrowpath.demo.documents,
        marrowpath.demo.model,
        marrowpath.demo.people,
        marrowpath.demo.showcase,
    ],
)
def test_module_uses_only_the_standard_library_and_the_domain(module: object) -> None:
    """The cases are made without a database: tests and benchmarks use them directly."""
    source = Path(str(getattr(module, "__file__", ""))).read_text(encoding="utf-8")
    imported: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
    for module_name in imported:
        top = module_name.split(".")[0]
        assert top in sys.stdlib_module_names or module_name.startswith(
            ("marrowpath.domain", "marrowpath.demo.")
        ), module_name
    assert "marrowpath.demo.loader" not in imported


# --- amendments that say what they change --------------------------------------------------


def amendment_rows(case: DemoCase) -> list[list[ChangeRow]]:
    """The changes table of each amendment of a case, as the report prints it."""
    tables = []
    before = case.document
    for step in case.steps:
        if step.action == "amend" and step.document is not None:
            tables.append(redline(before, step.document))
            before = step.document
    return tables


def by_family(showcase: list[DemoCase], family: str) -> list[DemoCase]:
    return [c for c in showcase if c.document["patient"]["family_name"] == family]


def test_every_amendment_changes_only_what_its_reason_names(
    showcase: list[DemoCase], bulk: list[DemoCase]
) -> None:
    """A reason saying "findings and diagnosis unchanged" changes neither; every
    amendment changes something the report prints."""
    for case in showcase + bulk:
        tables = amendment_rows(case)
        reasons = [step.reason or "" for step in case.steps if step.action == "amend"]
        for rows, reason in zip(tables, reasons, strict=True):
            assert rows, case.document["accession"]
            if "findings and diagnosis unchanged" in reason:
                labels = {row.label for row in rows}
                assert not any(row.group == "diagnosis" for row in rows), (reason, labels)
                assert labels <= {
                    "Laterality",
                    "Ordering provider",
                    "Ordering provider, ID",
                    "Ordering provider, family name",
                    "Ordering provider, given names",
                    "Ordering provider, organization",
                } or all(label.startswith("Copy to") for label in labels), (reason, labels)


def test_rafael_amendment_revises_auer_rods_and_diagnosis_only(
    showcase: list[DemoCase],
) -> None:
    """His v2 must not swap his karyotype and NGS for another patient's, and v1's genetics
    are his own (trisomy 8; RUNX1, STAG2, ASXL1, as his later transplant case says)."""
    diagnosis, transplant = by_family(showcase, "Ortega")
    (rows,) = amendment_rows(diagnosis)
    assert {row.label for row in rows} == {
        "Diagnosis, line 1",
        "Diagnosis, line 2",
        "Classification, WHO-HAEM5",
        "Comment (diagnosis)",
        "Auer rods",
        "Aspirate comment",
    }
    studies = {a["kind"]: a.get("result", "") for a in diagnosis.document["ancillary"]}
    assert "+8" in studies["karyotype"] or studies["karyotype"] == ""
    if studies["molecular"]:
        assert "RUNX1" in studies["molecular"] and "SRSF2" not in studies["molecular"]
    assert "trisomy 8; RUNX1, STAG2 and ASXL1" in transplant.document["clinical"]["history"]


def test_showcase_has_the_states_report_states_md_asks_for(showcase: list[DemoCase]) -> None:
    def actions(case: DemoCase) -> list[str]:
        return [step.action for step in case.steps]

    assert any(actions(c)[:2] == ["sign_final", "amend"] for c in showcase)  # superseded final
    assert any(actions(c) == ["sign_preliminary", "cancel"] for c in showcase)
    assert any(actions(c) == ["sign_final", "withdraw"] for c in showcase)
    (laterality,) = amendment_rows(by_family(showcase, "Watanabe")[0])
    assert [(r.label, r.was, r.now) for r in laterality] == [("Laterality", "Left", "Right")]
    (numbers,) = amendment_rows(by_family(showcase, "Delgado")[0])
    shown = {row.label: (row.was, row.now) for row in numbers}
    assert shown["Blasts (aspirate differential)"] == (
        "60 of 500 cells (12.0 %)",
        "100 of 500 cells (20.0 %)",
    )
    assert shown["Platelets"] == ("54 ×10⁹/L", "5 ×10⁹/L")
    assert "20.0% blasts" in shown["Diagnosis, line 1"][1]
    assert "Acute myeloid leukemia" in shown["Diagnosis, line 2"][1]
    assert shown["Classification, WHO-HAEM5"][1].startswith("Acute myeloid leukaemia")
