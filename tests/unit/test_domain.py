"""Domain rules with hand-computed values: derived values, flags, lifecycle, text, versions,
the audit chain and validation messages (case-format.md)."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marrowpath.domain.audit import GENESIS, AuditEvent, ChainCheck, event_hash
from marrowpath.domain.canonical import canonical_json
from marrowpath.domain.case import CaseDocument, Differential, DifferentialCounts
from marrowpath.domain.derived import (
    age_in_years,
    assess_cellularity,
    blast_equivalents_percent,
    blasts_percent,
    case_age,
    case_cellularity,
    expected_cellularity,
    mark,
    percent,
    plasma_cells_percent,
    round_half_up,
    summarise_differential,
)
from marrowpath.domain.enums import DifferentialCategory as Cat
from marrowpath.domain.errors import InvalidCase, LifecycleRefused, Refused
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.lifecycle import Action, Status, VersionKind, allowed, require
from marrowpath.domain.settings import LabSettings, apply_setting
from marrowpath.domain.text import display_name, fold, search_words
from marrowpath.domain.types import STORED
from marrowpath.domain.validation import check_draft, parse_case, parse_case_json
from marrowpath.domain.versions import VersionContent
from tests.conftest import example_case

T = TypeVar("T")
TODAY = date(2026, 11, 26)  # the example's procedure (2026-11-18) is in the past


def doc(data: dict[str, Any] | None = None) -> CaseDocument:
    return parse_case(example_case() if data is None else data, today=TODAY)


def known(value: T | None) -> T:
    """A value the test's case has (the derived values are None when it lacks the data)."""
    assert value is not None
    return value


def differential_of(case: CaseDocument) -> DifferentialCounts:
    assert case.aspirate is not None and case.aspirate.differential is not None
    return case.aspirate.differential


def counts(**cells: int) -> DifferentialCounts:
    """A differential of these counts (`Differential`'s fields are generated, so unknown
    to the type checker as keywords)."""
    return Differential.model_validate(cells)


def problems(data: Any, today: date = TODAY) -> list[str]:
    """The messages (path + rule) of an invalid document; fails if it is valid."""
    with pytest.raises(InvalidCase) as caught:
        parse_case(data, today=today)
    return [str(p) for p in caught.value.problems]


def with_differential(counts: dict[str, int], **extra: Any) -> CaseDocument:
    data = example_case()
    data["aspirate"]["differential"] = counts
    for key, value in extra.items():
        data[key] = value
    return doc(data)


def codes(case: CaseDocument, *, final: bool = False) -> list[str]:
    return [f.code for f in advisory_flags(case, final_sign_out=final)]


# ------------------------------------------------------------------ derived values


class TestExampleCaseDerived:
    def test_cells_counted_and_lineage_sums(self) -> None:
        summary = summarise_differential(differential_of(doc()), LabSettings())
        assert summary.cells_counted == 500
        assert summary.myeloid == 227  # 60+15+40+30+25+45+10+2
        assert summary.erythroid == 180  # 5+20+110+45
        assert summary.erythroid_percent == Decimal("36.0")

    def test_me_ratio(self) -> None:
        summary = summarise_differential(differential_of(doc()), LabSettings())
        assert summary.me_ratio == Decimal("1.3")  # 227 / 180 = 1.261...
        assert summary.me_ratio_text == "1.3:1"
        assert summary.me_ratio_mark == "L"  # default 2.0-4.0
        assert "blasts to neutrophils" in summary.me_rule

    def test_blasts_percent(self) -> None:
        case = doc()
        assert known(blasts_percent(case)).value == Decimal("12.0")
        assert known(blasts_percent(case)).source == "differential"
        assert str(known(blast_equivalents_percent(case)).value) == "12.0"
        assert known(plasma_cells_percent(case)).value == Decimal("2.0")

    def test_age_and_cellularity(self) -> None:
        case = doc()
        assert case_age(case) == 67
        assert expected_cellularity(67) == (23, 43)
        assessment = case_cellularity(case, LabSettings())
        assert assessment is not None
        assert (assessment.lower, assessment.upper) == (23, 43)
        assert assessment.verdict == "hypercellular"
        assert assessment.text == "80 %, hypercellular for age (expected 23-43 %)"

    def test_h_and_l_marks_against_default_intervals(self) -> None:
        summary = summarise_differential(differential_of(doc()), LabSettings())
        rows = {row.category: row for row in summary.rows}
        expected = {
            Cat.BLASTS: ("12.0", "H"),  # 0-2
            Cat.PROMYELOCYTES: ("3.0", ""),  # 2-6
            Cat.MYELOCYTES: ("8.0", "H"),  # 3-7
            Cat.METAMYELOCYTES: ("6.0", ""),  # 5-9
            Cat.BANDS: ("5.0", "L"),  # 10-16
            Cat.NEUTROPHILS: ("9.0", "L"),  # 18-28
            Cat.EOSINOPHILS: ("2.0", ""),  # 1-5
            Cat.BASOPHILS: ("0.4", ""),  # 0-1
            Cat.MONOCYTES: ("2.6", ""),  # 1-5
            Cat.LYMPHOCYTES: ("12.0", ""),  # 9-19
            Cat.PLASMA_CELLS: ("2.0", "H"),  # 0-1
            Cat.HISTIOCYTES: ("0.4", ""),  # no interval
            Cat.OTHER: ("1.6", ""),
            Cat.MAST_CELLS: ("0.0", ""),  # absent -> 0, no interval
        }
        for category, (shown, flag) in expected.items():
            assert str(rows[category].percent) == shown, category
            assert rows[category].mark == flag, category
        assert rows[Cat.HISTIOCYTES].interval is None
        assert summary.erythroid_mark == "H"  # 36.0 > 32
        assert list(rows) == list(Cat)  # every category, in report order

    def test_values_on_interval_boundaries_are_not_marked(self) -> None:
        assert mark(Decimal("2.0"), (0, 2)) == ""
        assert mark(Decimal("2.1"), (0, 2)) == "H"
        assert mark(Decimal("0.9"), (1, 5)) == "L"
        assert mark(Decimal("1.0"), (1, 5)) == ""
        assert mark(None, (1, 5)) == ""
        assert mark(Decimal("50"), None) == ""


