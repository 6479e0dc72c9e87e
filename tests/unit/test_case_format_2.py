"""Case format /2 in the domain: the upgrade of `/1`, the new fields, and each rule of bad
input named by its field (`case-format.md`)."""

from __future__ import annotations

import copy
import json
from datetime import date
from typing import Any

import pytest

from marrowpath.domain.case import FORMAT, CaseDocument
from marrowpath.domain.enums import DifferentialCategory
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.upgrade import upgrade_case
from marrowpath.domain.validation import check_draft, parse_case
from marrowpath.domain.wording import words_list
from tests.conftest import EXAMPLE_CASE, example_case_v2

TODAY = date(2026, 12, 1)


def format_1() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text(encoding="utf-8"))
    return data


def without_nulls(value: Any) -> Any:
    """`null` and absent mean the same ("not recorded"); export leaves nulls out."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def problems(data: Any) -> list[str]:
    with pytest.raises(InvalidCase) as refused:
        parse_case(data, today=TODAY)
    return [str(problem) for problem in refused.value.problems]


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf by path; list items by position (`stains[2].result`)."""
    if isinstance(value, dict):
        found: dict[str, Any] = {}
        for key, item in value.items():
            found |= leaves(item, f"{path}.{key}" if path else key)
        return found
    if isinstance(value, list) and any(isinstance(item, dict | list) for item in value):
        found = {}
        for index, item in enumerate(value):
            found |= leaves(item, f"{path}[{index}]")
        return found
    return {path: value}


class TestUpgrade:
    def test_the_example_upgraded_is_the_v2_example_but_for_what_v2_added(self) -> None:
        upgraded, v2 = leaves(upgrade_case(format_1())), leaves(example_case_v2())
        differing = {
            path for path in upgraded.keys() | v2.keys() if upgraded.get(path) != v2.get(path)
        }
        assert differing == {
            # fields new in /2
            "procedure.collected_at",
            "aspirate.count.method",
            "aspirate.count.counted_by",
            "aspirate.count.started_at",
            "aspirate.count.finished_at",
            "aspirate.count.target",
            "aspirate.iron.ring_sideroblasts",
            "ancillary[0].measurements[0].name",
            "ancillary[0].measurements[0].value",
            "ancillary[0].measurements[0].unit",
            # what /1 could only say in other words: a typed percentage beside the
            # count of erythroblasts, and p53 read by pattern as "positive"
            "aspirate.iron.ring_sideroblasts_pct",
            "stains[2].result",
            "stains[2].pattern",
        }
        assert upgraded["format"] == v2["format"] == FORMAT
        assert upgraded["core.infiltrate.patterns"] == v2["core.infiltrate.patterns"]

    def test_only_the_format_and_the_pattern_change(self) -> None:
        before = format_1()
        after = upgrade_case(before)
        assert before == format_1()  # the input is left as it was
        assert after["core"]["infiltrate"] == {
            "patterns": ["interstitial"],
            "percent": 10,
            "description": "Scattered CD34-positive blasts, no clusters.",
        }
        after["core"]["infiltrate"] = before["core"]["infiltrate"]
        after["format"] = before["format"]
        assert after == before

    def test_other_documents_pass_unchanged(self) -> None:
        v2 = example_case_v2()
        assert upgrade_case(v2) is v2
        unknown = {"format": "marrowpath.case/3"}
        assert upgrade_case(unknown) is unknown

    def test_import_reads_both_formats_into_one_model(self) -> None:
        from_1 = parse_case(format_1(), today=TODAY)
        from_2 = parse_case(example_case_v2(), today=TODAY)
        assert isinstance(from_1, CaseDocument) and from_1.format == FORMAT
        assert from_1.core is not None and from_1.core.infiltrate is not None
        assert [p.value for p in from_1.core.infiltrate.patterns] == ["interstitial"]
        assert from_2.to_json_dict() == without_nulls(example_case_v2())  # lossless


class TestNewFields:
    def test_ring_sideroblasts_percentage_is_derived_from_the_counts(self) -> None:
        iron = parse_case(example_case_v2(), today=TODAY).aspirate.iron  # type: ignore[union-attr]
        assert iron is not None and iron.counted()
        assert iron.percent() == 4  # 4 of 100 erythroblasts
        typed = parse_case(format_1(), today=TODAY).aspirate.iron  # type: ignore[union-attr]
        assert typed is not None and not typed.counted() and typed.percent() == 4

    def test_abnormal_promyelocytes_are_a_category(self) -> None:
        data = example_case_v2()
        data["aspirate"]["differential"]["abnormal_promyelocytes"] = 25
        document = parse_case(data, today=TODAY)
        differential = document.aspirate.differential  # type: ignore[union-attr]
        assert differential is not None
        assert differential.count(DifferentialCategory.ABNORMAL_PROMYELOCYTES) == 25

    def test_every_new_field_is_read(self) -> None:
        data = example_case_v2()
        data["clinical"]["therapy"] = [
            {"name": "Azacitidine", "kind": "chemotherapy", "started_on": "2026-06-01"}
        ]
        data["aspirate"]["second_count"] = {
            "counted_by": "bkim",
            "method": "counter",
            "differential": {"blasts": 30, "neutrophils": 170},
        }
        data["aspirate"]["count"]["smudge_cells"] = 7
        data["core"]["infiltrate"]["patterns"] = ["nodular", "interstitial"]
        data["stains"][2]["result"] = "aberrant_overexpression"
        data["ancillary"][1] = {
            "kind": "karyotype",
            "status": "not_performed",
            "result": "No growth in culture.",
        }
        data["communications"] = [
            {
                "at": "2026-11-19T15:00:00-05:00",
                "to": "Priya Raman, MD",
                "role": "ordering provider",
                "method": "phone",
                "read_back": True,
                "by": "drpark",
            }
        ]
        document = parse_case(data, today=TODAY)
        assert document.communications is not None and document.communications[0].reached
        dumped: dict[str, Any] = document.to_json_dict()
        assert dumped["communications"][0].pop("reached") is True  # the default, written
        assert dumped == without_nulls(data)

    def test_patterns_read_in_words(self) -> None:
        assert words_list(["nodular", "interstitial"]) == "Nodular and interstitial"
        assert words_list(["nodular", "interstitial", "diffuse"]) == (
            "Nodular, interstitial and diffuse"
        )
        assert words_list(["paratrabecular"]) == "Paratrabecular"


