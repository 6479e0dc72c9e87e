"""Checks before sign-out C01-C14 (`clinical-rules.md` section 6): each fires on a minimal
change to the example case and stays silent on `example-case.json` and
`example-case-v2.json`. Documents are JSON dicts, so rules reading `/2` fields (counted
ring sideroblasts, `not_performed` studies) are tested on `/2` documents."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marrowpath.domain.aml_minimums import DEFAULT_AML_MINIMUMS, AmlMinimum
from marrowpath.domain.findings import (
    CODES,
    RULES,
    Finding,
    blocking,
    findings,
    grade_supported,
    unknown_codes,
)
from marrowpath.domain.mentions import named
from marrowpath.domain.settings import LabSettings, upgraded_settings
from tests.conftest import FIXTURES, example_case
from tests.unit.test_domain import doc

SETTINGS = upgraded_settings(LabSettings())


def example_v2() -> dict[str, Any]:
    """The spec's `/2` example, beside `example-case.json`."""
    return json.loads((FIXTURES / "example-case-v2.json").read_text(encoding="utf-8"))


def codes(document: Any, settings: LabSettings = SETTINGS) -> list[str]:
    return [f.code for f in findings(document, settings)]


def only(document: Any, code: str) -> Finding:
    found = [f for f in findings(document, SETTINGS) if f.code == code]
    assert len(found) == 1, findings(document, SETTINGS)
    return found[0]


def with_lines(*lines: str, classification: list[dict[str, str]] | None = None) -> dict[str, Any]:
    data = example_case()
    data["diagnosis"]["lines"] = list(lines)
    data["diagnosis"]["classification"] = classification or []
    return data


def differential(data: dict[str, Any], **counts: int) -> dict[str, Any]:
    data["aspirate"]["differential"] = counts
    return data


class TestSilentOnTheExamples:
    def test_example_case(self) -> None:
        assert findings(example_case(), SETTINGS) == []

    def test_example_case_as_a_model(self) -> None:
        assert findings(doc(), SETTINGS) == []

    def test_example_case_v2(self) -> None:
        assert findings(example_v2(), SETTINGS) == []

    def test_every_rule_has_a_code_severity_and_fields(self) -> None:
        assert tuple(f"C{n:02d}" for n in range(1, 15)) == CODES
        assert {r.severity for r in RULES} == {"discordant", "review"}
        assert all(r.fields for r in RULES)
        discordant = {r.code for r in RULES if r.severity == "discordant"}
        assert discordant == {"C01", "C02", "C04", "C05", "C06", "C07", "C12"}


class TestC01BlastPercentage:
    def test_fires_with_the_values(self) -> None:
        data = differential(
            with_lines("Hypercellular marrow (80%) with 12% blasts."),
            blasts=100,
            neutrophils=400,
        )
        assert only(data, "C01").message == (
            "the diagnosis says 12% blasts; the differential gives 20.0 % blast equivalents "
            "(100 of 500 cells)"
        )

    @pytest.mark.parametrize(
        "line",
        [
            "Acute leukemia with 20% blasts.",
            "Acute leukemia with 20.4% blasts.",  # within 0.5
            "Acute leukemia, blasts 15%.",  # equals blasts alone (75 of 500)
            "Acute leukemia with 3% circulating blasts.",
            "Acute leukemia; blasts 40% by CD34 immunohistochemistry.",
            "Acute leukemia; flow cytometry shows blasts of 40%.",
            "Acute leukemia. Ring sideroblasts 38% of erythroblasts.",  # not "blasts 38%"
            "Acute leukemia; erythroblasts (40%) increased.",
        ],
    )
    def test_silent(self, line: str) -> None:
        data = differential(with_lines(line), blasts=75, promonocytes=25, neutrophils=400)
        assert "C01" not in codes(data)

    @pytest.mark.parametrize(
        "line",
        ["blasts of 30%", "blasts (30%", "30 % bone marrow blasts", "30% myeloblasts", "30%blasts"],
    )
    def test_every_form(self, line: str) -> None:
        data = with_lines(f"Acute myeloid leukemia, {line}.")
        assert "C01" in codes(data)