class TestRounding:
    @pytest.mark.parametrize(
        ("count", "total", "shown"),
        [
            (49, 400, "12.3"),  # 12.25 -> half up
            (97, 800, "12.1"),  # 12.125 -> 12.1
            (1, 3, "33.3"),
            (2, 3, "66.7"),
            (1, 8, "12.5"),  # exactly representable
            (1, 16, "6.3"),  # 6.25 -> 6.3
            (0, 10, "0.0"),
            (10, 10, "100.0"),
        ],
    )
    def test_percent_half_up(self, count: int, total: int, shown: str) -> None:
        assert str(percent(count, total)) == shown

    def test_percent_of_nothing_is_none(self) -> None:
        assert percent(0, 0) is None

    @pytest.mark.parametrize(
        ("value", "shown"),
        [
            (12.25, "12.3"),
            (12.24, "12.2"),
            (4.95, "5.0"),
            # decimals as typed, not their binary approximation (14.95 is 14.9499... as a float)
            (14.95, "15.0"),
            (9.95, "10.0"),
            (19.95, "20.0"),
            (1.95, "2.0"),
            (4.85, "4.9"),
            (0.05, "0.1"),
            (7, "7.0"),
        ],
    )
    def test_round_half_up(self, value: float, shown: str) -> None:
        assert str(round_half_up(value)) == shown

    def test_huge_counts_still_give_a_ratio(self) -> None:
        # new input is bounded (10,000 a category); a version issued before the bound keeps
        # its counts and must still render
        stored = Differential.model_validate(
            {"neutrophils": 10**30 + 1, "pronormoblasts": 2}, context=STORED
        )
        summary = summarise_differential(stored, LabSettings())
        assert summary.me_ratio_text == "500000000000000000000000000000.5:1"
        assert summary.erythroid_percent == Decimal("0.0")

    def test_me_ratio_half_up(self) -> None:
        # myeloid 49 / erythroid 20 = 2.45 -> 2.5
        summary = summarise_differential(counts(blasts=49, pronormoblasts=20), LabSettings())
        assert summary.me_ratio_text == "2.5:1"
        assert summary.me_ratio_mark == ""


class TestMeRatio:
    def test_not_calculable_without_erythroid_cells(self) -> None:
        summary = summarise_differential(
            counts(blasts=10, neutrophils=90, lymphocytes=100), LabSettings()
        )
        assert summary.erythroid == 0
        assert summary.me_ratio is None
        assert summary.me_ratio_text == "not calculable"
        assert summary.me_ratio_mark == ""
        assert summary.erythroid_percent == Decimal("0.0")
        assert summary.erythroid_mark == "L"

    def test_monocyte_setting_changes_the_myeloid_sum(self) -> None:
        differential = counts(
            neutrophils=100, promonocytes=20, monocytes=30, polychromatic_normoblasts=50
        )
        without = summarise_differential(differential, LabSettings())
        with_monocytes = summarise_differential(
            differential, LabSettings(me_ratio_include_monocytes=True)
        )
        assert without.myeloid == 100
        assert without.me_ratio_text == "2.0:1"
        assert with_monocytes.myeloid == 150
        assert with_monocytes.me_ratio_text == "3.0:1"
        assert "promonocytes and monocytes" in with_monocytes.me_rule
        assert "promonocytes" not in without.me_rule

    def test_example_myeloid_sum_with_monocytes(self) -> None:
        settings = apply_setting(LabSettings(), "me_ratio.include_monocytes", "true")
        summary = summarise_differential(differential_of(doc()), settings)
        assert summary.myeloid == 240  # 227 + 13 monocytes (no promonocytes)
        assert summary.me_ratio_text == "1.3:1"  # 240 / 180 = 1.33

    def test_mast_lymph_plasma_histiocytes_other_in_neither_lineage(self) -> None:
        summary = summarise_differential(
            counts(
                mast_cells=5, lymphocytes=5, plasma_cells=5, histiocytes=5, other=5, monocytes=5
            ),
            LabSettings(me_ratio_include_monocytes=False),
        )
        assert (summary.myeloid, summary.erythroid, summary.cells_counted) == (0, 0, 30)

    def test_edited_reference_interval_changes_marks(self) -> None:
        settings = apply_setting(LabSettings(), "reference.blasts", "0-15")
        summary = summarise_differential(differential_of(doc()), settings)
        blasts = next(r for r in summary.rows if r.category is Cat.BLASTS)
        assert blasts.interval == (0, 15)
        assert blasts.mark == ""


class TestBlastEquivalents:
    def test_promonocytes_count_as_blast_equivalents(self) -> None:
        case = with_differential({"blasts": 30, "promonocytes": 20, "neutrophils": 450})
        assert known(blasts_percent(case)).value == Decimal("6.0")
        assert known(blast_equivalents_percent(case)).value == Decimal("10.0")
        assert "blasts_10_19" in codes(case)
        assert "blasts_5_9" not in codes(case)

    def test_key_results_override_the_differential(self) -> None:
        data = example_case()
        data["key_results"] = {"blasts_pct": 25, "blasts_source": "cd34_ihc"}
        case = doc(data)
        equivalents = known(blast_equivalents_percent(case))
        assert (equivalents.value, equivalents.source) == (Decimal("25.0"), "cd34_ihc")
        assert known(blasts_percent(case)).source == "cd34_ihc"
        assert "blasts_aml_range" in codes(case)

    def test_plasma_cells_key_result(self) -> None:
        data = example_case()
        data["key_results"] = {"plasma_cells_pct": 35, "plasma_cells_source": "cd138_ihc"}
        plasma = known(plasma_cells_percent(doc(data)))
        assert (plasma.value, plasma.source) == (Decimal("35.0"), "cd138_ihc")

    def test_no_differential_no_key_result(self) -> None:
        data = example_case()
        del data["aspirate"]["differential"]
        case = doc(data)
        assert blast_equivalents_percent(case) is None
        assert not any(code.startswith("blasts") for code in codes(case))


