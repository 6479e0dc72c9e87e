"""The `/2` values the editor's new inputs write (issue 12), saved as the editor saves
them, on SQLite and PostgreSQL: a collection time, therapy periods and a study's
measurements read back as written; a period ending before it starts, a value that is not
a number or a collection on another day is refused naming the field, and nothing changes.
The widgets themselves are driven in `tests/ui/test_editor_v2_lists.py`."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from marrowpath.bootstrap import App
from marrowpath.domain.errors import InvalidCase
from marrowpath.domain.users import User
from tests.conftest import example_case_v2

ACCESSION = "BM26-00107"
THERAPY = [
    {"name": "Azacitidine", "kind": "chemotherapy", "started_on": "2026-08-03"},
    {
        "name": "Allogeneic transplant",
        "kind": "transplant",
        "started_on": "2026-09-01",
        "ended_on": "2026-09-01",
    },
]


@pytest.fixture
def stored(app: App, team: dict[str, User]) -> dict[str, Any]:
    document = example_case_v2()
    document["accession"] = ACCESSION
    document.pop("communications", None)
    app.cases.import_case(team["drpark"], document)
    working: dict[str, Any] = app.cases.open(team["drpark"], ACCESSION).record.working
    return working


def test_the_new_values_are_stored_and_read_back(
    app: App, team: dict[str, User], stored: dict[str, Any]
) -> None:
    dr = team["drpark"]
    document = copy.deepcopy(stored)
    document["procedure"]["collected_at"] = "2026-11-18T10:05:00-05:00"
    document["clinical"]["therapy"] = THERAPY
    document["ancillary"][1]["measurements"] = [
        {"name": "Abnormal metaphases", "value": 12.5, "unit": "percent"},
        {"name": "Clonal fraction", "value": 0.25, "unit": "ratio"},
    ]
    version = app.cases.open(dr, ACCESSION).record.row_version
    app.cases.save(dr, ACCESSION, document, expected_row_version=version)
    working = app.cases.open(dr, ACCESSION).record.working
    assert working["procedure"]["collected_at"] == "2026-11-18T10:05:00-05:00"
    assert working["clinical"]["therapy"] == THERAPY
    assert working["ancillary"][1]["measurements"][1] == {
        "name": "Clonal fraction",
        "value": 0.25,
        "unit": "ratio",
    }
    assert working["ancillary"][0]["measurements"] == stored["ancillary"][0]["measurements"]


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            lambda d: d["clinical"].update(therapy=[{**THERAPY[0], "ended_on": "2026-07-01"}]),
            "clinical.therapy[0].ended_on",
            "2026-07-01 is before started_on 2026-08-03",
        ),
        (
            lambda d: d["ancillary"][1].update(
                measurements=[{"name": "Abnormal metaphases", "value": "many", "unit": "percent"}]
            ),
            "ancillary[1].measurements[0].value",
            'must be a number, got "many"',
        ),
        (
            lambda d: d["procedure"].update(collected_at="2026-11-19T08:00:00-05:00"),
            "procedure.collected_at",
            "is on 2026-11-19, not on the procedure date 2026-11-18",
        ),
    ],
    ids=["therapy-ends-before-it-starts", "measurement-not-a-number", "collected-another-day"],
)
def test_bad_values_are_refused_naming_the_field_and_nothing_changes(
    app: App, team: dict[str, User], stored: dict[str, Any], change: Any, path: str, message: str
) -> None:
    dr = team["drpark"]
    before = app.cases.open(dr, ACCESSION).record
    document = copy.deepcopy(stored)
    change(document)
    with pytest.raises(InvalidCase) as refused:
        app.cases.save(dr, ACCESSION, document, expected_row_version=before.row_version)
    assert [(p.path, p.message) for p in refused.value.problems] == [(path, message)]
    assert ACCESSION in str(refused.value)
    after = app.cases.open(dr, ACCESSION).record
    assert (after.row_version, after.working) == (before.row_version, before.working)