class TestC02Cellularity:
    @pytest.mark.parametrize(
        "line",
        [
            "Marrow, 60% cellularity.",
            "Marrow 60% cellular.",
            "Cellularity of 60%.",
            "Hypercellular marrow (60%).",
            "Marrow, hypercellular (60%).",
        ],
    )
    def test_fires(self, line: str) -> None:
        finding = only(with_lines(line), "C02")
        assert finding.message == (
            "the diagnosis says 60% cellularity; the core biopsy records 80 %"
        )

    def test_a_share_of_the_cellularity_is_not_a_cellularity(self) -> None:
        data = with_lines("Plasma cells 45% of marrow cellularity by CD138.")
        assert "C02" not in codes(data)


class TestC03CellularityForAge:
    def test_the_issue_example_depends_on_the_rule(self) -> None:
        data = with_lines("Hypercellular marrow.")
        data["patient"]["birth_date"] = "1948-01-01"  # 78
        data["core"]["cellularity_pct"] = 45
        # hundred_minus_age: 20-40 % at 78, so 45 % is hypercellular: no finding
        assert "C03" not in codes(data)
        bands = SETTINGS.model_copy(update={"cellularity_rule": "age_bands"})
        finding = next(f for f in findings(data, bands) if f.code == "C03")
        assert finding.severity == "review"
        assert finding.message == (
            "the diagnosis says hypercellular; 45 % at age 78 is normocellular for age "
            "(expected 30-75 %)"
        )

    def test_message_names_the_verdict(self) -> None:
        data = with_lines("Hypocellular marrow.")
        assert only(data, "C03").message == (
            "the diagnosis says hypocellular; 80 % at age 67 is hypercellular for age "
            "(expected 23-43 %)"
        )

    def test_no_finding_without_a_verdict(self) -> None:
        data = with_lines("Hypocellular marrow.")
        data["patient"]["birth_date"] = "2026-06-01"
        assert "C03" not in codes(data)

    def test_negated_mention_does_not_count(self) -> None:
        assert "C03" not in codes(with_lines("Not hypocellular."))


class TestC04AcuteLeukemiaUnnamed:
    def test_fires_at_20_percent_blast_equivalents(self) -> None:
        data = differential(
            with_lines("Myelodysplastic neoplasm."), blasts=75, promonocytes=25, neutrophils=400
        )
        assert only(data, "C04").message.startswith(
            "20.0 % blast equivalents (100 of 500 cells) and blood blasts 3.0 % (20 % or more)"
        )

    def test_fires_on_blood_blasts(self) -> None:
        data = with_lines("Myelodysplastic neoplasm.")
        data["clinical"]["cbc"]["pb_blasts_pct"] = 20
        assert "C04" in codes(data)

    def test_99_of_496_is_below_20(self) -> None:
        data = differential(with_lines("MDS."), blasts=99, neutrophils=397)
        assert "C04" not in codes(data)

    @pytest.mark.parametrize(
        "line",
        [
            "Acute myeloid leukemia.",
            "AML with myelodysplasia-related changes.",
            "B-lymphoblastic leukemia.",
            "Chronic myeloid leukemia, blast phase.",
            "Myeloid sarcoma.",
            "BPDCN.",
        ],
    )
    def test_named(self, line: str) -> None:
        data = differential(with_lines(line), blasts=150, neutrophils=350)
        assert "C04" not in codes(data)

    @pytest.mark.parametrize(
        "line", ["No evidence of acute leukemia.", "MDS/AML.", "aml (lower case).", "Residual AML."]
    )
    def test_not_named(self, line: str) -> None:
        data = differential(with_lines(line), blasts=150, neutrophils=350)
        assert "C04" in codes(data)