class TestAge:
    @pytest.mark.parametrize(
        ("born", "on", "age"),
        [
            (date(1959, 2, 11), date(2026, 11, 18), 67),
            (date(1959, 11, 18), date(2026, 11, 18), 67),  # on the birthday
            (date(1959, 11, 19), date(2026, 11, 18), 66),  # the day before
            (date(2000, 2, 29), date(2001, 2, 28), 0),  # leap-day birthday, not yet
            (date(2000, 2, 29), date(2001, 3, 1), 1),  # counts on 1 March
            (date(2000, 2, 29), date(2004, 2, 29), 4),
            (date(2000, 2, 29), date(2004, 2, 28), 3),
            (date(2026, 11, 18), date(2026, 11, 18), 0),  # newborn
        ],
    )
    def test_age_in_years(self, born: date, on: date, age: int) -> None:
        assert age_in_years(born, on) == age

    @pytest.mark.parametrize(
        ("cellularity", "age", "verdict", "lower", "upper"),
        [
            (80, 67, "hypercellular", 23, 43),
            (43, 67, "normocellular", 23, 43),  # the upper bound is normal
            (23, 67, "normocellular", 23, 43),
            (22, 67, "hypocellular", 23, 43),
            (44, 67, "hypercellular", 23, 43),
            # clinical-rules.md section 4: 45-85 % from 1 to 17 years (was 88-95 %, which
            # called a normal child's marrow hypocellular), 20-40 % from 80 (was 5-11 %)
            (90, 2, "hypercellular", 45, 85),
            (4, 99, "hypocellular", 20, 40),
        ],
    )
    def test_cellularity_for_age(
        self, cellularity: int, age: int, verdict: str, lower: int, upper: int
    ) -> None:
        assessment = assess_cellularity(cellularity, age)
        assert (assessment.verdict, assessment.lower, assessment.upper) == (verdict, lower, upper)

    def test_alternative_cellularity_rule(self) -> None:
        settings = apply_setting(LabSettings(), "cellularity.rule", "age_bands")
        assessment = known(case_cellularity(doc(), settings))
        assert (assessment.lower, assessment.upper, assessment.verdict) == (30, 75, "hypercellular")


# ------------------------------------------------------------------ flags


