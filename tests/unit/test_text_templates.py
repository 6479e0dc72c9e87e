"""Text templates in the domain: filling from the document's derived values, missing
values left visible and listed, the rules a template must keep, the abbreviation typed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from marrowpath.domain.derived import case_cellularity, summarise_differential
from marrowpath.domain.draft import parse_draft
from marrowpath.domain.errors import Refused
from marrowpath.domain.labels import leaf
from marrowpath.domain.placeholders import PLACEHOLDERS, placeholder_values
from marrowpath.domain.settings import LabSettings
from marrowpath.domain.text_templates import (
    TARGETS,
    expansion_for,
    fill,
    fill_from_draft,
    template_from,
    typed_abbreviation,
)
from marrowpath.domain.validation import parse_case
from tests.conftest import example_case

SETTINGS = LabSettings()


def template(text: str, target: Any = "comment", abbreviation: str = "t") -> Any:
    return template_from(
        {"name": "T", "abbreviation": abbreviation, "target": target, "text": text}
    )


def test_the_placeholders_are_those_of_bench_md() -> None:
    assert set(PLACEHOLDERS) == {
        "blast_equivalents_pct",
        "blasts_ci",
        "cells_counted",
        "me_ratio",
        "cellularity_pct",
        "cellularity_verdict",
        "expected_cellularity",
        "plasma_cells_pct",
        "fibrosis_grade",
        "age",
    }


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("cellularity_pct", "core.cellularity_pct"),
        ("fibrosis_grade", "core.fibrosis_grade"),
        ("plasma_cells_pct", "key_results.plasma_cells_pct"),
    ],
)
def test_a_field_placeholder_is_named_and_worded_by_the_case_model(name: str, path: str) -> None:
    assert PLACEHOLDERS[name].label == leaf(path).label
    assert PLACEHOLDERS[name].wording == leaf(path).label.label


def test_the_example_case_fills_every_placeholder_as_the_report_derives_it() -> None:
    case = parse_case(example_case(), today=date(2026, 12, 1))
    assert case.aspirate is not None and case.aspirate.differential is not None
    summary = summarise_differential(case.aspirate.differential, SETTINGS)
    cellularity = case_cellularity(case, SETTINGS)
    assert cellularity is not None

    values = placeholder_values(case, SETTINGS)

    assert values == {
        "blast_equivalents_pct": "12.0 %",
        "blasts_ci": "9.3-15.2 %",
        "cells_counted": str(summary.cells_counted),
        "me_ratio": summary.me_ratio_text,
        "cellularity_pct": "80 %",
        "cellularity_verdict": cellularity.verdict,
        "expected_cellularity": f"{cellularity.lower}-{cellularity.upper} %",
        "plasma_cells_pct": "2.0 %",
        "fibrosis_grade": "MF-1",
        "age": "67",
    }
    assert values["cells_counted"] == "500" and values["cellularity_verdict"] == "hypercellular"


def test_a_template_is_filled_from_the_document() -> None:
    text = template("Marrow {cellularity_verdict} for age ({cellularity_pct}), M:E {me_ratio}.")

    filled = fill_from_draft(text, example_case(), SETTINGS)

    assert filled.text == "Marrow hypercellular for age (80 %), M:E 1.3:1."
    assert filled.missing == ()


def test_a_value_not_known_yet_is_left_visible_and_listed() -> None:
    document = example_case()
    del document["core"]
    text = template("Cellularity {cellularity_pct}, {cellularity_pct}; blasts {blasts_ci}.")

    filled = fill_from_draft(text, document, SETTINGS)

    assert filled.text == "Cellularity {cellularity_pct?}, {cellularity_pct?}; blasts 9.3-15.2 %."
    assert filled.missing == ("cellularity_pct",)
    assert filled.missing_wording == ["Cellularity ({cellularity_pct})"]


def test_typed_percentages_have_no_counting_interval() -> None:
    document = example_case()
    document["aspirate"].pop("differential")
    document["key_results"] = {"blasts_pct": 3, "blasts_source": "cd34_ihc"}

    values = placeholder_values(parse_draft(document), SETTINGS)

    assert values["blast_equivalents_pct"] == "3.0 %"
    assert values["blasts_ci"] is None and values["cells_counted"] is None


def test_an_empty_draft_fills_nothing_and_never_raises() -> None:
    assert set(placeholder_values(parse_draft({}), SETTINGS).values()) == {None}
    filled = fill("{age} years", {})
    assert (filled.text, filled.missing) == ("{age?} years", ("age",))


def test_an_unknown_placeholder_is_refused_naming_it() -> None:
    with pytest.raises(Refused, match=r"^template 'T': unknown placeholder \{blast_pct\}, \{x\}"):
        template("{blast_pct} and {x} and {age}")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "abbreviation": "a", "target": "comment", "text": "x"}, "name must be"),
        ({"name": "T", "abbreviation": "a;", "target": "comment", "text": "x"}, "abbreviation"),
        ({"name": "T", "abbreviation": "a", "target": [], "text": "x"}, "target must be"),
        ({"name": "T", "abbreviation": "a", "target": "comment", "text": " "}, "text must be"),
        ({"name": "T", "abbreviation": "a", "target": "comment", "text": "x", "y": 1}, "unknown"),
    ],
)
def test_bad_templates_are_refused(data: dict[str, Any], message: str) -> None:
    with pytest.raises(Refused, match=message):
        template_from(data)


def test_an_abbreviation_expands_only_in_the_fields_it_targets() -> None:
    library = [template("A", ["diagnosis_line", "comment"], "nml"), template("B", "comment", "x")]

    assert expansion_for(library, "nml", TARGETS["diagnosis_line"]) is library[0]
    assert expansion_for(library, "nml", TARGETS["comment"]) is library[0]
    assert expansion_for(library, "nml", TARGETS["recommendations"]) is None
    assert expansion_for(library, "nml", "clinical.history") is None
    assert expansion_for(library, "x", TARGETS["diagnosis_line"]) is None


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("nml;", "nml"),
        ("Seen: NML;", "nml"),
        ("line one\nmrd2;", "mrd2"),
        ("nml", None),
        ("anml;x", None),
        ("a-nml;", "nml"),
        ("nml; ", None),
    ],
)
def test_the_abbreviation_just_typed(typed: str, found: str | None) -> None:
    assert typed_abbreviation(typed) == found
