"""The changes table of an amendment, computed from two documents in the report's words.

Pure: the spec's example case and a copy changed field by field. Labels come from the
field-label registry (`marrowpath.domain.labels`), never from JSON paths.
"""

from __future__ import annotations

import copy
import json
import re
from datetime import date
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from pydantic import BaseModel

from marrowpath.domain.case import CaseDocument
from marrowpath.domain.labels import FIELDS, LISTS, field_label
from marrowpath.domain.redline import (
    ChangeRow,
    amendment_note,
    first_page,
    patient_sentence,
    redline,
)
from tests.conftest import EXAMPLE_CASE

JSON_PATH = re.compile(r"[a-z]+_[a-z_]+|\[\d+\]|\w+\.\w+")


def example() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text(encoding="utf-8"))
    return data


def changed(**edits: Any) -> list[ChangeRow]:
    """The rows between the example and a copy changed by `edit(copy)` functions."""
    before = example()
    after = copy.deepcopy(before)
    for edit in edits.values():
        edit(after)
    return redline(before, after)


def rows_of(rows: list[ChangeRow]) -> list[tuple[str, str, str]]:
    return [(row.label, row.was, row.now) for row in rows]


def test_a_number_prints_with_its_unit() -> None:
    rows = changed(platelets=lambda d: d["clinical"]["cbc"].update(platelets_10e9_l=5))
    assert rows_of(rows) == [("Platelets", "54 ×10⁹/L", "5 ×10⁹/L")]
    assert rows[0].label == FIELDS["clinical.cbc.platelets_10e9_l"].label


def test_a_differential_count_prints_with_its_total_and_one_decimal() -> None:
    def recount(d: dict[str, Any]) -> None:
        d["aspirate"]["differential"].update(blasts=100, polychromatic_normoblasts=70)

    assert rows_of(changed(recount=recount)) == [
        ("Blasts (aspirate differential)", "60 of 500 cells (12.0 %)", "100 of 500 cells (20.0 %)"),
        (
            "Polychromatic normoblasts (aspirate differential)",
            "110 of 500 cells (22.0 %)",
            "70 of 500 cells (14.0 %)",
        ),
    ]


def test_an_enumeration_prints_in_words() -> None:
    rows = changed(
        side=lambda d: d["procedure"].update(laterality="not_applicable"),
        sex=lambda d: d["patient"].update(sex="female"),
    )
    assert rows_of(rows) == [("Sex", "Male", "Female"), ("Laterality", "Right", "Not applicable")]
    assert rows[0].group == "identity"


def test_a_text_prints_whole_before_and_after() -> None:
    old = example()["aspirate"]["comment"]
    new = "Blasts are large with prominent nucleoli; rare Auer rods."
    rows = changed(comment=lambda d: d["aspirate"].update(comment=new))
    assert rows_of(rows) == [("Aspirate comment", old, new)]


def test_a_removed_field_says_not_recorded() -> None:
    rows = changed(bone=lambda d: d["core"].pop("bone"))
    assert rows_of(rows) == [("Bone", "Trabeculae unremarkable.", "not recorded")]


def test_stains_are_compared_by_name_added_removed_and_changed() -> None:
    def stains(d: dict[str, Any]) -> None:
        d["stains"] = [s for s in d["stains"] if s["name"] != "CD117"]
        d["stains"][0]["percent"] = 20
        d["stains"].append({"name": "CD61", "result": "positive", "percent": 30})

    assert rows_of(changed(stains=stains)) == [
        ("Stain CD34: Positive (%)", "10.0 %", "20.0 %"),
        ("Stain CD61 (added)", "", "Positive; 30.0 %"),
        ("Stain CD117 (removed)", "Positive; 12.0 %", ""),
    ]


def test_a_diagnosis_line_and_the_classification_lead_the_table() -> None:
    def revise(d: dict[str, Any]) -> None:
        d["diagnosis"]["lines"][1] = "Acute myeloid leukemia, myelodysplasia-related."
        d["diagnosis"]["lines"].append("See comment.")
        d["diagnosis"]["classification"][0]["term"] = "Acute myeloid leukaemia, MR"
        d["clinical"]["cbc"]["platelets_10e9_l"] = 5
        d["patient"]["given_names"] = "Tomas"

    rows = changed(revise=revise)
    assert rows_of(rows) == [
        ("Patient, given names", "Tomás", "Tomas"),
        (
            "Diagnosis, line 2",
            "Consistent with myelodysplastic neoplasm with increased blasts-2 (MDS-IB2).",
            "Acute myeloid leukemia, myelodysplasia-related.",
        ),
        ("Diagnosis, line 3 (added)", "", "See comment."),
        (
            "Classification, WHO-HAEM5",
            "Myelodysplastic neoplasm with increased blasts-2",
            "Acute myeloid leukaemia, MR",
        ),
        ("Platelets", "54 ×10⁹/L", "5 ×10⁹/L"),
    ]
    assert [row.group for row in rows] == [
        "identity",
        "diagnosis",
        "diagnosis",
        "diagnosis",
        "report",
    ]


