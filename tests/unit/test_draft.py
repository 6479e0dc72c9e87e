"""`DraftDocument`: the case model with nothing required, types and ranges kept."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from marrowpath.domain.case import CaseDocument, Core
from marrowpath.domain.concordance import case_concordance
from marrowpath.domain.derived import (
    cellularity_for_age,
    differential_percent,
    known_age,
    ring_sideroblasts_count,
)
from marrowpath.domain.draft import DraftDocument, draft_model, parse_draft, put_value, value_at
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.thresholds import Count
from marrowpath.domain.types import lenient_date, lenient_datetime
from marrowpath.domain.validation import read_working
from tests.conftest import example_case_v2


def test_every_field_of_a_draft_may_be_absent() -> None:
    draft = DraftDocument.model_validate({})
    assert isinstance(draft, CaseDocument)
    assert draft.patient is None and draft.procedure is None and draft.diagnosis is None
    assert draft_model(Core).model_validate({"length_mm": 12}).cellularity_pct is None


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        ({"core": {"cellularity_pct": 101}}, "less than or equal to 100"),
        ({"procedure": {"specimens": []}}, "at least 1 item"),
        ({"patient": {"mrn": "A\u200bB"}}, "invisible"),
        ({"aspirate": {"differential": {"blasts": -1}}}, "greater than or equal to 0"),
        ({"core": {"colour": "red"}}, "Extra inputs are not permitted"),
    ],
)
def test_a_draft_keeps_the_models_types_and_ranges(data: dict[str, object], rule: str) -> None:
    with pytest.raises(ValidationError, match=rule):
        DraftDocument.model_validate(data)


def test_parse_draft_keeps_the_valid_parts_only() -> None:
    draft = parse_draft(
        {
            "core": {"length_mm": 12, "cellularity_pct": 130},
            "aspirate": {"differential": {"blasts": 5, "other": -1}, "quality": "soupy"},
            "stains": [{"name": "CD34", "result": "positive"}, {"name": "X", "result": "?"}],
            "clinical": {},
        }
    )
    assert draft.core is not None
    assert (draft.core.length_mm, draft.core.cellularity_pct) == (12, None)  # type: ignore[comparison-overlap]
    assert draft.aspirate is not None and draft.aspirate.quality is None
    assert draft.aspirate.differential is not None
    assert sum(draft.aspirate.differential.counts().values()) == 5
    assert [stain.name for stain in draft.stains or []] == ["CD34"]  # an item kept whole
    assert draft.clinical is None  # an empty object is absent
    assert parse_draft("not a document") == DraftDocument.model_validate({})


def test_flags_judge_a_core_with_one_number_without_a_stand_in_for_the_other() -> None:
    short = parse_draft({"core": {"length_mm": 9}})
    assert [f.code for f in advisory_flags(short)] == ["core_short"]
    poor = parse_draft({"core": {"cellularity_pct": 20}})
    assert [f.code for f in advisory_flags(poor)] == ["core_cellularity_25"]


def test_one_lenient_date_reader() -> None:
    assert lenient_date("2026-11-18") == date(2026, 11, 18)
    assert lenient_date(date(2026, 11, 18)) == date(2026, 11, 18)
    assert lenient_date("2026-11-") is None
    assert lenient_date(20261118) is None
    assert lenient_datetime("2026-11-18T15:20:00Z") is not None
    assert lenient_datetime("18/11/2026") is None


def test_a_document_is_read_and_written_by_path_as_typed() -> None:
    document: dict[str, object] = {"format": "marrowpath.case/2"}
    put_value(document, "core.cellularity_pct", "abc")  # kept as typed: validation names it
    put_value(document, "core.length_mm", 12)
    assert document["core"] == {"cellularity_pct": "abc", "length_mm": 12}
    assert value_at(document, "core.cellularity_pct") == "abc"
    assert value_at(document, "core.bone") is None
    assert value_at(document, "format.anything") is None  # crosses a value, not an object
    assert value_at(document, "aspirate.differential") is None


def test_a_working_document_is_read_once_as_the_case_or_its_draft() -> None:
    today = date(2026, 12, 7)
    whole = read_working(example_case_v2(), today=today)
    assert whole.complete and not isinstance(whole.case, DraftDocument)
    half = example_case_v2()
    del half["diagnosis"]
    half["core"]["cellularity_pct"] = 130
    reading = read_working(half, today=today)
    assert not reading.complete and isinstance(reading.case, DraftDocument)
    assert reading.case.core is not None and reading.case.core.cellularity_pct is None


def test_cellularity_for_age_as_far_as_a_draft_allows() -> None:
    settings = LabSettings()
    assert cellularity_for_age(parse_draft({"core": {"length_mm": 12}}), settings) is None
    assert cellularity_for_age(parse_draft({"core": {"cellularity_pct": 101}}), settings) is None
    undated = cellularity_for_age(parse_draft({"core": {"cellularity_pct": 80}}), settings)
    assert undated is not None and (undated.age, undated.assessment) == (None, None)
    dated = {
        "patient": {"birth_date": "1959-02-11"},
        "procedure": {"date": "2026-11-18"},
        "core": {"cellularity_pct": 80},
    }
    found = cellularity_for_age(parse_draft(dated), settings)
    assert found is not None and found.age == 67 and found.assessment is not None
    assert found.assessment.verdict == "hypercellular"
    backwards = {**dated, "procedure": {"date": "1950-01-01"}}  # born after: no age
    assert known_age(parse_draft(backwards)) is None


@pytest.mark.parametrize(
    ("iron", "expected"),
    [
        ({"ring_sideroblasts": 4, "erythroblasts_counted": 100}, Count(4, 100, "erythroblasts")),
        (
            {"ring_sideroblasts_pct": 15, "erythroblasts_counted": 200},
            Count(30, 200, "erythroblasts"),
        ),
        ({"ring_sideroblasts_pct": 15.5, "erythroblasts_counted": 100}, None),  # not whole
        (
            {"ring_sideroblasts": 120, "ring_sideroblasts_pct": 5, "erythroblasts_counted": 100},
            None,
        ),
        ({"ring_sideroblasts": 4, "erythroblasts_counted": 0}, None),
        ({"ring_sideroblasts": 4}, None),
    ],
)
def test_ring_sideroblasts_as_a_count_from_a_draft(
    iron: dict[str, object], expected: Count | None
) -> None:
    assert ring_sideroblasts_count(parse_draft({"aspirate": {"iron": iron}})) == expected


def test_a_count_that_breaks_its_rule_is_absent_from_the_shares_and_the_concordance() -> None:
    draft = parse_draft(
        {
            "aspirate": {
                "differential": {"blasts": 6, "neutrophils": 94, "other": -1},
                "second_count": {"differential": {"blasts": 10, "neutrophils": 90}},
            }
        }
    )
    blasts = differential_percent(draft, ("blasts",), "blasts")
    assert blasts is not None and blasts.count == Count(6, 100)
    found = case_concordance(draft)
    assert found is not None and (found.first_cells, found.second_cells) == (100, 100)
    assert case_concordance(parse_draft({"aspirate": {"differential": {"blasts": 1}}})) is None
