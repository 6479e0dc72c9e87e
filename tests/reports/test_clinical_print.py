"""What the report says about numbers near thresholds, read back from the PDF with pypdf
(`clinical-rules.md` sections 1-5): intervals with the counts, blast equivalents, values
never printed onto a threshold, the cellularity rule with its source, the CBC with its
intervals and H/L marks, stain and study names as written."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date
from typing import Any

from pypdf import PdfReader

from marrowpath.demo.showcase import showcase_cases
from marrowpath.domain.settings import LabSettings, upgraded_settings
from marrowpath.domain.validation import parse_case
from marrowpath.reports.pdf import render_report
from tests.reports import builders as b

# The lab's working settings as loaded (`upgraded_settings`): intervals on, adult CBC set.
WORKING = upgraded_settings(b.SETTINGS)
EQUIVALENTS = "Blast equivalents (blasts + promonocytes + abnormal promyelocytes)"


def text_of(pdf: bytes) -> str:
    """The report's text with line breaks folded (phrases may wrap)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def printed(settings: LabSettings = WORKING, **changes: Any) -> str:
    """The final report of the example case with some of its data replaced."""
    data = b.example_data()
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = data
        for key in parents:
            node = node[key]
        node[leaf] = value
    document = parse_case(data, today=b.TODAY)
    return text_of(render_report(b.final_request(document, settings=settings)))


def differential(**counts: int) -> dict[str, int]:
    """A 500-cell differential: the given counts, lymphocytes for the rest."""
    rest = 500 - sum(counts.values())
    return {**counts, "lymphocytes": rest}


def test_key_results_print_the_count_and_its_interval() -> None:
    text = printed()
    assert (
        "Blasts 12.0 % (60 of 500 cells; 95 % CI 9.3-15.2, counting error only); "
        "source: aspirate differential" in text
    )
    assert "Plasma cells 2.0 % (10 of 500 cells; 95 % CI 1.0-3.6, counting error only)" in text


def test_the_interval_spanning_a_threshold_suggests_correlation_never_more_cells() -> None:
    text = printed()
    assert (
        "Blast equivalents 12.0 % (95 % CI 9.3-15.2) span the 10 % threshold; correlate with "
        "CD34 immunohistochemistry, flow cytometry or a second smear." in text
    )
    assert "count more" not in text.lower() and "more cells" not in text.lower()


def test_the_lab_can_turn_the_intervals_off() -> None:
    off = WORKING.model_copy(update={"report_confidence_intervals": False})
    text = printed(off)
    assert "95 % CI" not in text and "counting error" not in text
    assert "Blasts 12.0 %; source: aspirate differential" in text


def test_blast_equivalents_are_printed_when_promonocytes_were_counted() -> None:
    """75 blasts + 30 promonocytes of 500 is 21.0 % blast equivalents, not 15.0 % blasts."""
    text = printed(aspirate__differential=differential(blasts=75, promonocytes=30, monocytes=20))
    assert "Blasts 15.0 % (75 of 500 cells); source: aspirate differential" not in text
    assert "Blasts 15.0 %; source: aspirate differential" in text
    assert f"{EQUIVALENTS} 21.0 % (105 of 500 cells; 95 % CI 17.5-24.8, counting error only)" in (
        text
    )
    # the differential table: promonocytes, then blast equivalents with their count
    assert f"Promonocytes 30 6.0 {EQUIVALENTS} 105 21.0" in text
    # no interval spans a diagnostic threshold: 17.5-24.8 contains 20
    assert "span the 20 % threshold" in text


def test_no_blast_equivalents_row_without_promonocytes() -> None:
    assert "Blast equivalents (blasts" not in printed()


def test_a_value_below_a_threshold_never_prints_on_it() -> None:
    """99 of 496 is 19.96 %: "19.9 % (99 of 496 cells)", never "20.0 %"; CD138 9.95 %
    prints 9.9; ring sideroblasts 14.95 % print 14.9 %."""
    counts = differential(blasts=99)
    counts["lymphocytes"] -= 4  # 496 cells
    off = WORKING.model_copy(update={"report_confidence_intervals": False})
    text = printed(
        off,
        aspirate__differential=counts,
        aspirate__iron={"ring_sideroblasts_pct": 14.95, "erythroblasts_counted": 200},
        stains=[{"name": "CD138", "result": "positive", "percent": 9.95}],
    )
    assert "Blasts 19.9 % (99 of 496 cells); source: aspirate differential" in text
    assert "Blasts 99 19.9" in text
    assert "20.0" not in text
    assert "CD138 Positive 9.9" in text and "CD138 Positive 10.0" not in text
    assert "Ring sideroblasts 14.9 % of erythroblasts (200 erythroblasts counted)" in text
    on = printed(aspirate__differential=counts)
    assert "Blasts 19.9 % (99 of 496 cells; 95 % CI 16.5-23." in on