def test_ancillary_studies_and_specimens_compare_item_by_item() -> None:
    def results(d: dict[str, Any]) -> None:
        d["ancillary"][1] = {"kind": "karyotype", "status": "final", "result": "46,XY[20]"}
        d["procedure"]["specimens"].remove("clot_section")

    assert rows_of(changed(results=results)) == [
        ("Specimens received (removed)", "Clot section", ""),
        ("Karyotype: Status", "PENDING", "Final"),
        ("Karyotype: Result", "not recorded", "46,XY[20]"),
    ]


def test_equal_documents_and_equal_printed_values_give_no_rows() -> None:
    assert redline(example(), example()) == []
    rows = changed(same=lambda d: d["clinical"]["cbc"].update(platelets_10e9_l=54.0))
    assert rows == []  # 54 and 54.0 print the same


def test_no_row_is_a_json_path() -> None:
    def everything(d: dict[str, Any]) -> None:
        d["core"] = None
        d["stains"] = []
        d["clinical"]["cbc"] = {"date": "2026-11-17"}

    for row in changed(everything=everything):
        assert not JSON_PATH.search(row.label), row.label


def test_every_field_of_the_case_document_has_a_label() -> None:
    """A new field gets its printed label in the registry, not a guessed one."""
    missing = [path for path in _leaf_paths(CaseDocument) if path not in FIELDS]
    assert missing == []
    for path in LISTS:
        assert f"{path}[]" in FIELDS, path


def _leaf_paths(model: type[BaseModel], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for name, info in model.model_fields.items():
        if name in ("format", "versions"):
            continue
        path = f"{prefix}{name}"
        inner, is_list = _unwrap(info.annotation)
        if is_list:
            path += "[]"
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            paths += _leaf_paths(inner, f"{path}.")
        else:
            paths.append(path)
    return paths


def _unwrap(annotation: Any) -> tuple[Any, bool]:
    """The model or scalar under Optional/Annotated/list, and whether it is a list."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin is list:
        return _unwrap(get_args(annotation)[0])[0], True
    if origin in (Union, UnionType):
        return _unwrap(next(a for a in get_args(annotation) if a is not type(None)))
    return annotation, False


def test_first_page_keeps_identity_and_diagnosis_rows_and_counts_the_rest() -> None:
    essential = [
        ChangeRow(label=f"Diagnosis, line {i}", was="a", now="b", group="diagnosis")
        for i in range(14)
    ]
    others = [
        ChangeRow(label=f"Stain M{i}: Result", was="Positive", now="Negative") for i in range(40)
    ]
    shown, more = first_page([*essential, *others])
    assert shown == essential and more == 40  # never cut, even beyond 12
    shown, more = first_page([essential[0], *others])
    assert len(shown) == 12 and shown[0] is essential[0] and more == 29


def test_notes_for_interfaces_and_the_patient() -> None:
    rows = [
        ChangeRow(label="Platelets", was="54 ×10⁹/L", now="5 ×10⁹/L"),
        ChangeRow(label="Stain CD61 (added)", was="", now="Positive"),
    ]
    assert amendment_note("Report defect: typing error.", rows) == (
        "Amended: Report defect: typing error. Changed: Platelets: 54 ×10⁹/L -> 5 ×10⁹/L; "
        "Stain CD61 (added): none -> Positive."
    )
    assert patient_sentence(rows, date(2026, 11, 24), "report_defect") == (
        "Your report was corrected on November 24, 2026: Platelets; and Stain CD61 (added) "
        "were changed."
    )
    assert patient_sentence(rows[:1], date(2026, 11, 24), "interpretation_change") == (
        "Your report was updated on November 24, 2026: Platelets was changed."
    )


@pytest.mark.parametrize("path", ["stains[].percent", "nothing_known.some_field"])
def test_unknown_paths_never_print_as_paths(path: str) -> None:
    assert "_" not in field_label(path).label and "[" not in field_label(path).label
