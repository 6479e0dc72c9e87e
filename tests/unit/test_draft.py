"""`DraftDocument`: the case model with nothing required, types and ranges kept."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from marrowpath.domain.case import CaseDocument, Core
from marrowpath.domain.draft import DraftDocument, draft_model, parse_draft
from marrowpath.domain.flags import advisory_flags
from marrowpath.domain.types import lenient_date, lenient_datetime


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