def v2(change: Any) -> dict[str, Any]:
    data = example_case_v2()
    change(data)
    return data


class TestBadInput:
    """Each rule: one line naming the field and the rule; import and drafts alike."""

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            (
                lambda d: d["core"]["infiltrate"].update(pattern="interstitial"),
                "core.infiltrate.pattern is a field of marrowpath.case/1; "
                "marrowpath.case/2 has patterns (a list)",
            ),
            (
                lambda d: d["aspirate"]["iron"].update(ring_sideroblasts=101),
                "aspirate.iron.ring_sideroblasts must be at most erythroblasts_counted (100), "
                "got 101",
            ),
            (
                lambda d: d["aspirate"]["iron"].update(ring_sideroblasts_pct=5),
                "aspirate.iron.ring_sideroblasts_pct 5 disagrees with the counts: 4 of 100 "
                "erythroblasts is 4.0 %",
            ),
            (
                lambda d: d["core"]["infiltrate"].update(patterns=["none", "nodular"]),
                "core.infiltrate.patterns must be none alone (none says there is no "
                "infiltrate), got none, nodular",
            ),
            (
                lambda d: d["core"]["infiltrate"].update(patterns=["nodular", "nodular"]),
                "core.infiltrate.patterns must not repeat a pattern, got nodular twice",
            ),
            (
                lambda d: d["core"]["infiltrate"].update(patterns=[]),
                "core.infiltrate.patterns must not be empty",
            ),
            (
                lambda d: d["clinical"].update(
                    therapy=[
                        {
                            "name": "Azacitidine",
                            "kind": "chemotherapy",
                            "started_on": "2026-06-01",
                            "ended_on": "2026-05-31",
                        }
                    ]
                ),
                "clinical.therapy[0].ended_on 2026-05-31 is before started_on 2026-06-01",
            ),
            (
                lambda d: d["procedure"].update(collected_at="2026-11-19T09:40:00-05:00"),
                "procedure.collected_at is on 2026-11-19, not on the procedure date 2026-11-18",
            ),
            (
                lambda d: d["ancillary"][1].update(status="not_performed"),
                "ancillary[1].result is required when the status is not_performed (the reason)",
            ),
            (
                lambda d: d.update(format="marrowpath.case/3"),
                "format must be exactly marrowpath.case/2 (or marrowpath.case/1, read and "
                'upgraded), got "marrowpath.case/3"',
            ),
        ],
    )
    def test_one_line_naming_the_field_and_the_rule(self, change: Any, message: str) -> None:
        data = v2(change)
        assert problems(data) == [message]
        if data["format"] == FORMAT:  # the editor refuses to save it too
            assert [str(p) for p in check_draft(copy.deepcopy(data), today=TODAY).problems] == [
                message
            ]

    def test_a_percentage_that_agrees_to_one_decimal_is_accepted(self) -> None:
        data = v2(lambda d: d["aspirate"]["iron"].update(ring_sideroblasts_pct=4.0))
        assert parse_case(data, today=TODAY).aspirate.iron.ring_sideroblasts_pct == 4.0  # type: ignore[union-attr]
        thirds = v2(
            lambda d: d["aspirate"]["iron"].update(
                ring_sideroblasts=1, erythroblasts_counted=3, ring_sideroblasts_pct=33.3
            )
        )
        parse_case(thirds, today=TODAY)

    def test_a_count_needs_the_erythroblasts_counted(self) -> None:
        data = v2(lambda d: d["aspirate"]["iron"].pop("erythroblasts_counted"))
        assert problems(data) == [
            "aspirate.iron.ring_sideroblasts is given without erythroblasts_counted: a count "
            "needs both"
        ]

    def test_a_collection_time_on_the_procedure_date_in_its_own_offset(self) -> None:
        # 23:30 in New York is the next day in UTC: judged by the time as written
        data = v2(lambda d: d["procedure"].update(collected_at="2026-11-18T23:30:00-05:00"))
        parse_case(data, today=TODAY)