class TestFlags:
    def test_example_case_flags(self) -> None:
        assert codes(doc()) == [
            "blasts_10_19",
            "pb_blasts_2",
            # 60 of 500: 95 % CI 9.3-15.2 spans 10 % (clinical-rules.md section 1)
            "interval_spans_threshold_blast_equivalents",
            "dysplasia_erythroid",
            "dysplasia_granulocytic",
            "dysplasia_megakaryocytic",
        ]

    def test_pending_ancillary_only_at_final_sign_out(self) -> None:
        flags = advisory_flags(doc(), final_sign_out=True)
        pending = [f for f in flags if f.code == "ancillary_pending"]
        assert len(pending) == 1
        assert "karyotype, molecular" in pending[0].message
        assert "ancillary_pending" not in codes(doc())
        data = example_case()
        data["ancillary"] = [a for a in data["ancillary"] if a["status"] == "final"]
        assert "ancillary_pending" not in codes(doc(data), final=True)

    @pytest.mark.parametrize(
        ("total", "code", "severity"),
        [
            (199, "cells_counted_below_200", "strong"),
            (200, "cells_counted_below_500", "advisory"),
            (499, "cells_counted_below_500", "advisory"),
            (500, None, None),
        ],
    )
    def test_cells_counted(self, total: int, code: str | None, severity: str | None) -> None:
        case = with_differential({"lymphocytes": total})
        flags = [f for f in advisory_flags(case) if f.code.startswith("cells_counted")]
        if code is None:
            assert flags == []
        else:
            assert [(f.code, f.severity) for f in flags] == [(code, severity)]
            assert str(total) in flags[0].message

    @pytest.mark.parametrize(
        ("blasts_pct", "code"),
        [
            (4.9, None),
            (4.94, None),
            # exact values, half-open ranges (clinical-rules.md section 2): a value just
            # under a threshold is not in the range above it, and is shown rounded down
            (4.95, None),
            (5, "blasts_5_9"),
            (9.9, "blasts_5_9"),
            (9.95, "blasts_5_9"),
            (10, "blasts_10_19"),
            (19.9, "blasts_10_19"),
            (19.95, "blasts_10_19"),
            (20, "blasts_aml_range"),
            (100, "blasts_aml_range"),
        ],
    )
    def test_blast_thresholds(self, blasts_pct: float, code: str | None) -> None:
        data = example_case()
        data["key_results"] = {"blasts_pct": blasts_pct, "blasts_source": "estimate"}
        found = [c for c in codes(doc(data)) if c.startswith("blasts")]
        assert found == ([code] if code else [])

    def test_blast_flag_message_shows_the_rounded_value(self) -> None:
        data = example_case()
        data["key_results"] = {"blasts_pct": 5.04, "blasts_source": "estimate"}
        flag = next(f for f in advisory_flags(doc(data)) if f.code == "blasts_5_9")
        assert "5.0 %" in flag.message
        assert "MDS-IB1" in flag.message

    def test_blast_flag_message_never_rounds_onto_a_threshold(self) -> None:
        data = example_case()
        data["key_results"] = {"blasts_pct": 9.95, "blasts_source": "estimate"}
        flag = next(f for f in advisory_flags(doc(data)) if f.code == "blasts_5_9")
        assert "9.9 %" in flag.message
        assert "10.0" not in flag.message

    def test_99_of_496_blasts_is_not_in_the_aml_range(self) -> None:
        case = with_differential({"blasts": 99, "lymphocytes": 397})
        flags = {f.code: f for f in advisory_flags(case)}
        assert "blasts_aml_range" not in flags
        assert "Blast equivalents 19.9 % (99 of 496 cells)" in flags["blasts_10_19"].message

    def test_blasts_from_differential_boundaries(self) -> None:
        # 25 of 500 = 5.0 %, 24 of 500 = 4.8 %, 50 of 500 = 10.0 %, 100 of 500 = 20.0 %
        for blasts, code in (
            (24, None),
            (25, "blasts_5_9"),
            (50, "blasts_10_19"),
            (100, "blasts_aml_range"),
        ):
            case = with_differential({"blasts": blasts, "lymphocytes": 500 - blasts})
            assert [c for c in codes(case) if c.startswith("blasts")] == ([code] if code else [])

    def test_auer_rods(self) -> None:
        data = example_case()
        data["aspirate"]["auer_rods"] = True
        flags = {f.code: f for f in advisory_flags(doc(data))}
        assert flags["auer_rods"].severity == "strong"
        assert "auer_rods" not in codes(doc())  # false

    @pytest.mark.parametrize(
        ("pb", "code"),
        [
            (1.9, None),
            (1.95, None),  # exact values (clinical-rules.md section 2)
            (2, "pb_blasts_2"),
            (4.99, "pb_blasts_2"),
            (5, "pb_blasts_5"),  # section 7: WHO-HAEM5 MDS-IB2 range
            (10, "pb_blasts_10"),  # section 7: ICC-2022 MDS/AML range
            (19.9, "pb_blasts_10"),
            (20, "pb_blasts_20"),
        ],
    )
    def test_peripheral_blood_blasts(self, pb: float, code: str | None) -> None:
        data = example_case()
        data["clinical"]["cbc"]["pb_blasts_pct"] = pb
        assert [c for c in codes(doc(data)) if c.startswith("pb_")] == ([code] if code else [])

    @pytest.mark.parametrize(("plasma", "flagged"), [(49, False), (50, True), (100, True)])
    def test_plasma_cells_ten_percent(self, plasma: int, flagged: bool) -> None:
        case = with_differential({"plasma_cells": plasma, "lymphocytes": 500 - plasma})
        assert ("plasma_cells_10" in codes(case)) is flagged

    def test_plasma_cells_key_result_flag(self) -> None:
        data = example_case()
        data["key_results"] = {"plasma_cells_pct": 9.95, "plasma_cells_source": "cd138_ihc"}
        # 9.95 % is below 10 % (clinical-rules.md section 2; it used to flag as "10.0 %")
        assert "plasma_cells_10" not in codes(doc(data))
        data["key_results"]["plasma_cells_pct"] = 10
        assert "plasma_cells_10" in codes(doc(data))

    @pytest.mark.parametrize(
        ("ring", "code"),
        [
            (4.9, None),
            (4.95, None),  # exact values (clinical-rules.md section 2)
            (5, "ring_sideroblasts_5"),
            (14.9, "ring_sideroblasts_5"),
            (14.95, "ring_sideroblasts_5"),
            (15, "ring_sideroblasts_15"),
        ],
    )
    def test_ring_sideroblasts(self, ring: float, code: str | None) -> None:
        data = example_case()
        data["aspirate"]["iron"]["ring_sideroblasts_pct"] = ring
        assert [c for c in codes(doc(data)) if c.startswith("ring")] == ([code] if code else [])

    @pytest.mark.parametrize(
        ("value", "flagged"), [(9.9, False), (9.94, False), (9.95, False), (10, True)]
    )
    def test_dysplasia_ten_percent(self, value: float, flagged: bool) -> None:
        data = example_case()
        data["aspirate"]["dysplasia"] = {"granulocytic_pct": value}
        assert ("dysplasia_granulocytic" in codes(doc(data))) is flagged
        assert "dysplasia_erythroid" not in codes(doc(data))

    @pytest.mark.parametrize(("length", "flagged"), [(14.9, True), (15, False), (17, False)])
    def test_core_length(self, length: float, flagged: bool) -> None:
        data = example_case()
        data["core"]["length_mm"] = length
        assert ("core_short" in codes(doc(data))) is flagged

    @pytest.mark.parametrize(("cellularity", "flagged"), [(25, True), (26, False), (0, True)])
    def test_core_cellularity(self, cellularity: int, flagged: bool) -> None:
        data = example_case()
        data["core"]["cellularity_pct"] = cellularity
        assert ("core_cellularity_25" in codes(doc(data))) is flagged

    @pytest.mark.parametrize(
        ("quality", "source", "flagged"),
        [
            ("hemodilute", "aspirate_smear", True),
            ("dry_tap", "aspirate_smear", True),
            ("hemodilute", None, True),  # the default source is the smear
            ("hemodilute", "clot_section", False),
            ("dry_tap", "touch_imprint", False),
            ("adequate", "aspirate_smear", False),
            ("suboptimal", "aspirate_smear", False),
        ],
    )
    def test_differential_on_poor_aspirate(
        self, quality: str, source: str | None, flagged: bool
    ) -> None:
        data = example_case()
        data["aspirate"]["quality"] = quality
        if source is None:
            del data["aspirate"]["differential_source"]
        else:
            data["aspirate"]["differential_source"] = source
        assert ("differential_on_poor_aspirate" in codes(doc(data))) is flagged

    def test_flags_never_change_a_value(self) -> None:
        case = doc()
        before = case.model_dump()
        advisory_flags(case, final_sign_out=True)
        assert case.model_dump() == before


# ------------------------------------------------------------------ lifecycle


ALL_STATUSES = list(Status)
AFTER_FINAL = {Status.FINAL, Status.AMENDED, Status.APPENDED}
OPEN = {Status.DRAFT, Status.PRELIMINARY}
ISSUED = OPEN - {Status.DRAFT} | AFTER_FINAL

