"""The arithmetic of `clinical-rules.md` sections 1-5 with the spec's hand-computed values:
confidence intervals, display at thresholds, blast equivalents, cellularity for age and
reference intervals by age group."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from marrowpath.domain.canonical import canonical_json
from marrowpath.domain.case import Differential
from marrowpath.domain.cellularity import NO_VERDICT_TEXT, assess_cellularity, expected_cellularity
from marrowpath.domain.derived import (
    blast_equivalents_differ,
    blast_equivalents_percent,
    case_cellularity,
    counted_percent,
    summarise_differential,
)
from marrowpath.domain.enums import DifferentialCategory as Cat
from marrowpath.domain.estimates import binomial_cdf, clopper_pearson
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.reference_intervals import NO_INTERVAL_TEXT, IntervalSet, mark
from marrowpath.domain.settings import (
    CELLULARITY_RULES,
    LabSettings,
    apply_setting,
    settings_lines,
    upgraded_settings,
)
from marrowpath.domain.thresholds import (
    DISPLAY_THRESHOLDS,
    Count,
    estimate_text,
    percent_text,
    shown,
    threshold_advisory,
)
from marrowpath.domain.validation import parse_case
from tests.conftest import example_case
from tests.unit.test_domain import TODAY, doc


class TestConfidenceIntervals:
    @pytest.mark.parametrize(
        ("count", "total", "low", "high"),
        [  # clinical-rules.md section 1
            (12, 100, "6.36", "20.02"),
            (24, 200, "7.84", "17.33"),
            (60, 500, "9.28", "15.18"),
            (120, 1000, "10.05", "14.18"),
            (20, 100, "12.67", "29.18"),
            (99, 496, "16.53", "23.75"),
            (120, 500, "20.32", "27.99"),
            (0, 500, "0.00", "0.74"),
        ],
    )
    def test_spec_table(self, count: int, total: int, low: str, high: str) -> None:
        interval = clopper_pearson(count, total)
        assert f"{interval.low:.2f}" == low
        assert f"{interval.high:.2f}" == high

    def test_all_counted_reaches_100(self) -> None:
        interval = clopper_pearson(3, 3)
        assert interval.high == pytest.approx(100)
        assert f"{interval.low:.2f}" == "29.24"  # 0.025 ** (1/3)

    def test_binomial_cdf_against_a_direct_sum(self) -> None:
        from math import comb

        direct = sum(comb(20, i) * 0.3**i * 0.7 ** (20 - i) for i in range(6))
        assert binomial_cdf(5, 20, 0.3) == pytest.approx(direct, rel=1e-12)

    def test_refuses_impossible_counts(self) -> None:
        with pytest.raises(ValueError, match="0 <= count <= total"):
            clopper_pearson(5, 4)

    @given(st.integers(1, 100_000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
    @hypothesis_settings(deadline=None)  # timing is never asserted
    def test_contains_the_proportion_within_0_100(self, counts: tuple[int, int]) -> None:
        count, total = counts
        interval = clopper_pearson(count, total)
        assert 0 <= interval.low <= 100 * count / total <= interval.high <= 100

    @given(
        st.integers(1, 2000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))),
        st.integers(2, 5),
    )
    @hypothesis_settings(deadline=None)  # timing is never asserted
    def test_narrows_as_the_count_grows(self, counts: tuple[int, int], factor: int) -> None:
        count, total = counts
        small = clopper_pearson(count, total)
        large = clopper_pearson(count * factor, total * factor)
        assert large.high - large.low < small.high - small.low

    def test_report_text(self) -> None:
        assert (
            estimate_text(Count(120, 500), "blast_equivalents")
            == "24.0 % (120 of 500 cells; 95 % CI 20.3-28.0, counting error only)"
        )

    def test_bounds_are_never_rounded_onto_a_threshold(self) -> None:
        # 12 of 100: 6.36-20.02 (upper reached 20: 20.0); 99 of 496 upper 23.75
        assert estimate_text(Count(12, 100), "blast_equivalents").endswith(
            "95 % CI 6.4-20.0, counting error only)"
        )
        # an upper bound of 9.96 must print 9.9, not 10.0
        assert shown(Fraction(996, 100), DISPLAY_THRESHOLDS["blast_equivalents"]) == Decimal("9.9")


class TestThresholdAdvisory:
    def test_spans_thresholds_and_suggests_correlation_only(self) -> None:
        text = threshold_advisory(Count(12, 100), "blast_equivalents", "Blast equivalents")
        assert text == (
            "Blast equivalents 12.0 % (95 % CI 6.4-20.0) span the 10 % and 20 % thresholds; "
            "correlate with CD34 immunohistochemistry, flow cytometry or a second smear"
        )

    def test_silent_when_the_interval_spans_none(self) -> None:
        assert threshold_advisory(Count(120, 1000), "blast_equivalents", "Blasts") is None
        assert threshold_advisory(Count(0, 500), "blast_equivalents", "Blasts") is None

    @given(st.integers(1, 3000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
    @hypothesis_settings(deadline=None)  # timing is never asserted
    def test_never_proposes_a_number_of_cells(self, counts: tuple[int, int]) -> None:
        for quantity in ("blast_equivalents", "plasma_cells", "ring_sideroblasts"):
            text = threshold_advisory(Count(*counts), quantity, "Value") or ""
            assert "count" not in text.lower()
            assert "cells" not in text.lower()


class TestDisplayAtThresholds:
    @pytest.mark.parametrize(
        ("value", "quantity", "text"),
        [  # clinical-rules.md section 2
            (Fraction(100 * 99, 496), "blast_equivalents", "19.9 % (99 of 496 cells)"),
            (Fraction(100 * 49, 400), "blast_equivalents", "12.3 %"),
            (9.95, "plasma_cells", "9.9 %"),
            (14.95, "ring_sideroblasts", "14.9 %"),
            (1.96, "blasts", "1.9 %"),
            (4.95, "pb_blasts", "4.9 %"),
            (9.95, "dysplasia", "9.9 %"),
            (59.96, "plasma_cells", "59.9 %"),
            (20, "blast_equivalents", "20.0 %"),
            (19.94, "blast_equivalents", "19.9 %"),
            (14.95, "", "15.0 %"),  # no threshold: half up as before
        ],
    )
    def test_examples(self, value: Any, quantity: str, text: str) -> None:
        count = Count(99, 496) if isinstance(value, Fraction) and value.denominator == 124 else None
        assert percent_text(value, quantity, count) == text

    @given(
        st.fractions(min_value=0, max_value=100, max_denominator=100_000),
        st.sampled_from(sorted(DISPLAY_THRESHOLDS)),
    )
    @hypothesis_settings(deadline=None)  # timing is never asserted
    def test_no_value_rounds_across_a_threshold(self, value: Fraction, quantity: str) -> None:
        thresholds = DISPLAY_THRESHOLDS[quantity]
        displayed = shown(value, thresholds)
        for threshold in thresholds:
            assert (displayed >= threshold) == (value >= threshold)
        assert abs(Fraction(displayed) - value) <= Fraction(1, 10)

    def test_differential_rows_and_key_values_use_the_rule(self) -> None:
        data = example_case()
        data["aspirate"]["differential"] = {"blasts": 99, "lymphocytes": 397}
        case = doc(data)
        blasts = next(
            r
            for r in summarise_differential(case.aspirate.differential, LabSettings()).rows  # type: ignore[arg-type, union-attr]
            if r.category is Cat.BLASTS
        )
        assert blasts.percent == Decimal("19.9")
        equivalents = blast_equivalents_percent(case)
        assert equivalents is not None
        assert equivalents.value == Decimal("19.9")
        assert equivalents.exact == Fraction(9900, 496)
        assert equivalents.text == "19.9 % (99 of 496 cells)"


class TestBlastEquivalents:
    def test_promonocytes_are_printed_with_blasts(self) -> None:
        data = example_case()
        data["aspirate"]["differential"] = {"blasts": 75, "promonocytes": 30, "neutrophils": 395}
        case = doc(data)
        assert blast_equivalents_percent(case).value == Decimal("21.0")  # type: ignore[union-attr]
        assert blast_equivalents_differ(case)
        summary = summarise_differential(case.aspirate.differential, LabSettings())  # type: ignore[arg-type, union-attr]
        assert summary.blast_equivalents is not None
        assert summary.blast_equivalents.text == "21.0 %"
        assert "blasts_aml_range" in [f.code for f in advisory_flags(case)]

    def test_not_printed_when_equal_to_blasts(self) -> None:
        assert not blast_equivalents_differ(doc())
        summary = summarise_differential(doc().aspirate.differential, LabSettings())  # type: ignore[arg-type, union-attr]
        assert summary.blast_equivalents is None

    def test_abnormal_promyelocytes_count_when_the_format_has_them(self) -> None:
        # `/2` differential (dict-level: the `/1` model has no such category)
        differential = {"blasts": 5, "abnormal_promyelocytes": 95, "neutrophils": 400}

        class V2Differential:  # what a `/2` model exposes: attributes and counts()
            def __init__(self, counts: dict[str, int]) -> None:
                self.__dict__.update(counts)
                self._model = Differential(
                    **{k: v for k, v in counts.items() if k in Differential.model_fields}
                )

            def counts(self) -> dict[Cat, int]:
                return self._model.counts()

            def count(self, category: Cat) -> int:
                return self._model.count(category)

        equivalents = counted_percent(
            V2Differential(differential),
            ("blasts", "promonocytes", "abnormal_promyelocytes"),
            "blast_equivalents",
        )
        assert equivalents is not None
        assert equivalents.count == Count(100, 500)
        assert equivalents.value == Decimal("20.0")
        summary = summarise_differential(V2Differential(differential), LabSettings())  # type: ignore[arg-type]
        assert summary.cells_counted == 500
        assert summary.myeloid == 500  # abnormal promyelocytes are myeloid
        assert summary.blast_equivalents is not None


class TestCellularityForAge:
    @pytest.mark.parametrize(
        ("age", "expected"),
        [  # clinical-rules.md section 4, hundred_minus_age
            (0, None),
            (1, (45, 85)),
            (3, (45, 85)),
            (17, (45, 85)),
            (18, (45, 85)),
            (45, (45, 65)),
            (67, (23, 43)),
            (70, (20, 40)),
            (80, (20, 40)),
            (95, (20, 40)),
            (106, (20, 40)),
        ],
    )
    def test_hundred_minus_age(self, age: int, expected: tuple[int, int] | None) -> None:
        assert expected_cellularity(age, "hundred_minus_age") == expected

    @pytest.mark.parametrize(
        ("age", "expected"),
        [(0, None), (3, (45, 85)), (17, (45, 85)), (18, (30, 75)), (95, (30, 75))],
    )
    def test_age_bands(self, age: int, expected: tuple[int, int] | None) -> None:
        assert expected_cellularity(age, "age_bands") == expected

    @given(st.integers(0, 130), st.sampled_from(["hundred_minus_age", "age_bands"]))
    @hypothesis_settings(deadline=None)  # timing is never asserted
    def test_never_inverted_or_empty(self, age: int, rule: str) -> None:
        expected = expected_cellularity(age, rule)
        assert expected is None or 0 < expected[0] < expected[1] <= 100

    @pytest.mark.parametrize(
        ("percent", "age", "verdict"),
        [  # the issue's examples
            (75, 3, "normocellular"),  # was "hypocellular (expected 87-95 %)"
            (30, 95, "normocellular"),  # was "hypercellular (5-15 %)"
            (10, 95, "hypocellular"),  # a near-empty marrow is never normal
            (30, 106, "normocellular"),  # was "expected 5-4 %"
        ],
    )
    def test_issue_examples(self, percent: int, age: int, verdict: str) -> None:
        assert assess_cellularity(percent, age).verdict == verdict

    def test_no_verdict_under_one_year(self) -> None:
        assessment = assess_cellularity(80, 0)
        assert assessment.verdict is None
        assert (assessment.lower, assessment.upper) == (None, None)
        assert assessment.text == f"80 %; {NO_VERDICT_TEXT}"
        assert NO_VERDICT_TEXT == "no age-adjusted range is established under 1 year"

    def test_newborn_case(self) -> None:
        data = example_case()
        data["patient"]["birth_date"] = "2026-11-01"
        assessment = case_cellularity(parse_case(data, today=TODAY), LabSettings())
        assert assessment is not None and assessment.verdict is None

    def test_rule_names_and_sources(self) -> None:
        assert set(CELLULARITY_RULES) == {"hundred_minus_age", "age_bands"}
        assert "doi:10.1093/ajcp/aqad129" in CELLULARITY_RULES["age_bands"]
        assert "100 minus age" in CELLULARITY_RULES["hundred_minus_age"]
        assert LabSettings().cellularity_rule == "hundred_minus_age"

    def test_legacy_rules_still_render_what_was_signed(self) -> None:
        assert expected_cellularity(67, "100-age") == (23, 43)
        assert expected_cellularity(2, "100-age") == (88, 95)
        assert expected_cellularity(19, "wong-2023") == (45, 85)
        with pytest.raises(Exception, match="hundred_minus_age, age_bands"):
            apply_setting(LabSettings(), "cellularity.rule", "100-age")

    def test_working_settings_move_to_the_successor_rules(self) -> None:
        assert upgraded_settings(LabSettings(cellularity_rule="100-age")).cellularity_rule == (
            "hundred_minus_age"
        )
        assert upgraded_settings(LabSettings(cellularity_rule="wong-2023")).cellularity_rule == (
            "age_bands"
        )

    def test_setting_in_show_and_snapshot(self) -> None:
        settings = apply_setting(LabSettings(), "cellularity.rule", "age_bands")
        assert "cellularity.rule\tage_bands" in settings_lines(settings)
        assert b'"cellularity_rule":"age_bands"' in canonical_json(settings.model_dump(mode="json"))


class TestReferenceIntervalsByAge:
    def test_old_snapshots_keep_their_meaning_and_hash(self) -> None:
        old = LabSettings.model_validate({"cellularity_rule": "100-age"})
        dumped = old.model_dump(mode="json", exclude_none=True)
        assert "interval_sets" not in dumped and "aml_minimums" not in dumped
        assert old.marrow_intervals(0) == old.reference_intervals  # as signed then
        assert old.cbc_intervals(40) is None

    def test_defaults_adult_cbc_and_no_pediatric_set(self) -> None:
        settings = upgraded_settings(LabSettings())
        assert settings.marrow_intervals(40) == settings.reference_intervals
        assert settings.marrow_intervals(0) is None
        assert settings.marrow_intervals(17) is None
        cbc = settings.cbc_intervals(40)
        assert cbc is not None
        assert (
            cbc.intervals["hemoglobin_g_dl.female"].low,
            cbc.intervals["hemoglobin_g_dl.female"].high,
        ) == (12.0, 15.5)
        assert (cbc.intervals["platelets_10e9_l"].low, cbc.intervals["platelets_10e9_l"].high) == (
            150,
            400,
        )
        assert settings.cbc_intervals(10) is None
        # in the snapshot
        assert "adult CBC" in canonical_json(settings.model_dump(mode="json")).decode()

    def test_newborn_differential_has_no_marks(self) -> None:
        settings = upgraded_settings(LabSettings())
        summary = summarise_differential(doc().aspirate.differential, settings, age=0)  # type: ignore[arg-type, union-attr]
        assert summary.no_interval_for_age
        assert {row.mark for row in summary.rows} == {""}
        assert NO_INTERVAL_TEXT == "no reference interval for this age is set by the laboratory"
        adult = summarise_differential(doc().aspirate.differential, settings, age=67)  # type: ignore[arg-type, union-attr]
        assert not adult.no_interval_for_age
        assert next(r for r in adult.rows if r.category is Cat.BLASTS).mark == "H"

    def test_a_pediatric_set_entered_by_the_lab_is_used(self) -> None:
        from marrowpath.domain.reference_intervals import ReferenceInterval

        pediatric = IntervalSet(
            name="pediatric marrow",
            kind="marrow",
            age_group="pediatric",
            source="lab",
            intervals={"blasts": ReferenceInterval(low=0, high=15)},
        )
        settings = upgraded_settings(LabSettings()).model_copy(
            update={"interval_sets": (pediatric,)}
        )
        summary = summarise_differential(doc().aspirate.differential, settings, age=5)  # type: ignore[arg-type, union-attr]
        assert next(r for r in summary.rows if r.category is Cat.BLASTS).mark == ""

    @pytest.mark.parametrize(
        ("value", "low", "high", "marked"),
        [
            (8.4, 12.0, 15.5, "L"),
            (12.0, 12.0, 15.5, ""),
            (15.5, 12.0, 15.5, ""),
            (15.51, 12.0, 15.5, "H"),
        ],
    )
    def test_h_and_l(self, value: float, low: float, high: float, marked: str) -> None:
        from marrowpath.domain.reference_intervals import ReferenceInterval

        assert mark(value, ReferenceInterval(low=low, high=high)) == marked


class TestCbcTable:
    def test_example_cbc_marks_for_a_67_year_old_man(self) -> None:
        from marrowpath.domain.derived import cbc_table

        table = cbc_table(doc(), upgraded_settings(LabSettings()))
        assert table is not None and not table.no_interval_for_age
        rows = {row.field: row for row in table.rows}
        assert doc().patient.sex.value == "male"
        assert (rows["hemoglobin_g_dl"].interval, rows["hemoglobin_g_dl"].mark) == (
            (13.5, 17.5),
            "L",
        )
        assert rows["platelets_10e9_l"].mark == "L"  # 54
        assert rows["mcv_fl"].mark == "H"  # 104
        assert rows["monocytes_10e9_l"].mark == ""  # 0.2, the lower bound
        assert rows["pb_blasts_pct"].mark == "H"  # 3 %, interval 0
        assert rows["wbc_10e9_l"].unit == "x10^9/L"

    def test_child_gets_no_marks_and_the_sentence(self) -> None:
        from marrowpath.domain.derived import cbc_table

        data = example_case()
        data["patient"]["birth_date"] = "2020-01-01"
        table = cbc_table(parse_case(data, today=TODAY), upgraded_settings(LabSettings()))
        assert table is not None and table.no_interval_for_age
        assert {row.mark for row in table.rows} == {""}


def test_upgraded_settings_survive_the_canonical_round_trip() -> None:
    """A version's snapshot is hashed without None values and parsed back when read."""
    from marrowpath.domain.canonical import sha256_hex

    settings = upgraded_settings(LabSettings())
    dumped = settings.model_dump(mode="json", exclude_none=True)
    again = LabSettings.model_validate(dumped)
    assert again == settings
    assert sha256_hex(canonical_json(again.model_dump(mode="json", exclude_none=True))) == (
        sha256_hex(canonical_json(dumped))
    )