class TestC05AmlBelowMinimum:
    def test_who_aml_mr_needs_20(self) -> None:
        data = with_lines(
            "Acute myeloid leukemia, myelodysplasia-related.",
            classification=[{"system": "WHO-HAEM5", "term": "AML, myelodysplasia-related"}],
        )
        finding = only(data, "C05")
        assert "below the 20 % minimum in WHO-HAEM5" in finding.message
        assert "12.0 % blast equivalents (60 of 500 cells)" in finding.message

    def test_who_npm1_has_no_minimum(self) -> None:
        data = with_lines(
            "Acute myeloid leukemia with NPM1 mutation.",
            classification=[{"system": "WHO-HAEM5", "term": "AML with NPM1 mutation"}],
        )
        assert "C05" not in codes(data)

    def test_icc_npm1_needs_10(self) -> None:
        data = with_lines(
            "Acute myeloid leukemia with mutated NPM1.",
            classification=[{"system": "ICC-2022", "term": "AML with mutated NPM1"}],
        )
        assert "C05" not in codes(data)  # 12 % >= 10 %
        data = differential(data, blasts=40, neutrophils=460)  # 8 %, blood 3 %
        assert "below the 10 % minimum in ICC-2022" in only(data, "C05").message

    def test_genetics_from_final_results_only(self) -> None:
        data = with_lines("Acute myeloid leukemia.")
        data["ancillary"][0]["result"] = "NPM1 type A mutation detected."
        # a line without classification takes the lower minimum: WHO none with NPM1
        assert "C05" not in codes(data)
        data["ancillary"][0]["result"] = "NPM1 not detected."
        assert "C05" in codes(data)

    def test_kmt2a_counts_only_rearranged(self) -> None:
        data = with_lines(
            "Acute myeloid leukemia.",
            classification=[{"system": "WHO-HAEM5", "term": "Acute myeloid leukemia"}],
        )
        data["ancillary"][0]["result"] = "KMT2A-PTD detected."
        assert "C05" in codes(data)
        data["ancillary"][0]["result"] = "MLLT3::KMT2A fusion detected."
        assert "C05" not in codes(data)

    def test_skipped_for_monitoring(self) -> None:
        data = with_lines("Acute myeloid leukemia, myelodysplasia-related.")
        data["clinical"]["indication"] = "treatment_monitoring"
        assert "C05" not in codes(data)

    def test_mds_aml_is_not_aml(self) -> None:
        assert "C05" not in codes(example_case())

    def test_erythroid_needs_erythroid_predominance(self) -> None:
        data = with_lines(
            "Acute erythroid leukemia.",
            classification=[{"system": "WHO-HAEM5", "term": "Acute erythroid leukaemia"}],
        )
        assert "WHO-HAEM5 needs 80 %" in only(data, "C05").message
        differential(data, pronormoblasts=150, polychromatic_normoblasts=270, neutrophils=80)
        assert "C05" not in codes(data)

    def test_the_table_is_lab_editable(self) -> None:
        data = with_lines(
            "Acute myeloid leukemia with NPM1 mutation.",
            classification=[{"system": "WHO-HAEM5", "term": "AML with NPM1 mutation"}],
        )
        stricter = tuple(
            AmlMinimum(system=r.system, entity=r.entity, names=r.names, minimum_pct=15)
            if r.entity == "NPM1 mutation" and r.system == "WHO-HAEM5"
            else r
            for r in DEFAULT_AML_MINIMUMS
        )
        settings = SETTINGS.model_copy(update={"aml_minimums": stricter})
        assert "C05" in codes(data, settings)


