"""The patient summary's wording (issue 12, item 8): usual ranges from the report's own
interval set, blast equivalents, complete aftercare with the after-hours number, a
glossary entry for the medical words of the quoted diagnosis, never "signed" for a
draft, and a measured reading level (Flesch-Kincaid grade, textstat) of at most 8."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import textstat  # type: ignore[import-untyped]
from pypdf import PdfReader

from marrowpath.demo.showcase import showcase_cases
from marrowpath.domain.canonical import canonical_json
from marrowpath.domain.case import CaseDocument
from marrowpath.domain.lifecycle import VersionKind
from marrowpath.domain.reporting import ReportRequest
from marrowpath.domain.settings import LabIdentity, apply_setting, upgraded_settings
from marrowpath.domain.validation import parse_case
from marrowpath.reports.patient_summary import glossary, summary_blocks
from marrowpath.reports.pdf import render_report
from marrowpath.reports.plain_words import DIAGNOSIS_WORDS
from tests.reports import builders as b

WORKING = upgraded_settings(b.SETTINGS)
PHONE = "(503) 555-0199"


def summary_text(request: ReportRequest) -> str:
    return " ".join(
        " ".join([block.text, block.detail]).strip() for block in summary_blocks(request)
    )


def with_data(**changes: object) -> CaseDocument:
    data = b.example_data()
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    return parse_case(data, today=b.TODAY)


def test_usual_ranges_are_the_reports_intervals() -> None:
    """The report prints blasts 0-2; the summary says "usually 2 or fewer", not "5"."""
    text = summary_text(b.final_request(settings=WORKING))
    assert "Blasts, very young blood cells: 12 out of every 100 cells; usually 2 or fewer." in text
    assert (
        "Plasma cells, cells that make antibodies: 2 out of every 100 cells; usually 1 or fewer."
        in text
    )
    assert "fewer than 5" not in text and "under 5" not in text
    lab = apply_setting(WORKING, "reference.blasts", "0-3")
    assert "12 out of every 100 cells; usually 3 or fewer." in summary_text(
        b.final_request(settings=lab)
    )


def test_a_child_without_a_pediatric_set_is_given_no_usual_range() -> None:
    document = with_data(patient__birth_date="2016-03-01")
    text = summary_text(b.final_request(document, settings=WORKING))
    assert "Blasts, very young blood cells: 12 out of every 100 cells." in text
    assert "usually 2 or fewer" not in text and "to 1; usually" not in text


def test_blast_equivalents_when_promonocytes_were_counted() -> None:
    counts = {"blasts": 75, "promonocytes": 30, "lymphocytes": 395}
    document = with_data(aspirate__differential=counts)
    request = b.final_request(document, settings=WORKING)
    text = summary_text(request)
    assert "Blasts, very young blood cells: 15 out of every 100 cells" in text
    assert (
        "Blasts and the cells counted with them (blast equivalents): 21 out of every 100 cells."
        in text
    )
    assert "Blast equivalents" in [term for term, _ in glossary(request)]
    plain = summary_text(b.final_request(settings=WORKING))
    assert "blast equivalents" not in plain.lower()


def test_values_are_never_rounded_onto_a_threshold() -> None:
    document = with_data(aspirate__iron={"ring_sideroblasts_pct": 14.95})
    text = summary_text(b.final_request(document, settings=WORKING))
    assert "14.9 out of every 100 young red cells" in text


def test_aftercare_is_complete_with_the_after_hours_number() -> None:
    lab = WORKING.model_copy(
        update={"identity": WORKING.identity.model_copy(update={"after_hours_phone": PHONE})}
    )
    text = summary_text(b.final_request(settings=lab))
    for words in (
        "Keep the site covered and dry for 24 hours.",
        "Do not take a bath, swim or use a hot tub until the site has healed.",
        "If the site bleeds, press on it firmly",
        "Bleeding that does not stop when you press on the site",
        "Swelling at the site",
        "Redness that spreads",
        "A fever of 38.0 °C / 100.4 °F or more",
        "Pain that gets worse",
        f"At night, on weekends and on holidays, call {PHONE}.",
    ):
        assert words in text, words
    unset = summary_text(b.final_request(settings=WORKING))
    assert "call the number your care team gave you" in unset


def test_the_after_hours_number_prints_in_the_pdf() -> None:
    lab = WORKING.model_copy(
        update={"identity": WORKING.identity.model_copy(update={"after_hours_phone": PHONE})}
    )
    pdf = render_report(b.final_request(settings=lab, patient_summary=True))
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert f"At night, on weekends and on holidays, call {PHONE}." in text
    assert "How do I care for the biopsy site?" in text
    assert "Keep the site covered and dry for 24 hours." in text


def test_an_unset_after_hours_number_keeps_old_snapshots_and_their_hashes() -> None:
    """A blank number is unset (None), so the canonical settings of a version signed
    before the field existed are byte for byte what they were."""
    assert LabIdentity(after_hours_phone="  ").after_hours_phone is None
    dumped = canonical_json(b.SETTINGS.model_dump(mode="json", exclude_none=True))
    assert b"after_hours_phone" not in dumped
    version = b.version(1, VersionKind.FINAL, b.example_case())
    assert version.sha256 == version.content.sha256()


def test_a_draft_never_says_the_pathologist_signed() -> None:
    text = summary_text(b.draft_request())
    assert "The pathologist has not signed it yet" in text
    assert not re.search(r"pathologist signed|signed report|signed by", text, re.IGNORECASE)


def test_every_medical_word_of_the_quoted_diagnosis_is_explained() -> None:
    document = with_data(
        diagnosis={
            "lines": [
                "Hypocellular marrow (20%) with trilineage hematopoiesis and mild "
                "erythroid dysplasia; no increase in blasts."
            ]
        }
    )
    terms = [term for term, _ in glossary(b.final_request(document))]
    for term in ("Hypocellular", "Trilineage", "Hematopoiesis", "Dysplasia", "Erythroid"):
        assert term in terms, term
    assert "Hypercellular" not in terms and "Lymphoma" not in terms


# The medical words of the demo's diagnosis lines, written down by hand (not taken from
# the glossary) with the glossary term each must bring.
MEDICAL_WORDS = {
    "hypercellular": "Hypercellular",
    "normocellular": "Normocellular",
    "hypocellular": "Hypocellular",
    "trilineage": "Trilineage",
    "hematopoiesis": "Hematopoiesis",
    "engraftment": "Engraftment",
    "hyperplasia": "Hyperplasia",
    "hypoplasia": "Hypoplasia",
    "dysplasia": "Dysplasia",
    "myelodysplastic": "Myelodysplastic neoplasm (MDS)",
    "neoplasm": "Neoplasm",
    "leukemia": "Leukemia",
    "lymphoma": "Lymphoma",
    "myeloma": "Myeloma",
    "myelofibrosis": "Myelofibrosis",
    "aplastic": "Aplastic anemia",
    "carcinoma": "Metastatic carcinoma",
    "infiltrate": "Infiltrate",
    "reticulin": "Reticulin and collagen",
    "osteosclerosis": "Osteosclerosis",
    "residual": "Residual",
    "immunohistochemistry": "Immunohistochemistry",
    "immunophenotype": "Immunophenotype",
    "morphologic": "Morphologic",
    "megakaryocyt": "Megakaryocytes",
    "sideroblast": "Ring sideroblasts",
    "plasma cell": "Plasma cells",
    "blasts": "Blasts",
    "fibrosis": "Fibrosis (MF-0 to MF-3)",
    "mutation": "Mutation",
    "lambda": "Light chain (kappa, lambda)",
    "kappa": "Light chain (kappa, lambda)",
    "thrombocytopenia": "Thrombocytopenia",
    "monosomy": "Cytogenetic (chromosome) changes",
    "cd138": "CD34, CD138 and other CD names",
}


def test_every_demo_diagnosis_word_has_a_glossary_entry() -> None:
    for case in showcase_cases(date(2026, 11, 26)):
        document = parse_case(case.document, today=date(2026, 11, 26))
        terms = {term for term, _ in glossary(b.final_request(document))}
        quoted = " ".join(document.diagnosis.lines).lower()
        for word, term in MEDICAL_WORDS.items():
            if word in quoted:
                assert term in terms, (word, document.diagnosis.lines)


def fixed_prose(request: ReportRequest) -> str:
    """Our own wording: sentences, bullets and definitions; not the pathologist's quotes
    (theirs) nor the glossary's term names (the words being explained)."""
    return " ".join(
        block.detail if block.kind == "term" else block.text
        for block in summary_blocks(request)
        if block.kind in ("text", "bullet", "term")
    )


def test_the_summary_reads_at_grade_8_or_below() -> None:
    textstat.set_lang("en_US")
    lab = WORKING.model_copy(
        update={"identity": WORKING.identity.model_copy(update={"after_hours_phone": PHONE})}
    )
    summary = textstat.flesch_kincaid_grade(fixed_prose(b.final_request(settings=lab)))
    every_definition = textstat.flesch_kincaid_grade(
        " ".join(entry.meaning for entry in DIAGNOSIS_WORDS)
    )
    print(
        f"\nFlesch-Kincaid grade: example summary {summary}, diagnosis glossary {every_definition}"
    )
    assert summary <= 8, summary
    assert every_definition <= 8, every_definition


@pytest.mark.parametrize("kind", ["fish", "flow_cytometry"])
def test_tests_named_in_the_diagnosis_are_explained(kind: str) -> None:
    line = "FISH shows deletion 5q." if kind == "fish" else "Flow cytometry supports it."
    document = with_data(diagnosis={"lines": [line]}, ancillary=[])
    terms = [term for term, _ in glossary(b.final_request(document))]
    assert any(("FISH" if kind == "fish" else "Flow cytometry") in t for t in terms)