# The table of case-format.md, without an amendment in progress.
EXPECTED_ALLOWED: dict[Action, set[Status]] = {
    Action.EDIT: OPEN,
    Action.SIGN_PRELIMINARY: OPEN,
    Action.SIGN_FINAL: OPEN,
    Action.CANCEL: OPEN,
    Action.START_AMENDMENT: AFTER_FINAL,
    Action.SIGN_AMENDMENT: set(),
    Action.DISCARD_AMENDMENT: set(),
    Action.ADDENDUM: AFTER_FINAL,
    Action.WITHDRAW: ISSUED,
}

# With an amendment in progress (only possible after final).
EXPECTED_WITH_AMENDMENT: dict[Action, bool] = {
    Action.EDIT: True,
    Action.SIGN_PRELIMINARY: False,
    Action.SIGN_FINAL: False,
    Action.CANCEL: False,
    Action.START_AMENDMENT: True,
    Action.SIGN_AMENDMENT: True,
    Action.DISCARD_AMENDMENT: True,
    Action.ADDENDUM: False,
    Action.WITHDRAW: True,
}


class TestLifecycle:
    @pytest.mark.parametrize("action", list(Action))
    @pytest.mark.parametrize("status", ALL_STATUSES)
    def test_allowed_table(self, action: Action, status: Status) -> None:
        assert allowed(action, status) is (status in EXPECTED_ALLOWED[action])

    @pytest.mark.parametrize("action", list(Action))
    @pytest.mark.parametrize("status", sorted(AFTER_FINAL))
    def test_allowed_with_amendment_in_progress(self, action: Action, status: Status) -> None:
        assert (
            allowed(action, status, amendment_in_progress=True) is EXPECTED_WITH_AMENDMENT[action]
        )

    def test_table_covers_every_action(self) -> None:
        assert set(EXPECTED_ALLOWED) == set(Action) == set(EXPECTED_WITH_AMENDMENT)

    @pytest.mark.parametrize("action", list(Action))
    @pytest.mark.parametrize("status", [Status.CANCELLED, Status.ENTERED_IN_ERROR])
    def test_closed_cases_allow_nothing(self, action: Action, status: Status) -> None:
        assert not allowed(action, status)
        assert not allowed(action, status, amendment_in_progress=True)

    def test_require_names_case_action_status_and_hint(self) -> None:
        with pytest.raises(LifecycleRefused) as caught:
            require(Action.EDIT, Status.FINAL, "BM26-00042")
        assert str(caught.value) == (
            "BM26-00042: cannot edit the working document: the case is final "
            "(an issued report is changed only by amend, addendum or withdraw)"
        )
        with pytest.raises(LifecycleRefused, match="the case is entered in error"):
            require(Action.CANCEL, Status.ENTERED_IN_ERROR, "BM26-00042")
        with pytest.raises(LifecycleRefused, match="no amendment is in progress"):
            require(Action.SIGN_AMENDMENT, Status.FINAL, "BM26-00042")
        with pytest.raises(LifecycleRefused, match="sign or discard it first"):
            require(Action.ADDENDUM, Status.AMENDED, "X", amendment_in_progress=True)
        with pytest.raises(LifecycleRefused, match="no final report was issued yet"):
            require(Action.ADDENDUM, Status.DRAFT, "X")
        require(Action.SIGN_FINAL, Status.PRELIMINARY, "X")  # allowed: no exception


# ------------------------------------------------------------------ text


class TestText:
    @pytest.mark.parametrize(
        ("text", "folded"),
        [
            ("Łukasiewicz", "lukasiewicz"),
            ("łukasiewicz", "lukasiewicz"),
            ("Søren Ørsted", "soren orsted"),
            ("Straße", "strasse"),
            ("Tomás", "tomas"),
            ("TOMAS", "tomas"),
            # apostrophes and hyphens are ignored (cli.md: obrien finds O'Brien)
            ("Zoë Łukasiewicz-Nguyễn", "zoe lukasiewicznguyen"),
            ("O'Brien O’Neill", "obrien oneill"),
            ("Мар\u02bcяна", "маряна"),
            ("Ærø", "aero"),
            ("Đorđević", "dordevic"),
            ("  Crème   Brûlée ", "creme brulee"),
            ("ÉCOLE", "ecole"),
            ("Ольга Петрова", "ольга петрова"),
            ("李雪", "李雪"),
        ],
    )
    def test_fold(self, text: str, folded: str) -> None:
        assert fold(text) == folded

    def test_fold_same_for_composed_and_decomposed(self) -> None:
        assert fold("Zoe\u0308") == fold("Zo\u00eb") == "zoe"

    def test_search_words(self) -> None:
        assert search_words("  Łukasiewicz   TOMÁS ") == ["lukasiewicz", "tomas"]
        assert search_words("") == []

    @pytest.mark.parametrize(
        ("family", "given", "shown"),
        [
            ("Delgado", "Tomás", "DELGADO, Tomás"),
            ("Łukasiewicz-Nguyễn", "Zoë", "ŁUKASIEWICZ-NGUYỄN, Zoë"),
            ("Петрова", "Ольга", "ПЕТРОВА, Ольга"),
            ("Παπαδόπουλος", "Γιώργος", "ΠΑΠΑΔΟΠΟΥΛΟΣ, Γιώργος"),
            ("李", "雪", "李雪"),
            ("山田", "太郎", "山田太郎"),
            ("김", "민준", "김민준"),
            ("Suharto", "", "SUHARTO"),  # one name
        ],
    )
    def test_display_name(self, family: str, given: str, shown: str) -> None:
        assert display_name(family, given) == shown


# ------------------------------------------------------------------ versions


def content(**changes: Any) -> VersionContent:
    values: dict[str, Any] = {
        "accession": "BM26-00042",
        "number": 1,
        "kind": VersionKind.FINAL,
        "document": doc(),
        "settings": LabSettings(),
        "signed_by": "drpark",
        "signer_name": "Dana Park",
        "signer_credentials": "MD",
        "signed_at": datetime(2026, 11, 20, 14, 30, tzinfo=UTC),
        "meaning": "final diagnosis",
    }
    values.update(changes)
    return VersionContent(**values)