class TestC06MdsGrade:
    def test_ib2_over_20_percent(self) -> None:
        data = copy.deepcopy(example_case())
        differential(data, blasts=75, promonocytes=25, neutrophils=400)  # 20.0 % equivalents
        finding = only(data, "C06")
        assert finding.message.startswith("the diagnosis names IB2; 20.0 % blast equivalents")

    def test_ib1_with_12_percent(self) -> None:
        data = with_lines("Myelodysplastic neoplasm with increased blasts-1 (MDS-IB1).")
        assert "C06" in codes(data)

    def test_icc_mds_eb(self) -> None:
        data = with_lines(
            "MDS with excess blasts.", classification=[{"system": "ICC-2022", "term": "MDS-EB"}]
        )
        assert "C06" in codes(data)  # 12 % marrow
        differential(data, blasts=40, neutrophils=460)  # 8 %
        assert "C06" not in codes(data)

    @pytest.mark.parametrize(
        ("grade", "marrow", "blood", "auer", "supported"),
        [
            ("IB1", 5, 0, False, True),
            ("IB1", 4.99, 2, False, True),
            ("IB1", 9.99, 4.99, False, True),
            ("IB1", 10, 0, False, False),
            ("IB1", 6, 0, True, False),
            ("IB1", 4, 1, False, False),
            ("IB2", 10, 0, False, True),
            ("IB2", 3, 5, False, True),
            ("IB2", 3, 1, True, True),
            ("IB2", 19.96, 0, False, True),  # 99 of 496: still IB2
            ("IB2", 20, 0, False, False),
            ("IB2", 8, 4, False, False),
            ("MDS-EB", 5, 0, False, True),
            ("MDS-EB", 2, 9, False, True),
            ("MDS-EB", 10, 0, False, False),
        ],
    )
    def test_half_open_ranges(
        self, grade: str, marrow: float, blood: float, auer: bool, supported: bool
    ) -> None:
        from fractions import Fraction

        assert (
            grade_supported(grade, Fraction(str(marrow)), Fraction(str(blood)), auer) is supported
        )


class TestC07SampleWithoutStudy:
    def test_molecular_sample_without_a_study(self) -> None:
        data = example_case()
        data["ancillary"] = [a for a in data["ancillary"] if a["kind"] != "molecular"]
        assert only(data, "C07").message.startswith("received molecular sample with no study")

    def test_not_performed_with_a_reason_counts(self) -> None:
        data = example_v2()
        data["ancillary"][2] = {
            "kind": "molecular",
            "status": "not_performed",
            "result": "Insufficient DNA.",
        }
        assert "C07" not in codes(data)
        data["ancillary"][2]["result"] = " "
        assert "C07" in codes(data)

    def test_fish_answers_a_cytogenetics_sample(self) -> None:
        data = example_case()
        data["ancillary"][1]["kind"] = "fish"
        assert "C07" not in codes(data)


class TestC08PlasmaCells:
    def test_fires_on_a_cd138_stain(self) -> None:
        data = example_case()
        data["stains"].append({"name": "CD138", "result": "positive", "percent": 30})
        assert only(data, "C08").message == (
            "plasma cells 30.0 % by CD138 immunohistochemistry (10 % or more), and no plasma "
            "cell neoplasm is named"
        )

    def test_cd138_at_9_95_is_below(self) -> None:
        data = example_case()
        data["stains"].append({"name": "CD138", "result": "positive", "percent": 9.95})
        assert "C08" not in codes(data)

    def test_named(self) -> None:
        data = with_lines("Plasma cell myeloma.")
        data["key_results"] = {"plasma_cells_pct": 40, "plasma_cells_source": "cd138_ihc"}
        assert "C08" not in codes(data)


class TestC09BlastMethods:
    def test_differential_and_cd34_disagree(self) -> None:
        data = example_case()
        data["stains"][0]["percent"] = 30
        assert only(data, "C09").message == (
            "blasts 12.0 % by differential and 30.0 % by CD34 stain disagree by more than 5 "
            "points and more than half"
        )

    def test_close_enough(self) -> None:
        data = example_case()
        data["stains"][0]["percent"] = 20  # 8 points but less than half of 20
        assert "C09" not in codes(data)


class TestC10C11:
    def test_adequate_but_hemodilute(self) -> None:
        data = example_case()
        data["aspirate"]["comment"] = "Markedly hemodilute specimen."
        assert "C10" in codes(data)
        data["aspirate"]["comment"] = "Not hemodilute."
        assert "C10" not in codes(data)

    def test_megakaryocytes_absent_but_cd61_positive(self) -> None:
        data = example_case()
        data["core"]["megakaryocyte_number"] = "absent"
        data["stains"].append({"name": "CD61", "result": "positive"})
        assert only(data, "C11").message == ("megakaryocytes absent (core) while CD61 is positive")