class TestLabEditsTheTables:
    def test_cbc_and_pediatric_intervals(self) -> None:
        settings = apply_setting(LabSettings(), "interval.cbc.adult.wbc_10e9_l", "3.5-10.5")
        cbc = settings.cbc_intervals(40)
        assert cbc is not None
        assert (cbc.intervals["wbc_10e9_l"].low, cbc.intervals["wbc_10e9_l"].high) == (3.5, 10.5)
        assert cbc.intervals["mcv_fl"].low == 80  # the rest of the default set kept
        settings = apply_setting(settings, "interval.marrow.pediatric.blasts", "0-3")
        pediatric = settings.marrow_intervals(5)
        assert pediatric is not None and pediatric["blasts"].high == 3
        assert "interval.marrow.pediatric.blasts\t0-3" in settings_lines(settings)
        adult = apply_setting(settings, "interval.marrow.adult.blasts", "0-3")
        assert adult.reference_intervals["blasts"].high == 3

    @pytest.mark.parametrize(
        ("key", "value", "words"),
        [
            ("interval.cbc.adult.colour", "1-2", "unknown key 'colour'"),
            ("interval.cbc.teen.wbc_10e9_l", "1-2", "interval.marrow|cbc.adult|pediatric.KEY"),
            ("interval.cbc.adult.wbc_10e9_l", "5-4", "LOW <= HIGH"),
            ("aml_minimum.WHO-HAEM5.NPM1_mutation", "lots", "percentage from 0 to 100 or none"),
            ("aml_minimum.WHO-HAEM5.unheard_of", "10", "names no row"),
        ],
    )
    def test_bad_values_name_the_key_and_rule(self, key: str, value: str, words: str) -> None:
        from marrowpath.domain.errors import Refused

        with pytest.raises(Refused) as refused:
            apply_setting(LabSettings(), key, value)
        assert key in str(refused.value)
        assert words in str(refused.value)

    def test_aml_minimum_row(self) -> None:
        settings = apply_setting(LabSettings(), "aml_minimum.WHO-HAEM5.NPM1_mutation", "10")
        row = next(
            r
            for r in settings.aml_minimum_table
            if r.system == "WHO-HAEM5" and r.entity == "NPM1 mutation"
        )
        assert row.minimum_pct == 10
        assert "aml_minimum.WHO-HAEM5.NPM1_mutation\t10" in settings_lines(settings)
        assert "aml_minimum.ICC-2022.NPM1_mutation\t10" in settings_lines(settings)