class TestVersions:
    def test_canonical_json(self) -> None:
        assert canonical_json({"b": [1, 2.5], "a": "é", "c": None}) == (
            '{"a":"é","b":[1,2.5],"c":null}'.encode()
        )

    def test_sha256_is_over_the_canonical_dump(self) -> None:
        version = content()
        dumped = version.model_dump(mode="json", exclude_none=True)
        text = json.dumps(dumped, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert version.canonical() == text.encode("utf-8")
        assert version.sha256() == hashlib.sha256(text.encode("utf-8")).hexdigest()
        assert "reason" not in dumped  # None left out
        assert "Tomás".encode() in version.canonical()  # not ASCII-escaped

    def test_sha256_is_stable(self) -> None:
        first = content()
        again = content()
        assert first.sha256() == again.sha256()
        reloaded = VersionContent.model_validate(json.loads(first.canonical()))
        assert reloaded.sha256() == first.sha256()
        # key order of the input does not matter
        data = example_case()
        reordered = dict(reversed(list(data.items())))
        assert content(document=doc(reordered)).sha256() == first.sha256()

    def test_any_change_changes_the_hash(self) -> None:
        base = content().sha256()
        data = example_case()
        data["diagnosis"]["lines"][0] += "."
        assert content(document=doc(data)).sha256() != base
        assert content(signed_by="other").sha256() != base
        assert content(reason="typo").sha256() != base
        settings = apply_setting(LabSettings(), "reference.blasts", "0-3")
        assert content(settings=settings).sha256() != base


# ------------------------------------------------------------------ audit chain


def chain(n: int) -> list[AuditEvent]:
    events: list[AuditEvent] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        fields: dict[str, Any] = {
            "seq": seq,
            "at": datetime(2026, 11, 20, 9, seq, tzinfo=UTC),
            "workstation": "ws1",
            "action": "sign" if seq % 2 else "view",
            "username": "drpark",
            "accession": "BM26-00042",
            "detail": {"n": seq},
        }
        digest = event_hash(**fields, prev_hash=prev)
        events.append(AuditEvent(**fields, prev_hash=prev, hash=digest))
        prev = digest
    return events


def check(events: list[AuditEvent]) -> ChainCheck:
    result = ChainCheck()
    for event in events:
        result.feed(event)
    return result


class TestAuditChain:
    def test_intact_chain(self) -> None:
        events = chain(4)
        result = check(events)
        assert result.broken is None
        assert result.count == 4
        assert result.head == events[-1].hash
        assert check([]).head == GENESIS

    def test_altered_event_is_named(self) -> None:
        events = chain(4)
        e = events[2]
        events[2] = AuditEvent(
            e.seq,
            e.at,
            e.workstation,
            e.action,
            e.username,
            e.accession,
            {"n": 99},
            e.prev_hash,
            e.hash,
        )
        result = check(events)
        assert result.broken == "event 3 (sign by drpark): content altered"
        assert result.count == 2

    def test_altered_and_rehashed_event_breaks_the_next_link(self) -> None:
        events = chain(4)
        e = events[1]
        forged_hash = event_hash(
            seq=e.seq,
            at=e.at,
            workstation=e.workstation,
            action=e.action,
            username="mallory",
            accession=e.accession,
            detail=e.detail,
            prev_hash=e.prev_hash,
        )
        events[1] = AuditEvent(
            e.seq,
            e.at,
            e.workstation,
            e.action,
            "mallory",
            e.accession,
            e.detail,
            e.prev_hash,
            forged_hash,
        )
        assert check(events).broken == "event 3: does not link to the event before it"

    def test_removed_event_is_named(self) -> None:
        events = chain(4)
        del events[1]
        assert check(events).broken == (
            "event 3: expected event 2 next (an event was removed or inserted)"
        )

    def test_inserted_event_is_named(self) -> None:
        events = chain(3)
        first = events[0]
        forged = event_hash(
            seq=2,
            at=first.at,
            workstation="ws9",
            action="view",
            username="mallory",
            accession=None,
            detail={},
            prev_hash=first.hash,
        )
        inserted = AuditEvent(2, first.at, "ws9", "view", "mallory", None, {}, first.hash, forged)
        result = check([first, inserted, *events[1:]])
        assert result.broken == (
            "event 2: expected event 3 next (an event was removed or inserted)"
        )
        assert result.count == 2


# ------------------------------------------------------------------ validation


class TestValidationMessages:
    def test_example_is_valid(self) -> None:
        case = doc()
        assert case.accession == "BM26-00042"
        assert case.patient.given_names == "Tomás"

    def test_negative_count(self) -> None:
        data = example_case()
        data["aspirate"]["differential"]["blasts"] = -3
        with pytest.raises(InvalidCase) as caught:
            parse_case(data, today=TODAY)
        assert str(caught.value) == (
            "BM26-00042: aspirate.differential.blasts must be a whole number >= 0, got -3"
        )
        assert caught.value.accession == "BM26-00042"

    @pytest.mark.parametrize(
        ("value", "shown"), [(12.5, "12.5"), (60.0, "60.0"), ("60", '"60"'), (True, "true")]
    )
    def test_non_integer_count(self, value: Any, shown: str) -> None:
        data = example_case()
        data["aspirate"]["differential"]["blasts"] = value
        assert problems(data) == [
            f"aspirate.differential.blasts must be a whole number, got {shown}"
        ]

    def test_integer_field_outside_differential(self) -> None:
        data = example_case()
        data["core"]["cellularity_pct"] = 101
        assert problems(data) == ["core.cellularity_pct must be a whole number <= 100, got 101"]

    def test_birth_date_after_procedure(self) -> None:
        data = example_case()
        data["patient"]["birth_date"] = "2027-01-01"
        assert problems(data) == [
            "patient.birth_date 2027-01-01 is after the procedure date 2026-11-18"
        ]

    def test_procedure_date_in_the_future(self) -> None:
        data = example_case()
        data["procedure"]["date"] = "2026-11-27"
        del data["received_at"]
        assert problems(data) == [
            "procedure.date 2026-11-27 is in the future (today is 2026-11-26)"
        ]
        # today itself is not the future
        data["procedure"]["date"] = "2026-11-26"
        assert doc(data).procedure.date == TODAY

    def test_received_before_procedure(self) -> None:
        data = example_case()
        data["received_at"] = "2026-11-17T23:00:00Z"
        assert problems(data) == ["received_at 2026-11-17 is before the procedure date 2026-11-18"]

    @pytest.mark.parametrize(
        ("section", "field", "path"),
        [
            (None, "acession", "acession"),
            ("patient", "birthdate", "patient.birthdate"),
            ("aspirate", "auer_rod", "aspirate.auer_rod"),
        ],
    )
    def test_unknown_misspelt_field(self, section: str | None, field: str, path: str) -> None:
        data = example_case()
        (data[section] if section else data)[field] = "x"
        assert problems(data) == [f"{path} is not a field of marrowpath.case/2 (misspelt?)"]

    def test_misspelt_differential_category(self) -> None:
        data = example_case()
        data["aspirate"]["differential"]["blast"] = 3
        assert problems(data) == [
            "aspirate.differential.blast is not a field of marrowpath.case/2 (misspelt?)"
        ]

    def test_wrong_date_format(self) -> None:
        data = example_case()
        data["patient"]["birth_date"] = "11/02/1959"
        (message,) = problems(data)
        assert message.startswith("patient.birth_date must be a date written YYYY-MM-DD")
        assert "11/02/1959" in message

    def test_impossible_date(self) -> None:
        data = example_case()
        data["procedure"]["date"] = "2026-02-30"
        assert problems(data) == ['procedure.date must be a valid date, got "2026-02-30"']

    def test_wrong_datetime_format(self) -> None:
        data = example_case()
        data["received_at"] = "2026-11-18 15:20"
        (message,) = problems(data)
        assert message.startswith("received_at must be a date-time such as")
        assert "with an offset or Z" in message

    def test_wrong_enum(self) -> None:
        data = example_case()
        data["patient"]["sex"] = "M"
        (message,) = problems(data)
        assert message.startswith("patient.sex must be one of")
        assert "'female'" in message and message.endswith('got "M"')

    @pytest.mark.parametrize(
        ("path", "value", "message"),
        [
            (
                ("aspirate", "dysplasia", "erythroid_pct"),
                101,
                "aspirate.dysplasia.erythroid_pct must be a number <= 100, got 101",
            ),
            (
                ("aspirate", "iron", "ring_sideroblasts_pct"),
                100.5,
                "aspirate.iron.ring_sideroblasts_pct must be a number <= 100, got 100.5",
            ),
            (
                ("clinical", "cbc", "pb_blasts_pct"),
                -1,
                "clinical.cbc.pb_blasts_pct must be a number >= 0, got -1",
            ),
            (("core", "length_mm"), 0, "core.length_mm must be a number > 0, got 0"),
            (("core", "length_mm"), 51, "core.length_mm must be a number <= 50, got 51"),
        ],
    )
    def test_number_ranges(self, path: tuple[str, ...], value: Any, message: str) -> None:
        data = example_case()
        target = data
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        assert problems(data) == [message]

    def test_percentage_in_a_list_is_named_by_index(self) -> None:
        data = example_case()
        data["stains"][1]["percent"] = 120
        assert problems(data) == ["stains[1].percent must be a number <= 100, got 120"]

    def test_percentage_as_text_is_refused(self) -> None:
        data = example_case()
        data["stains"][0]["percent"] = "10"
        assert problems(data) == ['stains[0].percent must be a number, got "10"']

    @pytest.mark.parametrize(
        "accession",
        ["bm26-00042", "BM26 00042", "BM26_00042", "BM26/00042", "", "A" * 33, "BM26-0004Ł"],
    )
    def test_accession_with_forbidden_characters(self, accession: str) -> None:
        data = example_case()
        data["accession"] = accession
        (message,) = problems(data)
        assert message.startswith(
            "accession must be 1-32 characters from A-Z, 0-9 and - (uppercase, no spaces), got "
        )

    def test_accession_of_32_characters_is_fine(self) -> None:
        data = example_case()
        data["accession"] = "A" * 32
        assert doc(data).accession == "A" * 32

    def test_one_megabyte_text_field(self) -> None:
        data = example_case()
        data["diagnosis"]["comment"] = "x" * 1_000_000
        assert problems(data) == [
            "diagnosis.comment is too long: 1000000 characters, at most 20000"
        ]

    def test_control_characters_in_mrn(self) -> None:
        data = example_case()
        data["patient"]["mrn"] = "MRN\x00123"
        assert problems(data) == [
            "patient.mrn must not contain control characters; U+0000 at position 4"
        ]

    @pytest.mark.parametrize(
        ("remove", "path"),
        [
            (("patient", "mrn"), "patient.mrn"),
            (("patient",), "patient"),
            (("diagnosis",), "diagnosis"),
            (("procedure", "specimens"), "procedure.specimens"),
            (("core", "fibrosis_grade"), "core.fibrosis_grade"),
            (("ordering_provider", "name"), "ordering_provider.name"),
        ],
    )
    def test_missing_required_field(self, remove: tuple[str, ...], path: str) -> None:
        data = example_case()
        target = data
        for key in remove[:-1]:
            target = target[key]
        del target[remove[-1]]
        assert problems(data) == [f"{path} is required"]

    def test_several_missing_fields_each_named(self) -> None:
        data = example_case()
        del data["patient"]["sex"]
        del data["diagnosis"]
        assert problems(data) == ["patient.sex is required", "diagnosis is required"]

    def test_aspirate_or_core_required(self) -> None:
        data = example_case()
        del data["aspirate"], data["core"]
        assert problems(data) == ["aspirate or core is required: at least one of them"]
        data = example_case()
        del data["aspirate"]
        assert doc(data).aspirate is None

    def test_diagnosis_lines(self) -> None:
        data = example_case()
        data["diagnosis"]["lines"] = []
        assert problems(data) == ["diagnosis.lines must not be empty"]
        data["diagnosis"]["lines"] = ["   ", ""]
        assert problems(data) == ["diagnosis.lines must contain at least one non-empty line"]

    def test_source_required_with_key_result(self) -> None:
        data = example_case()
        data["key_results"] = {"blasts_pct": 12}
        assert problems(data) == ["key_results.blasts_source is required when blasts_pct is given"]

    def test_final_ancillary_needs_a_result(self) -> None:
        data = example_case()
        data["ancillary"][1] = {"kind": "karyotype", "status": "final"}
        assert problems(data) == ["ancillary[1].result is required when the status is final"]

    def test_wrong_format(self) -> None:
        data = example_case()
        data["format"] = "marrowpath.case/3"
        rule = "format must be exactly marrowpath.case/2 (or marrowpath.case/1, read and upgraded)"
        assert problems(data) == [f'{rule}, got "marrowpath.case/3"']
        del data["format"]
        assert problems(data) == [f"{rule}, got null"]

    def test_not_an_object(self) -> None:
        assert problems([1, 2]) == ["must be a JSON object, got a list"]
        assert problems("x") == ['must be a JSON object, got "x"']

    def test_versions_are_accepted_and_dropped(self) -> None:
        data = example_case()
        data["versions"] = [
            {
                "number": 1,
                "kind": "final",
                "signed_by": "drpark",
                "signed_at": "2026-11-20T10:00:00Z",
                "sha256": "a" * 64,
            }
        ]
        case = doc(data)
        assert case.versions is not None
        assert case.findings().versions is None
        assert case.findings() == doc()

    def test_text_is_nfc_normalised(self) -> None:
        data = example_case()
        data["patient"]["given_names"] = "Toma\u0301s"  # decomposed
        assert doc(data).patient.given_names == "Tom\u00e1s"
        assert doc(data) == doc()

    def test_parse_case_json(self) -> None:
        raw = json.dumps(example_case(), ensure_ascii=False).encode("utf-8")
        assert parse_case_json(raw, today=TODAY) == doc()
        with pytest.raises(InvalidCase, match=r"^is not UTF-8 text \(byte 0 cannot be read\)$"):
            parse_case_json(b"\xff\xfe{}", today=TODAY)
        with pytest.raises(InvalidCase, match=r"^is not valid JSON \(Expecting"):
            parse_case_json("{bad", today=TODAY)
        with pytest.raises(InvalidCase, match="NaN is not a JSON number"):
            parse_case_json('{"a": NaN}', today=TODAY)

    def test_errors_are_refusals(self) -> None:
        assert issubclass(InvalidCase, Refused)


class TestCheckDraft:
    def test_lists_missing_fields_without_refusing(self) -> None:
        data = example_case()
        del data["diagnosis"]
        del data["patient"]["sex"]
        del data["aspirate"], data["core"]
        result = check_draft(data, today=TODAY)
        assert result.problems == []
        assert result.missing == ["patient.sex", "diagnosis", "aspirate"]
        assert not result.complete

    def test_still_refuses_broken_rules(self) -> None:
        data = {
            "format": "marrowpath.case/2",
            "accession": "BM26-00001",
            "patient": {"mrn": "M1", "birth_date": "2027-01-01"},
            "procedure": {"date": "2026-11-18"},
            "aspirate": {"differential": {"blasts": -3}},
        }
        result = check_draft(data, today=TODAY)
        assert [str(p) for p in result.problems] == [
            "aspirate.differential.blasts must be a whole number >= 0, got -3",
            "patient.birth_date 2027-01-01 is after the procedure date 2026-11-18",
        ]
        assert "patient.family_name" in result.missing
        assert "diagnosis" in result.missing
        assert "aspirate.quality" in result.missing

    def test_complete_document(self) -> None:
        result = check_draft(example_case(), today=TODAY)
        assert result.complete
        assert (result.problems, result.missing) == ([], [])


# ------------------------------------------------------------------ robustness

JSON_LEAF = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["2026-11-18", "2026-02-30", "2026-11-18T10:00:00Z", "BM26-00042", "final"])
)
JSON = st.recursive(
    JSON_LEAF,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            found.append((*prefix, key))
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found.append((*prefix, index))
            found += _paths(item, (*prefix, index))
    return found


EXAMPLE_PATHS = _paths(example_case())


@st.composite
def mutated_examples(draw: st.DrawFn) -> dict[str, Any]:
    data = copy.deepcopy(example_case())
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        path = draw(st.sampled_from(EXAMPLE_PATHS))
        parent: Any = data
        try:
            for key in path[:-1]:
                parent = parent[key]
            parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed or replaced this branch
        if not isinstance(parent, dict | list):
            continue  # replaced by a string, which indexes but cannot be changed
        operation = draw(st.sampled_from(["drop", "replace", "add"]))
        if operation == "drop":
            del parent[path[-1]]
        elif operation == "replace":
            parent[path[-1]] = draw(JSON)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(JSON)
    return data


class TestParseRobustness:
    @settings(
        max_examples=200,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.one_of(JSON, mutated_examples(), mutated_examples()))
    def test_only_a_document_or_invalid_case(self, data: Any) -> None:
        try:
            result = parse_case(data, today=TODAY)
        except InvalidCase as error:
            assert error.problems
            assert str(error)
        else:
            assert isinstance(result, CaseDocument)
            # a valid document survives its own JSON dump
            assert parse_case(result.to_json_dict(), today=TODAY) == result

    @settings(max_examples=100, deadline=None)
    @given(mutated_examples())
    def test_check_draft_never_raises(self, data: dict[str, Any]) -> None:
        result = check_draft(data, today=TODAY)
        assert all(isinstance(p.path, str) for p in result.problems)