def test_the_cellularity_rule_is_named_with_its_source() -> None:
    text = printed()
    assert "80 %, hypercellular for age (expected 23-43 %)" in text
    assert "Cellularity rule 100 minus age, bounded (classic rule from 18 years" in text
    bands = printed(WORKING.model_copy(update={"cellularity_rule": "age_bands"}))
    assert "80 %, hypercellular for age (expected 30-75 %)" in bands
    assert "Wong et al., Am J Clin Pathol 2023, doi:10.1093/ajcp/aqad129" in bands


def test_no_cellularity_verdict_under_one_year() -> None:
    text = printed(patient__birth_date="2026-06-01")
    assert "80 %; no age-adjusted range is established under 1 year" in text
    assert "hypercellular for age" not in text


def test_a_version_signed_under_a_legacy_rule_prints_that_rule() -> None:
    legacy = b.SETTINGS.model_copy(update={"cellularity_rule": "100-age"})
    text = printed(legacy)
    assert "expected cellularity = 100 - age, +/- 10 %" in text
    assert "hypercellular for age (expected 23-43 %)" in text


def test_the_cbc_prints_units_intervals_and_marks() -> None:
    text = printed()
    assert "Test Result Unit Reference H/L" in text
    assert "Hemoglobin 8.4 g/dL 13.5-17.5 L" in text  # male interval
    assert "Platelets 54 ×10⁹/L 150-400 L" in text
    assert "MCV 104 fL 80-100 H" in text
    assert "Blood blasts 3 % 0 H" in text
    assert "Monocytes 0.2 ×10⁹/L 0.2-1.0 " in text  # on the bound: no mark
    assert "common adult values (MarrowPath default); enter the laboratory's own" in text


def test_a_child_without_a_pediatric_set_gets_no_marks_and_is_told_why() -> None:
    text = printed(patient__birth_date="2016-03-01")
    assert "Hemoglobin 8.4 g/dL L" not in text and "13.5-17.5" not in text
    assert text.count("no reference interval for this age is set by the laboratory") == 3
    assert "Blasts 60 12.0 H" not in text and "0-2" not in text


def test_a_version_signed_before_interval_sets_prints_its_cbc_without_marks() -> None:
    text = printed(b.SETTINGS)
    assert "Hemoglobin 8.4 g/dL" in text and "13.5-17.5" not in text
    assert "no reference interval" not in text
    assert "Blasts 60 12.0 0-2 H" in text


def test_study_and_stain_names_print_as_written() -> None:
    text = printed(
        ancillary=[{"kind": "fish", "status": "pending"}],
        stains=[
            {"name": "p53", "result": "positive", "percent": 3},
            {"name": "CD34", "result": "positive", "percent": 10},
        ],
    )
    assert "FISH PENDING" in text and "Fish" not in text
    assert "p53 Positive 3.0" in text and "P53" not in text
    assert "CD34 Positive 10.0" in text


def test_the_demo_s_cases_at_each_threshold_print_exact_values() -> None:
    """The showcase's four drafts near a threshold (demo/stories: ingrid, dmitri, amelia,
    henrik), as a pathologist previews them: never a value rounded onto the threshold."""
    today = date(2026, 12, 7)
    drafts = {
        case.document["patient"]["mrn"]: parse_case(case.document, today=today)
        for case in showcase_cases(today)
        if case.document["patient"]["mrn"]
        in {"MRN0093311", "MRN0093327", "MRN0093346", "MRN0093358"}
    }
    assert len(drafts) == 4

    def preview(mrn: str) -> str:
        request = replace(b.draft_request(drafts[mrn]), settings=WORKING)
        return text_of(render_report(request))

    blasts = preview("MRN0093311")
    assert "Blasts 19.9 % (99 of 496 cells; 95 % CI" in blasts
    assert "20.0 %" not in blasts
    equivalents = preview("MRN0093327")
    assert "Blasts 15.0 %" in equivalents
    assert f"{EQUIVALENTS} 21.0 % (105 of 500 cells" in equivalents
    rings = preview("MRN0093346")
    assert "14.9 %" in rings and "15.0 %" not in rings
    plasma = preview("MRN0093358")
    assert "Plasma cells 9.9 %; source: CD138" in plasma and "10.0 %" not in plasma