class TestMoreAdvisories:
    def codes(self, data: dict[str, Any]) -> list[str]:
        return [f.code for f in advisory_flags(parse_case(data, today=TODAY))]

    def test_clonal_plasma_cells_60_from_cd138(self) -> None:
        data = example_case()
        data["stains"].append({"name": "CD138", "result": "positive", "percent": 60})
        assert "plasma_cells_60" in self.codes(data)
        data["stains"][-1]["percent"] = 59.96
        assert "plasma_cells_10" in self.codes(data)
        assert "plasma_cells_60" not in self.codes(data)

    def test_few_erythroblasts_for_ring_sideroblasts(self) -> None:
        data = example_case()
        data["aspirate"]["iron"]["erythroblasts_counted"] = 20
        assert "ring_sideroblasts_few_erythroblasts" in self.codes(data)
        assert "ring_sideroblasts_few_erythroblasts" not in self.codes(example_case())

    def test_other_cells_need_a_description(self) -> None:
        data = example_case()
        data["aspirate"]["differential"]["other"] = 12  # 12 of 504 = 2.4 %
        assert "other_cells_undescribed" in self.codes(data)
        data["aspirate"]["morphology"]["other"] = "Occasional megaloblastoid forms."
        assert "other_cells_undescribed" not in self.codes(data)

    def test_threshold_advisory_for_plasma_cells(self) -> None:
        data = example_case()
        data["aspirate"]["differential"] = {"plasma_cells": 10, "lymphocytes": 90}
        flags = {f.code: f for f in advisory_flags(parse_case(data, today=TODAY))}
        assert flags["interval_spans_threshold_plasma_cells"].message.startswith(
            "Plasma cells 10.0 % (95 % CI 4.9-17.6) span the 10 % threshold"
        )