class TestRingSideroblasts:
    def test_c12_typed_disagrees_with_counted(self) -> None:
        data = example_v2()
        data["aspirate"]["iron"]["ring_sideroblasts_pct"] = 5
        assert only(data, "C12").message == (
            "ring sideroblasts typed as 5.0 %; counted 4 of 100 erythroblasts gives 4.0 %"
        )
        data["aspirate"]["iron"]["ring_sideroblasts_pct"] = 4.04
        assert "C12" not in codes(data)

    def test_c13_the_issue_example(self) -> None:
        data = example_case()
        data["aspirate"]["iron"] = {"ring_sideroblasts_pct": 14.95, "erythroblasts_counted": 20}
        assert only(data, "C13").message == (
            "ring sideroblasts 14.9 % reported with 20 erythroblasts counted (fewer than 100)"
        )


class TestC14:
    def test_no_evidence_with_an_infiltrate(self) -> None:
        data = with_lines("Normocellular marrow with no evidence of lymphoma.")
        data["core"]["cellularity_pct"] = 30
        assert "C14" in codes(data)
        data["core"]["infiltrate"]["percent"] = 0
        assert "C14" not in codes(data)


class TestNegatedAndQualifiedMentions:
    @pytest.mark.parametrize(
        ("text", "term", "counts"),
        [
            ("Acute myeloid leukemia.", "acute myeloid leukemia", True),
            ("No evidence of acute myeloid leukemia.", "acute myeloid leukemia", False),
            ("Negative for myeloma.", "myeloma", False),
            ("NPM1 not detected.", "NPM1", False),
            ("Residual acute myeloid leukemia (5% blasts).", "acute myeloid leukemia", False),
            ("Persistent myeloma.", "myeloma", False),
            ("AML in remission.", "AML", False),
            ("History of myeloma; normocellular marrow.", "myeloma", False),
            ("History of MDS; plasma cell myeloma.", "myeloma", True),
            ("MDS with progression to AML.", "AML", False),
            ("Leucémie aiguë.", "leucemie aigue", True),
        ],
    )
    def test_mentions(self, text: str, term: str, counts: bool) -> None:
        assert named([text], term) is counts


class TestBlockingAndCodes:
    def test_discordant_findings_block_until_acknowledged(self) -> None:
        data = with_lines("Myelodysplastic neoplasm.")
        data["clinical"]["cbc"]["pb_blasts_pct"] = 25
        found = findings(data, SETTINGS)
        assert [f.code for f in blocking(found, [])] == ["C04"]
        assert blocking(found, ["C04"]) == []

    def test_review_findings_never_block(self) -> None:
        data = example_case()
        data["stains"][0]["percent"] = 30
        assert blocking(findings(data, SETTINGS), []) == []

    def test_unknown_codes(self) -> None:
        assert unknown_codes(["C01", "C99", "c02"]) == ["C99", "c02"]


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 10**6)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
PATHS = (
    "diagnosis",
    "diagnosis.lines",
    "diagnosis.classification",
    "aspirate",
    "aspirate.differential",
    "aspirate.iron",
    "aspirate.morphology",
    "core",
    "core.infiltrate",
    "stains",
    "ancillary",
    "procedure.specimens",
    "clinical.cbc",
    "key_results",
    "patient.birth_date",
)


@given(st.lists(st.tuples(st.sampled_from(PATHS), JSON), min_size=1, max_size=4))
@hypothesis_settings(max_examples=150, deadline=None)
def test_a_draft_of_any_shape_never_breaks_the_checks(changes: list[tuple[str, Any]]) -> None:
    """The editor runs the checks on drafts as typed: odd values make no finding crash."""
    data = example_case()
    for path, value in changes:
        *parents, leaf = path.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {}) if isinstance(target, dict) else {}
        if isinstance(target, dict):
            target[leaf] = value
    found = findings(data, SETTINGS)
    assert all(f.code in CODES for f in found)
