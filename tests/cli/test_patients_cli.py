"""`timeline`, `patient correct`, `patient merge`, `patient unmerge` on the command line
(cli.md), SQLite and PostgreSQL: the exact output, the roles, and the issued PDF that a
correction leaves as signed (read back with pypdf)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from marrowpath.bootstrap import App
from marrowpath.domain.users import User
from tests.cli.test_cli import ACCESSION, as_user, case, imported
from tests.conftest import example_case_v2

Team = dict[str, User]
MRN = "MRN0012345"


@pytest.fixture
def db(app: App, team: Team) -> str:
    return app.url


def pdf_text(path: Path) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(path.read_bytes())).pages)


def test_patient_correct_lists_the_reports_that_printed_the_old_value(
    db: str, tmp_path: Path
) -> None:
    imported(db, tmp_path, case(), case("BM26-00043"))
    assert as_user(db, "drpark", "sign", ACCESSION).code == 0
    before = tmp_path / "before.pdf"
    assert as_user(db, "drpark", "report", ACCESSION, "-o", str(before)).code == 0

    result = as_user(
        db, "drpark", "patient", "correct", MRN, "--family-name", "Delgado-Ruiz",
        "--reason", "Registration typo",
    )  # fmt: skip

    assert (result.code, result.err) == (0, "")
    assert result.lines == [
        f"{MRN}: corrected family name Delgado -> Delgado-Ruiz",
        f"2 working documents updated: {ACCESSION}, BM26-00043",
        f"{ACCESSION}\tversion 1\tprinted family name Delgado",
        "1 issued reports printed another identity; amend each with --reason-category "
        "misidentification",
    ]
    found = as_user(db, "clinician", "search", "delgado-ruiz")
    assert [line.split("\t")[0] for line in found.lines] == [ACCESSION]
    after = tmp_path / "after.pdf"
    assert as_user(db, "drpark", "report", ACCESSION, "-o", str(after)).code == 0
    assert after.read_bytes() == before.read_bytes()  # the issued PDF as signed
    assert "DELGADO-RUIZ" not in pdf_text(after) and "DELGADO" in pdf_text(after)


def test_patient_correct_refusals_exit_1_with_one_line(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path)
    late = as_user(
        db, "drpark", "patient", "correct", MRN, "--birth-date", "2026-11-19", "--reason", "r"
    )
    assert (late.code, late.out) == (1, "")
    assert late.errors == [
        f"{ACCESSION}: patient.birth_date 2026-11-19 is after the procedure date 2026-11-18; "
        f"the correction of {MRN} is refused"
    ]
    tech = as_user(db, "tech", "patient", "correct", MRN, "--sex", "female", "--reason", "r")
    assert tech.code == 1 and tech.errors == ["tech (technologist) may not correct patient records"]
    usage = as_user(db, "drpark", "patient", "correct", MRN, "--family-name", "X")
    assert usage.code == 2 and "--reason" in usage.err


def test_patient_merge_and_unmerge(db: str, tmp_path: Path) -> None:
    imported(db, tmp_path, case(), case("BM26-00043", mrn="MRN0099999"))
    merge = as_user(
        db, "admin", "patient", "merge", "MRN0099999", MRN, "--reason", "Duplicate registration"
    )
    assert (merge.code, merge.err) == (0, "")
    assert merge.lines[:2] == [
        "MRN0099999: merged into MRN0012345",
        f"1 cases moved to {MRN}: BM26-00043",
    ]
    staff = as_user(db, "drpark", "search", "MRN0099999")
    assert sorted(line.split("\t")[0] for line in staff.lines) == [ACCESSION, "BM26-00043"]
    assert as_user(db, "drpark", "patient", "merge", MRN, MRN, "--reason", "r").code == 1
    again = as_user(db, "admin", "patient", "merge", MRN, MRN, "--reason", "r")
    assert again.errors == [f"{MRN}: a patient cannot be merged into itself"]
    unknown = as_user(db, "admin", "patient", "merge", "MRN0000001", MRN, "--reason", "r")
    assert unknown.errors == ["MRN0000001: no patient with this MRN"]

    unmerge = as_user(db, "admin", "patient", "unmerge", "MRN0099999")
    assert unmerge.lines[:2] == [
        "MRN0099999: unmerged",
        "1 cases moved back to MRN0099999: BM26-00043",
    ]
    staff = as_user(db, "drpark", "search", "MRN0099999")
    assert [line.split("\t")[0] for line in staff.lines] == ["BM26-00043"]


def test_timeline_tsv_and_json_and_a_clinician_sees_no_drafts(db: str, tmp_path: Path) -> None:
    later = case("BM26-00043")
    later["procedure"]["date"] = "2026-11-25"
    later["received_at"] = "2026-11-25T15:00:00Z"
    imported(db, tmp_path, case(), later)
    assert as_user(db, "drpark", "sign", ACCESSION).code == 0

    staff = as_user(db, "drpark", "timeline", MRN)
    assert (staff.code, staff.err) == (0, "")
    first, second = staff.lines
    assert first.split("\t")[:3] == [ACCESSION, "2026-11-18", "final"]
    assert len(first.split("\t")) == 9
    assert second.split("\t") == ["BM26-00043", "2026-11-25", "draft", "", "", "", "", "", ""]

    clinician = as_user(db, "clinician", "timeline", MRN)
    assert clinician.lines == [first]
    data = json.loads(as_user(db, "clinician", "timeline", MRN, "--format", "json").out)
    assert [c["accession"] for c in data["cases"]] == [ACCESSION]
    (point,) = data["cases"]
    assert point["plotted"] is True
    assert first.split("\t")[3:9] == [
        str(point["blast_equivalents_pct"]),
        str(point["plasma_cells_pct"]),
        str(point["cellularity_pct"]),
        point["cellularity_verdict"],
        str(point["me_ratio"]),
        point["fibrosis_grade"],
    ]
    nothing = as_user(db, "clinician", "timeline", "MRN0000001")
    assert (nothing.code, nothing.errors) == (1, ["MRN0000001: no issued report for this MRN"])


def v2_case(accession: str, day: str, flow: float, therapy: list[dict[str, Any]]) -> dict[str, Any]:
    """The `/2` example on `day`, its flow study measuring `flow` %, with `therapy`."""
    data = example_case_v2()
    data["accession"] = accession
    data["procedure"]["date"] = day
    data["received_at"] = f"{day}T15:00:00Z"
    data["procedure"]["collected_at"] = f"{day}T09:00:00Z"
    data["ancillary"][0]["reported_on"] = day
    data["ancillary"][0]["measurements"] = [
        {"name": "MRD by flow", "value": flow, "unit": "percent"},
        {"name": "NPM1 VAF", "value": 12, "unit": "vaf_percent"},
    ]
    data["clinical"]["therapy"] = therapy
    return data


AZA = {"name": "Azacitidine", "kind": "chemotherapy", "started_on": "2026-09-01"}
VEN = {"name": "Venetoclax", "kind": "targeted", "started_on": "2026-11-19"}


def test_timeline_prints_the_measurements_and_the_therapy_of_the_issued_versions(
    db: str, tmp_path: Path
) -> None:
    """tsv: `name=value unit` after the nine columns, the unit as the case format spells
    it; json: the measurements as entered and the therapy periods of the issued versions
    (a later report's end date wins; a draft's therapy is not the patient's course yet)."""
    first = v2_case("BM26-00042", "2026-11-18", 9.5, [AZA])
    second = v2_case("BM26-00043", "2026-11-25", 0.04, [AZA | {"ended_on": "2026-11-10"}, VEN])
    draft = v2_case(
        "BM26-00044", "2026-11-26", 0.0, [{"name": "Draft only", "kind": "other",
        "started_on": "2026-11-26"}],
    )  # fmt: skip
    imported(db, tmp_path, first, second, draft)
    for accession in ("BM26-00042", "BM26-00043"):
        signed = as_user(db, "drpark", "sign", accession, "--acknowledge", "all")
        assert signed.code == 0, signed.err

    staff = as_user(db, "drpark", "timeline", MRN)
    assert (staff.code, staff.err) == (0, "")
    rows = [line.split("\t") for line in staff.lines]
    assert [row[:3] for row in rows] == [
        ["BM26-00042", "2026-11-18", "final"],
        ["BM26-00043", "2026-11-25", "final"],
        ["BM26-00044", "2026-11-26", "draft"],
    ]
    assert rows[0][9:] == ["MRD by flow=9.5 percent", "NPM1 VAF=12 vaf_percent"]
    assert rows[1][9:] == ["MRD by flow=0.04 percent", "NPM1 VAF=12 vaf_percent"]
    assert rows[2] == ["BM26-00044", "2026-11-26", "draft", "", "", "", "", "", ""]

    for user in ("drpark", "clinician"):
        data = json.loads(as_user(db, user, "timeline", MRN, "--format", "json").out)
        points = [c for c in data["cases"] if c["plotted"]]
        assert [p["measurements"] for p in points] == [
            [
                {"name": "MRD by flow", "value": 9.5, "unit": "percent"},
                {"name": "NPM1 VAF", "value": 12, "unit": "vaf_percent"},
            ],
            [
                {"name": "MRD by flow", "value": 0.04, "unit": "percent"},
                {"name": "NPM1 VAF", "value": 12, "unit": "vaf_percent"},
            ],
        ]
        assert data["therapy"] == [
            {"name": "Azacitidine", "kind": "chemotherapy", "started_on": "2026-09-01",
             "ended_on": "2026-11-10"},
            {"name": "Venetoclax", "kind": "targeted", "started_on": "2026-11-19",
             "ended_on": None},
        ]  # fmt: skip
    clinician = as_user(db, "clinician", "timeline", MRN)
    assert clinician.lines == staff.lines[:2]  # the draft is not listed