def test_printed_stain_percentages_keep_below_their_threshold() -> None:
    from marrowpath.domain.thresholds import stain_quantity
    from marrowpath.domain.wording import percent_text as printed

    assert printed(9.95, stain_quantity("CD138")) == "9.9 %"
    assert printed(1.95, stain_quantity("CD 34")) == "1.9 %"
    assert printed(9.95, stain_quantity("CD117")) == "10.0 %"  # no threshold
    assert printed(12.25) == "12.3 %"


def test_report_text_with_and_without_intervals() -> None:
    data = example_case()
    data["aspirate"]["differential"] = {"blasts": 120, "lymphocytes": 380}
    equivalents = blast_equivalents_percent(parse_case(data, today=TODAY))
    assert equivalents is not None
    on = upgraded_settings(LabSettings())
    assert equivalents.report_text(on) == (
        "24.0 % (120 of 500 cells; 95 % CI 20.3-28.0, counting error only)"
    )
    off = apply_setting(on, "report.confidence_intervals", "false")
    assert equivalents.report_text(off) == "24.0 %"
    assert "report.confidence_intervals\tfalse" in settings_lines(off)


@given(st.integers(0, 600), st.integers(1, 600))
@hypothesis_settings(deadline=None)  # the first call of a count computes its intervals
def test_blast_flags_follow_the_exact_value(blasts: int, others: int) -> None:
    """Half-open ranges on the exact value: the flag never follows the rounded one."""
    data = example_case()
    data["aspirate"]["differential"] = {"blasts": blasts, "lymphocytes": others}
    flags = {f.code: f for f in advisory_flags(parse_case(data, today=TODAY))}
    value = Fraction(100 * blasts, blasts + others)
    expected = (
        "blasts_aml_range"
        if value >= 20
        else "blasts_10_19"
        if value >= 10
        else "blasts_5_9"
        if value >= 5
        else None
    )
    found = [c for c in flags if c in ("blasts_aml_range", "blasts_10_19", "blasts_5_9")]
    assert found == ([expected] if expected else [])
    if expected:
        shown_value = Decimal(flags[expected].message.split("Blast equivalents ")[1].split(" %")[0])
        for threshold in (5, 10, 20):
            assert (shown_value >= threshold) == (value >= threshold)
